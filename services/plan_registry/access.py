"""Who may do what (API.md roles). An actor is {"token_id", "role", "municipality"} or None for
the public. Pure functions: the service asks before it writes and the rules stay in one place.
"""
from shared.errors import Forbidden
from shared.roles import can_read_plan, is_coordinator, role, speaks_for  # noqa: F401 (can_read_plan: the service asks here)


def require_admin(actor):
    if role(actor) != "admin":
        raise Forbidden("Only operations (admin) may do this.")


def require_plan_creator(actor, coordinator):
    if role(actor) == "admin":
        return
    if role(actor) != "coordinator" or actor.get("municipality") != coordinator:
        raise Forbidden(f"Only a coordinator of {coordinator} may create its joint plans.")


def require_coordinator(actor, plan):
    if not is_coordinator(actor, plan):
        raise Forbidden(f"Only the coordinator of plan {plan['id']} ({plan['coordinator']}) may do this.")


def require_contributor(actor, plan, municipality):
    if speaks_for(actor, plan, municipality):
        return
    raise Forbidden(f"Only a planner of {municipality} or the plan's coordinator may write this contribution.")
