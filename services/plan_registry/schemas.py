"""Shapes of what the plan registry accepts (marshmallow, JSON types in and out).

The gateway uses the same classes to document and pre-check request bodies, so a field is
described once. Rules that need more than one field or the stored plan live in domain.py.
"""
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from shared.calendars import CALENDARS
from shared.guide import DIRECTIONS, RATIO_SCALES, YEAR_VALUES
from shared.text import LocalizedText, PlainText
from shared.validation import Code, Identifier, Money, Number, YearMap

from .domain import written_here

KINDS = ("metropolitan", "district", "provincial", "town", "cooperation_body", "sub_district")
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
    # a cooperation body's members (any municipalities, across provinces): members, not children
    members = fields.List(Identifier(), allow_none=True, load_default=None, validate=validate.Length(max=1000))


class TokenRequestSchema(Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    municipality = Identifier(allow_none=True, load_default=None)
    label = PlainText(load_default="", max_length=200)


class UserSchema(Strict):
    username = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9._-]{2,63}$", error="3-64 lowercase letters, digits, '.', '_' or '-', e.g. 'ayse.kaya'."))
    display_name = PlainText(load_default="", max_length=200)
    email = fields.Email(allow_none=True, load_default=None)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    municipality = Identifier(allow_none=True, load_default=None)
    password = fields.String(allow_none=True, load_default=None)


class LoginSchema(Strict):
    username = fields.String(required=True, validate=validate.Length(max=64))
    password = fields.String(required=True, validate=validate.Length(max=200))


class PasswordSetupSchema(Strict):
    token = fields.String(required=True, validate=validate.Length(max=200))
    password = fields.String(required=True)


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
    # the share of a year's change the plan expects by mid-year: what a first half-year is measured against
    midyear_share = Number(load_default=0.5, validate=validate.Range(0, 1, min_inclusive=False))
    # readings are approved by someone other than who submitted them (DOMAIN.md, "four eyes")
    four_eyes = fields.Boolean(load_default=True)
    # false: a plan of goals and strategies (a cooperation body's) adopted on its frame alone; its
    # members' contributions are optional and an objective may have no indicator
    indicators_required = fields.Boolean(load_default=True)


class PlanCreateSchema(Strict):
    id = Identifier(required=True)
    title = LocalizedText(required=True, max_length=500)
    coordinator = Identifier(required=True)
    # empty: a municipality's own plan (Bilecik 2020-2024); see domain.member_problem for who may be a member
    members = fields.List(Identifier(), load_default=list, validate=validate.Length(max=1000))
    period = fields.Nested(PeriodSchema, required=True)
    calendar = fields.String(load_default="gregorian", validate=validate.OneOf(CALENDARS))
    themes = fields.List(fields.Nested(ThemeSchema), load_default=list, validate=validate.Length(max=100))
    settings = fields.Nested(SettingsSchema, load_default=lambda: SettingsSchema().load({}))
    # the plan this one cascades from (Tehran: city -> region -> sub-district); adopted, same calendar
    parent_plan = Identifier(allow_none=True, load_default=None)


class StrategySchema(Strict):
    code = Code(required=True)
    text = LocalizedText(required=True, max_length=2000)


class GoalSchema(Strict):
    code = Code(required=True)
    title = LocalizedText(required=True, max_length=1000)
    theme = Code(allow_none=True, load_default=None)
    description = LocalizedText(allow_none=True, load_default=None)
    # the ways the goal is pursued (the Alborz document's راهکارها), e.g. {"code": "S1.1", "text"}
    strategies = fields.List(fields.Nested(StrategySchema), load_default=list, validate=validate.Length(max=100))
    # in a plan with a parent_plan: the parent's goal this goal serves (its figures roll up there)
    serves = Code(allow_none=True, load_default=None)


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
    # higher- or lower-is-better; undeclared: a "decrease" is lower-is-better, the rest higher
    direction = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(DIRECTIONS))
    # how the half-years make the year; undeclared: "sum" for cumulative, "last" otherwise
    year_value = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(YEAR_VALUES))
    # what turns a numerator/denominator reading into C: 100 (%), 1000 (per mille), 1 (plain ratio)
    ratio_scale = fields.Integer(strict=True, allow_none=True, load_default=None,
                                 validate=validate.OneOf(RATIO_SCALES))


