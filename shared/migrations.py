"""Numbered data migrations: what brings documents written by an older release to today's shape.

Each service lists its steps in ``services/<name>/migrations.py`` (``STEPS``, numbered 1, 2, ...).
The version of a service's data is kept per database, in ``schema_migrations``: one document per
step applied, with what it changed. Not a field on every document: the services write documents
through mongoengine and through raw pymongo alike, and a step selects the documents still in the
old shape, so it needs no stamp to find them.

A step is idempotent (it changes only documents still in the old shape) and is recorded after its
changes, so a run stopped anywhere is finished by the next one, and two runs at once (pods starting
together) do the same thing twice, harmlessly.
"""
import dataclasses
from typing import Callable

from shared.clock import now_iso

COLLECTION = "schema_migrations"


@dataclasses.dataclass(frozen=True)
class Step:
    number: int
    name: str
    apply: Callable   # (pymongo Database) -> {what: documents changed} (no dot in a key: a field name)


def backfill(collection, **defaults):
    """A step's change: each field set to its value wherever it is missing (the default today's
    code assumes on read); returns {"<collection>:<field>": documents changed}."""
    def apply(database):
        return {f"{collection}:{field}": database[collection].update_many(
                    {field: {"$exists": False}}, {"$set": {field: value}}).modified_count
                for field, value in defaults.items()}
    return apply


def in_order(steps):
    """The steps, refused unless numbered 1, 2, ... with no gap or repeat (a number once released
    names one step forever)."""
    numbers = [step.number for step in steps]
    if numbers != list(range(1, len(steps) + 1)):
        raise ValueError(f"migration steps must be numbered 1..{len(steps)} in order, not {numbers}")
    return list(steps)


def applied(database):
    """{step number: its record} of the steps this database has had."""
    return {record["_id"]: record for record in database[COLLECTION].find()}


def version(database):
    """The highest step applied with every earlier one (0: none)."""
    done, n = applied(database), 0
    while n + 1 in done:
        n += 1
    return n


def migrate(database, steps):
    """Apply the steps not yet recorded, in order; returns [(step, {what: changed}, ran)] for every
    step (``ran`` False: recorded before, skipped)."""
    done = applied(database)
    report = []
    for step in in_order(steps):
        if step.number in done:
            report.append((step, done[step.number].get("changed", {}), False))
            continue
        changed = step.apply(database)
        database[COLLECTION].update_one(
            {"_id": step.number},
            {"$setOnInsert": {"name": step.name, "changed": changed, "applied_at": now_iso()}}, upsert=True)
        report.append((step, changed, True))
    return report
