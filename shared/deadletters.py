"""Failed events are kept: bounded retries, then the dead-letter queue operations can replay.

nameko acks and drops an event whose handler raised (``requeue_on_error`` defaults to False, and
set to True it retries a poison event thousands of times a second). Ortak's handlers instead
republish a failed event to their own queue with an attempt count, after a short back-off; after
``ORTAK_EVENT_ATTEMPTS`` attempts (or at once for an event that can never succeed, such as an
envelope that does not validate) it goes to the durable queue ``ortak.dead-letters`` with the
queue it came from and the error. The copy is confirmed by the broker before the original is
acked, so a crash in between delivers it twice, never zero times (handlers are idempotent).
This works on classic and quorum queues alike and needs no broker policy.
"""
import time

import kombu

from shared import config
from shared.clock import now_iso

QUEUE = "ortak.dead-letters"
ATTEMPT = "x-ortak-attempt"
SOURCE = "x-ortak-queue"
ERROR = "x-ortak-error"
FAILED_AT = "x-ortak-failed-at"


def attempts_allowed():
    return int(config.env("ORTAK_EVENT_ATTEMPTS", "5"))


def backoff(attempt):
    """Seconds to wait before attempt ``attempt + 1``: 0.2, 0.4, 0.8 ... at most 5."""
    return min(0.2 * 2 ** (attempt - 1), 5.0)


def queue(channel=None):
    q = kombu.Queue(QUEUE, durable=True, auto_delete=False)
    return q(channel) if channel is not None else q


def publish(uri, body, routing_key, headers, content_type="application/json", content_encoding="utf-8"):
    """Publish ``body`` (already encoded) to the queue ``routing_key`` through the default exchange,
    persistent and confirmed by the broker."""
    with kombu.Connection(uri, connect_timeout=5, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        if routing_key == QUEUE:
            queue(channel).declare()
        kombu.Producer(channel).publish(
            body, exchange="", routing_key=routing_key, headers=headers, delivery_mode=2,
            content_type=content_type, content_encoding=content_encoding, retry=True,
            retry_policy={"max_retries": 3, "interval_start": 0.5})


OUTAGE_PAUSE = 2.0  # seconds between tries while the store is down


def on_failure(uri, message, source_queue, error, permanent=False, outage=False):
    """Retry ``message`` (a kombu message whose handler raised) or dead-letter it; the caller acks
    the original once this returns. During an ``outage`` it is retried without counting."""
    headers = dict(message.headers or {})
    attempt = int(headers.get(ATTEMPT, 1))
    if outage:
        time.sleep(OUTAGE_PAUSE)
        publish(uri, message.body, source_queue, headers, message.content_type, message.content_encoding)
        return "kept until the store answers"
    if not permanent and attempt < attempts_allowed():
        time.sleep(backoff(attempt))  # green under nameko: only this worker waits
        publish(uri, message.body, source_queue, {**headers, ATTEMPT: attempt + 1},
                message.content_type, message.content_encoding)
        return "retried"
    publish(uri, message.body, QUEUE, {**headers, ATTEMPT: attempt, SOURCE: source_queue,
                                       ERROR: error[:2000], FAILED_AT: now_iso()},
            message.content_type, message.content_encoding)
    return "dead-lettered"
