"""The event envelope every domain event travels in, and the event names.

Events are facts in the past tense, published on nameko's ``<service>.events`` exchange with
the event type as routing key. Who publishes and who consumes each one, and its payload's
schema, are in shared/catalogue.py.
"""
import uuid

from marshmallow import EXCLUDE, Schema, fields

from shared import observability
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
PLAN_RENEWED = "plan_renewed"
TOKEN_REVOKED = "token_revoked"
SESSION_ENDED = "session_ended"      # a logout, or a new password that logs every browser out
PERSON_DISABLED = "person_disabled"

# consultation
CONSULTATION_OPENED = "consultation_opened"
INPUT_SUBMITTED = "input_submitted"
INPUT_DECIDED = "input_decided"
CONSULTATION_CLOSED = "consultation_closed"

# monitoring
READINGS_SUBMITTED = "readings_submitted"
READINGS_APPROVED = "readings_approved"
FIGURES_UPDATED = "figures_updated"  # stored figures changed (an approval, a plan version, a recompute)
INDICATOR_OFF_TRACK = "indicator_off_track"
INDICATOR_RECOVERED = "indicator_recovered"
REPORT_PUBLISHED = "report_published"

# requests
SERVICE_REQUEST_FILED = "service_request_filed"
SERVICE_REQUEST_STATUS_CHANGED = "service_request_status_changed"

# programme
PROJECT_REGISTERED = "project_registered"
PROJECT_CHANGED = "project_changed"
PROJECT_PROGRESSED = "project_progressed"
MILESTONE_MISSED = "milestone_missed"
MILESTONE_MET = "milestone_met"
PROGRAMME_ADOPTED = "programme_adopted"



def exchange_name(service):
    return f"{service}.events"


def envelope(event_type, producer, payload, plan_id=None, municipality=None, actor=None):
    """``request_id``: the request that caused the event (the worker's own, or the actor's), so
    its consumers log the same id as the gateway and the producer did."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "schema_version": SCHEMA_VERSION,
        "occurred_at": now_iso(),
        "producer": producer,
        "plan_id": plan_id,
        "municipality": municipality,
        "actor": actor,
        "request_id": observability.request_id() or (actor or {}).get("request_id"),
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
    request_id = fields.String(allow_none=True, load_default=None)
    payload = fields.Dict(required=True)
