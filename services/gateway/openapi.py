"""How our own marshmallow fields appear in the OpenAPI document."""
from services.consultation import schemas as consultation_schemas
from services.plan_registry import schemas as registry_schemas
from shared.text import LocalizedText, PlainText
from shared.validation import Code, Identifier, Money, Number, YearMap

LOCALIZED = {"oneOf": [{"type": "string"},
                       {"type": "object", "properties": {k: {"type": "string"} for k in ("tr", "fa", "en")},
                        "additionalProperties": False}]}

SCHEMAS = {
    "Municipality": registry_schemas.MunicipalitySchema,
    "TokenRequest": registry_schemas.TokenRequestSchema,
    "PlanCreate": registry_schemas.PlanCreateSchema,
    "Frame": registry_schemas.FrameSchema,
    "Contribution": registry_schemas.ContributionSchema,
    "Adoption": registry_schemas.AdoptionSchema,
    "Revision": registry_schemas.RevisionSchema,
    "StatusChange": registry_schemas.StatusChangeSchema,
    "Consultation": consultation_schemas.ConsultationSchema,
    "Input": consultation_schemas.InputSchema,
    "Decision": consultation_schemas.DecisionSchema,
    "StakeholderRegister": consultation_schemas.RegisterSchema,
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
        return {"type": "number"}
    if isinstance(field, Money):
        return {"type": "string", "pattern": r"^\d{1,15}(\.\d{1,2})?$"}
    if isinstance(field, registry_schemas.ResponsibleUnit):
        return {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/UnitRef"}]}
    if isinstance(field, registry_schemas.Activity):
        return {"oneOf": [LOCALIZED, {"type": "object"}]}
    if isinstance(field, (Code, Identifier, PlainText)):
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
                          "token_id": STRING, "role": STRING, "municipality": NULLABLE_STRING}})
# The answers API.md promises a shape for; other successes are documented as JSON of any shape.
SUCCESS = {
    "POST /plans": (201, VERSION_REF),
    "PUT /plans/{plan_id}/frame": (200, VERSION_REF),
    "PUT /plans/{plan_id}/contributions/{municipality}": (200, VERSION_REF),
    "POST /plans/{plan_id}/status": (200, VERSION_REF),
    "POST /plans/{plan_id}/adopt": (200, VERSION_REF),
    "POST /tokens": (201, _object(["token", "role", "municipality"], token=STRING, role=STRING,
                                  municipality=NULLABLE_STRING)),
    "POST /plans/{plan_id}/readings": (202, _object(["batch", "accepted"], batch=STRING, accepted=INTEGER)),
    "POST /plans/{plan_id}/readings/approve": (200, _object(["approved", "municipality", "period"],
                                                            approved=INTEGER, municipality=STRING, period=STRING)),
    "GET /plans/{plan_id}/audit": (200, {"type": "array", "items": AUDIT_ENTRY}),
    "GET /plans/{plan_id}/progress": (200, _object(["plan_id", "version", "period", "plan", "indicators"])),
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
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            status, schema = SUCCESS.get(f"{method.upper()} {path.removeprefix('/api/v1')}", ("2XX", {}))
            content = {"application/json": {"schema": schema}}
            if any(p.get("name") == "format" for p in operation.get("parameters", [])):
                content.update(FILES)
            operation["responses"] = {str(status): {"description": "Success", "content": content},
                                      "default": {"$ref": "#/components/responses/Problem"}}
