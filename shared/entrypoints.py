"""nameko entrypoints as Ortak uses them.

``rpc`` marks our typed errors as expected, so a refused request is logged as a warning
instead of an error with a traceback, and turns a store outage into a 503. ``event_handler`` keeps a failed event instead of
dropping it: bounded retries, then the dead-letter queue (``shared/deadletters.py``).
"""
import logging
import traceback

from marshmallow import ValidationError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from nameko.rpc import Rpc
from pymongo.errors import ConnectionFailure

from shared import deadletters
from shared.errors import OrtakError, StoreUnavailable

log = logging.getLogger(__name__)


class OrtakRpc(Rpc):
    """An RPC entrypoint whose store outage reaches the caller as ``StoreUnavailable`` (503)."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], ConnectionFailure):
            exc = StoreUnavailable(f"The {self.container.service_name} store did not answer; nothing was "
                                   "written. Try again shortly.")
            exc_info = (StoreUnavailable, exc, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = OrtakRpc.decorator(expected_exceptions=(OrtakError, ConnectionFailure))


class ReliableEventHandler(EventHandler):
    """An event handler whose failures are retried a bounded number of times, then dead-lettered."""

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        # an envelope that does not validate will never be handled: straight to the dead letters;
        # a store outage is no fault of the event: it waits for the store, attempts not counted
        permanent = isinstance(exc_info[1], ValidationError)
        outage = isinstance(exc_info[1], ConnectionFailure)
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        try:
            outcome = deadletters.on_failure(self.container.config[AMQP_URI_CONFIG_KEY], message,
                                             self.queue.name, error, permanent, outage)
        except Exception:
            log.exception("could not keep failed event from %s; the broker redelivers it", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        log.warning("event from %s %s after: %s", self.queue.name, outcome, error)
        self.queue_consumer.ack_message(message)


event_handler = ReliableEventHandler.decorator


class HealthCheck:
    """``health`` for the gateway's /readyz and the container healthcheck: the service answers
    over the broker and its store answers a ping."""

    @rpc
    def health(self):
        self.store.ping()
        return {"service": self.name, "store": "ok"}
