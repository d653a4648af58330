"""Neighbourhood service requests through the JSON API: the service catalogue, a request for its
municipality's staff, the lifecycle, bulk import, and service quality. The Open311 GeoReport v2
endpoints are in ``services/gateway/open311.py``."""
from flask import request
from flask_smorest import Blueprint

from shared.errors import InvalidInput

from ..http import actor, attachment, call, json_body
from ..openapi import body

blp = Blueprint("requests", __name__, url_prefix="/api/v1", description="Neighbourhood service requests")
MAX_IMPORT_BYTES = 8 * 1024 * 1024


def requests_rpc(method, *args, **kwargs):
    return call("requests", method, *args, **kwargs)


@blp.route("/municipalities/<mid>/services/<code>", methods=["PUT"])
@blp.doc(**body("Service"))
def put_service(mid, code):
    """A service of the municipality's catalogue: names, group, keywords, target days, responsible
    unit, and whether citizens may file it without a token (admin, the municipality's coordinator or
    planner, or its metropolitan's coordinator)."""
    result = requests_rpc("put_service", actor(), mid, code, json_body())
    return result["service"], 201 if result["created"] else 200


@blp.route("/municipalities/<mid>/services", methods=["GET"])
def list_services(mid):
    """The municipality's service catalogue."""
    return requests_rpc("list_services", actor(), mid)


@blp.route("/municipalities/<mid>/requests", methods=["POST"])
@blp.doc(**body("RequestImport"))
def import_requests(mid):
    """Requests kept first elsewhere, with their times and status, up to 5,000 at once; every row is
    checked before any is stored, and a row sent again (same ``id``) is stored once (staff)."""
    return requests_rpc("import_requests", actor(), mid, json_body(limit=MAX_IMPORT_BYTES))


@blp.route("/municipalities/<mid>/service-quality", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "period", "required": True, "schema": {"type": "string"}},
                     {"in": "query", "name": "service_code", "schema": {"type": "string"}}])
def quality(mid):
    """Requests received in a period, the share closed within the service's target days, the median
    days to close and the open requests past their target (figures, no personal data)."""
    unknown = [k for k in request.args if k not in ("period", "service_code")]
    if unknown or "period" not in request.args:
        raise InvalidInput("Bad query.", {k: ["Unknown parameter."] for k in unknown} or
                           {"period": ["Give a period such as 2026-H1."]})
    return requests_rpc("quality", mid, request.args["period"], request.args.get("service_code"))


@blp.route("/municipalities/<mid>/request-findings", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "period", "required": True, "schema": {"type": "string"}},
                     {"in": "query", "name": "format", "schema": {"type": "string", "enum": ["json", "xlsx"]}}])
def findings(mid):
    """The period's requests by neighbourhood and service, most received first, with the quality
    figures of each (no personal data): findings for the plan; a row becomes a bank record with
    ``POST /plans/{id}/bank`` and ``"source": {"finding": {...}}``."""
    unknown = [k for k in request.args if k not in ("period", "format")]
    fmt = request.args.get("format", "json")
    if unknown or "period" not in request.args or fmt not in ("json", "xlsx"):
        raise InvalidInput("Bad query.", {k: ["Unknown parameter."] for k in unknown} or
                           ({"format": ["json or xlsx."]} if "period" in request.args else
                            {"period": ["Give a period such as 2026-H1."]}))
    result = requests_rpc("findings", mid, request.args["period"], fmt)
    return attachment(result, fmt) if fmt == "xlsx" else result


@blp.route("/requests/<rid>", methods=["GET"])
def get_request(rid):
    """A request with its requester and its history, for its municipality's staff."""
    return requests_rpc("get_request", actor(), rid)


@blp.route("/requests/<rid>", methods=["PATCH"])
@blp.doc(**body("RequestChange"))
def change_request(rid):
    """The next step of open → assigned → in_progress → closed, a status note, the responsible unit
    (staff); a move that skips a step is refused (422 on ``status``)."""
    return requests_rpc("change_request", actor(), rid, json_body())


@blp.route("/plans/<plan_id>/service-quality", methods=["POST"])
@blp.doc(**body("QualitySubmission"))
def submit_quality(plan_id):
    """Submit the service-quality figures of a period as readings of the plan's indicators whose
    data source reads ``open311:<figure>[:<service_code>]``; they wait for approval as any reading."""
    return requests_rpc("submit_quality", actor(), plan_id, json_body())
