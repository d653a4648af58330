"""What the programme service stores (its own database, alias ``programme``).

Times and dates are ISO strings and flags are counters (see shared.clock and shared.outbox for
why); lists (reports, milestones, alerts, history) are written whole with compare-and-set on the
project's revision (the embedded store's ``$push`` of an embedded document stores a string).
"""
import mongoengine as me

from shared.mongo import Document
from shared.outbox import Outboxed

ALIAS = "programme"


class PlanView(Document):
    """The adopted plan as this service needs it (objectives with their municipalities and costs,
    goals and strategies, years, members), kept from the registry's plan_adopted / plan_revised."""
    meta = {"db_alias": ALIAS, "collection": "plan_views"}
    id = me.StringField(primary_key=True)          # the plan id
    version = me.IntField(required=True)
    view = me.DictField(required=True)


class Project(Outboxed, Document):
    """An activity or project of a plan with its reports, alerts and every version of it."""
    meta = {"db_alias": ALIAS, "collection": "projects",
            "indexes": ["plan_id", "outbox_pending", {"fields": ["plan_id", "code"], "unique": True}]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    code = me.StringField(required=True)
    municipality = me.StringField(required=True)
    version = me.IntField(default=1)
    data = me.DictField(required=True)             # the project as last sent (schemas.ProjectSchema)
    reports = me.ListField(me.DictField())         # one per period: percent, spent, note, at, by
    alerts = me.ListField(me.DictField())          # overdue milestones: open until done
    open_alerts = me.IntField(default=0)
    created_at = me.StringField(required=True)
    updated_at = me.StringField(required=True)
    history = me.ListField(me.DictField())         # every change: who, when, what, the version it made
    fingerprint = me.StringField()                 # of the request an Idempotency-Key registered it with

    def as_dict(self):
        return {"id": self.id, "plan_id": self.plan_id, **self.data, "version": self.version,
                "reports": list(self.reports), "alerts": list(self.alerts),
                "created_at": self.created_at, "updated_at": self.updated_at}


class Adoption(Outboxed, Document):
    """The council decision adopting the performance programme of a year, the plan's or one
    municipality's; a later decision replaces it and both stay in its history."""
    meta = {"db_alias": ALIAS, "collection": "programme_adoptions", "indexes": ["outbox_pending"]}
    id = me.StringField(primary_key=True)          # plan:year:municipality ("plan" for the whole plan)
    plan_id = me.StringField(required=True)
    year = me.StringField(required=True)
    municipality = me.StringField(null=True)
    decision = me.DictField(required=True)         # decision_no, decision_date, adopted_at
    history = me.ListField(me.DictField())


DOCUMENTS = (PlanView, Project, Adoption)
OUTBOXES = (Project, Adoption)
