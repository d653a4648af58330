"""Activities and projects, the portfolio of a plan, and the yearly documents (the performance
programme and the activity report) through the JSON API."""
import re

from flask import request
from flask_smorest import Blueprint

from services.programme import schemas as programme_schemas
from shared.errors import InvalidInput

from ..http import actor, attachment, call, if_match, json_body

YEAR = re.compile(r"[0-9]{4}", re.ASCII)
blp = Blueprint("programme", __name__, url_prefix="/api/v1", description="Activities, projects and programmes")


def programme(method, *args, **kwargs):
    return call("programme", method, *args, **kwargs)


def _body(schema):
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _query(*allowed, required=()):
    unknown = [k for k in request.args if k not in allowed]
    missing = [k for k in required if not request.args.get(k)]
    if unknown or missing:
        raise InvalidInput("Bad query.", {**{k: ["Unknown parameter."] for k in unknown},
                                          **{k: ["Required."] for k in missing}})
    return {k: request.args.get(k) for k in allowed}


def _year(value):
    if not (isinstance(value, str) and YEAR.fullmatch(value)):
        raise InvalidInput("Bad year.", {"year": ["A four-digit plan year, e.g. 2026."]})
    return int(value)


PROJECT_PATH = [{"in": "path", "name": "pid", "required": True,
                 "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,80}$"}}]
DOCUMENT_PARAMS = [{"in": "query", "name": "municipality", "schema": {"type": "string"}},
                   {"in": "query", "name": "format", "schema": {"type": "string", "enum": ["json", "xlsx", "pdf"]}}]


@blp.route("/plans/<plan_id>/projects", methods=["POST"])
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 200}}],
         **_body(programme_schemas.ProjectSchema))
def register_project(plan_id):
    """An activity or project of an adopted plan (the municipality's planner or the plan's
    coordinator); 422 naming the field when it does not fit the plan, nothing stored. A repeated
    Idempotency-Key returns the project the first request registered."""
    return programme("register_project", actor(), plan_id, json_body(), request.headers.get("Idempotency-Key")), 201


@blp.route("/plans/<plan_id>/projects", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "horizon", "schema": {"type": "string", "enum": ["short", "mid", "long"]}},
                     {"in": "query", "name": "municipality", "schema": {"type": "string"}},
                     {"in": "query", "name": "status",
                      "schema": {"type": "string", "enum": ["planned", "ongoing", "completed"]}},
                     {"in": "query", "name": "theme", "schema": {"type": "string"},
                      "description": "A theme code of the plan: projects whose objective (else goal) has it."},
                     {"in": "query", "name": "goal", "schema": {"type": "string"},
                      "description": "A goal code: projects serving it, themselves or through an objective "
                                     "or strategy."}])
def portfolio(plan_id):
    """The plan's portfolio ranked by horizon (short, mid, long), then priority (1 first); filtered
    by horizon, municipality, status, theme and goal (422 naming an unknown one)."""
    filters = _query("horizon", "municipality", "status", "theme", "goal")
    return programme("portfolio", actor(), plan_id, {k: v for k, v in filters.items() if v is not None})


@blp.route("/plans/<plan_id>/project-budget", methods=["GET"])
@blp.doc(parameters=[{"in": "query", "name": "municipality", "schema": {"type": "string"}}])
def budget(plan_id):
    """The projects' budget by year against each objective's cost estimate, mismatches marked."""
    return programme("budget", actor(), plan_id, _query("municipality")["municipality"])


@blp.route("/projects/<pid>", methods=["GET"])
@blp.doc(parameters=PROJECT_PATH)
def get_project(pid):
    """A project with its reports and milestone alerts (and its history, for the plan's participants)."""
    result = programme("get_project", actor(), pid)
    return result, 200, {"ETag": f'"{result["version"]}"'}


@blp.route("/projects/<pid>", methods=["PUT"])
@blp.doc(parameters=PROJECT_PATH, **_body(programme_schemas.ProjectSchema))
def change_project(pid):
    """The project as a whole, a new version of it (If-Match: its version); a milestone done closes its alert."""
    result = programme("change_project", actor(), pid, json_body(), if_match())
    return result, 200, {"ETag": f'"{result["version"]}"'}


def _report(pid):
    return programme("report_progress", actor(), pid, json_body()), 201


@blp.route("/projects/<pid>/progress", methods=["POST"])
@blp.doc(parameters=PROJECT_PATH, **_body(programme_schemas.ReportSchema))
def report_progress(pid):
    """A progress report of a period: percent done, spending, a note (a period sent again replaces its report)."""
    return _report(pid)


@blp.route("/projects/<pid>/reports", methods=["POST"])
@blp.doc(parameters=PROJECT_PATH, **_body(programme_schemas.ReportSchema))
def report(pid):
    """The same as ``POST /projects/{pid}/progress``."""
    return _report(pid)


def _document(method, plan_id, year):
    query = _query("year", "municipality", "format")
    fmt = query["format"] or "json"
    result = programme(method, actor(), plan_id, _year(year), query["municipality"], fmt)
    return result if fmt == "json" else attachment(result, fmt)


@blp.route("/plans/<plan_id>/programmes/<year>", methods=["GET"])
@blp.doc(parameters=DOCUMENT_PARAMS)
def programme_of_year(plan_id, year):
    """The performance programme (performans programı) of a year: objectives, indicators and targets,
    activities and projects with their costs, the resource needs; the plan or one municipality."""
    return _document("programme", plan_id, year)


@blp.route("/plans/<plan_id>/activity-reports/<year>", methods=["GET"])
@blp.doc(parameters=DOCUMENT_PARAMS)
def activity_report_of_year(plan_id, year):
    """The activity report (faaliyet raporu) of a year: targets against results, budget against spending."""
    return _document("activity_report", plan_id, year)


@blp.route("/plans/<plan_id>/programmes/<year>/adoption", methods=["POST"])
@blp.doc(**_body(programme_schemas.AdoptionSchema))
def adopt_programme(plan_id, year):
    """The council decision (meclis kararı: number and date) adopting the year's performance
    programme: the plan's by its coordinator, one municipality's (``municipality``) by its planner.
    A later decision replaces it; the programme's documents show it; ``programme_adopted`` is sent."""
    return programme("adopt_programme", actor(), plan_id, _year(year), json_body()), 201


YEAR_PARAM = {"in": "query", "name": "year", "required": True, "schema": {"type": "string", "pattern": r"^[0-9]{4}$"}}


@blp.route("/plans/<plan_id>/programme", methods=["GET"])
@blp.doc(parameters=[YEAR_PARAM, *DOCUMENT_PARAMS])
def programme_by_query(plan_id):
    """The performance programme of ``?year=``, as ``/plans/{plan_id}/programmes/{year}``."""
    return _document("programme", plan_id, _query("year", "municipality", "format", required=("year",))["year"])


@blp.route("/plans/<plan_id>/activity-report", methods=["GET"])
@blp.doc(parameters=[YEAR_PARAM, *DOCUMENT_PARAMS])
def activity_report_by_query(plan_id):
    """The activity report of ``?year=``, as ``/plans/{plan_id}/activity-reports/{year}``."""
    return _document("activity_report", plan_id,
                     _query("year", "municipality", "format", required=("year",))["year"])
