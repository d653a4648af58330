"""How our own marshmallow fields appear in the OpenAPI document."""
from services.consultation import schemas as consultation_schemas
from services.plan_registry import schemas as registry_schemas
from services.requests import schemas as requests_schemas
from shared.text import LocalizedText, PlainText
from shared.validation import MAX_MAGNITUDE, Code, Identifier, Money, Number, YearMap

LOCALIZED = {"oneOf": [{"type": "string"},
                       {"type": "object", "properties": {k: {"type": "string"} for k in ("tr", "fa", "en")},
                        "additionalProperties": False}]}

SCHEMAS = {
    "Municipality": registry_schemas.MunicipalitySchema,
    "TokenRequest": registry_schemas.TokenRequestSchema,
    "User": registry_schemas.UserSchema,
    "Login": registry_schemas.LoginSchema,
    "PasswordSetup": registry_schemas.PasswordSetupSchema,
    "PlanCreate": registry_schemas.PlanCreateSchema,
    "Frame": registry_schemas.FrameSchema,
    "Contribution": registry_schemas.ContributionSchema,
    "Adoption": registry_schemas.AdoptionSchema,
    "CouncilDecision": registry_schemas.CouncilDecisionSchema,
    "Revision": registry_schemas.RevisionSchema,
    "StatusChange": registry_schemas.StatusChangeSchema,
    "Consultation": consultation_schemas.ConsultationSchema,
    "Input": consultation_schemas.InputSchema,
    "Decision": consultation_schemas.DecisionSchema,
    "Moderation": consultation_schemas.ModerationSchema,
    "StakeholderRegister": registry_schemas.StakeholdersSchema,
    "Service": requests_schemas.ServiceSchema,
    "RequestImport": requests_schemas.ImportSchema,
    "RequestChange": requests_schemas.StatusChangeSchema,
    "QualitySubmission": requests_schemas.QualitySchema,
    "BankRecord": consultation_schemas.BankRecordSchema,
}

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"},
                   "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}},
}


