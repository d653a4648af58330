"""Shapes of what the consultation service accepts (marshmallow, JSON types in and out)."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.text import LocalizedText, PlainText
from shared.validation import Code, Identifier, Number

KINDS = ("workshop", "survey", "meeting", "public_comment", "search_conference")
GROUPS = ("citizen", "muhtar", "city_council", "ngo", "chamber", "university", "public_institution",
          "private_sector", "municipality")
INPUT_KINDS = ("request", "suggestion", "complaint", "strength", "weakness", "opportunity", "threat")
DECISIONS = ("accepted", "rejected", "merged")
MAX_TEXT = 5000


class Strict(Schema):
    class Meta:
        unknown = RAISE


class SessionSchema(Strict):
    theme = Code(required=True)
    starts_at = fields.AwareDateTime(required=True, format="iso")
    ends_at = fields.AwareDateTime(allow_none=True, load_default=None, format="iso")
    facilitator = PlainText(load_default="", max_length=200)
    title = LocalizedText(allow_none=True, load_default=None, max_length=300)


class ConsultationSchema(Strict):
    title = LocalizedText(required=True, max_length=500)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    themes = fields.List(Code(), required=True, validate=validate.Length(min=1, max=100))
    sessions = fields.List(fields.Nested(SessionSchema), load_default=list, validate=validate.Length(max=200))
    opens_at = fields.AwareDateTime(required=True, format="iso")
    closes_at = fields.AwareDateTime(required=True, format="iso")
    public = fields.Boolean(load_default=False)
    audience = LocalizedText(allow_none=True, load_default=None, max_length=1000)
    location = PlainText(load_default="", max_length=300)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["closes_at"] <= data["opens_at"]:
            raise ValidationError("A consultation closes after it opens.", "closes_at")


class StakeholderRefSchema(Strict):
    name = PlainText(required=True, max_length=200, validate=validate.Length(min=1))
    group = fields.String(required=True, validate=validate.OneOf(GROUPS))
    municipality = Identifier(allow_none=True, load_default=None)
    contact = PlainText(allow_none=True, load_default=None, max_length=200)


class InputSchema(Strict):
    stakeholder = fields.Nested(StakeholderRefSchema, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(INPUT_KINDS))
    theme = Code(required=True)
    text = LocalizedText(required=True, max_length=MAX_TEXT)
    session = fields.Integer(allow_none=True, load_default=None, strict=True, validate=validate.Range(0, 199))


class ModerationSchema(Strict):
    action = fields.String(required=True, validate=validate.OneOf(("publish", "hide")))


class LinkSchema(Strict):
    objective = Code(allow_none=True, load_default=None)
    goal = Code(allow_none=True, load_default=None)
    municipality = Identifier(allow_none=True, load_default=None)

    @validates_schema
    def one_target(self, data, **kwargs):
        if (data["objective"] is None) == (data["goal"] is None):
            raise ValidationError('A link names an objective or a goal: {"objective": "H1.1", '
                                  '"municipality": "edremit"} or {"goal": "A1"}.')


class DecisionSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = LocalizedText(allow_none=True, load_default=None, max_length=2000)
    links = fields.List(fields.Nested(LinkSchema), load_default=list, validate=validate.Length(max=50))
    merged_into = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64))


class InputFilterSchema(Strict):
    theme = Code(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(INPUT_KINDS))
    decision = fields.String(load_default=None, validate=validate.OneOf(("undecided",) + DECISIONS))
    municipality = Identifier(load_default=None)


BANK_KINDS = ("need", "capacity", "opportunity")


class FindingSchema(Strict):
    """A row of a municipality's request findings (``GET /municipalities/{id}/request-findings``)."""
    municipality = Identifier(required=True)
    period = fields.String(required=True, validate=validate.Length(min=4, max=7))
    neighbourhood = PlainText(required=True, max_length=200)
    service_code = Code(required=True)


class BankSourceSchema(Strict):
    """Where a record comes from: a consultation input, or a finding of the requests."""
    input = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    finding = fields.Nested(FindingSchema, load_default=None)

    @validates_schema
    def one_source(self, data, **kwargs):
        if (data.get("input") is None) == (data.get("finding") is None):
            raise ValidationError("Name an input or a finding.", "input")


class BankRecordSchema(Strict):
    """A record of the bank of needs, capacities and opportunities; from a consultation input
    (``source``) the municipality, theme and text default to the input's."""
    kind = fields.String(required=True, validate=validate.OneOf(BANK_KINDS))
    municipality = Identifier(allow_none=True, load_default=None)
    theme = Code(allow_none=True, load_default=None)
    title = LocalizedText(required=True, max_length=300)
    text = LocalizedText(allow_none=True, load_default=None, max_length=MAX_TEXT)
    quantity = Number(allow_none=True, load_default=None)
    unit = PlainText(allow_none=True, load_default=None, max_length=50)
    source = fields.Nested(BankSourceSchema, allow_none=True, load_default=None)


class BankFilterSchema(Strict):
    kind = fields.String(load_default=None, validate=validate.OneOf(BANK_KINDS))
    municipality = Identifier(load_default=None)
    theme = Code(load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "xlsx")))
