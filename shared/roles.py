"""The API's roles (API.md) as every service applies them to a plan.

An actor is {"token_id", "role", "municipality"} from the gateway, or None for the public. A
plan here is anything with ``coordinator`` and ``members``.
"""


def role(actor):
    return (actor or {}).get("role", "public")


def is_coordinator(actor, plan):
    """Operations (admin), or a coordinator token of the plan's coordinating municipality."""
    return role(actor) == "admin" or (role(actor) == "coordinator"
                                      and actor.get("municipality") == plan["coordinator"])


def speaks_for(actor, plan, municipality):
    """May write for ``municipality``: its planner, or the plan's coordinator."""
    return is_coordinator(actor, plan) or (role(actor) == "planner" and actor.get("municipality") == municipality)


def is_participant(actor, plan):
    """Admin, a viewer of all municipalities, or any token of the coordinator or a member."""
    if role(actor) == "admin" or (role(actor) == "viewer" and actor.get("municipality") is None):
        return True
    return role(actor) != "public" and actor.get("municipality") in [plan["coordinator"], *plan["members"]]
