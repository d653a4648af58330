"""Shapes of what the plan registry accepts (marshmallow, JSON types in and out).

The gateway uses the same classes to document and pre-check request bodies, so a field is
described once. Rules that need more than one field or the stored plan live in domain.py.
"""
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from shared.calendars import CALENDARS
from shared.text import LocalizedText, PlainText
from shared.validation import Code, Identifier, Money, Number, YearMap

KINDS = ("metropolitan", "district", "provincial", "town")
LOCALES = ("tr", "fa", "en")
ROLES = ("admin", "coordinator", "planner", "viewer")
AGGREGATIONS = ("sum", "ratio", "mean", "weighted_mean")
CALCULATIONS = ("cumulative", "increase", "decrease", "maintain", "yearly", "one_off")
INDICATOR_CLASSES = ("input", "output", "outcome", "quality", "efficiency")
FREQUENCIES = ("monthly", "quarterly", "semiannual", "annual")
PESTLE_FACTORS = ("political", "economic", "social", "technological", "legal", "environmental")
GOAL_ROLLUPS = ("mean", "weighted")
REVISION_KINDS = ("update", "renewal")


class Strict(Schema):
    class Meta:
        unknown = RAISE


def texts(**kwargs):
    return fields.List(LocalizedText(), load_default=list, validate=validate.Length(max=200), **kwargs)


# -- municipalities and tokens ---------------------------------------------------------------

class MunicipalitySchema(Strict):
    name = LocalizedText(required=True, max_length=200)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    parent = Identifier(allow_none=True, load_default=None)
    locale = fields.String(load_default="tr", validate=validate.OneOf(LOCALES))
    calendar = fields.String(load_default="gregorian", validate=validate.OneOf(CALENDARS))


