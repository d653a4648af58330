"""Container healthcheck of a nameko service: it answers its ``health`` RPC (store included).

    python -m ops.healthcheck plan_registry
"""
import sys

from nameko.standalone.rpc import ClusterRpcProxy

from shared import config


def main(service):
    try:
        with ClusterRpcProxy(config.nameko_config(), timeout=5) as rpc:
            getattr(rpc, service).health()
    except Exception as exc:
        print(f"{service}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
