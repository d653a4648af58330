"""Repair command: figure every period of a plan again from its approved readings.

    python -m ops.recompute korfez-2025-2029
"""
import sys

from nameko.standalone.rpc import ClusterRpcProxy

from shared import config


def main(plan_id):
    with ClusterRpcProxy(config.nameko_config(), timeout=600) as rpc:
        result = rpc.monitoring.recompute(plan_id)
    print(f"{result['plan_id']}: {result['periods']} periods recomputed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
