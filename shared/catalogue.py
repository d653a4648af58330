"""The event catalogue: every event with its producer, its consumers and its payload schema.

One fact, one event. Consumers load a payload through its schema here (``payload_of``), a
tolerant reader: the fields named below must be there with their types, anything more is kept.
Events with no consumer in Ortak are integration events, published for outside listeners (a
city's dashboard, a 311 app, a data warehouse). tests/unit/test_event_catalogue.py holds this table
equal to the handlers the services declare and to ops.topology; docs/events.md is generated from it
(``python -m ops.events_doc``).
"""
from dataclasses import dataclass

from marshmallow import INCLUDE, Schema, ValidationError, fields

from shared import events as ev


class Payload(Schema):
    class Meta:
        unknown = INCLUDE


# -- plan_registry ----------------------------------------------------------------------------------
class MunicipalityRegistered(Payload):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    parent = fields.String(allow_none=True)


class PlanView(Payload):
    id = fields.String(required=True)
    status = fields.String(required=True)
    coordinator = fields.String(required=True)
    members = fields.List(fields.String(), required=True)


class PlanVersion(Payload):
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    plan = fields.Nested(PlanView, required=True)


class ContributionSubmitted(PlanVersion):
    municipality = fields.String(required=True)


class AdoptedPlan(PlanView):
    """What monitoring and programme measure against: the plan's period, indicators and targets."""
    calendar = fields.String(required=True)
    period = fields.Dict(required=True)
    indicators = fields.List(fields.Dict(), required=True)
    objectives = fields.List(fields.Dict(), required=True)


class PlanAdopted(PlanVersion):
    plan = fields.Nested(AdoptedPlan, required=True)
    adoption = fields.Dict(required=True)


class RevisionStarted(PlanVersion):
    revision = fields.Dict(required=True)


class PlanRenewed(PlanVersion):
    revision = fields.Dict(required=True)   # with ``renewed_by``: the new plan's id


class TokenRevoked(Payload):
    token_id = fields.String(required=True)


class PersonEvent(Payload):
    person_id = fields.String(required=True)
    reason = fields.String(required=True)


# -- consultation -----------------------------------------------------------------------------------
class ConsultationOpened(Payload):
    consultation = fields.Dict(required=True)


class ConsultationClosed(ConsultationOpened):
    summary = fields.Dict(required=True)


class InputSubmitted(Payload):
    input_id = fields.String(required=True)
    consultation_id = fields.String(required=True)
    kind = fields.String(required=True)
    theme = fields.String(required=True)
    group = fields.String(required=True)
    municipality = fields.String(allow_none=True)


class InputDecided(Payload):
    input_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    decision = fields.String(required=True)
    links = fields.List(fields.Dict(), required=True)
    input = fields.Dict(required=True)            # group, municipality, kind, theme; never a name


# -- monitoring -------------------------------------------------------------------------------------
class ReadingsSubmitted(Payload):
    batch = fields.String(required=True)
    count = fields.Integer(required=True)
    municipalities = fields.List(fields.String(), required=True)
    periods = fields.List(fields.String(), required=True)


class ReadingsApproved(Payload):
    municipality = fields.String(required=True)
    period = fields.String(required=True)
    count = fields.Integer(required=True)
    indicators = fields.List(fields.String(), required=True)


class FiguresUpdated(Payload):
    periods = fields.List(fields.String(), required=True)


class IndicatorAlert(Payload):
    kind = fields.String(required=True)
    indicator = fields.String(required=True)
    municipality = fields.String(required=True)
    objective = fields.String(allow_none=True)


class ReportPublished(Payload):
    report = fields.String(required=True)
    kind = fields.String(required=True)
    period = fields.String(required=True)
    format = fields.String(required=True)


# -- requests ---------------------------------------------------------------------------------------
class ServiceRequestFiled(Payload):
    request_id = fields.String(required=True)
    service_code = fields.String(required=True)
    status = fields.String(required=True)
    filed_by = fields.String(required=True)
    requested_at = fields.String(required=True)


class ServiceRequestStatusChanged(Payload):
    request_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    to = fields.String(required=True)
    open311_status = fields.String(required=True)


# -- programme --------------------------------------------------------------------------------------
class ProjectEvent(Payload):
    project_id = fields.String(required=True)
    code = fields.String(required=True)
    kind = fields.String(required=True)
    horizon = fields.String(required=True)
    priority = fields.Integer(required=True)


class Milestone(Payload):
    project_id = fields.String(required=True)
    code = fields.String(required=True)
    milestone = fields.String(required=True)
    due = fields.String(required=True)


class ProgrammeAdopted(Payload):
    year = fields.String(required=True)
    decision_no = fields.String(required=True)
    decision_date = fields.String(required=True)


@dataclass(frozen=True)
class Event:
    type: str
    producer: str
    payload: type
    meaning: str
    consumers: tuple = ()   # "<service>.<handler>"
    listeners: tuple = ()   # consumers that are not service handlers (each gateway worker's cache)


