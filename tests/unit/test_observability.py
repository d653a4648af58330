"""Every service's metrics and request ids (shared/observability.py), without a broker: the worker
hooks nameko calls around each entrypoint, the log filter, the metrics endpoint, and the gateway's
pool sending the request id as nameko context data."""
import importlib
import logging
import threading
from types import SimpleNamespace

import eventlet
import pytest
import requests
from nameko.containers import WorkerContext
from nameko.events import EventHandler
from nameko.messaging import HeaderEncoder
from nameko.rpc import Rpc
from nameko.timer import Timer
from prometheus_client import REGISTRY

from ops.processes import free_port
from services.gateway.rpc import FailFastRpcProxy, RpcPool
from shared import events as ev
from shared import observability as obs
from shared.config import SERVICES
from shared.errors import Forbidden, StoreUnavailable


def entrypoint(cls, method_name, *args):
    found = cls(*args)
    found.method_name = method_name
    return found


def container(name="monitoring"):
    return SimpleNamespace(service_name=name, config={}, spawn_managed_thread=spawn)


def spawn(fn, identifier=None):
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


def observed(name="monitoring"):
    provider = obs.Observed()
    provider.container = container(name)
    provider.setup()
    return provider


def run_worker(provider, entry, args=(), data=None, exc=None, inside=lambda: None):
    """What nameko's container does around a worker: setup, the method, result, teardown."""
    ctx = WorkerContext(provider.container, None, entry, args=args, data=data)
    provider.worker_setup(ctx)
    seen = (obs.request_id(), inside())
    provider.worker_result(ctx, None, (type(exc), exc, None) if exc else None)
    provider.worker_teardown(ctx)
    return ctx, seen


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


# -- where a worker's request id comes from -----------------------------------------------------------
def test_an_event_carries_its_request_id_in_the_envelope_else_in_its_actor():
    handler = entrypoint(EventHandler, "on_plan_adopted", "plan_registry", ev.PLAN_ADOPTED)
    assert obs.request_id_of(handler, ({"request_id": "req-env-1", "actor": {"request_id": "old"}},),
                             {"request_id": "relayer"}) == "req-env-1"
    assert obs.request_id_of(handler, ({"request_id": None, "actor": {"request_id": "req-actor"}},), {}) == \
        "req-actor"
    # an event written before envelopes named it, relayed by some request's worker: that worker's header
    assert obs.request_id_of(handler, ({"actor": None},), {"request_id": "relayer"}) == "relayer"


def test_an_rpc_call_carries_it_in_its_context_data_and_a_timer_has_none():
    assert obs.request_id_of(entrypoint(Rpc, "submit_readings"), ({"request_id": "not-this"},),
                             {"request_id": "req-rpc"}) == "req-rpc"
    assert obs.request_id_of(entrypoint(Timer, "tick", 1), (), {"call_id_stack": ["x"]}) is None


def test_an_envelope_written_in_a_worker_carries_the_workers_request_id():
    provider = observed()
    handler = entrypoint(EventHandler, "on_readings_approved", "monitoring", ev.READINGS_APPROVED)
    _, (_, event) = run_worker(provider, handler, ({"request_id": "req-chain", "actor": None},),
                               inside=lambda: ev.envelope(ev.FIGURES_UPDATED, "monitoring", {"periods": []}))
    assert event["request_id"] == "req-chain"
    assert ev.EnvelopeSchema().load(event)["request_id"] == "req-chain"
    # outside a worker: the actor's, as the gateway gave it
    assert ev.envelope(ev.PLAN_CREATED, "plan_registry", {}, actor={"request_id": "req-actor"})["request_id"] == \
        "req-actor"
    assert ev.envelope(ev.PLAN_CREATED, "plan_registry", {})["request_id"] is None


def test_a_worker_passes_its_request_id_on_to_the_calls_it_makes_and_forgets_it_after():
    provider = observed()
    ctx, (during, _) = run_worker(provider, entrypoint(EventHandler, "on_plan_adopted", "plan_registry",
                                                       ev.PLAN_ADOPTED), ({"request_id": "req-on"},))
    assert during == "req-on"
    assert HeaderEncoder().get_message_headers(ctx)["nameko.request_id"] == "req-on"
    assert obs.request_id() is None and provider.started == {}


def test_concurrent_workers_of_one_process_each_log_their_own_request_id():
    provider = observed()
    handler = entrypoint(Rpc, "list_readings")
    records = []
    log_filter = obs.RequestIdFilter()

    def worker(rid):
        def inside():
            eventlet.sleep(0.01)  # the other worker runs meanwhile
            record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
            log_filter.filter(record)
            records.append((rid, record.request_id))
        run_worker(provider, handler, data={"request_id": rid}, inside=inside)

    pool = [eventlet.spawn(worker, f"req-{n}") for n in range(5)]
    for green in pool:
        green.wait()
    assert sorted(records) == [(f"req-{n}", f"req-{n}") for n in range(5)]


# -- what is counted ------------------------------------------------------------------------------
def test_events_are_counted_and_timed_by_type_and_a_failure_apart():
    provider = observed("consultation")
    handler = entrypoint(EventHandler, "on_plan_adopted", "plan_registry", ev.PLAN_ADOPTED)
    labels = {"service": "consultation", "event_type": ev.PLAN_ADOPTED, "handler": "on_plan_adopted"}
    handled, failed = sample("ortak_events_handled_total", **labels), sample("ortak_events_failed_total", **labels)
    timed = sample("ortak_event_handler_seconds_count", **labels)
    run_worker(provider, handler, ({},))
    run_worker(provider, handler, ({},), exc=ValueError("broken"))
    assert sample("ortak_events_handled_total", **labels) == handled + 1
    assert sample("ortak_events_failed_total", **labels) == failed + 1
    assert sample("ortak_event_handler_seconds_count", **labels) == timed + 2


