"""What the consultation service stores (its own database, alias ``consultation``).

Times are ISO strings and flags are counters (see shared.clock and shared.outbox for why).
"""
import mongoengine as me

from shared.mongo import Document
from shared.outbox import Outboxed

ALIAS = "consultation"


class PlanView(Document):
    """This service's read model of a plan (goals, objectives, themes, members), fed by the
    registry's events and never read from the registry's database."""
    meta = {"db_alias": ALIAS, "collection": "plans"}
    id = me.StringField(primary_key=True)
    version = me.IntField(required=True)
    plan = me.DictField(required=True)


class Consultation(Outboxed, Document):
    meta = {"db_alias": ALIAS, "collection": "consultations", "indexes": ["plan_id", "outbox_pending", "announced"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    title = me.DynamicField(required=True)
    kind = me.StringField(required=True)
    themes = me.ListField(me.StringField())
    sessions = me.ListField(me.DictField())
    opens_at = me.StringField(required=True)
    closes_at = me.StringField(required=True)
    public = me.BooleanField(default=False)
    audience = me.DynamicField()
    location = me.StringField(default="")
    created_at = me.StringField(required=True)
    created_by = me.StringField(null=True)
    announced = me.IntField(default=0)  # 0 nothing yet, 1 consultation_opened sent, 2 consultation_closed sent
    fingerprint = me.StringField(null=True)   # of the request an Idempotency-Key was first sent with

    FIELDS = ("id", "plan_id", "title", "kind", "themes", "sessions", "opens_at", "closes_at", "public",
              "audience", "location", "created_at")

    def as_dict(self):
        return {field: getattr(self, field) for field in self.FIELDS}


class Input(Outboxed, Document):
    meta = {"db_alias": ALIAS, "collection": "inputs",
            "indexes": [{"fields": ["consultation_id", "fingerprint"], "unique": True}, "plan_id", "outbox_pending"]}
    id = me.StringField(primary_key=True)
    consultation_id = me.StringField(required=True)
    plan_id = me.StringField(required=True)
    fingerprint = me.StringField(required=True)
    stakeholder = me.DictField(required=True)
    kind = me.StringField(required=True)
    theme = me.StringField(required=True)
    text = me.DynamicField(required=True)
    session = me.IntField(null=True)
    submitted_at = me.StringField(required=True)
    submitted_by = me.StringField(null=True)
    decision = me.DictField(null=True)
    decision_seq = me.IntField(default=0)
    history = me.ListField(me.DictField())
    moderation = me.StringField(default="pending")   # pending, published or hidden (the public's view)
    moderated_at = me.StringField(null=True)

    FIELDS = ("id", "consultation_id", "plan_id", "stakeholder", "kind", "theme", "text", "session", "submitted_at",
              "decision", "moderation")

    def as_dict(self):
        return {field: getattr(self, field) for field in self.FIELDS}


class BankRecord(Document):
    """A need, capacity or opportunity of a plan's municipality (the bank every project can point
    to), with the consultation input it came from."""
    meta = {"db_alias": ALIAS, "collection": "bank", "indexes": ["plan_id"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    kind = me.StringField(required=True)
    municipality = me.StringField(required=True)
    theme = me.StringField(null=True)
    title = me.DynamicField(required=True)
    text = me.DynamicField(null=True)
    quantity = me.FloatField(null=True)
    unit = me.StringField(null=True)
    source = me.DictField(null=True)
    created_at = me.StringField(required=True)
    created_by = me.StringField(null=True)
    fingerprint = me.StringField(null=True)   # of the request an Idempotency-Key was first sent with

    FIELDS = ("id", "plan_id", "kind", "municipality", "theme", "title", "text", "quantity", "unit", "source",
              "created_at")

    def as_dict(self):
        found = {field: getattr(self, field) for field in self.FIELDS}
        return {**found, "source": found["source"] or None}


class RateWindow(Document):
    meta = {"db_alias": ALIAS, "collection": "rate_windows", "indexes": ["window"]}
    id = me.StringField(primary_key=True)
    window = me.IntField()
    count = me.IntField(default=0)


DOCUMENTS = (PlanView, Consultation, Input, BankRecord, RateWindow)
OUTBOXES = (Consultation, Input)