def _field_properties(self, field, **kwargs):
    if isinstance(field, LocalizedText):
        return dict(LOCALIZED)
    if isinstance(field, YearMap):
        inner = "string" if isinstance(field.value_field, Money) else "number"
        return {"type": "object", "additionalProperties": {"type": inner},
                "description": "One value per plan year, keyed by the year (e.g. \"2026\" or \"1405\")."}
    if isinstance(field, Number):
        return {"type": "number", "minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}
    if isinstance(field, Money):
        return {"type": "string", "pattern": r"^\d{1,15}(\.\d{1,2})?$"}
    if isinstance(field, registry_schemas.ResponsibleUnit):
        return {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/UnitRef"}]}
    if isinstance(field, registry_schemas.Activity):
        return {"oneOf": [LOCALIZED, {"type": "object"}]}
    if isinstance(field, Identifier):
        return {"type": "string", "pattern": Identifier.FORM.pattern}
    if isinstance(field, Code):
        return {"type": "string", "pattern": Code.FORM.pattern}
    if isinstance(field, PlainText):
        return {"type": "string"}
    return {}


def register(api):
    plugin = api.ma_plugin
    plugin.converter.add_attribute_function(_field_properties)
    api.spec.components.schema("UnitRef", schema=registry_schemas.UnitRefSchema)
    for name, schema in SCHEMAS.items():
        api.spec.components.schema(name, schema=schema)
    api.spec.components.schema("Problem", PROBLEM)


def body(name):
    """The requestBody of an operation, by component name."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": name}}}}


def _object(required, **properties):
    return {"type": "object", "required": required, "properties": properties}


STRING, INTEGER = {"type": "string"}, {"type": "integer"}
NULLABLE_STRING = {"type": "string", "nullable": True}
VERSION_REF = _object(["id", "status", "version"], id=STRING, status=STRING, version=INTEGER)
AUDIT_ENTRY = _object(["at", "action", "by", "request_id"], at=STRING, action=STRING, request_id=NULLABLE_STRING,
                      by={"type": "object", "nullable": True, "properties": {
                          "token_id": NULLABLE_STRING, "username": NULLABLE_STRING, "role": STRING,
                          "municipality": NULLABLE_STRING}})
NUMBER, BOOLEAN = {"type": "number"}, {"type": "boolean"}
NULLABLE_NUMBER = {"type": "number", "nullable": True}
LOCALIZED_OR_NULL = {**LOCALIZED, "nullable": True}
IDENTIFIER = {"type": "string", "pattern": Identifier.FORM.pattern}
STORED_ID = {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,80}$"}


def _array(items):
    return {"type": "array", "items": items}


MUNICIPALITY = _object(["id", "name", "kind", "parent", "locale", "calendar"], id=IDENTIFIER, name=LOCALIZED,
                       kind=STRING, parent={**IDENTIFIER, "nullable": True},
                       locale={"type": "string", "enum": ["tr", "fa", "en"]},
                       calendar={"type": "string", "enum": ["gregorian", "solar_hijri"]})
PLAN_HEAD = _object(["id", "version", "status", "coordinator", "members", "calendar", "period"], id=IDENTIFIER,
                    version=INTEGER, status=STRING, title=LOCALIZED_OR_NULL, coordinator=IDENTIFIER,
                    members=_array(IDENTIFIER), calendar=STRING,
                    period=_object(["start", "end"], start=INTEGER, end=INTEGER))
PLAN = {**PLAN_HEAD, "required": [*PLAN_HEAD["required"], "frame", "contributions"],
        "properties": {**PLAN_HEAD["properties"], "frame": {"type": "object", "nullable": True},
                       "contributions": {"type": "object", "additionalProperties": {"type": "object"}}}}
VERSION = _object(["version", "kind", "status", "at"], version=INTEGER, kind=STRING, status=STRING, at=STRING,
                  summary={"type": "string", "nullable": True})
CONSULTATION = _object(["id", "plan_id", "title", "kind", "themes", "opens_at", "closes_at", "public", "status"],
                       id=STORED_ID, plan_id=IDENTIFIER, title=LOCALIZED, kind=STRING, themes=_array(STRING),
                       opens_at=STRING, closes_at=STRING, public=BOOLEAN,
                       status={"type": "string", "enum": ["scheduled", "open", "closed"]})
INPUT = _object(["id", "consultation_id", "stakeholder", "kind", "theme", "text", "moderation"], id=STORED_ID,
                consultation_id=STORED_ID, kind=STRING, theme=STRING, text=LOCALIZED_OR_NULL,
                moderation={"type": "string", "enum": ["pending", "published", "hidden"]},
                stakeholder=_object(["group", "municipality"], group=STRING, municipality=NULLABLE_STRING,
                                    name=STRING, contact=NULLABLE_STRING))
ALERT = _object(["id", "plan_id", "indicator", "municipality", "status", "kind", "reason", "opened_at"],
                id=STRING, plan_id=IDENTIFIER, indicator=STRING, municipality=IDENTIFIER,
                status={"type": "string", "enum": ["open", "closed"]},
                kind={"type": "string", "enum": ["below_threshold", "overdue"]}, reason=STRING, opened_at=STRING,
                periods=_array(STRING), realization=NULLABLE_NUMBER)
READING = _object(["id", "indicator", "municipality", "period", "status"], id=STRING, indicator=STRING,
                  municipality=IDENTIFIER, period=STRING, status={"type": "string", "enum": ["submitted", "approved"]},
                  value=NULLABLE_NUMBER, numerator=NULLABLE_NUMBER, denominator=NULLABLE_NUMBER,
                  history=_array({"type": "object"}))
APPROVAL = _object(["approved", "municipality", "period", "approval", "status"], approved=INTEGER,
                   municipality=STRING, period=STRING, approval=STRING,
                   status={"type": "string", "enum": ["applying", "applied"]})
SERVICE = _object(["municipality", "code", "name", "target_days", "public"], municipality=IDENTIFIER, code=STRING,
                  name=LOCALIZED, description=LOCALIZED_OR_NULL, group=STRING, keywords=_array(STRING),
                  target_days=INTEGER, responsible_unit=STRING, public=BOOLEAN)
SERVICE_REQUEST = _object(["id", "municipality", "service_code", "status", "requested_at", "updated_at"],
                          id=STORED_ID, municipality=IDENTIFIER, service_code=STRING,
                          status={"type": "string", "enum": ["open", "assigned", "in_progress", "closed"]},
                          status_notes=STRING, agency_responsible=STRING, requested_at=STRING, updated_at=STRING,
                          closed_at=NULLABLE_STRING, filed_by=STRING, requester={"type": "object"},
                          history=_array(AUDIT_ENTRY))
FIGURE = _object(["realization", "band", "incomplete"], realization=NULLABLE_NUMBER, band=NULLABLE_STRING,
                 incomplete=BOOLEAN)
SERIES_POINT = _object(["period", "plan", "goals", "municipalities"], period=STRING, plan=FIGURE,
                       goals=_array({**FIGURE, "required": ["code", *FIGURE["required"]],
                                     "properties": {**FIGURE["properties"], "code": STRING}}),
                       municipalities=_array({**FIGURE, "required": ["municipality", *FIGURE["required"]],
                                              "properties": {**FIGURE["properties"], "municipality": IDENTIFIER}}))
MATRIX_CELL = {**FIGURE, "required": ["goal", "municipality", "objectives", *FIGURE["required"]],
               "properties": {**FIGURE["properties"], "goal": STRING, "municipality": IDENTIFIER, "objectives": INTEGER}}

# -- tokens, people, sessions
TOKEN = _object(["id", "role", "municipality", "label", "created_at", "revoked_at"], id=STORED_ID, role=STRING,
                municipality=NULLABLE_STRING, label=STRING, created_at=STRING, revoked_at=NULLABLE_STRING)
USER = _object(["id", "username", "display_name", "email", "role", "municipality", "created_at", "disabled_at",
                "password_set"], id=STORED_ID, username=STRING, display_name=STRING, email=NULLABLE_STRING,
               role=STRING, municipality=NULLABLE_STRING, created_at=STRING, disabled_at=NULLABLE_STRING,
               password_set=BOOLEAN)
# what POST /users answers: no e-mail; the one-time setup link when no password was given
NEW_USER = _object(["id", "username", "display_name", "role", "municipality"], id=STORED_ID, username=STRING,
                   display_name=STRING, role=STRING, municipality=NULLABLE_STRING, setup_url=STRING)
SESSION = _object(["user", "expires_at"], user=USER, expires_at=STRING)

# -- plan versions, differences and target cards
ANY = {}   # a value of any JSON type
PLAN_VERSION = {**VERSION, "required": [*VERSION["required"], "author", "plan"],
                "properties": {**VERSION["properties"], "author": {"type": "object", "nullable": True}, "plan": PLAN}}
REVISION_REF = {**VERSION_REF, "properties": {**VERSION_REF["properties"], "renewed_by": IDENTIFIER}}
_CHANGED = _object(["code", "municipality"], code=STRING, municipality=IDENTIFIER)
CODE_CHANGES = _object(["added", "removed", "changed"], added=_array(_CHANGED), removed=_array(_CHANGED),
                       changed=_array({**_CHANGED, "required": [*_CHANGED["required"], "fields"],
                                       "properties": {**_CHANGED["properties"], "fields": _array(STRING)}}))
DIFF = _object(["plan", "from", "to", "status", "frame", "objectives", "indicators", "targets"],
               plan=IDENTIFIER, status={**_object(["from", "to"], **{"from": STRING, "to": STRING}), "nullable": True},
               frame={"type": "object", "description": "mission, vision, values, situation: {from, to}; goals, "
                                                       "regional_indicators: {added, removed, changed} codes"},
               objectives=CODE_CHANGES, indicators=CODE_CHANGES,
               targets=_array(_object(["indicator", "year", "from", "to"], indicator=STRING, year=STRING,
                                      **{"from": NULLABLE_NUMBER, "to": NULLABLE_NUMBER})),
               **{"from": INTEGER, "to": INTEGER})
YEAR_NUMBERS = {"type": "object", "additionalProperties": NULLABLE_NUMBER}
YEAR_AMOUNTS = {"type": "object", "additionalProperties": NULLABLE_STRING}
CARD_REF = _object(["code", "title"], code=STRING, title=NULLABLE_STRING)
TARGET_CARD = _object(["goal", "objective", "municipality", "indicators", "risks", "activities", "costs",
                       "total_cost", "findings", "needs"], goal=CARD_REF, objective=CARD_REF,
                      municipality=IDENTIFIER, theme=NULLABLE_STRING, responsible_unit=ANY,
                      collaborators=_array({"type": "object"}),
                      indicators=_array(_object(["code", "name", "unit", "baseline", "targets"], code=STRING,
                                                name=NULLABLE_STRING, unit=STRING, weight=NUMBER, baseline=NUMBER,
                                                targets=YEAR_NUMBERS, calculation=STRING, data_source=NULLABLE_STRING,
                                                definition=NULLABLE_STRING, contributes_to=NULLABLE_STRING)),
                      risks=_array({"type": "object"}), activities=_array({"type": "object"}), costs=YEAR_AMOUNTS,
                      total_cost=STRING, findings=_array(NULLABLE_STRING), needs=_array(NULLABLE_STRING))
REGIONAL_CARD = _object(["code", "goal", "aggregation", "baseline", "targets", "contributors"], code=STRING,
                        name=NULLABLE_STRING, unit=STRING, goal=CARD_REF, aggregation=STRING, baseline=NUMBER,
                        targets=YEAR_NUMBERS, ratio_scale={"type": "integer", "nullable": True}, calculation=STRING,
                        definition=NULLABLE_STRING,
                        contributors=_array(_object(["municipality", "objective", "code"], municipality=IDENTIFIER,
                                                    objective=STRING, code=STRING, name=NULLABLE_STRING)))
TARGET_CARDS = _object(["plan_id", "version", "status", "calendar", "language", "municipality", "years", "cards",
                        "regional"], plan_id=IDENTIFIER, title=NULLABLE_STRING, version=INTEGER, status=STRING,
                       calendar=STRING, language={"type": "string", "enum": ["tr", "fa", "en"]},
                       municipality={**IDENTIFIER, "nullable": True}, years=_array(STRING),
                       cards=_array(TARGET_CARD), regional=_array(REGIONAL_CARD))

# -- consultation
LINK = {"type": "object", "properties": {"goal": NULLABLE_STRING, "objective": STRING, "municipality": NULLABLE_STRING}}
DECISION = _object(["decision", "links", "decided_at"], decision={"type": "string",
                                                                  "enum": ["accepted", "rejected", "merged"]},
                   reason=LOCALIZED_OR_NULL, links=_array(LINK), merged_into=NULLABLE_STRING, decided_at=STRING,
                   decided_by=NULLABLE_STRING)
DECIDED_INPUT = {**INPUT, "required": [*INPUT["required"], "decision"],
                 "properties": {**INPUT["properties"], "decision": DECISION}}
COUNTS = {"type": "object", "additionalProperties": INTEGER}
CONSULTATION_SUMMARY = _object(["consultation", "plan_id", "total", "by_theme", "by_kind", "by_group",
                                "by_municipality", "by_decision", "decided_share", "accepted_by_link"],
                               consultation=STORED_ID, plan_id=IDENTIFIER, total=INTEGER, by_theme=COUNTS,
                               by_kind=COUNTS, by_group=COUNTS, by_municipality=COUNTS, by_decision=COUNTS,
                               decided_share=NUMBER,
                               accepted_by_link={"type": "object", "additionalProperties": _array(STRING)})
# a row of the stakeholder analysis (analysed) or someone who only gave input (influence, importance null)
STAKEHOLDER_ROW = _object(["name", "influence", "importance", "priority", "inputs", "analysed"], name=LOCALIZED,
                          group=STRING, municipality=NULLABLE_STRING, internal=BOOLEAN,
                          influence={"type": "integer", "nullable": True},
                          importance={"type": "integer", "nullable": True},
                          priority={"type": "string", "nullable": True,
                                    "enum": ["watch", "inform", "consider", "work_together", None]},
                          note=LOCALIZED_OR_NULL, inputs=INTEGER, analysed=BOOLEAN)
REGISTER = _object(["plan_id", "version", "stakeholders"], plan_id=IDENTIFIER, version=INTEGER,
                   stakeholders=_array(STAKEHOLDER_ROW))
BANK_RECORD = _object(["id", "plan_id", "kind", "municipality", "theme", "title", "text", "quantity", "unit",
                       "source", "created_at"], id=STORED_ID, plan_id=IDENTIFIER,
                      kind={"type": "string", "enum": ["need", "capacity", "opportunity"]},
                      municipality=IDENTIFIER, theme=NULLABLE_STRING, title=LOCALIZED, text=LOCALIZED_OR_NULL,
                      quantity=NULLABLE_NUMBER, unit=NULLABLE_STRING, created_at=STRING,
                      source={**_object(["input", "consultation_id"], input=STRING, consultation_id=STRING,
                                        consultation=LOCALIZED_OR_NULL, kind=STRING, theme=STRING,
                                        group=NULLABLE_STRING, municipality=NULLABLE_STRING), "nullable": True})

# -- monitoring reports
_OBJECTS = _array({"type": "object"})
REPORT = _object(["kind", "plan_id", "title", "locale", "calendar", "period", "municipality", "plan_version", "plan",
                  "goals", "objectives", "indicators", "municipalities", "regional", "halves", "alerts",
                  "evaluation", "goal_titles", "labels"],
                 kind={"type": "string", "enum": ["monitoring", "evaluation"]}, plan_id=IDENTIFIER, title=LOCALIZED,
                 locale={"type": "string", "enum": ["tr", "fa", "en"]}, calendar=STRING,
                 period=_object(["key"], key=STRING), municipality={**IDENTIFIER, "nullable": True},
                 plan_version=INTEGER, plan={"type": "object"}, goals=_OBJECTS, objectives=_OBJECTS,
                 indicators=_OBJECTS, municipalities=_OBJECTS, regional=_OBJECTS,
                 halves=_array(_object(["period", "plan", "goals"], period=STRING, plan={"type": "object"},
                                       goals=_OBJECTS)),
                 alerts=_array(ALERT),   # the plan's participants only; empty for anyone else
                 evaluation={**_OBJECTS, "nullable": True,   # the yearly table: evaluation reports only
                             "description": "One row per indicator (evaluation reports); null otherwise."},
                 goal_titles={"type": "object", "additionalProperties": NULLABLE_STRING},
                 labels={"type": "object"})

# -- service requests
IMPORT_RESULT = _object(["received", "created", "ids"], received=INTEGER, created=INTEGER, ids=_array(STORED_ID))
QUALITY = _object(["municipality", "period", "service_code", "received", "closed_within_target",
                   "median_days_to_close", "open_past_target"], municipality=IDENTIFIER, period=STRING,
                  service_code=NULLABLE_STRING, received=INTEGER, closed_within_target=NULLABLE_NUMBER,
                  median_days_to_close=NULLABLE_NUMBER, open_past_target=INTEGER)
FINDINGS = _object(["municipality", "period", "rows"], municipality=IDENTIFIER, period=STRING, rows=_array(_object(
    ["neighbourhood", "service_code", "service_name", "received", "closed_within_target", "median_days_to_close",
     "open_past_target"], neighbourhood=STRING, service_code=STRING, service_name=STRING, received=INTEGER,
    closed_within_target=NULLABLE_NUMBER, median_days_to_close=NULLABLE_NUMBER, open_past_target=INTEGER)))
QUALITY_SUBMITTED = _object(["plan_id", "period", "readings", "skipped"], plan_id=IDENTIFIER, period=STRING,
                            readings=_array(_object(["indicator", "municipality", "period", "value", "source"],
                                                    indicator=STRING, municipality=IDENTIFIER, period=STRING,
                                                    value=NUMBER, source=STRING)),
                            skipped=_array(_object(["indicator", "reason"], indicator=STRING, reason=STRING)),
                            batch=STRING)   # only when some reading was submitted

# -- activities and projects, the portfolio and the yearly documents
MONEY = {"type": "string", "description": "A decimal amount, e.g. \"1250000.00\" (a difference may be negative)."}
YEAR_MONEY = {"type": "object", "additionalProperties": MONEY}
FUNDING = _array(_object(["source", "amount"], source=STRING, amount=MONEY))
MILESTONE = _object(["title", "due"], title=STRING, due=STRING, done_on=NULLABLE_STRING)
PROGRESS_REPORT = _object(["period", "percent", "spent", "at"], period=STRING, percent=INTEGER, spent=MONEY,
                          note=LOCALIZED_OR_NULL, at=STRING)
MILESTONE_ALERT = _object(["milestone", "due", "kind", "status", "opened_at", "closed_at"], milestone=STRING,
                          due=STRING, kind=STRING, status={"type": "string", "enum": ["open", "closed"]},
                          opened_at=STRING, closed_at=NULLABLE_STRING)
PROJECT_STATUS = {"type": "string", "enum": ["planned", "ongoing", "completed"]}
PROJECT = _object(["id", "plan_id", "code", "title", "kind", "municipality", "responsible_unit", "horizon", "priority",
                   "start", "end", "budget", "funding", "milestones", "version", "reports", "alerts", "created_at",
                   "updated_at", "status"],
                  id=STORED_ID, plan_id=IDENTIFIER, code=STRING, title=LOCALIZED,
                  kind={"type": "string", "enum": ["activity", "project"]}, objective=NULLABLE_STRING,
                  goal=NULLABLE_STRING, strategy=NULLABLE_STRING, municipality=IDENTIFIER, responsible_unit=STRING,
                  partners=_array(_object(["name", "kind"], name=STRING, kind=STRING)),
                  horizon={"type": "string", "enum": ["short", "mid", "long"]}, priority=INTEGER, start=STRING,
                  end=STRING, budget=YEAR_MONEY, funding=FUNDING, milestones=_array(MILESTONE),
                  bank=_array(STRING), description=LOCALIZED_OR_NULL, version=INTEGER,
                  reports=_array(PROGRESS_REPORT), alerts=_array(MILESTONE_ALERT), created_at=STRING,
                  updated_at=STRING, status=PROJECT_STATUS,
                  history=_array(AUDIT_ENTRY))   # the plan's participants only
BUDGET_YEAR = _object(["cost", "budget", "difference", "mismatch"], cost=MONEY, budget=MONEY, difference=MONEY,
                      mismatch=BOOLEAN)
BUDGET = _object(["plan_id", "municipality", "objectives", "outside_objectives"], plan_id=IDENTIFIER,
                 municipality={**IDENTIFIER, "nullable": True},
                 objectives=_array(_object(["objective", "municipality", "projects", "years", "mismatch"],
                                           objective=STRING, municipality=IDENTIFIER, projects=_array(STRING),
                                           years={"type": "object", "additionalProperties": BUDGET_YEAR},
                                           mismatch=BOOLEAN)),
                 outside_objectives=YEAR_MONEY)
PROGRAMME_INDICATOR = _object(["code", "name", "unit", "baseline", "target"], code=STRING, name=LOCALIZED,
                              unit=STRING, baseline=NUMBER, target=NULLABLE_NUMBER,
                              # the activity report's: the year's result against the target
                              result=NULLABLE_NUMBER, realization=NULLABLE_NUMBER, band=NULLABLE_STRING,
                              deviation_reason=ANY, measures=NULLABLE_STRING)
PROGRAMME_OBJECTIVE = _object(["code", "goal", "municipality", "title", "responsible_unit", "cost", "indicators",
                               "projects"], code=STRING, goal=STRING, municipality=IDENTIFIER, title=LOCALIZED,
                              responsible_unit=ANY, cost=MONEY, indicators=_array(PROGRAMME_INDICATOR),
                              projects=_array(STRING))
PROGRAMME_PROJECT = _object(["id", "code", "title", "kind", "municipality", "responsible_unit", "objective", "goal",
                             "horizon", "priority", "start", "end", "budget", "spent", "remaining", "percent",
                             "status", "funding"],
                            id=STORED_ID, code=STRING, title=LOCALIZED, kind=STRING, municipality=IDENTIFIER,
                            responsible_unit=STRING, objective=NULLABLE_STRING, goal=NULLABLE_STRING, horizon=STRING,
                            priority=INTEGER, start=STRING, end=STRING, budget=MONEY, spent=MONEY, remaining=MONEY,
                            percent=INTEGER, status=PROJECT_STATUS, funding=FUNDING)
PROGRAMME_ADOPTION = _object(["decision_no", "decision_date", "adopted_at"], decision_no=STRING,
                             decision_date=STRING, adopted_at=STRING, plan_id=IDENTIFIER, year=STRING,
                             municipality={**IDENTIFIER, "nullable": True})
PROGRAMME = _object(["plan_id", "year", "municipality", "objectives", "projects", "resources", "adoption"],
                    plan_id=IDENTIFIER, title=LOCALIZED, calendar=STRING,
                    locale={"type": "string", "enum": ["tr", "fa", "en"]},
                    adoption={**PROGRAMME_ADOPTION, "nullable": True,
                              "description": "The council decision that adopted the programme; null until then."},
                    year=STRING, municipality={**IDENTIFIER, "nullable": True},
                    objectives=_array(PROGRAMME_OBJECTIVE), projects=_array(PROGRAMME_PROJECT),
                    resources=_object(["cost_estimate", "project_budget", "difference", "funding", "by_objective"],
                                      cost_estimate=MONEY, project_budget=MONEY, difference=MONEY,
                                      funding={"type": "object", "additionalProperties": MONEY},
                                      by_objective=_array({**BUDGET_YEAR,
                                                           "required": ["objective", *BUDGET_YEAR["required"]],
                                                           "properties": {**BUDGET_YEAR["properties"],
                                                                          "objective": STRING}})))
ACTIVITY_REPORT = {**PROGRAMME, "required": [*PROGRAMME["required"], "spending", "evaluation"],
                   "properties": {**PROGRAMME["properties"],
                                  "spending": _object(["budget", "spent", "difference", "rate"], budget=MONEY,
                                                      spent=MONEY, difference=MONEY, rate=NULLABLE_NUMBER),
                                  "evaluation": _object(["indicators", "indicators_with_results", "projects",
                                                         "projects_completed"], indicators=INTEGER,
                                                        indicators_with_results=INTEGER, projects=INTEGER,
                                                        projects_completed=INTEGER)}}
# Path parameters as the server reads them: a value of another form is 404 without a look-up.
PATH_PARAMETERS = {"plan_id": IDENTIFIER, "mid": IDENTIFIER, "municipality": IDENTIFIER, "cid": STORED_ID,
                   "iid": STORED_ID, "token_id": STORED_ID, "uid": STORED_ID, "rid": STORED_ID, "pid": STORED_ID,
                   "approval_id": STORED_ID,
                   "year": {"type": "string", "pattern": r"^[0-9]{4}$"},
                   "code": {"type": "string", "pattern": Code.FORM.pattern},
                   "n": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000}}

# The answers API.md promises a shape for; other successes are documented as JSON of any shape.
# A schema of None: the answer has no body (204).
SUCCESS = {
    "GET /municipalities": (200, _array(MUNICIPALITY)),
    "GET /municipalities/{mid}": (200, MUNICIPALITY),
    "PUT /municipalities/{mid}": ((200, 201), MUNICIPALITY),   # replaced, or created
    "GET /plans": (200, _array(PLAN_HEAD)),
    "GET /plans/{plan_id}": (200, PLAN),
    "GET /plans/{plan_id}/versions": (200, _array(VERSION)),
    "GET /plans/{plan_id}/consultations": (200, _array(CONSULTATION)),
    "GET /consultations/{cid}": (200, CONSULTATION),
    "GET /consultations/{cid}/inputs": (200, _array(INPUT)),
    "POST /inputs/{iid}/moderation": (200, INPUT),
    "GET /plans/{plan_id}/alerts": (200, _array(ALERT)),
    "GET /plans/{plan_id}/readings": (200, _array(READING)),
    "POST /plans": (201, VERSION_REF),
    "PUT /plans/{plan_id}/frame": (200, VERSION_REF),
    "PUT /plans/{plan_id}/contributions/{municipality}": (200, VERSION_REF),
    "POST /plans/{plan_id}/status": (200, VERSION_REF),
    "POST /plans/{plan_id}/adopt": (200, VERSION_REF),
    "POST /tokens": (201, _object(["token", "role", "municipality"], token=STRING, role=STRING,
                                  municipality=NULLABLE_STRING)),
    "POST /plans/{plan_id}/readings": (202, _object(["batch", "accepted"], batch=STRING, accepted=INTEGER)),
    "POST /plans/{plan_id}/readings/approve": ((200, 202), APPROVAL),
    "GET /plans/{plan_id}/readings/approvals/{approval_id}": (200, APPROVAL),
    "POST /plans/{plan_id}/readings/reject": (200, _object(["rejected", "municipality", "period", "indicators",
                                                            "reason"], rejected=INTEGER, municipality=STRING,
                                                           period=STRING, reason=STRING,
                                                           indicators={"type": "array", "items": STRING})),
    "GET /plans/{plan_id}/audit": (200, {"type": "array", "items": AUDIT_ENTRY}),
    # indicators unless level=summary (the default on a plan of more than 500 indicators read unfiltered)
    "GET /plans/{plan_id}/progress": (200, _object(["plan_id", "version", "period", "plan", "goals", "objectives"],
                                                   level={"type": "string", "enum": ["summary"]})),
    "GET /plans/{plan_id}/progress/series": (200, _object(["plan_id", "municipality", "periods"], plan_id=IDENTIFIER,
                                                          municipality={**IDENTIFIER, "nullable": True},
                                                          periods=_array(SERIES_POINT))),
    "GET /plans/{plan_id}/progress/matrix": (200, _object(["plan_id", "period", "goals", "municipalities", "cells"],
                                                          plan_id=IDENTIFIER, period=STRING, goals=_array(STRING),
                                                          municipalities=_array(IDENTIFIER),
                                                          cells=_array(MATRIX_CELL))),
    "PUT /municipalities/{mid}/services/{code}": ((200, 201), SERVICE),
    "GET /municipalities/{mid}/services": (200, _array(SERVICE)),
    "GET /requests/{rid}": (200, SERVICE_REQUEST),
    "PATCH /requests/{rid}": (200, SERVICE_REQUEST),
    # tokens, people and sessions
    "GET /tokens": (200, _array(TOKEN)),
    "DELETE /tokens/{token_id}": (204, None),
    "POST /users": (201, NEW_USER),
    "GET /users": (200, _array(USER)),
    "DELETE /users/{uid}": (204, None),
    "POST /users/password": (200, _object(["username"], username=STRING)),
    "POST /sessions": (201, SESSION),
    "DELETE /sessions/current": (204, None),
    # plans
    "POST /plans/{plan_id}/adoptions/{municipality}": (200, VERSION_REF),
    "POST /plans/{plan_id}/parent-changes/{n}/acknowledge": (200, VERSION_REF),
    "POST /plans/{plan_id}/revisions": (201, REVISION_REF),   # a renewal names the new plan (renewed_by)
    "GET /plans/{plan_id}/versions/{n}": (200, PLAN_VERSION),
    "GET /plans/{plan_id}/diff": (200, DIFF),
    "GET /plans/{plan_id}/target-cards": (200, TARGET_CARDS),
    # consultation
    "POST /plans/{plan_id}/consultations": (201, CONSULTATION),
    "POST /consultations/{cid}/open": (200, CONSULTATION),
    "POST /consultations/{cid}/close": (200, CONSULTATION),
    # 201 stored, 200 the same input sent again (stored once)
    "POST /consultations/{cid}/inputs": ((200, 201), _object(["id", "duplicate"], id=STORED_ID, duplicate=BOOLEAN)),
    "POST /inputs/{iid}/decision": (200, DECIDED_INPUT),
    "GET /consultations/{cid}/summary": (200, CONSULTATION_SUMMARY),
    "PUT /plans/{plan_id}/stakeholders": (200, REGISTER),
    "GET /plans/{plan_id}/stakeholders": (200, REGISTER),
    "POST /plans/{plan_id}/bank": (201, BANK_RECORD),
    "GET /plans/{plan_id}/bank": (200, _array(BANK_RECORD)),
    "GET /plans/{plan_id}/situation": (200, _object(["plan", "version", "rows"], plan=IDENTIFIER, version=INTEGER,
                                                    rows=_array({"type": "object"}))),
    # monitoring reports
    "GET /plans/{plan_id}/reports/monitoring": (200, REPORT),
    "GET /plans/{plan_id}/reports/evaluation": (200, REPORT),
    # service requests
    "POST /municipalities/{mid}/requests": (200, IMPORT_RESULT),
    "GET /municipalities/{mid}/service-quality": (200, QUALITY),
    "GET /municipalities/{mid}/request-findings": (200, FINDINGS),
    "POST /plans/{plan_id}/service-quality": (200, QUALITY_SUBMITTED),
    # activities and projects
    "POST /plans/{plan_id}/projects": (201, PROJECT),
    "GET /plans/{plan_id}/projects": (200, _array(PROJECT)),
    "GET /plans/{plan_id}/project-budget": (200, BUDGET),
    "GET /projects/{pid}": (200, PROJECT),
    "PUT /projects/{pid}": (200, PROJECT),
    "POST /projects/{pid}/progress": (201, PROJECT),
    "POST /projects/{pid}/reports": (201, PROJECT),
    "GET /plans/{plan_id}/programmes/{year}": (200, PROGRAMME),
    "POST /plans/{plan_id}/programmes/{year}/adoption": (201, PROGRAMME_ADOPTION),
    "GET /plans/{plan_id}/activity-reports/{year}": (200, ACTIVITY_REPORT),
    "GET /plans/{plan_id}/programme": (200, PROGRAMME),
    "GET /plans/{plan_id}/activity-report": (200, ACTIVITY_REPORT),
}
FILES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                         "format": "binary"}},
         "application/pdf": {"schema": {"type": "string", "format": "binary"}}}


def document_responses(api):
    """Every operation answers problem+json on any error, and its success as SUCCESS says, so a
    client (and schemathesis) can check each answer against this document."""
    api.spec.components.response("Problem", {"description": "A problem (RFC 9457)", "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
    for path, operations in api.spec._paths.items():
        for parameter in operations.get("parameters", []):
            if parameter.get("in") == "path" and parameter["name"] in PATH_PARAMETERS:
                parameter["schema"] = PATH_PARAMETERS[parameter["name"]]
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            status, schema = SUCCESS.get(f"{method.upper()} {path.removeprefix('/api/v1')}", ("2XX", {}))
            success = {"description": "Success, no content"}
            if schema is not None:
                content = {"application/json": {"schema": schema}}
                if any(p.get("name") == "format" for p in operation.get("parameters", [])):
                    content.update(FILES)
                success = {"description": "Success", "content": content}
            statuses = status if isinstance(status, tuple) else (status,)
            operation["responses"] = {**{str(s): success for s in statuses},
                                      "default": {"$ref": "#/components/responses/Problem"}}
