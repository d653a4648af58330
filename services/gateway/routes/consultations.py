"""Stakeholder consultation: consultations of a plan, inputs, decisions, register, summary."""
from flask import request
from flask_smorest import Blueprint

from shared.errors import InvalidInput

from ..http import actor, attachment, call, json_body
from ..openapi import body
from ..problems import problem

blp = Blueprint("consultations", __name__, url_prefix="/api/v1", description="Stakeholder consultation")
MAX_INPUT_BYTES = 64 * 1024


def consultation(method, *args, **kwargs):
    return call("consultation", method, actor(), *args, **kwargs)


@blp.route("/plans/<plan_id>/consultations", methods=["POST"])
@blp.doc(**body("Consultation"))
def create(plan_id):
    """Open a workshop, survey, meeting, public comment or search conference (coordinator)."""
    return consultation("create_consultation", plan_id, json_body()), 201


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
    if (request.content_length or 0) > MAX_INPUT_BYTES:
        return problem(413, f"An input is at most {MAX_INPUT_BYTES // 1024} KiB.")
    result = consultation("submit_input", cid, json_body(), client=request.remote_addr)
    return {"id": result["id"], "duplicate": not result["created"]}, 201 if result["created"] else 200


@blp.route("/consultations/<cid>/inputs", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": n, "schema": {"type": "string"}}
                     for n in ("theme", "kind", "decision", "municipality")])
def list_inputs(cid):
    """Inputs, filtered; only the plan's coordinator sees stakeholders' contacts."""
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
    """The stakeholder analysis: influence and importance give the guide's priority (coordinator)."""
    return consultation("put_register", plan_id, json_body())


@blp.route("/plans/<plan_id>/stakeholders", methods=["GET"])
def get_register(plan_id):
    """Analysed stakeholders with their priority, and everyone who gave input."""
    return consultation("get_register", plan_id)
