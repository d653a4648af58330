"""Monitoring: readings in batches, approvals, progress and alerts."""
import hashlib

from flask import request
from flask_smorest import Blueprint

from ..http import GZIP_OVER, Encoded, actor, attachment, call, json_body, repeatable_read

blp = Blueprint("monitoring", __name__, url_prefix="/api/v1", description="Monitoring and evaluation")

READINGS_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["readings"],
    "properties": {"readings": {"type": "array", "maxItems": 10000, "items": {
        "type": "object", "required": ["indicator", "municipality", "period"],
        "properties": {
            "indicator": {"type": "string"}, "municipality": {"type": "string"},
            "period": {"type": "string", "example": "2026-H1",
                       "description": "A year or half-year of the plan's calendar (2026-H1, 1405-H1, ۱۴۰۵-H1); "
                                      "a period that has not begun is refused."},
            "value": {"type": "number", "description":
                      "What the period's figure is depends on the indicator's year_value: 'sum' (a flow, the "
                      "default of cumulative indicators): each half-year's own amount, H2 without H1, the year "
                      "being H1 + H2; 'last' (a level, the default otherwise): the level at the period's end, "
                      "the year being H2; 'mean': each half-year's own mean, the year being their mean."},
            "numerator": {"type": "number", "description": "With denominator, for an indicator that declares "
                                                           "its ratio_scale (100, 1000 or 1)."},
            "denominator": {"type": "number"},
            "weight": {"type": "number", "description": "Required for an indicator feeding a weighted_mean "
                                                        "regional indicator."},
            "note": {"type": "string"}, "source": {"type": "string"},
            "deviation_reason": {"type": "string", "description": "Why the figure deviates from its target "
                                                                  "(sapma nedeni); the evaluation report prints it."},
            "measures": {"type": "string", "description": "The measures taken about the deviation (alınan "
                                                          "tedbirler); the evaluation report prints them."}}}}}}}}}}
SCOPE = {"municipality": {"type": "string"}, "period": {"type": "string", "example": "2026-H1"},
         "indicators": {"type": "array", "items": {"type": "string"},
                        "description": "Only these indicators (default: every submitted reading)."}}
APPROVE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["municipality", "period"], "properties": SCOPE}}}}}
REJECT_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["municipality", "period", "reason"],
    "properties": {**SCOPE, "reason": {"type": "string", "maxLength": 2000,
                                       "description": "Why: the submitter reads it with the reading."}}}}}}}


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
    """Approve a municipality's submitted readings of a period; only approved readings count. With
    the plan's four_eyes setting (the default) the approver is not who submitted them (422 naming
    the indicators otherwise): another person of the municipality, or the plan's coordinator.
    Up to 1,000 readings are approved before the answer (200, ``status`` applied); more are
    approved within seconds after it (202, ``status`` applying, and ``Location`` the approval to
    follow until it is applied)."""
    answer = monitoring("approve", plan_id, json_body())
    return _approval(plan_id, answer, 202 if answer["status"] == "applying" else 200)


@blp.route("/plans/<plan_id>/readings/approvals/<approval_id>", methods=["GET"])
def approval(plan_id, approval_id):
    """An approval: how many readings it approves and whether they are approved yet (``status``
    applying or applied; the figures follow within seconds of applied)."""
    return _approval(plan_id, monitoring("approval", plan_id, approval_id), 200)


def _approval(plan_id, answer, status):
    headers = {"Location": f"/api/v1/plans/{plan_id}/readings/approvals/{answer['approval']}"}
    if answer["status"] == "applying":
        headers["Retry-After"] = "1"
    return answer, status, headers


@blp.route("/plans/<plan_id>/readings/reject", methods=["POST"])
@blp.doc(**REJECT_BODY)
def reject(plan_id):
    """Send a municipality's submitted readings of a period (or of some indicators) back to the
    submitter with a reason; each reading's trail shows who submitted, approved or rejected it."""
    return monitoring("reject", plan_id, json_body())


