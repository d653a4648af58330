"""What operations see of a service: Prometheus metrics and the request id on every log line.

``Observed`` is a nameko dependency provider on every service (shared.entrypoints.HealthCheck):
its worker hooks time and count every entrypoint (RPC methods, event handlers, timers) without a
line in any handler, and its ``start()`` serves the process's metrics on ``ORTAK_METRICS_PORT``.

The request id the gateway gave a request travels in the RPC's nameko context data
(``request_id``, sent as the ``nameko.request_id`` header) and in every event envelope the request
causes (``request_id``); a worker takes it from there, ``RequestIdFilter`` puts it on each of the
worker's log lines, and events the worker writes carry it on to their consumers.
"""
import contextvars
import hmac
import logging
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import ThreadingWSGIServer

from shared import config, memory, priority
from shared.errors import OrtakError, http_status

log = logging.getLogger(__name__)

CONTEXT_KEY = "request_id"       # nameko context data key, and the envelope's field
DEFAULT_PORT = 9464

# Buckets from a cache-speed read to a slow approval of a national plan.
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

EVENTS_HANDLED = Counter("ortak_events_handled_total", "Events handled, by type and handler",
                         ["service", "event_type", "handler"])
EVENTS_FAILED = Counter("ortak_events_failed_total", "Event handler runs that raised (the event is retried or "
                        "dead-lettered)", ["service", "event_type", "handler"])
EVENT_SECONDS = Histogram("ortak_event_handler_seconds", "Event handler latency",
                          ["service", "event_type", "handler"], buckets=SECONDS)
EVENTS_PUBLISHED = Counter("ortak_events_published_total", "Events the outbox relay published (broker-confirmed)",
                           ["service", "event_type"])
DEAD_LETTERED = Counter("ortak_events_dead_lettered_total", "Events this service sent to the dead-letter queue",
                        ["service", "event_type"])
RPC_CALLS = Counter("ortak_rpc_calls_total", "RPC calls answered, by outcome: ok, refused (a 4xx the caller "
                    "caused) or failed", ["service", "method", "outcome"])
RPC_SECONDS = Histogram("ortak_rpc_seconds", "RPC latency by method", ["service", "method"], buckets=SECONDS)
TIMER_FAILED = Counter("ortak_timer_failed_total", "Timer runs that raised (the outbox relay among them)",
                       ["service", "timer"])
OUTBOX_BACKLOG = Gauge("ortak_outbox_backlog", "Events waiting in the outbox when the relay last looked",
                       ["service"])

DEAD_LETTERS = "ortak_dead_letters"
METRICS = (EVENTS_HANDLED, EVENTS_FAILED, EVENT_SECONDS, EVENTS_PUBLISHED, DEAD_LETTERED, RPC_CALLS, RPC_SECONDS,
           TIMER_FAILED, OUTBOX_BACKLOG)
_SAMPLES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def series_names(metrics):
    """The series names a query may use of ``metrics``: a counter's ``_total``, a histogram's
    ``_bucket``, ``_sum`` and ``_count``, a gauge's own name."""
    families = [m.describe()[0] for m in metrics]
    return {f.name + suffix for f in families for suffix in _SAMPLES[f.type]}


def metric_names():
    """Every series name of the services' metrics (deploy/prometheus, deploy/grafana read them)."""
    return series_names(METRICS) | {DEAD_LETTERS}


# -- the request id of the running worker --------------------------------------------------------
# A context variable: each eventlet green thread (a greenlet) has its own context, so concurrent
# workers of one process never see each other's id.
_current = contextvars.ContextVar("ortak_request_id", default=None)


def request_id():
    """The request id of the worker running now, or None (a timer, or a call with none)."""
    return _current.get()


def request_id_of(entrypoint, args, context_data):
    """Where a worker's request id comes from: an event's envelope (the request that caused the
    event, whichever worker relayed it), else the caller's context data (RPC)."""
    if isinstance(entrypoint, EventHandler) and args and isinstance(args[0], dict):
        body = args[0]
        found = body.get(CONTEXT_KEY) or (body.get("actor") or {}).get(CONTEXT_KEY)
        if found:
            return str(found)
    found = (context_data or {}).get(CONTEXT_KEY)
    return str(found) if found else None


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (None outside a request): deploy/nameko.yml's JSON lines."""

    def filter(self, record):
        record.request_id = _current.get()
        return True


# -- what a worker was ---------------------------------------------------------------------------
def rpc_outcome(exc):
    """ok, refused (the caller's fault: a 4xx) or failed (ours: a 5xx or an unexpected error)."""
    if exc is None:
        return "ok"
    return "refused" if isinstance(exc, OrtakError) and http_status(exc) < 500 else "failed"


def kind_of(entrypoint):
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, Timer):
        return "timer"
    return None


QUIET = ("health",)   # asked every few seconds by the readiness probes: counted, not logged


def observe(service, entrypoint, seconds, exc):
    """Count and time one finished worker, and log it as one line (its request id on it): a request
    can be followed through every service it reached, successes included."""
    kind, name = kind_of(entrypoint), entrypoint.method_name
    if kind == "event":
        labels = (service, entrypoint.event_type, name)
        EVENT_SECONDS.labels(*labels).observe(seconds)
        (EVENTS_FAILED if exc is not None else EVENTS_HANDLED).labels(*labels).inc()
        outcome = "ok" if exc is None else "failed"
        extra = {"event_type": entrypoint.event_type}
    elif kind == "rpc":
        RPC_SECONDS.labels(service, name).observe(seconds)
        outcome = rpc_outcome(exc)
        RPC_CALLS.labels(service, name, outcome).inc()
        extra = {}
    else:
        if kind == "timer" and exc is not None:
            TIMER_FAILED.labels(service, name).inc()
        return
    log.log(logging.DEBUG if name in QUIET else logging.INFO, "%s %s.%s %s in %.1f ms", kind, service, name,
            outcome, seconds * 1000, extra={"entrypoint": f"{service}.{name}", "outcome": outcome,
                                            "ms": round(seconds * 1000, 1), **extra})


