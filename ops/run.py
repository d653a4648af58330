"""``make run``: Ortak on the embedded defaults with the demo region; Ctrl-C stops it all.

    python -m ops.run
    ORTAK_REPLICAS=2 make run     # two processes of each service, competing for its queues

A service, the gateway or the store that dies is started again after a back-off (1, 2, 4 ...
30 s). SIGINT, SIGTERM and SIGHUP stop everything this started, even when the launcher was
started with SIGINT ignored (a background job of a non-interactive shell); and if the launcher
itself is killed, its children get SIGTERM from the kernel (ops.processes).
"""
import os
import secrets
import signal
import sys
import time

from shared import config

from . import broker, seed
from .stack import ROOT, Stack

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """A stop signal arrived: stop what was started (not an Exception, so no handler eats it)."""


def write_private(path, text):
    """Write a file only its owner can read, whole or not at all (a crash leaves no empty file)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def installation_secret(var_dir, name, make):
    """A secret made once for this installation and kept in var/<name> (mode 0600)."""
    path = os.path.join(var_dir, name)
    value = None
    if os.path.exists(path):
        with open(path) as f:
            value = f.read().strip()
    if not value:  # absent, or empty from an interrupted write of an older version
        value = make()
        write_private(path, value)
    return value, path


def admin_token(var_dir):
    """ORTAK_ADMIN_TOKEN if set, else a demo one kept in var/ so it survives restarts."""
    if config.secret("ORTAK_ADMIN_TOKEN"):
        return config.secret("ORTAK_ADMIN_TOKEN")
    return installation_secret(var_dir, "admin-token", lambda: "ortak_demo_admin_" + secrets.token_urlsafe(24))[0]


def pepper_env(var_dir):
    """The token pepper for the services: the one configured (ORTAK_TOKEN_PEPPER or its _FILE),
    else one generated for this installation in var/token-pepper, passed as a file."""
    if config.env("ORTAK_TOKEN_PEPPER") or config.env("ORTAK_TOKEN_PEPPER_FILE"):
        return {}
    _, path = installation_secret(var_dir, "token-pepper", lambda: secrets.token_urlsafe(48))
    return {"ORTAK_TOKEN_PEPPER_FILE": path}


def web_env(var_dir):
    """The key that signs web sessions and CSRF tokens (shared by every gateway worker): the one
    configured, else one made for this installation in var/web-secret-key, passed as a file."""
    if config.env("ORTAK_SECRET_KEY") or config.env("ORTAK_SECRET_KEY_FILE"):
        return {}
    _, path = installation_secret(var_dir, "web-secret-key", lambda: secrets.token_urlsafe(48))
    return {"ORTAK_SECRET_KEY_FILE": path}


def main():
    sys.stdout.reconfigure(line_buffering=True)

    def on_signal(signum, frame):
        for signum_ in STOP_SIGNALS:  # once: stopping is under way
            signal.signal(signum_, signal.SIG_IGN)
        raise Stopped(signum)

    # Explicit handlers: Python installs none for SIGINT when it starts with SIGINT ignored.
    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)

    var_dir = os.path.abspath(config.env("ORTAK_VAR", os.path.join(ROOT, "var")))
    os.makedirs(var_dir, exist_ok=True)
    token = admin_token(var_dir)
    stack = Stack(var_dir, port=int(config.env("PORT", "8000")), amqp_uri=config.amqp_uri(),
                  mongodb_uri=config.secret("MONGODB_URI"), store_port=int(config.env("ORTAK_STORE_PORT", "27017")),
                  db_prefix=config.env("ORTAK_DB_PREFIX", "ortak"), admin_token=token,
                  env={**pepper_env(var_dir), **web_env(var_dir)})
    try:
        stack.start()
        tokens = seed.seed(stack.url, token, var_dir)
        print(f"\nOrtak is running at {stack.url}  (API docs: {stack.url}/docs)")
        for role, info in tokens.items():
            where = f" of {info['municipality']}" if info["municipality"] else ""
            print(f"  {role:<12}{where:<16} Authorization: Bearer {info['token']}")
        print(f"  people log in at {stack.url}/login:")
        for role, person in seed.people(var_dir).items():
            print(f"  {role:<12}{person['username']:<24} password {person['password']}")
        print(f"  metrics at {stack.url}/metrics and " + ", ".join(
            f"{name} :{port}" for name, port in sorted(stack.metrics_ports.items())))
        print(f"  logs (JSON lines with request ids) in {os.path.join(var_dir, 'log')}; Ctrl-C stops everything "
              "started here.\n")
        while True:
            stack.supervise()
            time.sleep(0.5)
    except broker.BrokerMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    except Stopped:
        pass
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        print("stopping ...")
        stack.stop()
        print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
