"""Exactly-once effect over at-least-once delivery: an inbox keyed by (consumer, event_id).

The mark is written after the effect: a crash in between redelivers the event and the effect
runs again, so effects are written to be repeatable (upserts keyed by version or sequence);
a mark written first could lose the event.
"""
import logging

from pymongo.errors import DuplicateKeyError

from shared.clock import now_iso
from shared.catalogue import payload_of
from shared.events import EnvelopeSchema

log = logging.getLogger(__name__)
COLLECTION = "inbox"


def handle_once(database, consumer, body, effect):
    """Validate the envelope and its payload (the event catalogue's schema), run ``effect(envelope)``
    unless this consumer saw it before."""
    envelope = EnvelopeSchema().load(body)
    envelope["payload"] = payload_of(envelope)
    key = f"{consumer}:{envelope['event_id']}"
    inbox = database[COLLECTION]
    if inbox.find_one({"_id": key}, {"_id": 1}) is not None:
        log.info("event %s already handled by %s", envelope["event_id"], consumer)
        return False
    effect({**envelope, "event_id": str(envelope["event_id"])})
    try:
        inbox.insert_one({"_id": key, "type": envelope["type"], "at": now_iso()})
    except DuplicateKeyError:
        pass  # a concurrent redelivery finished first; the effect is repeatable
    return True
