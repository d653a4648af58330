"""The MongoDB dependency provider: one mongoengine alias per service, connected in setup().

Subclasses say which alias and database they own and what small interface to inject
(``make_dependency``); no I/O happens in ``__init__``.
"""
import functools
import logging
import threading

import mongoengine
import pymongo
from mongoengine.errors import NotUniqueError
from mongoengine.queryset import QuerySet
from nameko.extensions import DependencyProvider

from shared import config, inbox, observability, outbox, ratelimit

log = logging.getLogger(__name__)
RELAYING = threading.Lock()  # green under `nameko run`, which patches threading before importing us


def connect(alias, database, uri=None):
    """Register ``alias`` with mongoengine; the client connects lazily on first use."""
    return mongoengine.connect(
        db=database,
        alias=alias,
        host=uri or config.mongodb_uri(),
        connect=False,
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=int(config.env("ORTAK_STORE_TIMEOUT_MS", "3000")),
        connectTimeoutMS=3000,
    )


def disconnect(alias):
    try:
        mongoengine.disconnect(alias)
    except Exception:  # stop() and kill() never raise
        log.exception("disconnecting %s", alias)


# Fields whose equality to one value may be written as ``$eq``: they never hold an array.
SINGLE = (mongoengine.StringField, mongoengine.IntField, mongoengine.FloatField, mongoengine.BooleanField)


@functools.cache
def single_fields(document):
    """The stored names of ``document``'s fields that hold one value (a string, number or flag)."""
    return frozenset(f.db_field for f in document._fields.values() if isinstance(f, SINGLE))


def indexable(document, query):
    """``query`` with each equality of a single-valued field of ``document`` written ``{"$eq": v}``.

    MongoDB answers both forms alike. The embedded store reads a bare ``field: value`` as "equal,
    or an array holding it", which no index can answer, so it read the whole collection (27 ms
    for a plan's readings among 20,000, 0.2 ms with ``$eq``). Fields that may hold arrays keep
    their meaning: they are left as they are."""
    single = single_fields(document)
    rewritten = {}
    for field, value in query.items():
        if field in ("$and", "$or", "$nor"):
            value = [indexable(document, branch) for branch in value]
        elif field != "_id" and field in single and isinstance(value, (str, int, float)):
            value = {"$eq": value}
        rewritten[field] = value
    return rewritten


class IndexedQuerySet(QuerySet):
    """mongoengine's queries, sent as ``indexable`` writes them."""

    @property
    def _query(self):
        fresh = self._mongo_query is None
        query = super()._query
        if fresh:
            self._mongo_query = query = indexable(self._document, query)
        return query


class Document(mongoengine.Document):
    """What every stored document of a service is: queried in the form the store's indexes answer."""
    meta = {"abstract": True, "queryset_class": IndexedQuerySet}


PING_SECONDS = 1.5   # under the gateway's readiness wait (3 s), so a store that is down is named as such


def ping(alias):
    with pymongo.timeout(PING_SECONDS):
        mongoengine.get_connection(alias).admin.command("ping")


class ServiceStore:
    """What every service's store offers: a ping, the inbox of its consumers, its outbox relay,
    rate-limit counters."""
    alias = None     # the service's mongoengine alias
    outboxes = ()    # its Documents that carry pending events

    def ping(self):
        ping(self.alias)

    def handle_once(self, consumer, body, effect):
        return inbox.handle_once(mongoengine.get_db(self.alias), consumer, body, effect)

    def hit(self, key, window_seconds):
        return ratelimit.hit(mongoengine.get_db(self.alias), key, window_seconds)

    def rate_count(self, key, window_seconds):
        return ratelimit.count(mongoengine.get_db(self.alias), key, window_seconds)

    def forget_old_windows(self, window_seconds):
        ratelimit.forget_old_windows(mongoengine.get_db(self.alias), window_seconds)

    def relay(self, dispatch, now=False, written=None):
        """Publish what the outboxes hold: a write's own events (``now``; ``written``, the docs it
        stored), or, on the timer's pass, everything."""
        # One relay at a time in a process: the timer and a write's own relay would otherwise both
        # publish the same pending events (harmless, consumers deduplicate, but twice the traffic).
        def publish(event_type, envelope):
            dispatch(event_type, envelope)
            observability.published(self.alias, event_type)

        with RELAYING:
            if not now:  # the timer's pass measures what waits; a write's own relay stays one query short
                observability.outbox_backlog(self.alias, outbox.backlog(self.outboxes))
            if now:   # ``written``: the docs a write just stored, the only ones it publishes
                outbox.relay_now(self.outboxes, publish, written=written)
            else:
                outbox.relay(self.outboxes, publish, after=self.relayed)

    def relayed(self, doc):
        """What the store does once the timer's pass cleared ``doc``'s outbox: nothing, unless it says."""


class MongoStore(DependencyProvider):
    alias = None      # e.g. "plan_registry"
    documents = ()    # Document classes whose indexes this service owns

    def setup(self):
        connect(self.alias, config.database_name(self.alias))

    def start(self):
        for document in self.documents:
            try:
                document.ensure_indexes()
            except Exception:
                # The store may be down at start; indexes are ensured again on the next start.
                log.exception("could not ensure indexes of %s", document.__name__)

    def stop(self):
        disconnect(self.alias)

    def kill(self):
        disconnect(self.alias)

    def get_dependency(self, worker_ctx):
        return self.make_dependency()

    def make_dependency(self):
        raise NotImplementedError


def keep_newest(document, key, order_field, value, **fields):
    """Create the document ``key``, or update it only if its ``order_field`` is below ``value``:
    a late or repeated event never moves a read model back."""
    if document.objects(id=key).first() is None:
        try:
            document(id=key, **{order_field: value}, **fields).save(force_insert=True)
            return
        except NotUniqueError:
            pass  # created meanwhile: fall through to the ordered update
    document.objects(id=key, **{f"{order_field}__lt": value}).update_one(
        **{f"set__{order_field}": value}, **{f"set__{k}": v for k, v in fields.items()})
