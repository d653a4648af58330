"""Who may do what (API.md roles). An actor is {"token_id", "role", "municipality"} or None for
the public. Pure functions: the service asks before it writes and the rules stay in one place.
"""
from shared.errors import Forbidden

PUBLIC_STATUSES = ("adopted", "revising", "renewed")


def role(actor):
    return (actor or {}).get("role", "public")


def require_admin(actor):
    if role(actor) != "admin":
        raise Forbidden("Only operations (admin) may do this.")


def require_plan_creator(actor, coordinator):
    if role(actor) == "admin":
        return
    if role(actor) != "coordinator" or actor.get("municipality") != coordinator:
        raise Forbidden(f"Only a coordinator of {coordinator} may create its joint plans.")


def is_coordinator(actor, plan):
    return role(actor) == "admin" or (role(actor) == "coordinator"
                                      and actor.get("municipality") == plan["coordinator"])


def require_coordinator(actor, plan):
    if not is_coordinator(actor, plan):
        raise Forbidden(f"Only the coordinator of plan {plan['id']} ({plan['coordinator']}) may do this.")


def require_contributor(actor, plan, municipality):
    if is_coordinator(actor, plan):
        return
    if role(actor) == "planner" and actor.get("municipality") == municipality:
        return
    raise Forbidden(f"Only a planner of {municipality} or the plan's coordinator may write this contribution.")


def can_read_plan(actor, plan):
    if plan["status"] in PUBLIC_STATUSES or role(actor) == "admin":
        return True
    if role(actor) == "public":
        return False
    mine = actor.get("municipality")
    return mine is None and role(actor) == "viewer" or mine == plan["coordinator"] or mine in plan["members"]
