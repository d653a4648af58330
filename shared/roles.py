"""The API's roles (API.md) as every service applies them to a plan.

An actor is {"token_id", "role", "municipality"} from the gateway (a person's session gives
{"person_id", "username", ...} instead of a token id), or None for the public. A service that
writes in a municipality's name by itself (the requests service submitting the service-quality
figures its requests show) acts as {"role": "service", "service", "municipality"}: no token or
session has that role, so it never comes through the gateway. A plan here is anything with
``coordinator`` and ``members``.
"""


def municipalities_of(plan):
    """The plan's coordinator and its members, in that order: every municipality that takes part."""
    return [plan["coordinator"], *plan["members"]]


def who(actor):
    """The credential that acts: a token's id, or ``user:<username>`` for a person; None for the public."""
    actor = actor or {}
    if actor.get("token_id"):
        return actor["token_id"]
    if actor.get("service"):
        return f"service:{actor['service']}"
    return f"user:{actor['username']}" if actor.get("username") else None


def role(actor):
    return (actor or {}).get("role", "public")


def is_coordinator(actor, plan):
    """Operations (admin), or a coordinator token of the plan's coordinating municipality."""
    return role(actor) == "admin" or (role(actor) == "coordinator"
                                      and actor.get("municipality") == plan["coordinator"])


def speaks_for(actor, plan, municipality):
    """May write for ``municipality``: its planner, or the plan's coordinator. A cooperation body's
    members are not its children: its coordinator speaks for the body alone, and reads (as a
    participant) what its members contribute to its plan, nothing else of theirs."""
    if role(actor) in ("planner", "service") and actor.get("municipality") == municipality:
        return True
    if plan.get("coordinator_kind") == "cooperation_body" and municipality != plan["coordinator"]:
        return role(actor) == "admin"
    return is_coordinator(actor, plan)


def is_participant(actor, plan):
    """Admin, a viewer of all municipalities, or any token of the coordinator or a member."""
    if role(actor) == "admin" or (role(actor) == "viewer" and actor.get("municipality") is None):
        return True
    return role(actor) != "public" and actor.get("municipality") in municipalities_of(plan)


PUBLIC_STATUSES = ("adopted", "revising", "renewed")  # a plan the public may read


def can_read_plan(actor, plan):
    return plan["status"] in PUBLIC_STATUSES or is_participant(actor, plan)


def may_write(actor, plan):
    """A participant who may write at all: a viewer reads only."""
    return is_participant(actor, plan) and role(actor) in ("admin", "coordinator", "planner")