@pytest.mark.parametrize("exc, outcome", [(None, "ok"), (Forbidden("no"), "refused"),
                                          (StoreUnavailable("down"), "failed"), (KeyError("bug"), "failed")])
def test_rpc_calls_are_timed_by_method_and_counted_by_outcome(exc, outcome):
    provider = observed("plan_registry")
    labels = {"service": "plan_registry", "method": "adopt"}
    calls = sample("ortak_rpc_calls_total", **labels, outcome=outcome)
    timed = sample("ortak_rpc_seconds_count", **labels)
    run_worker(provider, entrypoint(Rpc, "adopt"), exc=exc)
    assert sample("ortak_rpc_calls_total", **labels, outcome=outcome) == calls + 1
    assert sample("ortak_rpc_seconds_count", **labels) == timed + 1


def test_each_rpc_and_event_is_one_log_line_with_its_request_id(caplog):
    provider = observed("programme")
    caplog.handler.addFilter(obs.RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="shared.observability"):
        run_worker(provider, entrypoint(Rpc, "register_project"), data={"request_id": "req-log"})
        run_worker(provider, entrypoint(Timer, "tick", 1))
        run_worker(provider, entrypoint(Rpc, "health"), data={"request_id": "req-probe"})
    lines = [(r.getMessage(), r.request_id) for r in caplog.records]
    assert len(lines) == 1, lines   # a timer and a readiness probe are counted, not logged
    assert lines[0][0].startswith("rpc programme.register_project ok in ") and lines[0][1] == "req-log"


def test_a_failing_timer_is_counted():
    provider = observed("requests")
    before = sample("ortak_timer_failed_total", service="requests", timer="tick")
    run_worker(provider, entrypoint(Timer, "tick", 1), exc=RuntimeError("relay failed"))
    assert sample("ortak_timer_failed_total", service="requests", timer="tick") == before + 1


def test_the_names_queries_may_use_are_the_series_prometheus_reads():
    names = obs.metric_names()
    assert {"ortak_events_handled_total", "ortak_rpc_seconds_bucket", "ortak_rpc_seconds_count",
            "ortak_outbox_backlog", "ortak_dead_letters"} <= names
    assert "ortak_events_handled" not in names and "ortak_rpc_seconds" not in names


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_is_observed(name):
    module, _, cls = SERVICES[name].partition(":")
    service = getattr(importlib.import_module(module), cls)
    assert isinstance(service.observed, obs.Observed)


# -- the endpoint ---------------------------------------------------------------------------------
class DeadLettersAt(obs.DeadLetters):
    def __init__(self, depths):
        super().__init__("amqp://unused", every=0)
        self.depths = iter(depths)

    def _read(self):
        depth = next(self.depths)
        if isinstance(depth, Exception):
            raise depth
        return depth


def test_the_dead_letter_depth_is_read_when_scraped_and_left_out_when_unknown():
    gauge = DeadLettersAt([3, ConnectionRefusedError(111)])
    assert [(s.name, s.value) for f in gauge.collect() for s in f.samples] == [("ortak_dead_letters", 3)]
    assert list(gauge.collect()) == []


def test_a_service_serves_its_metrics_on_its_port_and_stops_serving(monkeypatch):
    port = free_port()
    monkeypatch.setenv("ORTAK_METRICS_PORT", str(port))
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("ORTAK_METRICS_TOKEN", "scrape-me")
    monkeypatch.setattr(obs.DeadLetters, "_read", lambda self: 0)
    provider = observed("monitoring")
    provider.start()
    try:
        obs.outbox_backlog("monitoring", 4)
        url = f"http://127.0.0.1:{port}/metrics"
        assert requests.get(url, timeout=5).status_code == 404
        text = requests.get(url, headers={"Authorization": "Bearer scrape-me"}, timeout=5).text
        assert 'ortak_outbox_backlog{service="monitoring"} 4.0' in text
        assert "ortak_dead_letters 0.0" in text
    finally:
        provider.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_port_zero_serves_nothing(monkeypatch):
    monkeypatch.setenv("ORTAK_METRICS_PORT", "0")
    provider = observed()
    provider.start()
    assert provider.server is None
    provider.stop()


# -- the gateway's side ---------------------------------------------------------------------------
def test_the_gateway_pool_sends_the_request_id_as_nameko_context_data_for_that_call_only():
    proxy = FailFastRpcProxy({"AMQP_URI": "amqp://127.0.0.1:1//"}, timeout=1)
    sent = []

    class Service:
        def __getattr__(self, name):
            return self

        def __call__(self, *args, **kwargs):
            sent.append(HeaderEncoder().get_message_headers(proxy._worker_ctx))
            return "answer"

    current = iter(["req-one", None])
    pool = RpcPool(nameko_config={"AMQP_URI": "amqp://127.0.0.1:1//"}, timeout=1, request_id=lambda: next(current))
    pool.idle.put_nowait((proxy, Service()))
    assert pool.call("monitoring", "list_readings", None, "plan") == "answer"
    assert pool.call("monitoring", "list_readings", None, "plan") == "answer"
    assert sent[0]["nameko.request_id"] == "req-one"
    assert "nameko.request_id" not in sent[1]   # the next request on the same proxy has its own (or none)
