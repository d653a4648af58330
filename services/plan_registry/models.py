"""What the plan registry stores (its own database, alias ``plan_registry``).

A plan is a chain of immutable versions, each holding the whole plan as it was; the head is a
small index for listing. Events leave through an outbox kept in the same document as the state
they describe, so the two are written together or not at all.

Times are ISO strings (see shared.clock) and dict keys never hold user codes (codes such as
``H1.1`` contain dots, which MongoDB does not allow in field names).
"""
import mongoengine as me

from shared.fields import PlainDict
from shared.mongo import Document
from shared.outbox import Outboxed

ALIAS = "plan_registry"


class Municipality(Outboxed, Document):
    meta = {"db_alias": ALIAS, "collection": "municipalities", "indexes": ["parent", "outbox_pending"]}
    id = me.StringField(primary_key=True)
    name = me.DynamicField(required=True)
    kind = me.StringField(required=True)
    parent = me.StringField(null=True)
    locale = me.StringField(required=True)
    calendar = me.StringField(required=True)
    members = me.ListField(me.StringField())   # a cooperation body's members
    created_at = me.StringField(required=True)
    updated_at = me.StringField(required=True)

    def as_dict(self):
        return {"id": self.id, "name": self.name, "kind": self.kind, "parent": self.parent,
                "locale": self.locale, "calendar": self.calendar, "members": list(self.members or []),
                "created_at": self.created_at, "updated_at": self.updated_at}


class Token(Outboxed, Document):
    """An API token, kept only as its HMAC-SHA256 hash; its revocation leaves as an event."""
    meta = {"db_alias": ALIAS, "collection": "tokens",
            "indexes": [{"fields": ["hash"], "unique": True}, "outbox_pending"]}
    id = me.StringField(primary_key=True)
    hash = me.StringField(required=True)
    role = me.StringField(required=True)
    municipality = me.StringField(null=True)
    label = me.StringField(default="")
    created_at = me.StringField(required=True)
    created_by = me.StringField(null=True)
    revoked_at = me.StringField(null=True)

    def as_dict(self):
        return {"id": self.id, "role": self.role, "municipality": self.municipality, "label": self.label,
                "created_at": self.created_at, "revoked_at": self.revoked_at}


class PlanVersion(Outboxed, Document):
    """Version n of a plan; ``_id`` is ``<plan>:<n>`` so two writers can never both make n."""
    meta = {"db_alias": ALIAS, "collection": "plan_versions",
            "indexes": [{"fields": ["plan_id", "-n"]}, "outbox_pending",
                        {"fields": ["snapshot.parent_plan", "n"]}]}   # a parent's child plans
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    n = me.IntField(required=True)
    kind = me.StringField(required=True)
    status = me.StringField(required=True)
    summary = me.StringField(required=True)
    author = me.DictField()
    at = me.StringField(required=True)
    snapshot = PlainDict(required=True)

    @staticmethod
    def key(plan_id, n):
        return f"{plan_id}:{n:06d}"

    def header(self):
        return {"version": self.n, "kind": self.kind, "summary": self.summary, "author": self.author,
                "at": self.at, "status": self.status}


class PlanHead(Document):
    """The newest version of each plan, for listing; repaired from the versions by the relay."""
    meta = {"db_alias": ALIAS, "collection": "plan_heads", "indexes": ["coordinator"]}
    id = me.StringField(primary_key=True)
    version = me.IntField(required=True)
    status = me.StringField(required=True)
    title = me.DynamicField()
    coordinator = me.StringField(required=True)
    # no index on members: the embedded store mis-answers equality on indexed arrays
    members = me.ListField(me.StringField())
    calendar = me.StringField()
    period = me.DictField()
    updated_at = me.StringField()
    counts_from = me.ListField(me.StringField())   # plans whose objectives it counts too (no index: as members)

    def as_dict(self):
        return {"id": self.id, "version": self.version, "status": self.status, "title": self.title,
                "coordinator": self.coordinator, "members": self.members, "calendar": self.calendar,
                "period": self.period, "updated_at": self.updated_at}


class Provenance(Document):
    """A stakeholder input accepted into the plan, linked to goals or objectives (from consultation's
    ``input_decided``); ``seq`` orders decisions so a late redelivery never undoes a newer one."""
    meta = {"db_alias": ALIAS, "collection": "provenance", "indexes": ["plan_id"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    input_id = me.StringField(required=True)
    seq = me.IntField(required=True)
    links = me.ListField(me.DictField())
    source = me.DictField()
    decided_at = me.StringField()
    decided_by = me.DictField()

    @staticmethod
    def key(plan_id, input_id):
        return f"{plan_id}:{input_id}"


class Person(Outboxed, Document):
    """Someone who logs in: a role and a municipality like a token's, a password kept only as its
    argon2id hash. Disabled, never deleted: the audit trail keeps naming them. Their sessions'
    ends and their disabling leave as events (the gateways forget the sessions they had checked)."""
    meta = {"db_alias": ALIAS, "collection": "people",
            "indexes": [{"fields": ["username"], "unique": True}, "municipality", "setup_hash", "outbox_pending"]}
    id = me.StringField(primary_key=True)
    username = me.StringField(required=True)
    display_name = me.StringField(default="")
    email = me.StringField(null=True)
    role = me.StringField(required=True)
    municipality = me.StringField(null=True)
    password_hash = me.StringField(null=True)
    setup_hash = me.StringField(null=True)        # of the one-time link that sets the password
    setup_expires_at = me.StringField(null=True)
    failures = me.ListField(me.StringField())     # failed logins inside the lock window
    created_at = me.StringField(required=True)
    created_by = me.StringField(null=True)
    disabled_at = me.StringField(null=True)

    def as_dict(self):
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "email": self.email,
                "role": self.role, "municipality": self.municipality, "created_at": self.created_at,
                "disabled_at": self.disabled_at, "password_set": self.password_hash is not None}


class Session(Document):
    """A logged-in browser; ``_id`` is the HMAC of the cookie's secret, never the secret itself."""
    meta = {"db_alias": ALIAS, "collection": "sessions", "indexes": ["person_id", "expires_at"]}
    id = me.StringField(primary_key=True)
    person_id = me.StringField(required=True)
    created_at = me.StringField(required=True)
    expires_at = me.StringField(required=True)


class RateWindow(Document):
    """Bad tokens counted per client and window (shared.ratelimit writes them; declared for its index)."""
    meta = {"db_alias": ALIAS, "collection": "rate_windows", "indexes": ["window"]}
    id = me.StringField(primary_key=True)
    window = me.IntField()
    count = me.IntField(default=0)


DOCUMENTS = (Municipality, Token, PlanVersion, PlanHead, Provenance, Person, Session, RateWindow)
OUTBOXES = (Municipality, PlanVersion, Token, Person)
