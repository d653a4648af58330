"""Shapes of what the programme service accepts (marshmallow, JSON types in and out)."""
from marshmallow import RAISE, Schema, fields, validate

from shared.text import LocalizedText, PlainText
from shared.validation import Code, Identifier, Money, YearMap

from .domain import HORIZONS, KINDS, PARTNER_KINDS


class Strict(Schema):
    class Meta:
        unknown = RAISE


class PartnerSchema(Strict):
    name = PlainText(required=True, max_length=200, validate=validate.Length(min=1))
    kind = fields.String(required=True, validate=validate.OneOf(PARTNER_KINDS))


class FundingSchema(Strict):
    source = PlainText(required=True, max_length=200, validate=validate.Length(min=1))
    amount = Money(required=True)


class MilestoneSchema(Strict):
    title = PlainText(required=True, max_length=300, validate=validate.Length(min=1))
    due = fields.Date(required=True)
    done_on = fields.Date(allow_none=True, load_default=None)



class ProjectSchema(Strict):
    """An activity or a project: ``POST /plans/{id}/projects``, ``PUT /projects/{pid}``."""
    code = Code(required=True)
    title = LocalizedText(required=True, max_length=300)
    kind = fields.String(load_default="project", validate=validate.OneOf(KINDS))
    objective = Code(allow_none=True, load_default=None)
    goal = Code(allow_none=True, load_default=None)
    strategy = Code(allow_none=True, load_default=None)
    municipality = Identifier(required=True)
    responsible_unit = PlainText(required=True, max_length=200, validate=validate.Length(min=1))
    partners = fields.List(fields.Nested(PartnerSchema), load_default=list, validate=validate.Length(max=50))
    horizon = fields.String(required=True, validate=validate.OneOf(HORIZONS))
    priority = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    budget = YearMap(Money(), load_default=dict)
    funding = fields.List(fields.Nested(FundingSchema), load_default=list, validate=validate.Length(max=50))
    milestones = fields.List(fields.Nested(MilestoneSchema), load_default=list, validate=validate.Length(max=100))
    bank = fields.List(PlainText(max_length=80), load_default=list, validate=validate.Length(max=100))
    description = LocalizedText(allow_none=True, load_default=None, max_length=4000)


class ReportSchema(Strict):
    """A progress report of a period: ``POST /projects/{pid}/progress``."""
    period = fields.String(required=True)
    percent = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    spent = Money(load_default="0.00")
    note = LocalizedText(allow_none=True, load_default=None, max_length=4000)


class AdoptionSchema(Strict):
    """The council decision (meclis kararı) adopting a year's performance programme: the plan's, or
    one municipality's: ``POST /plans/{id}/programmes/{year}/adoption``."""
    decision_no = PlainText(required=True, max_length=100, validate=validate.Length(min=1))
    decision_date = fields.Date(required=True)
    municipality = Identifier(allow_none=True, load_default=None)


def as_stored(data):
    """Dates as ISO strings: what the store keeps and RPC carries."""
    out = {**data, "start": data["start"].isoformat(), "end": data["end"].isoformat()}
    out["milestones"] = [{**m, "due": m["due"].isoformat(),
                          "done_on": m["done_on"].isoformat() if m["done_on"] else None} for m in data["milestones"]]
    return out