CATALOGUE = {e.type: e for e in (
    Event(ev.MUNICIPALITY_REGISTERED, "plan_registry", MunicipalityRegistered,
          "A municipality was registered or its record replaced."),
    Event(ev.PLAN_CREATED, "plan_registry", PlanVersion, "A plan was created as a draft.",
          ("consultation.on_plan_created",)),
    Event(ev.FRAME_CHANGED, "plan_registry", PlanVersion,
          "The coordinator wrote the plan's frame (mission, vision, goals, themes).",
          ("consultation.on_frame_changed",)),
    Event(ev.CONTRIBUTION_SUBMITTED, "plan_registry", ContributionSubmitted,
          "A member wrote its contribution (objectives, indicators).", ("consultation.on_contribution_submitted",)),
    Event(ev.PLAN_STATUS_CHANGED, "plan_registry", PlanVersion, "A draft went to consultation or back.",
          ("consultation.on_plan_status_changed",)),
    Event(ev.PLAN_ADOPTED, "plan_registry", PlanAdopted,
          "The council adopted the plan: its indicators and targets are what is measured.",
          ("consultation.on_plan_adopted", "monitoring.on_plan_adopted", "programme.on_plan_adopted",
           "requests.on_plan_adopted")),
    Event(ev.REVISION_STARTED, "plan_registry", RevisionStarted,
          "An update of an adopted plan began (a draft until adopted).", ("consultation.on_revision_started",)),
    Event(ev.PLAN_REVISED, "plan_registry", PlanAdopted,
          "An update was adopted: new targets apply from its effective period.",
          ("consultation.on_plan_revised", "monitoring.on_plan_revised", "plan_registry.on_plan_revised",
           "programme.on_plan_revised", "requests.on_plan_revised")),
    Event(ev.PLAN_RENEWED, "plan_registry", PlanRenewed,
          "The plan was closed as renewed; the new plan (revision.renewed_by) starts as a draft.",
          ("consultation.on_plan_renewed",)),
    Event(ev.TOKEN_REVOKED, "plan_registry", TokenRevoked, "A token was revoked: refused from now on.",
          listeners=("gateway cache",)),
    Event(ev.SESSION_ENDED, "plan_registry", PersonEvent,
          "A person's sessions ended (a logout, or a new password that logs every browser out).",
          listeners=("gateway cache",)),
    Event(ev.PERSON_DISABLED, "plan_registry", PersonEvent, "A person was disabled: their sessions end.",
          listeners=("gateway cache",)),
    Event(ev.CONSULTATION_OPENED, "consultation", ConsultationOpened, "A consultation opened by its times."),
    Event(ev.INPUT_SUBMITTED, "consultation", InputSubmitted, "A stakeholder gave an input."),
    Event(ev.INPUT_DECIDED, "consultation", InputDecided,
          "The coordinator accepted (with links to the plan), rejected or merged an input.",
          ("plan_registry.on_input_decided",), listeners=("gateway cache",)),
    Event(ev.CONSULTATION_CLOSED, "consultation", ConsultationClosed, "A consultation closed, with its summary."),
    Event(ev.READINGS_SUBMITTED, "monitoring", ReadingsSubmitted, "A batch of readings was stored."),
    Event(ev.READINGS_APPROVED, "monitoring", ReadingsApproved,
          "A municipality's readings of a period were approved: the figures are updated.",
          ("monitoring.on_readings_approved",)),
    Event(ev.FIGURES_UPDATED, "monitoring", FiguresUpdated,
          "Stored figures of these periods changed (an approval, a plan version, a recompute).",
          listeners=("gateway cache",)),
    Event(ev.INDICATOR_OFF_TRACK, "monitoring", IndicatorAlert,
          "An indicator fell below the plan's threshold, or its readings are overdue."),
    Event(ev.INDICATOR_RECOVERED, "monitoring", IndicatorAlert, "An off-track or overdue indicator recovered."),
    Event(ev.REPORT_PUBLISHED, "monitoring", ReportPublished, "A monitoring or evaluation report was produced."),
    Event(ev.SERVICE_REQUEST_FILED, "requests", ServiceRequestFiled,
          "A neighbourhood service request was filed (no requester's personal data)."),
    Event(ev.SERVICE_REQUEST_STATUS_CHANGED, "requests", ServiceRequestStatusChanged,
          "A service request moved along its lifecycle."),
    Event(ev.PROJECT_REGISTERED, "programme", ProjectEvent, "A project or activity was registered."),
    Event(ev.PROJECT_CHANGED, "programme", ProjectEvent, "A project's record was changed (a new version)."),
    Event(ev.PROJECT_PROGRESSED, "programme", ProjectEvent, "A project reported its progress for a period."),
    Event(ev.MILESTONE_MISSED, "programme", Milestone, "A project's milestone passed its due date undone."),
    Event(ev.MILESTONE_MET, "programme", Milestone, "A missed milestone was done."),
    Event(ev.PROGRAMME_ADOPTED, "programme", ProgrammeAdopted,
          "A council decision adopted a year's performance programme (the plan's, or one municipality's)."),
)}


def producers():
    """{service: (event types it publishes)}."""
    found = {}
    for event in CATALOGUE.values():
        found.setdefault(event.producer, []).append(event.type)
    return {service: tuple(types) for service, types in found.items()}


def payload_of(envelope):
    """The envelope's payload, loaded through its event's schema; a ValidationError (which the
    event handler sends straight to the dead letters) when it is not what the catalogue says."""
    event = CATALOGUE.get(envelope["type"])
    if event is None:
        raise ValidationError(f"Event type {envelope['type']!r} is not in the catalogue.", "type")
    return event.payload().load(envelope["payload"])
