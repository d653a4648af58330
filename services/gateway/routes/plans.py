"""Joint plans: creation, frame, contributions, versions, adoption and revisions."""
import re

from flask import request
from flask_smorest import Blueprint

from shared import audit
from shared.errors import InvalidInput

from ..http import actor, attachment, call, if_match, json_body, plan_etag, repeatable_read, with_etag
from ..openapi import body

blp = Blueprint("plans", __name__, url_prefix="/api/v1", description="Joint strategic plans")


def registry(method, *args):
    return call("plan_registry", method, actor(), *args)


@blp.route("/plans", methods=["POST"])
@blp.doc(**body("PlanCreate"))
def create_plan():
    """Create a joint plan (a coordinator of its coordinating municipality)."""
    return with_etag(registry("create_plan", json_body()), 201)


@blp.route("/plans", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "member", "schema": {"type": "string"},
                      "description": "only plans this municipality coordinates or is a member of"}])
def list_plans():
    return registry("list_plans", request.args.get("member") or None)


@blp.route("/plans/<plan_id>", methods=["GET"])
def get_plan(plan_id):
    """The current plan: status, version, frame, every contribution (ETag is the version; 304 to
    If-None-Match with it)."""
    def fetch():
        plan = registry("get_plan", plan_id)
        return plan, plan_etag(plan)
    return repeatable_read(("plan", plan_id), plan_id, fetch)


@blp.route("/plans/<plan_id>/frame", methods=["PUT"])
@blp.doc(**body("Frame"))
def put_frame(plan_id):
    """Mission, vision, values, goals, regional indicators and situation analysis (coordinator)."""
    return with_etag(registry("put_frame", plan_id, json_body(), if_match()))


@blp.route("/plans/<plan_id>/contributions/<municipality>", methods=["PUT"])
@blp.doc(**body("Contribution"))
def put_contribution(plan_id, municipality):
    """A member's objectives with their target cards (its planner, or the coordinator)."""
    return with_etag(registry("put_contribution", plan_id, municipality, json_body(), if_match()))


@blp.route("/plans/<plan_id>/status", methods=["POST"])
@blp.doc(**body("StatusChange"))
def set_status(plan_id):
    """Move a draft into consultation or back (coordinator)."""
    return with_etag(registry("set_status", plan_id, json_body(), if_match()))


@blp.route("/plans/<plan_id>/adopt", methods=["POST"])
@blp.doc(**body("Adoption"))
def adopt(plan_id):
    """Record the coordinator's council decision, and any members' (``members``: [{"municipality",
    "decision_no", "decision_date"}]); the targets become what monitoring measures against."""
    return with_etag(registry("adopt", plan_id, json_body(), if_match()))


@blp.route("/plans/<plan_id>/adoptions/<municipality>", methods=["POST"])
@blp.doc(**body("CouncilDecision"))
def record_council(plan_id, municipality):
    """A member's own council decision adopting the joint plan (number, date): by the member itself
    (its coordinator or planner) or the plan's coordinator (not a cooperation body's), before or
    after the coordinator's adoption. The plan lists who has adopted it (``adopted_by``) and whose
    council has not yet (``awaiting``)."""
    return with_etag(registry("record_council", plan_id, municipality, json_body(), if_match()))


@blp.route("/plans/<plan_id>/revisions", methods=["POST"])
@blp.doc(**body("Revision"))
def start_revision(plan_id):
    """Start an update (objectives, indicators, targets) or a renewal (a new plan)."""
    return with_etag(registry("start_revision", plan_id, json_body(), if_match()), 201)


@blp.route("/plans/<plan_id>/parent-changes/<int(min=1, max=1000000000):n>/acknowledge", methods=["POST"])
def acknowledge_parent_change(plan_id, n):
    """The child plan's coordinator has seen parent change ``n`` (a new version of the parent plan
    that changed or removed a goal the child's goals serve): it is no longer flagged on the plan.
    A new adopted version of the child closes every open flag too."""
    return with_etag(registry("acknowledge_parent_change", plan_id, n, if_match()))


@blp.route("/plans/<plan_id>/versions", methods=["GET"])
def list_versions(plan_id):
    return registry("list_versions", plan_id)


@blp.route("/plans/<plan_id>/versions/<int(min=1, max=1000000000):n>", methods=["GET"])
def get_version(plan_id, n):
    return registry("get_version", plan_id, n)


def _count_arg(name, message, default=None, most=10**9):
    value = request.args.get(name)
    if value is None and default is not None:
        return default
    # [0-9] and not str.isdigit(): superscripts and other scripts' digits are digits to Python
    if value is None or not re.fullmatch(r"[0-9]{1,10}", value) or not 0 < int(value) <= most:
        raise InvalidInput(message, {name: [f"A whole number from 1 to {most}."]})
    return int(value)


def _version_arg(name):
    return _count_arg(name, "Name two versions: ?from=n&to=m.")


@blp.route("/plans/<plan_id>/diff", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": n, "required": True, "schema": {"type": "integer", "minimum": 1}}
                     for n in ("from", "to")])
def diff(plan_id):
    """What objectives, indicators and targets changed between two versions."""
    return registry("diff", plan_id, _version_arg("from"), _version_arg("to"))


@blp.route("/plans/<plan_id>/audit", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 10000,
                                                                 "default": 1000}}])
def audit_trail(plan_id):
    """Every change to the plan and its readings, newest first: who (token, role, municipality),
    when, what, and the X-Request-Id of the request that made it (the plan's participants)."""
    limit = _count_arg("limit", "Bad limit.", default=1000, most=10_000)
    changes = registry("audit", plan_id)   # the registry decides who may read the trail
    return audit.newest_first(changes, call("monitoring", "audit", actor(), plan_id), limit=limit)


@blp.route("/plans/<plan_id>/target-cards", methods=["GET"])
@blp.doc(parameters=[
    {"in": "query", "name": "format", "schema": {"type": "string", "enum": ["json", "xlsx", "pdf"]}},
    {"in": "query", "name": "municipality", "schema": {"type": "string"}},
    {"in": "query", "name": "lang", "schema": {"type": "string", "enum": ["tr", "fa", "en"]},
     "description": "the cards' language; the coordinating municipality's by default"}])
def target_cards(plan_id):
    """The guide's target cards (hedef kartı) of every objective, or of one municipality's."""
    fmt = request.args.get("format", "json")
    result = registry("target_cards", plan_id, fmt, request.args.get("municipality"), request.args.get("lang"))
    return result if fmt == "json" else attachment(result, fmt)
