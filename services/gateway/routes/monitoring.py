"""Monitoring: readings in batches, approvals, progress and alerts."""
from flask import request
from flask_smorest import Blueprint

from ..http import actor, attachment, call, json_body

blp = Blueprint("monitoring", __name__, url_prefix="/api/v1", description="Monitoring and evaluation")

READINGS_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["readings"],
    "properties": {"readings": {"type": "array", "maxItems": 10000, "items": {
        "type": "object", "required": ["indicator", "municipality", "period"],
        "properties": {"indicator": {"type": "string"}, "municipality": {"type": "string"},
                       "period": {"type": "string", "example": "2026-H1"}, "value": {"type": "number"},
                       "numerator": {"type": "number"}, "denominator": {"type": "number"},
                       "weight": {"type": "number"}, "note": {"type": "string"}, "source": {"type": "string"}}}}}}}}}}
APPROVE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["municipality", "period"],
    "properties": {"municipality": {"type": "string"}, "period": {"type": "string"}}}}}}}


def monitoring(method, *args, **kwargs):
    return call("monitoring", method, actor(), *args, **kwargs)


@blp.route("/plans/<plan_id>/readings", methods=["POST"])
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}], **READINGS_BODY)
def submit_readings(plan_id):
    """Up to 10,000 readings; any bad line gets 422 listing every bad line and nothing is stored.
    A repeated Idempotency-Key returns the first answer."""
    return monitoring("submit_readings", plan_id, json_body(), request.headers.get("Idempotency-Key")), 202


@blp.route("/plans/<plan_id>/readings", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": n, "schema": {"type": "string"}} for n in ("municipality", "period")])
def list_readings(plan_id):
    """Readings with their status and correction history (the plan's municipalities)."""
    return monitoring("list_readings", plan_id, request.args.get("municipality"), request.args.get("period"))


@blp.route("/plans/<plan_id>/readings/approve", methods=["POST"])
@blp.doc(**APPROVE_BODY)
def approve(plan_id):
    """Approve a municipality's submitted readings of a period; only approved readings count."""
    return monitoring("approve", plan_id, json_body())


@blp.route("/plans/<plan_id>/progress", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "period", "required": True, "schema": {"type": "string"}},
                     {"in": "query", "name": "municipality", "schema": {"type": "string"}},
                     {"in": "query", "name": "theme", "schema": {"type": "string"}}])
def progress(plan_id):
    """A, B, C, D (uncapped), the capped figure and the band, for every indicator, objective, goal,
    municipality, regional indicator and the plan."""
    return monitoring("progress", plan_id, request.args.get("period"), request.args.get("municipality"),
                      request.args.get("theme"))


@blp.route("/plans/<plan_id>/alerts", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "all", "schema": {"type": "boolean"}},
                     {"in": "query", "name": "kind", "schema": {"type": "string",
                                                               "enum": ["below_threshold", "overdue"]}}])
def alerts(plan_id):
    """Off-track indicators with the reason, until they recover (?all=true: with the closed ones):
    realization below the plan's threshold, or no approved reading by the due date."""
    return monitoring("alerts", plan_id, request.args.get("all") == "true", request.args.get("kind"))


def _report(plan_id, kind, key):
    fmt = request.args.get("format", "json")
    result = monitoring("report", plan_id, kind, key, fmt, request.args.get("municipality"))
    if fmt == "json":
        return result
    return attachment(result, fmt)


REPORT_PARAMS = [{"in": "query", "name": "format", "schema": {"type": "string", "enum": ["json", "xlsx", "pdf"]}},
                 {"in": "query", "name": "municipality", "schema": {"type": "string"}}]


@blp.route("/plans/<plan_id>/reports/monitoring", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "period", "required": True, "schema": {"type": "string"}},
                     *REPORT_PARAMS])
def monitoring_report(plan_id):
    """The six-monthly monitoring report (izleme raporu) of a half-year, e.g. ?period=2026-H1."""
    return _report(plan_id, "monitoring", request.args.get("period"))


@blp.route("/plans/<plan_id>/reports/evaluation", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "year", "required": True, "schema": {"type": "string"}},
                     *REPORT_PARAMS])
def evaluation_report(plan_id):
    """The yearly evaluation report (değerlendirme raporu), with both half-years, e.g. ?year=2026."""
    return _report(plan_id, "evaluation", request.args.get("year"))
