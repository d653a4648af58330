"""Container entrypoint: give the command the secrets it can only read as plain variables.

Ortak's own code reads ``<NAME>_FILE`` (shared.config.secret); nameko's config file reads
``${AMQP_URI}`` and the registry's bootstrap reads ``ORTAK_ADMIN_TOKEN``, so for those two a
``<NAME>_FILE`` becomes ``<NAME>`` here, and then the command runs in this process.

    python -m ops.entrypoint nameko run --config deploy/nameko.yml services.plan_registry.service:PlanRegistry
"""
import os
import sys

from shared import config

PLAIN_ONLY = ("AMQP_URI", "ORTAK_ADMIN_TOKEN")


def main(argv):
    if not argv:
        sys.exit("usage: python -m ops.entrypoint COMMAND [ARG ...]")
    for name in PLAIN_ONLY:
        if config.env(f"{name}_FILE") is None:
            continue
        try:
            value = config.secret(name)
        except config.ConfigurationError as exc:
            sys.exit(str(exc))
        if value is None:
            sys.exit(f"{name}_FILE={os.environ[f'{name}_FILE']} is empty.")
        os.environ[name] = value
        del os.environ[f"{name}_FILE"]
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
