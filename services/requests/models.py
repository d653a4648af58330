"""What the requests service stores (its own database, alias ``requests``).

Times are ISO strings and flags are counters (see shared.clock and shared.outbox for why); the
history of a request is written whole with compare-and-set (the embedded store's ``$push`` of an
embedded document stores a string).
"""
import mongoengine as me

from shared.mongo import Document
from shared.outbox import Outboxed

ALIAS = "requests"


class Service(Document):
    """One entry of a municipality's service catalogue (its Open311 service list)."""
    meta = {"db_alias": ALIAS, "collection": "services", "indexes": ["municipality"]}
    id = me.StringField(primary_key=True)          # "<municipality>:<code>"
    municipality = me.StringField(required=True)
    code = me.StringField(required=True)
    name = me.DynamicField(required=True)
    description = me.DynamicField(null=True)
    group = me.StringField(default="")
    keywords = me.ListField(me.StringField())
    target_days = me.IntField(required=True)
    responsible_unit = me.StringField(default="")
    public = me.IntField(default=0)                # 1: citizens may file without a token
    updated_at = me.StringField()
    history = me.ListField(me.DictField())         # every change: who, when, what

    FIELDS = ("municipality", "code", "name", "description", "group", "keywords", "target_days",
              "responsible_unit", "updated_at")

    def as_dict(self):
        return {**{field: getattr(self, field) for field in self.FIELDS}, "public": bool(self.public)}


class ServiceRequest(Outboxed, Document):
    meta = {"db_alias": ALIAS, "collection": "requests",
            "indexes": [("municipality", "requested_at"), "outbox_pending",
                        {"fields": ["municipality", "fingerprint"], "unique": True}]}
    id = me.StringField(primary_key=True)
    municipality = me.StringField(required=True)   # the jurisdiction: a district (or any municipality)
    service_code = me.StringField(required=True)
    description = me.StringField(default="")
    neighbourhood = me.StringField(default="")
    address = me.StringField(default="")
    address_id = me.StringField(default="")
    zipcode = me.StringField(default="")
    lat = me.FloatField(null=True)
    long = me.FloatField(null=True)
    media_url = me.StringField(default="")
    requester = me.DictField()                     # personal: first_name, last_name, email, phone
    filed_by = me.StringField(required=True)
    status = me.StringField(required=True)
    status_notes = me.StringField(default="")
    agency_responsible = me.StringField(default="")
    requested_at = me.StringField(required=True)
    updated_at = me.StringField(required=True)
    closed_at = me.StringField(null=True)
    fingerprint = me.StringField(required=True)    # its id; an imported row: its own id, so a re-import stores it once
    history = me.ListField(me.DictField())

    FIELDS = ("id", "municipality", "service_code", "description", "neighbourhood", "address", "address_id",
              "zipcode", "lat", "long", "media_url", "filed_by", "status", "status_notes", "agency_responsible",
              "requested_at", "updated_at", "closed_at")

    def as_dict(self, personal=False):
        data = {field: getattr(self, field) for field in self.FIELDS}
        if personal:
            data.update(requester=dict(self.requester or {}), history=list(self.history))
        return data


class QualityPlan(Document):
    """An adopted plan's indicators that name a service-quality figure (kept from plan_adopted and
    plan_revised): which districts' figures are submitted to which plan."""
    meta = {"db_alias": ALIAS, "collection": "quality_plans", "indexes": ["municipalities"]}
    id = me.StringField(primary_key=True)          # the plan's id
    version = me.IntField(required=True)
    municipalities = me.ListField(me.StringField())
    view = me.DictField()                          # domain.quality_view


class QualityDue(Document):
    """A district's half-year whose requests changed since its figures were last submitted.
    ``dirty`` counts the changes; ``rev`` moves with every mark, so a submission that raced a new
    change leaves the half-year due."""
    meta = {"db_alias": ALIAS, "collection": "quality_due", "indexes": ["dirty"]}
    id = me.StringField(primary_key=True)          # "<municipality>:<period>"
    municipality = me.StringField(required=True)
    period = me.StringField(required=True)
    dirty = me.IntField(default=0)
    due_from = me.StringField()                    # ISO day after the half-year: submitted from then
    rev = me.IntField(default=0)
    submitted = me.DictField()                     # plan id -> {indicator: value} last submitted


class RateWindow(Document):
    """Public requests counted per client and window (shared.ratelimit writes them; declared for its index)."""
    meta = {"db_alias": ALIAS, "collection": "rate_windows", "indexes": ["window"]}
    id = me.StringField(primary_key=True)
    window = me.IntField()
    count = me.IntField(default=0)


DOCUMENTS = (Service, ServiceRequest, QualityPlan, QualityDue, RateWindow)
OUTBOXES = (ServiceRequest,)
