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
