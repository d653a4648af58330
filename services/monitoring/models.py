"""What the monitoring service stores (its own database, alias ``monitoring``).

The adopted plan arrives by events only (``PlanModel``, one per adopted version); readings are
written in whole batches first (``Batch``, one document, so a batch is all or nothing) and then
spread into one ``Sheet`` per municipality and period, which holds each of its readings. The
figures of a period are stored as one ``Slice`` per municipality and one ``Rollup``, updated when
readings are approved (the other periods an approval changes later, from its ``Carry``).
"""
import zlib

import bson
import mongoengine as me
import orjson
import zstandard

from shared.fields import PlainList
from shared.mongo import Document
from shared.outbox import Outboxed

ALIAS = "monitoring"


# The figures' big parts (a slice's indicators and objectives, a roll-up's briefs) are stored packed:
# compressed JSON in one binary field. Nothing queries inside them, and a store that decodes a
# document value by value spent most of an approval's time on them (a 1,000-indicator slice:
# 400 KB of JSON, 24 KB packed; read in 46 ms unpacked and 1 ms packed by the embedded store).
# Zstandard: a third of zlib's time to pack and half to unpack, and a third of its size.
ZSTD_FRAME = b"\x28\xb5\x2f\xfd"   # how a Zstandard frame begins (zlib's begins with 0x78)
_COMPRESSOR, _DECOMPRESSOR = zstandard.ZstdCompressor(level=1), zstandard.ZstdDecompressor()


def pack(value):
    return bson.Binary(_COMPRESSOR.compress(orjson.dumps(value)))


def unpack(value, parse=True):
    """A packed value as it was (as its JSON text, without ``parse``): Zstandard, or zlib as
    releases before packed it; a value stored unpacked (before migration 5) as it is."""
    if not isinstance(value, bytes):
        return value if parse else orjson.dumps(value)
    raw = _DECOMPRESSOR.decompress(value) if value[:4] == ZSTD_FRAME else zlib.decompress(value)
    return orjson.loads(raw) if parse else raw


def unpacked(doc, fields, parse=True):
    """The document with its packed ``fields`` (those it holds) unpacked."""
    return {**doc, **{f: unpack(doc[f], parse) for f in fields if f in doc}}