def published(service, event_type):
    EVENTS_PUBLISHED.labels(service, event_type).inc()


def dead_lettered(service, event_type):
    DEAD_LETTERED.labels(service, event_type).inc()


def outbox_backlog(service, pending):
    OUTBOX_BACKLOG.labels(service).set(pending)


# -- the dead-letter queue's depth, read from the broker when scraped -------------------------------
class DeadLetters:
    """``ortak_dead_letters``: messages waiting in ``ortak.dead-letters`` (shared by every service, so
    every process reports the same number; alerts take the max). Read from the broker at most once
    every ``every`` seconds; left out of a scrape when the broker does not answer."""

    HELP = "Events waiting in the dead-letter queue (every service's)"

    def __init__(self, amqp_uri, every=15.0):
        self.amqp_uri, self.every = amqp_uri, every
        self.read_at, self.depth = None, None
        self.lock = threading.Lock()

    def _read(self):
        import kombu

        from shared import deadletters
        with kombu.Connection(self.amqp_uri, connect_timeout=2) as connection:
            return deadletters.queue(connection.channel()).queue_declare(passive=True).message_count

    def describe(self):  # registering asks for names only: no broker call at start
        return [GaugeMetricFamily(DEAD_LETTERS, self.HELP)]

    def collect(self):
        with self.lock:
            if self.read_at is None or time.monotonic() - self.read_at >= self.every:
                self.read_at = time.monotonic()
                try:
                    self.depth = self._read()
                except Exception as exc:  # no queue yet, or no broker: no sample rather than a wrong one
                    log.debug("dead-letter depth unknown: %s", exc)
                    self.depth = None
        if self.depth is not None:
            family = GaugeMetricFamily(DEAD_LETTERS, self.HELP)
            family.add_metric([], self.depth)
            yield family


# -- the metrics endpoint --------------------------------------------------------------------------
def metrics_port():
    return int(config.env("ORTAK_METRICS_PORT", str(DEFAULT_PORT)))


def may_scrape(authorization, token):
    """With ORTAK_METRICS_TOKEN set, only ``Authorization: Bearer <token>`` reads the metrics."""
    if not token:
        return True
    return hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode())


def metrics_app(registry, token=None):
    serve = make_wsgi_app(registry)

    def app(environ, start_response):
        if not may_scrape(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"No such resource.\n"]
        return serve(environ, start_response)
    return app


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # a scrape every few seconds is not news
        pass


class Observed(DependencyProvider):
    """Times and counts every worker of its service, sets the worker's request id, and serves
    ``/metrics`` on ``ORTAK_METRICS_PORT`` (0: not served) from ``start()``."""

    def setup(self):
        self.started = {}
        self.server = None
        self.dead_letters = None

    def start(self):
        port = metrics_port()
        if not port:
            return
        host = config.env("HOST", "0.0.0.0")
        try:
            self.server = make_server(host, port, metrics_app(REGISTRY, config.secret("ORTAK_METRICS_TOKEN")),
                                      ThreadingWSGIServer, handler_class=_Quiet)
        except OSError as exc:  # another process has the port: the service runs all the same
            log.warning("metrics not served on %s:%s: %s", host, port, exc)
            return
        self.dead_letters = DeadLetters(self.container.config.get("AMQP_URI") or config.amqp_uri())
        REGISTRY.register(self.dead_letters)
        self.container.spawn_managed_thread(self.server.serve_forever, identifier="metrics")
        log.info("metrics on http://%s:%s/metrics", host, self.server.server_port)

    def _close(self):
        if self.dead_letters is not None:
            try:
                REGISTRY.unregister(self.dead_letters)
            except KeyError:
                pass
            self.dead_letters = None
        if self.server is not None:
            server, self.server = self.server, None
            try:
                server.shutdown()
                server.server_close()
            except Exception:  # stop() and kill() never raise
                log.exception("closing the metrics server")

    def stop(self):
        self._close()

    def kill(self):
        self._close()

    def worker_setup(self, worker_ctx):
        found = request_id_of(worker_ctx.entrypoint, worker_ctx.args, worker_ctx.data)
        if found:
            worker_ctx.data[CONTEXT_KEY] = found  # RPC calls the worker makes carry it on
        if isinstance(worker_ctx.entrypoint, Rpc):
            priority.answering()
        self.started[worker_ctx] = (time.perf_counter(), _current.set(found))
        memory.begin()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.get(worker_ctx)
        if started is not None:
            observe(self.container.service_name, worker_ctx.entrypoint, time.perf_counter() - started[0],
                    exc_info[1] if exc_info else None)

    def worker_teardown(self, worker_ctx):
        started = self.started.pop(worker_ctx, None)
        if started is not None:
            try:
                _current.reset(started[1])
            except ValueError:  # set in another context: leave it to that context's end
                pass
            priority.answered()
            memory.end()   # the last worker's end hands back what the work freed
