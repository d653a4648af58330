"""``make run``: Ortak on the embedded defaults with the demo region; Ctrl-C stops it all.

    python -m ops.run
"""
import os
import secrets
import signal
import sys
import time

from shared import config

from . import broker, seed
from .stack import ROOT, Stack


def admin_token(var_dir):
    """ORTAK_ADMIN_TOKEN if set, else a demo one kept in var/ so it survives restarts."""
    if config.env("ORTAK_ADMIN_TOKEN"):
        return config.env("ORTAK_ADMIN_TOKEN")
    path = os.path.join(var_dir, "admin-token")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("ortak_demo_admin_" + secrets.token_urlsafe(24))
    with open(path) as f:
        return f.read().strip()


def main():
    var_dir = os.path.abspath(config.env("ORTAK_VAR", os.path.join(ROOT, "var")))
    os.makedirs(var_dir, exist_ok=True)
    token = admin_token(var_dir)
    stack = Stack(var_dir, port=int(config.env("PORT", "8000")), amqp_uri=config.amqp_uri(),
                  mongodb_uri=config.env("MONGODB_URI"), store_port=int(config.env("ORTAK_STORE_PORT", "27017")),
                  admin_token=token)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        stack.start()
        tokens = seed.seed(stack.url, token, var_dir)
        print(f"\nOrtak is running at {stack.url}  (API docs: {stack.url}/docs)")
        for role, info in tokens.items():
            where = f" of {info['municipality']}" if info["municipality"] else ""
            print(f"  {role:<12}{where:<16} Authorization: Bearer {info['token']}")
        print(f"  logs in {os.path.join(var_dir, 'log')}; Ctrl-C stops everything started here.\n")
        while not stopping:
            for child in [*stack.services.values(), stack.gateway]:
                if not child.alive():
                    print(f"{child.name} exited ({child.popen.returncode}); see {child.log_path}", file=sys.stderr)
                    stopping.append(True)
            time.sleep(0.5)
    except broker.BrokerMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping ...")
        stack.stop()
        print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
