"""Stakeholder consultation: consultations of a plan, inputs, decisions, register, summary."""
from flask import request
from flask_smorest import Blueprint

from shared.errors import InvalidInput

from ..http import actor, attachment, call, if_match, json_body
from ..openapi import body

blp = Blueprint("consultations", __name__, url_prefix="/api/v1", description="Stakeholder consultation")
MAX_INPUT_BYTES = 64 * 1024


def consultation(method, *args, **kwargs):
    return call("consultation", method, actor(), *args, **kwargs)


IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 200},
                   "description": "Sent again with the same body after a lost answer, it returns what the first "
                                  "request created; with another body it is refused (422)."}


@blp.route("/plans/<plan_id>/consultations", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_KEY], **body("Consultation"))
def create(plan_id):
    """Open a workshop, survey, meeting, public comment or search conference (coordinator)."""
    return consultation("create_consultation", plan_id, json_body(), request.headers.get("Idempotency-Key")), 201


@blp.route("/plans/<plan_id>/consultations", methods=["GET"])
def list_for_plan(plan_id):
    return consultation("list_consultations", plan_id)


@blp.route("/consultations/<cid>", methods=["GET"])
def get(cid):
    """A consultation with its status: scheduled, open or closed, by its times."""
    return consultation("get_consultation", cid)


@blp.route("/consultations/<cid>/open", methods=["POST"])
def open_now(cid):
    """Open at once (coordinator)."""
    return consultation("open_now", cid)


@blp.route("/consultations/<cid>/close", methods=["POST"])
def close_now(cid):
    """Close at once (coordinator)."""
    return consultation("close_now", cid)


@blp.route("/consultations/<cid>/inputs", methods=["POST"])
@blp.doc(**body("Input"))
def submit(cid):
    """A request, suggestion, complaint or SWOT item. Public consultations take it without a token
    (rate limited per client); the same input sent twice is stored once (200 with its id)."""
    result = consultation("submit_input", cid, json_body(limit=MAX_INPUT_BYTES), client=request.remote_addr)
    return {"id": result["id"], "duplicate": not result["created"]}, 201 if result["created"] else 200


@blp.route("/consultations/<cid>/inputs", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": n, "schema": {"type": "string"}}
                     for n in ("theme", "kind", "decision", "municipality")])
def list_inputs(cid):
    """Inputs, filtered. The coordinator sees everything; the plan's participants no contacts and no
    citizen's name; the public the group and municipality, and the text once published, with
    e-mail addresses and phone numbers masked."""
    allowed = ("theme", "kind", "decision", "municipality")
    unknown = [k for k in request.args if k not in allowed]
    if unknown:
        raise InvalidInput("Unknown filter.", {k: [f"Filter by {', '.join(allowed)}."] for k in unknown})
    return consultation("list_inputs", cid, {k: v for k, v in request.args.items()})


@blp.route("/inputs/<iid>/decision", methods=["POST"])
@blp.doc(**body("Decision"))
def decide(iid):
    """Accept (with links to goals or objectives), reject (with a reason) or merge (coordinator)."""
    return consultation("decide", iid, json_body())


@blp.route("/inputs/<iid>/moderation", methods=["POST"])
@blp.doc(**body("Moderation"))
def moderate(iid):
    """Publish an input's text to the public, or hide it (coordinator). Until it is published the
    public sees only the stakeholder's group and municipality, the kind and the theme."""
    return consultation("moderate", iid, json_body())


@blp.route("/consultations/<cid>/summary", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "format", "schema": {"type": "string", "enum": ["json", "xlsx"]}}])
def summary(cid):
    """Counts by theme, kind, stakeholder group, municipality and decision, as JSON or XLSX."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "xlsx"):
        raise InvalidInput("Unknown format.", {"format": ["Use json or xlsx."]})
    result = consultation("summary", cid, fmt)
    if fmt == "json":
        return result
    return attachment(result, fmt)


@blp.route("/plans/<plan_id>/stakeholders", methods=["PUT"])
@blp.doc(**body("StakeholderRegister"))
def put_register(plan_id):
    """The stakeholder analysis (coordinator): the frame's own list (a new plan version, `If-Match`
    as any plan write); influence and importance give the guide's priority. Answers the register."""
    call("plan_registry", "put_stakeholders", actor(), plan_id, json_body(), if_match())
    return consultation("get_register", plan_id)


@blp.route("/plans/<plan_id>/stakeholders", methods=["GET"])
def get_register(plan_id):
    """Analysed stakeholders with their priority, and everyone who gave input."""
    return consultation("get_register", plan_id)


@blp.route("/plans/<plan_id>/bank", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_KEY], **body("BankRecord"))
def add_bank_record(plan_id):
    """A need, capacity or opportunity of one of the plan's municipalities (its planner, or the plan's
    coordinator); ``source.input`` keeps the consultation input it came from, whose municipality,
    theme and text it takes unless given."""
    return consultation("add_bank_record", plan_id, json_body(), request.headers.get("Idempotency-Key")), 201


@blp.route("/plans/<plan_id>/bank", methods=["GET"])
@blp.doc(parameters=[*({"in": "query", "name": n, "schema": {"type": "string"}} for n in ("municipality", "theme")),
                     {"in": "query", "name": "kind", "schema": {"type": "string",
                                                               "enum": ["need", "capacity", "opportunity"]}},
                     {"in": "query", "name": "format", "schema": {"type": "string", "enum": ["json", "xlsx"]}}])
def bank(plan_id):
    """The bank of needs, capacities and opportunities of the plan's municipalities, filtered by
    kind, municipality and theme (whoever may read the plan); ?format=xlsx for a workbook."""
    result = consultation("bank", plan_id, {k: v for k, v in request.args.items()})
    if request.args.get("format", "json") == "json":
        return result
    return attachment(result, "xlsx")


@blp.route("/plans/<plan_id>/situation", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "format", "schema": {"type": "string", "enum": ["json", "xlsx"]}}])
def situation(plan_id):
    """The regional table of needs and opportunities: the needs, strengths, weaknesses, opportunities
    and threats of the plan's situation analysis, its objectives and its members' own adopted
    plans, per municipality and theme, with the bank's records beside them (whoever may read the
    plan); ?format=xlsx for a workbook."""
    fmt = request.args.get("format", "json")
    result = consultation("situation", plan_id, fmt)
    return result if fmt == "json" else attachment(result, "xlsx")
