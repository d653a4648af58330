"""The transactional outbox: events stored in the same document as the state they describe.

A service's outboxed Documents mix in ``Outboxed``; the service relays pending events right after
a write and on a timer, and removes them once the broker confirmed them. Publishing twice (a
crash after the publish, before the removal) is harmless: consumers deduplicate by event_id.
"""
import logging

import mongoengine as me
from pymongo import UpdateOne

from shared import failpoints
from shared.fields import PlainList

log = logging.getLogger(__name__)


class Outboxed:
    """Pending events (full envelopes) and a revision counter for compare-and-set.

    A counter, not a flag: the embedded store reads a boolean written by ``$set`` back as 1.
    """
    outbox = PlainList()   # envelopes: plain JSON, and a plan's events hold its whole view
    outbox_pending = me.IntField(default=0)
    rev = me.IntField(default=0)


PAGE = 100    # pending documents read at a time
PAGES = 50    # at most this many pages a pass: the next pass goes on


def pending(document, limit=PAGE, whole=True):
    """Documents with events to publish; of each only its events unless ``whole`` (a write's own
    relay reads no batch's thousands of readings for them)."""
    query = document.objects(outbox_pending__gt=0)
    return list((query if whole else query.only("outbox", "outbox_pending", "rev")).limit(limit))


def backlog(documents):
    """Events waiting to be relayed, over every outboxed Document of a service."""
    return sum(doc.get("outbox_pending") or 0 for document in documents
               for doc in document._get_collection().find({"outbox_pending": {"$gt": 0}}, {"outbox_pending": 1}))


def clear_published(docs):
    """Clear the events just published from ``docs`` (one write for each kind of document), each
    unless it changed since it was read (its events are then published again by the timer:
    consumers deduplicate). The revision is not moved: it is the one a caller's next change
    compares, and the relay of a write runs while that change may be on its way (right after the
    write's answer)."""
    kinds = {}
    for doc in docs:
        kinds.setdefault(type(doc), []).append(
            UpdateOne({"_id": doc.pk, "rev": doc.rev}, {"$set": {"outbox": [], "outbox_pending": 0}}))
    for document, updates in kinds.items():
        document._get_collection().bulk_write(updates, ordered=False)


def relay(documents, dispatch, after=None, written=None, pages=PAGES):
    """Publish the pending events of ``documents``, up to ``pages`` pages of each (or of the
    ``written`` docs only: a write's own events, without looking for others); ``after(doc)`` runs
    once a doc is cleared."""
    if written is not None:
        _publish(written, dispatch, after)
        return
    for document in documents:
        for _ in range(pages):
            page = pending(document, whole=after is not None)
            _publish(page, dispatch, after)
            if len(page) < PAGE:
                break


def _publish(docs, dispatch, after):
    for doc in docs:
        for envelope in doc.outbox:
            dispatch(envelope["type"], envelope)
    clear_published(docs)
    if after:
        for doc in docs:
            after(doc)


def relay_now(documents, dispatch, after=None, written=None):
    """Right after a commit; a failure here is repaired by the timer, never lost."""
    failpoints.reach("outbox.before_relay")  # the fault suite's crash between write and publish
    try:
        relay(documents, dispatch, after, written, pages=1)   # one page: the caller waits for its answer
    except Exception:
        log.warning("event relay deferred to the timer", exc_info=True)