class StakeholderSchema(Strict):
    """One row of the stakeholder analysis (paydaş analizi). The frame holds the only list: the
    consultation's stakeholder register shows these rows beside everyone who gave input."""
    name = LocalizedText(required=True, max_length=300)
    group = PlainText(load_default="", max_length=50)
    municipality = Identifier(allow_none=True, load_default=None)
    internal = fields.Boolean(load_default=False)
    influence = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    importance = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    note = LocalizedText(allow_none=True, load_default=None)
    # the guide's priority is derived from influence and importance (domain.stakeholder_priority)
    priority = fields.String(dump_only=True)


class StakeholdersSchema(Strict):
    """The stakeholder analysis written on its own (PUT /plans/{id}/stakeholders)."""
    stakeholders = fields.List(fields.Nested(StakeholderSchema), required=True, validate=validate.Length(max=500))


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


class RangeSchema(Strict):
    """The values a reading of the indicator may take (a share 0-100, a count from 0), either end open."""
    min = Number(allow_none=True, load_default=None)
    max = Number(allow_none=True, load_default=None)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["min"] is not None and data["max"] is not None and data["min"] > data["max"]:
            raise ValidationError("min is at most max.", "max")


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
    # higher- or lower-is-better; undeclared: a "decrease" is lower-is-better, the rest higher
    direction = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(DIRECTIONS))
    # how the half-years make the year; undeclared: "sum" for cumulative, "last" otherwise
    year_value = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(YEAR_VALUES))
    # what turns a numerator/denominator reading into C: 100 (%), 1000 (per mille), 1 (plain ratio)
    ratio_scale = fields.Integer(strict=True, allow_none=True, load_default=None,
                                 validate=validate.OneOf(RATIO_SCALES))
    # readings outside it are refused (each bad line named); the baseline and targets of a level lie in it
    range = fields.Nested(RangeSchema, allow_none=True, load_default=None)

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
    # the objective's weight in its goal (%; the objectives of one goal total 100) for the plan
    # setting goal_rollup "weighted"
    goal_weight = Number(allow_none=True, load_default=None,
                         validate=validate.Range(0, 100, min_inclusive=False))
    findings = texts()
    needs = texts()
    # records of the plan's bank of needs, capacities and opportunities (consultation) it answers
    bank = fields.List(PlainText(max_length=80), load_default=list, validate=validate.Length(max=100))


class ReferenceSchema(Strict):
    """An objective of the municipality's contribution to another adopted plan that counts in this
    plan too, under one of its goals: written and measured there, not typed twice."""
    plan = Identifier(required=True)
    objective = Code(required=True)
    goal = Code(required=True)


class ContributionSchema(Strict):
    objectives = fields.List(fields.Nested(ObjectiveSchema), required=True, validate=validate.Length(max=1000))
    references = fields.List(fields.Nested(ReferenceSchema), load_default=list, validate=validate.Length(max=1000))

    @pre_load
    def as_written(self, data, **kwargs):
        """A contribution as read may be sent back: what a read adds to an objective (the inputs it
        came from, where else it counts) is dropped, and an objective counted from another plan
        (``reported_in``) is its reference again."""
        if not isinstance(data, dict) or not isinstance(data.get("objectives"), list):
            return data
        return written_here(data)


class CouncilDecisionSchema(Strict):
    """A municipal council's decision adopting the plan (meclis kararı): its number and date."""
    decision_no = PlainText(required=True, max_length=100, validate=validate.Length(min=1))
    decision_date = fields.Date(required=True)


class MemberDecisionSchema(CouncilDecisionSchema):
    municipality = Identifier(required=True)


class AdoptionSchema(CouncilDecisionSchema):
    # the coordinator's council decides with decision_no/decision_date; each member's council
    # decision may come with it here, or later by POST /plans/{id}/adoptions/{municipality}
    members = fields.List(fields.Nested(MemberDecisionSchema), load_default=list,
                          validate=validate.Length(max=1000))


class RevisionSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(REVISION_KINDS))
    reason = LocalizedText(required=True)
    # update: the first period the revised targets apply to; renewal: the new plan's id/period
    effective_from = fields.String(allow_none=True, load_default=None)
    new_plan_id = Identifier(allow_none=True, load_default=None)
    period = fields.Nested(PeriodSchema, allow_none=True, load_default=None)


class StatusChangeSchema(Strict):
    status = fields.String(required=True, validate=validate.OneOf(("draft", "consultation")))
