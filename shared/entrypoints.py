"""nameko entrypoints as Ortak uses them.

``rpc`` marks our typed errors as expected, so a refused request is logged as one line at info
instead of an error with a traceback, and turns a store outage into a 503. ``event_handler`` keeps a failed event instead of
dropping it: bounded retries, then the dead-letter queue (``shared/deadletters.py``).
"""
import logging
import traceback

from marshmallow import ValidationError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from nameko.rpc import Rpc, RpcConsumer
from nameko.timer import timer
from pymongo.errors import ConnectionFailure

from shared import deadletters, memory, wire
from shared.observability import Observed, dead_lettered
from shared.errors import BROKER_GONE, OrtakError, StoreUnavailable, http_status

log = logging.getLogger(__name__)
wire.register()   # every service imports this module: its messages' JSON by orjson
memory.tune_collector()


class OrtakRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, except that a reply the broker cannot take any more does not stop the
    service: nameko lets that error out of the worker, which kills the whole container, so a broker
    restart while a request was being answered left the service dead. The caller's wait ends in its
    own timeout (a 503 whose outcome is unknown, retried safely with its idempotency key); the
    request, never acknowledged, is delivered again once the broker is back."""

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_GONE as exc:
            log.warning("reply to %s not sent, the broker is unreachable: %s",
                        message.delivery_info.get("routing_key"), exc)
            return result, exc_info


class OrtakRpc(Rpc):
    """An RPC entrypoint whose store outage reaches the caller as ``StoreUnavailable`` (503), and
    whose reply lost to a broker outage leaves the service running."""
    rpc_consumer = OrtakRpcConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], ConnectionFailure):
            exc = StoreUnavailable(f"The {self.container.service_name} store did not answer; nothing was "
                                   "written. Try again shortly.")
            exc_info = (StoreUnavailable, exc, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = OrtakRpc.decorator(expected_exceptions=(OrtakError, ConnectionFailure))


class ExpectedErrors(logging.Filter):
    """nameko logs every expected error as a warning with its traceback. A request refused with
    a 4xx is the service working as it should: one line at info. A store outage: one warning line."""

    def filter(self, record):
        if not str(record.msg).startswith("(expected)") or not record.exc_info:
            return True
        exc = record.exc_info[1]
        refused = isinstance(exc, OrtakError) and http_status(exc) < 500
        record.levelno, record.levelname = (logging.INFO, "INFO") if refused else (logging.WARNING, "WARNING")
        record.msg, record.args = "%s %s: %s", ("refused" if refused else "failed", record.args[0], exc)
        record.exc_info = record.exc_text = None
        return True


logging.getLogger("nameko.containers").addFilter(ExpectedErrors())


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
        if outcome == "dead-lettered":
            dead_lettered(self.container.service_name, self.event_type)
        log.warning("event from %s %s after: %s", self.queue.name, outcome, error)
        self.queue_consumer.ack_message(message)


event_handler = ReliableEventHandler.decorator


class HealthCheck:
    """What every service has: ``health`` for the gateway's /readyz and the container healthcheck
    (the service answers over the broker and its store answers a ping), and its metrics and
    request ids (shared.observability), counted for every entrypoint."""

    observed = Observed()

    @rpc
    def health(self):
        self.store.ping()
        return {"service": self.name, "store": "ok"}

    @timer(interval=5)
    def settle_memory(self):
        memory.settle()
