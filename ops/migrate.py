"""Bring every service's stored documents up to today's shape (shared.migrations), before the
services start: `make run`, the compose file's `migrate` job and each Kubernetes service pod run it.

    python -m ops.migrate [--service NAME ...] [--uri URI] [--prefix PREFIX] [--status]

Idempotent and resumable: a step already recorded in a database is skipped, and a step stopped
half-way is finished by the next run. It prints, per service, the version before and after and
what each step it ran changed. Exit status: 0 done, 1 the store refused, 2 usage.
"""
import argparse
import importlib
import sys

import pymongo
import pymongo.errors

from shared import config, migrations


def steps(service):
    return importlib.import_module(f"services.{service}.migrations").STEPS


def database(client, prefix, service):
    return client[f"{prefix}_{service}"]


def connect(uri):
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=10000, uuidRepresentation="standard", tz_aware=True)


def run(uri=None, prefix=None, services=None, status_only=False):
    """{service: (version before, version after, [(step, changed, ran)])}."""
    prefix = prefix or config.env("ORTAK_DB_PREFIX", "ortak")
    client = connect(uri or config.mongodb_uri())
    try:
        found = {}
        for service in services or config.SERVICES:
            db = database(client, prefix, service)
            before = migrations.version(db)
            report = [] if status_only else migrations.migrate(db, steps(service))
            found[service] = (before, migrations.version(db), report)
        return found
    finally:
        client.close()


def lines(found):
    """What a run did, one line per service and one per step it ran."""
    for service, (before, after, report) in found.items():
        latest = len(steps(service))
        yield f"{service}: version {before} -> {after} (latest {latest})" if before != after else \
            f"{service}: version {after} (latest {latest})"
        for step, changed, ran in report:
            if ran:
                what = ", ".join(f"{key} {count}" for key, count in changed.items()) or "nothing to change"
                yield f"  {step.number} {step.name}: {what}"


def summary(found):
    """One line for a launcher's log: each service's version, and how many steps ran now."""
    ran = sum(1 for _, _, report in found.values() for _, _, now in report if now)
    versions = ", ".join(f"{service} {after}" for service, (_, after, _) in found.items())
    return f"stored data at versions {versions} ({ran} migration step{'' if ran == 1 else 's'} run now)"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.migrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", action="append", choices=sorted(config.SERVICES),
                        help="only this service's database (repeatable; default: every service)")
    parser.add_argument("--uri", help="the store (default: MONGODB_URI or MONGODB_URI_FILE)")
    parser.add_argument("--prefix", help="the deployment's ORTAK_DB_PREFIX (default: the environment's)")
    parser.add_argument("--status", action="store_true", help="say each database's version, change nothing")
    args = parser.parse_args(argv)
    try:
        found = run(args.uri, args.prefix, args.service, args.status)
    except pymongo.errors.PyMongoError as exc:
        print(f"migration stopped: {exc}", file=sys.stderr)
        return 1
    for line in lines(found):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