class TokenRequestSchema(Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    municipality = Identifier(allow_none=True, load_default=None)
    label = PlainText(load_default="", max_length=200)


# -- plans ------------------------------------------------------------------------------------

class PeriodSchema(Strict):
    start = fields.Integer(required=True, strict=True)
    end = fields.Integer(required=True, strict=True)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("The plan period ends before it starts.", "end")
        if data["end"] - data["start"] > 9:
            raise ValidationError("A plan period is at most 10 years.", "end")


class ThemeSchema(Strict):
    code = Code(required=True)
    name = LocalizedText(required=True, max_length=300)


class SettingsSchema(Strict):
    cap_at_100 = fields.Boolean(load_default=True)
    goal_rollup = fields.String(load_default="mean", validate=validate.OneOf(GOAL_ROLLUPS))
    off_track_threshold = Number(load_default=70, validate=validate.Range(0, 1000))
    # days after a period's end by which its readings must be approved (then an alert is raised)
    readings_due_days = fields.Integer(strict=True, load_default=30, validate=validate.Range(0, 366))


class PlanCreateSchema(Strict):
    id = Identifier(required=True)
    title = LocalizedText(required=True, max_length=500)
    coordinator = Identifier(required=True)
    members = fields.List(Identifier(), required=True, validate=validate.Length(min=1, max=1000))
    period = fields.Nested(PeriodSchema, required=True)
    calendar = fields.String(load_default="gregorian", validate=validate.OneOf(CALENDARS))
    themes = fields.List(fields.Nested(ThemeSchema), load_default=list, validate=validate.Length(max=100))
    settings = fields.Nested(SettingsSchema, load_default=lambda: SettingsSchema().load({}))


class GoalSchema(Strict):
    code = Code(required=True)
    title = LocalizedText(required=True, max_length=1000)
    theme = Code(allow_none=True, load_default=None)
    description = LocalizedText(allow_none=True, load_default=None)


class RegionalIndicatorSchema(Strict):
    code = Code(required=True)
    goal = Code(required=True)
    name = LocalizedText(required=True, max_length=500)
    unit = PlainText(required=True, max_length=50, validate=validate.Length(min=1))
    aggregation = fields.String(required=True, validate=validate.OneOf(AGGREGATIONS))
    baseline = Number(required=True)
    targets = YearMap(Number(), required=True)
    calculation = fields.String(load_default="increase", validate=validate.OneOf(CALCULATIONS))
    definition = LocalizedText(allow_none=True, load_default=None)


class StakeholderSchema(Strict):
    name = LocalizedText(required=True, max_length=300)
    group = PlainText(load_default="", max_length=50)
    internal = fields.Boolean(load_default=False)
    influence = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    importance = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    # the guide's priority is derived from influence and importance (domain.stakeholder_priority)
    priority = fields.String(dump_only=True)


class PestleSchema(Strict):
    factor = fields.String(required=True, validate=validate.OneOf(PESTLE_FACTORS))
    text = LocalizedText(required=True)
    effect = fields.String(load_default="threat", validate=validate.OneOf(("opportunity", "threat")))


class SwotSchema(Strict):
    strengths = texts()
    weaknesses = texts()
    opportunities = texts()
    threats = texts()


class SituationSchema(Strict):
    stakeholders = fields.List(fields.Nested(StakeholderSchema), load_default=list,
                               validate=validate.Length(max=500))
    pestle = fields.List(fields.Nested(PestleSchema), load_default=list, validate=validate.Length(max=500))
    swot = fields.Nested(SwotSchema, load_default=lambda: SwotSchema().load({}))
    findings = texts()
    needs = texts()


class FrameSchema(Strict):
    mission = LocalizedText(required=True)
    vision = LocalizedText(required=True)
    values = texts()
    goals = fields.List(fields.Nested(GoalSchema), required=True, validate=validate.Length(min=1, max=100))
    regional_indicators = fields.List(fields.Nested(RegionalIndicatorSchema), load_default=list,
                                      validate=validate.Length(max=1000))
    situation = fields.Nested(SituationSchema, load_default=lambda: SituationSchema().load({}))


class UnitRefSchema(Strict):
    municipality = Identifier(required=True)
    unit = PlainText(required=True, max_length=200, validate=validate.Length(min=1))


class ResponsibleUnit(fields.Field):
    """Exactly one unit: its name (in the contributing municipality) or {municipality, unit}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return {"municipality": None, "unit": PlainText(max_length=200).deserialize(value)}
        if isinstance(value, list):
            raise ValidationError("An objective has exactly one responsible unit; list the others as collaborators.")
        if isinstance(value, dict):
            return UnitRefSchema().load(value)
        raise ValidationError('Give the unit\'s name or {"municipality", "unit"}.')

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class IndicatorSchema(Strict):
    code = Code(required=True)
    name = LocalizedText(required=True, max_length=500)
    definition = LocalizedText(allow_none=True, load_default=None)
    unit = PlainText(required=True, max_length=50)
    weight = Number(required=True, validate=validate.Range(0, 100, min_inclusive=False))
    baseline = Number(required=True)
    targets = YearMap(Number(), required=True)
    calculation = fields.String(required=True, validate=validate.OneOf(CALCULATIONS))
    # "class" is a Python keyword: the attribute is indicator_class, the JSON key stays "class"
    indicator_class = fields.String(data_key="class", load_default="outcome",
                                    validate=validate.OneOf(INDICATOR_CLASSES))
    monitoring_frequency = fields.String(load_default="semiannual", validate=validate.OneOf(FREQUENCIES))
    reporting_frequency = fields.String(load_default="annual", validate=validate.OneOf(FREQUENCIES))
    data_source = LocalizedText(allow_none=True, load_default=None)
    contributes_to = Code(allow_none=True, load_default=None)

    @post_load
    def json_names(self, data, **kwargs):
        data["class"] = data.pop("indicator_class")
        return data


class RiskSchema(Strict):
    text = LocalizedText(required=True)
    control = LocalizedText(required=True)


class ActivitySchema(Strict):
    title = LocalizedText(required=True)
    kind = fields.String(load_default="activity", validate=validate.OneOf(("activity", "project")))


class Activity(fields.Field):
    """An activity or project: its title, or {"title", "kind"}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (str, dict)) and not (isinstance(value, dict) and "title" in value):
            return {"title": LocalizedText().deserialize(value), "kind": "activity"}
        if isinstance(value, dict):
            return ActivitySchema().load(value)
        raise ValidationError("An activity is a text or {\"title\", \"kind\"}.")

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class ObjectiveSchema(Strict):
    code = Code(required=True)
    goal = Code(required=True)
    title = LocalizedText(required=True, max_length=1000)
    theme = Code(allow_none=True, load_default=None)
    responsible_unit = ResponsibleUnit(required=True)
    collaborators = fields.List(fields.Nested(UnitRefSchema), load_default=list,
                                validate=validate.Length(max=100))
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True, validate=validate.Length(max=50))
    risks = fields.List(fields.Nested(RiskSchema), load_default=list, validate=validate.Length(max=100))
    activities = fields.List(Activity(), load_default=list, validate=validate.Length(max=200))
    costs = YearMap(Money(), load_default=dict)
    findings = texts()
    needs = texts()


class ContributionSchema(Strict):
    objectives = fields.List(fields.Nested(ObjectiveSchema), required=True, validate=validate.Length(max=1000))


class AdoptionSchema(Strict):
    decision_no = PlainText(required=True, max_length=100, validate=validate.Length(min=1))
    decision_date = fields.Date(required=True)


class RevisionSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(REVISION_KINDS))
    reason = LocalizedText(required=True)
    # update: the first period the revised targets apply to; renewal: the new plan's id/period
    effective_from = fields.String(allow_none=True, load_default=None)
    new_plan_id = Identifier(allow_none=True, load_default=None)
    period = fields.Nested(PeriodSchema, allow_none=True, load_default=None)


class StatusChangeSchema(Strict):
    status = fields.String(required=True, validate=validate.OneOf(("draft", "consultation")))
