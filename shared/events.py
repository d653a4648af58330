"""The event envelope every domain event travels in, and the event names.

Events are facts in the past tense, published on nameko's ``<service>.events`` exchange with
the event type as routing key.
"""
import uuid

from marshmallow import EXCLUDE, Schema, fields

from shared.clock import now_iso

SCHEMA_VERSION = 1

# plan_registry
MUNICIPALITY_REGISTERED = "municipality_registered"
PLAN_CREATED = "plan_created"
FRAME_CHANGED = "frame_changed"
CONTRIBUTION_SUBMITTED = "contribution_submitted"
PLAN_STATUS_CHANGED = "plan_status_changed"
PLAN_ADOPTED = "plan_adopted"
REVISION_STARTED = "revision_started"
PLAN_REVISED = "plan_revised"

# consultation
CONSULTATION_OPENED = "consultation_opened"
INPUT_SUBMITTED = "input_submitted"
INPUT_DECIDED = "input_decided"
CONSULTATION_CLOSED = "consultation_closed"

# monitoring
READINGS_SUBMITTED = "readings_submitted"
READINGS_APPROVED = "readings_approved"
INDICATOR_OFF_TRACK = "indicator_off_track"
INDICATOR_RECOVERED = "indicator_recovered"
REPORT_PUBLISHED = "report_published"

PRODUCERS = {
    "plan_registry": (
        MUNICIPALITY_REGISTERED, PLAN_CREATED, FRAME_CHANGED, CONTRIBUTION_SUBMITTED,
        PLAN_STATUS_CHANGED, PLAN_ADOPTED, REVISION_STARTED, PLAN_REVISED,
    ),
    "consultation": (CONSULTATION_OPENED, INPUT_SUBMITTED, INPUT_DECIDED, CONSULTATION_CLOSED),
    "monitoring": (READINGS_SUBMITTED, READINGS_APPROVED, INDICATOR_OFF_TRACK, INDICATOR_RECOVERED,
                   REPORT_PUBLISHED),
}


def exchange_name(service):
    return f"{service}.events"


def envelope(event_type, producer, payload, plan_id=None, municipality=None, actor=None):
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "schema_version": SCHEMA_VERSION,
        "occurred_at": now_iso(),
        "producer": producer,
        "plan_id": plan_id,
        "municipality": municipality,
        "actor": actor,
        "payload": payload,
    }


class EnvelopeSchema(Schema):
    """What a consumer checks before it trusts an event (tolerant: unknown keys ignored)."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True)
    schema_version = fields.Integer(required=True)
    occurred_at = fields.String(required=True)
    producer = fields.String(required=True)
    plan_id = fields.String(allow_none=True, load_default=None)
    municipality = fields.String(allow_none=True, load_default=None)
    actor = fields.Dict(allow_none=True, load_default=None)
    payload = fields.Dict(required=True)
