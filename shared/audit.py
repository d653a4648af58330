"""The audit trail: who changed a plan or its readings, when, what, and from which request.

Each change already leaves a record written with it (a plan version, a readings batch, an
approval, a linked stakeholder input), carrying the actor the gateway sent, request id included;
the trail is read off those records, so it cannot miss a change or disagree with one.
"""


def entry(at, action, actor, **what):
    actor = actor or {}
    return {"at": at, "action": action,
            "by": by(actor) if actor else None,
            "request_id": actor.get("request_id"), **what}


def by(actor):
    """The token that acted, or the person (by username) whose session did."""
    by = {k: actor.get(k) for k in ("token_id", "role", "municipality")}
    return {**by, "username": actor["username"]} if actor.get("username") else by


def newest_first(*trails, limit=None):
    merged = sorted((e for trail in trails for e in trail), key=lambda e: e["at"], reverse=True)
    return merged[:limit] if limit else merged
