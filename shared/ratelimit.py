"""Fixed-window rate limits counted in the service's own store, so they hold across every
gateway worker and process. Clients are known by a hash of their address: no address is kept.
"""
import hashlib
import time

from shared.errors import RateLimited

COLLECTION = "rate_windows"


def client_key(address, purpose):
    return f"{purpose}:" + hashlib.sha256((address or "unknown").encode()).hexdigest()[:32]


def _window(window_seconds):
    return int(time.time() // window_seconds)


def _wait(window, window_seconds):
    return int((window + 1) * window_seconds - time.time()) + 1


def hit(database, key, window_seconds):
    """Count one event of ``key`` in the current window; returns the count so far."""
    from pymongo import ReturnDocument   # here: the gateway imports this module's rules, not the store
    window = _window(window_seconds)
    doc = database[COLLECTION].find_one_and_update(
        {"_id": f"{key}:{window}"}, {"$inc": {"count": 1}, "$setOnInsert": {"window": window}},
        upsert=True, return_document=ReturnDocument.AFTER)
    return doc["count"]


def count(database, key, window_seconds):
    doc = database[COLLECTION].find_one({"_id": f"{key}:{_window(window_seconds)}"})
    return doc["count"] if doc else 0


def refuse_over(counted, limit, window_seconds, what):
    """RateLimited (429 with Retry-After) once ``counted`` exceeds ``limit``."""
    if counted > limit:
        wait = _wait(_window(window_seconds), window_seconds)
        raise RateLimited(f"{what}; try again in {wait} s.", extra={"retry_after": wait})


def forget_old_windows(database, window_seconds):
    database[COLLECTION].delete_many({"window": {"$lt": _window(window_seconds) - 1}})
