"""Timestamps as ISO 8601 UTC strings.

They travel over RPC and events as strings anyway, and the embedded store turns a datetime
written by ``$set`` into a string, so the services store strings too: one form everywhere.
"""
from datetime import datetime, timezone


def utcnow():
    return datetime.now(timezone.utc)


def iso(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso():
    return iso(utcnow())