class PlanModel(Document):
    """An adopted version's view of the plan, packed: the embedded store decoded a region's 2.5 MB
    view value by value, a fifth of a second for each process's first read of a plan."""
    meta = {"db_alias": ALIAS, "collection": "plan_models", "indexes": ["plan_id", "parent_plan"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    version = me.IntField(required=True)
    effective_from = me.StringField(null=True)  # None: from the plan's first period
    view = me.DynamicField(required=True)   # packed; a model written before migration 9 holds a document
    parent_plan = me.StringField(null=True)   # the view's, where child_plans finds it

    PACKED = ("view",)

    @staticmethod
    def key(plan_id, version):
        return f"{plan_id}:{version:06d}"


class ModelIndex(Document):
    """The adopted versions of a plan held in ``plan_models``: read before the large models, so a
    process reads again only a version it has not read yet."""
    meta = {"db_alias": ALIAS, "collection": "model_index"}
    id = me.StringField(primary_key=True)   # the plan's id
    versions = me.ListField(me.IntField())


class Counted(Document):
    """A plan that counts indicators of another (``source``, where they are reported): a small
    document to find it by, not the plan models' large views."""
    meta = {"db_alias": ALIAS, "collection": "counted", "indexes": ["source"]}
    id = me.StringField(primary_key=True)   # source|plan_id
    source = me.StringField(required=True)
    plan_id = me.StringField(required=True)


class Batch(Outboxed, Document):
    meta = {"db_alias": ALIAS, "collection": "batches", "indexes": ["plan_id", "outbox_pending", "applied"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    readings = me.BinaryField()   # the checked lines, packed: thousands, read and written whole
    municipalities = me.ListField(me.StringField())   # what the batch touched, for the audit trail
    periods = me.ListField(me.StringField())
    answer = me.DictField()
    fingerprint = me.StringField()   # of the request an Idempotency-Key was first sent with
    applied = me.IntField(default=0)
    submitted_by = me.DictField()
    at = me.StringField(required=True)

    PACKED = ("readings",)


class Sheet(Document):
    """The readings of one municipality and period, packed: ``readings`` each reading as
    readings.merged makes it (``_id``, the latest submitted figures, ``status`` submitted, approved
    or rejected, ``approved`` the figures that count, history and trail), ``approved`` {indicator:
    approved figures} alone (what the figures read). A batch, an approval and a rejection each
    rewrite a sheet by compare-and-set on ``rev``: one document write for a district's period where
    a document per reading took a thousand, twice. ``key(plan_id, municipality, period)``."""
    meta = {"db_alias": ALIAS, "collection": "reading_sheets",
            "indexes": [{"fields": ["plan_id", "municipality", "period"]}]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    municipality = me.StringField(required=True)
    period = me.StringField(required=True)
    rev = me.IntField(default=0)
    updated_at = me.StringField()
    readings = me.BinaryField()
    approved = me.BinaryField()

    PACKED = ("readings", "approved")

    @staticmethod
    def key(plan_id, municipality, period):
        return "|".join((plan_id, municipality, period))


class Approval(Outboxed, Document):
    """Written before its readings are marked approved; ``events`` move to the outbox only when
    ``applied``, in the same write. A big one is applied by the timer after its 202 answer."""
    meta = {"db_alias": ALIAS, "collection": "approvals", "indexes": ["plan_id", "outbox_pending", "applied"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    municipality = me.StringField(required=True)
    period = me.StringField(required=True)
    indicators = me.BinaryField()   # the approved indicators' codes, packed
    readings = me.BinaryField()   # reading ids, packed: up to 10,000, read and written whole
    batches = me.BinaryField()    # each reading's batch when it was checked (four eyes), packed
    events = PlainList()
    applied = me.IntField(default=0)
    claimed_until = me.FloatField(default=0)   # epoch seconds: a process is applying it until then
    at = me.StringField(required=True)
    by = me.DictField()

    PACKED = ("indicators", "readings", "batches")


class Rejection(Document):
    """Readings sent back to their submitter, with the approver's reason."""
    meta = {"db_alias": ALIAS, "collection": "rejections", "indexes": ["plan_id"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    municipality = me.StringField(required=True)
    period = me.StringField(required=True)
    indicators = me.ListField(me.StringField())
    readings = me.ListField(me.StringField())
    reason = me.StringField(required=True)
    at = me.StringField(required=True)
    by = me.DictField()


class Figures(Document):
    """What a period's stored figures are, a roll-up or a slice: written by compare-and-set on
    ``rev``, of the plan version ``model_version``; ``PACKED`` names the fields stored packed."""
    meta = {"abstract": True}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    period = me.StringField(required=True)
    model_version = me.IntField(required=True)
    rev = me.IntField(default=0)
    updated_at = me.StringField()

    PACKED = ()

    @staticmethod
    def key(*parts):
        return ":".join(parts)


class Rollup(Figures):
    """A period's roll-up (domain.rollup_figures): the goals, the municipalities, the plan and the
    regional indicators; the indicators and objectives are in the municipalities' slices.
    ``key(plan_id, period)``."""
    meta = {"db_alias": ALIAS, "collection": "progress", "indexes": ["plan_id"]}
    figures = me.DynamicField(required=True)   # packed; roll-ups written before hold a document (unpack reads both)
    briefs = me.BinaryField()   # packed {municipality: {"rev", "objectives"}}: its slices' objectives, in brief
    revs = me.BinaryField()     # packed {municipality: "rev" of its brief}: what a read compares, briefs unread

    PACKED = ("figures", "briefs", "revs")


class Slice(Figures):
    """One municipality's figures of a period (domain.slice_figures): its indicators and objectives,
    each a field of its own (packed) so a roll-up reads the objectives alone.
    ``key(plan_id, period, municipality)``."""
    meta = {"db_alias": ALIAS, "collection": "figure_slices", "indexes": [{"fields": ["plan_id", "period"]}]}
    municipality = me.StringField(required=True)
    indicators = me.BinaryField()
    objectives = me.BinaryField()
    brief = me.BinaryField()   # domain.brief of each objective: what a new roll-up reads

    PACKED = ("indicators", "objectives", "brief")


class Carry(Document):
    """Periods one approval changes (the rest of its year; every later year, where its cumulative
    readings count too), left to be figured with those of the approvals after it: under a stream of
    approvals one pass figures a region's periods for many, and a read of one of them figures that
    one first. Its own period too, which it figures at once: a read of it, in any process, waits."""
    meta = {"db_alias": ALIAS, "collection": "figures_carried", "indexes": ["plan_id"]}
    id = me.StringField(primary_key=True)   # plan|the approval event's id|part: a redelivery leaves no second
    plan_id = me.StringField(required=True)
    indicators = me.BinaryField()   # those figured again in each period, packed: read on every approval
    periods = PlainList()      # the period keys still to be figured
    at = me.FloatField(required=True)   # epoch seconds
    figuring = me.StringField()   # the period its approval figures itself (a read waits for it) ...
    until = me.FloatField()       # ... until then at most (epoch seconds): after a crash, anyone's

    PACKED = ("indicators",)


class CarryClaim(Document):
    """The worker figuring what carries left of a plan's period (``by``), until ``until`` (epoch
    seconds): one at a time, and after a crash any other once the claim has run out. ``id``: the
    plan and the period (``plan|period``)."""
    meta = {"db_alias": ALIAS, "collection": "figures_carried_claims"}
    id = me.StringField(primary_key=True)
    until = me.FloatField(default=0)
    by = me.StringField()


class Alert(Outboxed, Document):
    meta = {"db_alias": ALIAS, "collection": "alerts", "indexes": [{"fields": ["plan_id", "status"]},
                                                                   "outbox_pending"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    indicator = me.StringField(required=True)
    municipality = me.StringField()
    objective = me.StringField()
    status = me.StringField(required=True)  # "open" until the indicator recovers, then "closed"
    kind = me.StringField(default="below_threshold")  # or "overdue": no approved reading by the due date
    period = me.StringField()
    periods = me.ListField(me.StringField())  # overdue: the periods still missing
    realization = me.FloatField(null=True)
    threshold = me.FloatField()
    reason = me.StringField()
    opened_at = me.StringField()
    closed_at = me.StringField(null=True)

    FIELDS = ("id", "plan_id", "indicator", "municipality", "objective", "status", "kind", "period", "periods",
              "realization", "threshold", "reason", "opened_at", "closed_at")

    def as_dict(self):
        return {f: getattr(self, f) for f in self.FIELDS} | {"periods": list(self.periods)}


class Publication(Outboxed, Document):
    """A generated report, recorded so that ``report_published`` leaves through the outbox."""
    meta = {"db_alias": ALIAS, "collection": "publications", "indexes": ["plan_id", "outbox_pending"]}
    id = me.StringField(primary_key=True)
    plan_id = me.StringField(required=True)
    kind = me.StringField(required=True)
    period = me.StringField(required=True)
    format = me.StringField(required=True)
    municipality = me.StringField(null=True)
    at = me.StringField(required=True)


DOCUMENTS = (PlanModel, ModelIndex, Counted, Batch, Sheet, Approval, Rejection, Rollup, Slice, Carry, CarryClaim, Alert,
             Publication)
OUTBOXES = (Batch, Approval, Alert, Publication)