@blp.route("/plans/<plan_id>/progress", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "period", "required": True, "schema": {"type": "string"}},
                     {"in": "query", "name": "municipality", "schema": {"type": "string"}},
                     {"in": "query", "name": "theme", "schema": {"type": "string"}},
                     {"in": "query", "name": "goal", "schema": {"type": "string"}},
                     {"in": "query", "name": "level", "schema": {"type": "string", "enum": ["summary", "indicators"]},
                      "description": "summary stops at objectives (the default on a plan of more than 500 "
                                     "indicators read without a filter); indicators goes down to them. The "
                                     "numbers are the same whichever level is asked."},
                     {"in": "query", "name": "include", "schema": {"type": "string", "enum": ["children"]},
                      "description": "children: the plans that cascade from this one rolled up, through any "
                                     "depth (a child goal's objectives count in the goal it serves)"}])
def progress(plan_id):
    """A, B, C, D (uncapped), the capped figure and the band, for every indicator, objective, goal,
    municipality, regional indicator and the plan. A figure lacking an approved reading is
    incomplete: no D, ``missing_periods`` and a ``reason``, and its objective, goal and plan say
    so. At a first half-year each indicator also has ``D_midyear`` (against the mid-year
    expectation, what alerts compare). With ``municipality`` the goals and the plan figure are that
    municipality's own, from its objectives only; ``goal`` and ``theme`` keep one goal's or one
    theme's objectives. With ``include=children`` the plans that cascade from this one are rolled
    up (``children`` lists each with its own figure)."""
    args = tuple(request.args.get(name) for name in ("period", "municipality", "theme", "include"))
    options = {"level": request.args.get("level") or "auto", "goal": request.args.get("goal")}

    def fetch():
        answer = monitoring("progress", plan_id, *args, with_revision=True, encoded=True, gzip_over=GZIP_OVER, **options)
        body = Encoded.of(answer) or answer["progress"]
        return body, _etag(answer["revision"], args, options)
    # the same figures for every caller who may read them (progress is public): one entry serves all
    return repeatable_read(("progress", plan_id, args, tuple(options.values())), plan_id, fetch, shared=True)


@blp.route("/plans/<plan_id>/progress/series", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "from", "schema": {"type": "string", "example": "2025-H1"}},
                     {"in": "query", "name": "to", "schema": {"type": "string", "example": "2029-H2"}},
                     {"in": "query", "name": "municipality", "schema": {"type": "string"}}])
def progress_series(plan_id):
    """The plan's, each goal's and each municipality's realization period by period, from ``from`` to
    ``to`` (both half-years or both years; by default every half-year of the plan): what a chart
    needs. With ``municipality``, its own figures."""
    args = tuple(request.args.get(name) for name in ("from", "to", "municipality"))

    def fetch():
        answer = monitoring("series", plan_id, *args)
        return answer["series"], _etag(answer["revision"], args)
    return repeatable_read(("series", plan_id, args), plan_id, fetch, shared=True)


@blp.route("/plans/<plan_id>/progress/matrix", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "period", "required": True, "schema": {"type": "string"}}])
def progress_matrix(plan_id):
    """Goals x municipalities of a period (what a heat table needs): each municipality's own figure
    of each goal its objectives serve, by the plan's goal rule."""
    period = request.args.get("period")

    def fetch():
        answer = monitoring("matrix", plan_id, period)
        return answer["matrix"], _etag(answer["revision"], (period,))
    return repeatable_read(("matrix", plan_id, period), plan_id, fetch, shared=True)


def _etag(revision, *variants):
    """A strong ETag for stored figures (``revision``) read with these arguments; None (no ETag, not
    kept) for figures made on the spot."""
    if revision is None:
        return None
    return f'"{revision}.{hashlib.sha256(repr(variants).encode()).hexdigest()[:8]}"'


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
