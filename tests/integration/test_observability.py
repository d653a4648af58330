"""One request followed from the gateway through every service it touched, in their JSON log lines,
and every service's own /metrics naming its events (the real stack: broker, store, processes)."""
import glob
import json
import os
import uuid

import kombu
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from ops.demo import korfez
from ops.processes import wait_until
from shared import deadletters
from shared import events as ev
from shared.config import SERVICES

pytestmark = pytest.mark.stack

# adopting a plan: the registry's RPC, then its plan_adopted handled by every other service
TOUCHED_BY_ADOPTION = {
    "plan_registry": "plan_registry.adopt",
    "consultation": "consultation.on_plan_adopted",
    "monitoring": "monitoring.on_plan_adopted",
    "programme": "programme.on_plan_adopted",
    "requests": "requests.on_plan_adopted",
}


def log_lines(stack, service):
    """The JSON lines of every process of ``service`` (``monitoring.log``, ``monitoring.2.log`` ...)."""
    lines = []
    for path in glob.glob(os.path.join(os.path.dirname(stack.log_path(service)), f"{service}*.log")):
        if os.path.basename(path).split(".")[0] != service:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    found = json.loads(line)
                except ValueError:
                    continue  # what a process prints before its logging is set up
                if isinstance(found, dict):
                    lines.append(found)
    return lines


def entrypoints_logged(stack, service, request_id):
    return {line.get("entrypoint") for line in log_lines(stack, service) if line.get("request_id") == request_id}


def metrics(stack, process):
    text = requests.get(stack.metrics_url(process), timeout=5).text
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def test_a_request_id_is_followed_through_every_service_it_touched(stack, draft, coordinator):
    request_id = str(uuid.uuid4())
    response = coordinator.request("POST", f"/plans/{draft}/adopt", json=korfez.ADOPTION,
                                   headers={"X-Request-Id": request_id}, expect=200)
    assert response.headers["X-Request-Id"] == request_id

    def every_service_logged_it():
        return all(entrypoint in entrypoints_logged(stack, service, request_id)
                   for service, entrypoint in TOUCHED_BY_ADOPTION.items())
    try:
        wait_until(every_service_logged_it, 30, interval=0.25, what="the request id in every touched service's log")
    except TimeoutError:
        seen = {s: entrypoints_logged(stack, s, request_id) for s in TOUCHED_BY_ADOPTION}
        raise AssertionError(f"request {request_id} logged as: {seen}") from None
    gateway = [line["message"] for line in log_lines(stack, "gateway") if line.get("request_id") == request_id]
    assert any(f'"POST /api/v1/plans/{draft}/adopt' in message for message in gateway), gateway
    # a request that reached the registry alone is in no other service's lines
    read_id = str(uuid.uuid4())
    coordinator.request("GET", f"/plans/{draft}/versions", headers={"X-Request-Id": read_id}, expect=200)
    wait_until(lambda: entrypoints_logged(stack, "plan_registry", read_id), 10, interval=0.25,
               what="the read's request id in the registry's log")
    assert all(not entrypoints_logged(stack, service, read_id) for service in SERVICES if service != "plan_registry")


def test_every_service_process_serves_metrics_that_name_its_events(stack, adopted):
    """Every process, replicas included, on its own port; the events of an adoption by type, where
    they were published and where handled."""
    processes = stack.metrics_processes()
    assert {p.split(".")[0] for p in processes} == set(SERVICES)

    def handled(process, event_type):
        return any(name == "ortak_events_handled_total" and labels["event_type"] == event_type and value > 0
                   for name, labels, value in metrics(stack, process))

    def handled_anywhere(service, event_type):
        return any(handled(p, event_type) for p in processes if p.split(".")[0] == service)

    for service in ("consultation", "monitoring", "programme", "requests"):
        wait_until(lambda: handled_anywhere(service, ev.PLAN_ADOPTED), 20, what=f"{service} counts plan_adopted")

    for process in processes:
        samples = metrics(stack, process)
        service = process.split(".")[0]
        assert all(labels.get("service") == service for name, labels, _ in samples if name.startswith("ortak_")
                   and name != "ortak_dead_letters")
        wait_until(lambda: any(n == "ortak_outbox_backlog" for n, _, _ in metrics(stack, process)), 10,
                   what=f"{process}'s outbox backlog")
        wait_until(lambda: any(n == "ortak_dead_letters" for n, _, _ in metrics(stack, process)), 10,
                   what=f"{process}'s dead letters")

    for service in SERVICES:   # /readyz asked each service (one of its processes) for its health
        assert total(stack, service, "ortak_rpc_calls_total", method="health", outcome="ok") > 0, service
        assert total(stack, service, "ortak_rpc_seconds_count", method="health") > 0, service

    published = {labels["event_type"] for p in processes if p.split(".")[0] == "plan_registry"
                 for name, labels, value in metrics(stack, p) if name == "ortak_events_published_total"}
    assert {ev.PLAN_CREATED, ev.PLAN_ADOPTED} <= published


def total(stack, of, name, **labels):
    """``name`` summed over every process of service ``of`` where its labels include ``labels``."""
    return sum(value for process in stack.metrics_processes() if process.split(".")[0] == of
               for found, have, value in metrics(stack, process) if found == name and labels.items() <= have.items())


def take_dead_letter(amqp_uri, event_id):
    """Remove one dead letter (the others go back to the queue when the channel closes)."""
    with kombu.Connection(amqp_uri, connect_timeout=5) as connection:
        queue = deadletters.queue(connection.channel())
        while (message := queue.get(no_ack=False)) is not None:
            if json.loads(message.body).get("event_id") == event_id:
                message.ack()
                return True
    return False


def test_a_failing_event_is_counted_dead_lettered_and_logged_with_its_request_id(stack, draft, amqp_uri):
    """readings_approved of a plan monitoring has never seen fails every attempt and is dead-lettered:
    the failures, the dead letter and the queue's depth are on monitoring's /metrics, and every line
    about it carries the request id the envelope named."""
    request_id = str(uuid.uuid4())
    labels = {"service": "monitoring", "event_type": ev.READINGS_APPROVED}
    failed = total(stack, "monitoring", "ortak_events_failed_total", **labels)
    given_up = total(stack, "monitoring", "ortak_events_dead_lettered_total", **labels)
    event = {**ev.envelope(ev.READINGS_APPROVED, "monitoring", {
        "municipality": "edremit", "period": "2026-H1", "count": 1, "indicators": ["PG5.1.1"]},
        plan_id=draft, municipality="edremit"), "request_id": request_id}
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        kombu.Producer(connection.channel()).publish(
            json.dumps(event), exchange=kombu.Exchange(ev.exchange_name("monitoring"), type="topic", durable=True),
            routing_key=ev.READINGS_APPROVED, content_type="application/json", content_encoding="utf-8",
            delivery_mode=2)
    try:
        # (at least: an earlier test's event may fail meanwhile; the lines below are this event's alone)
        wait_until(lambda: total(stack, "monitoring", "ortak_events_dead_lettered_total", **labels) >= given_up + 1,
                   30, interval=0.5, what="the event dead-lettered on monitoring's /metrics")
        attempts = deadletters.attempts_allowed()
        assert total(stack, "monitoring", "ortak_events_failed_total", **labels) >= failed + attempts
        # the queue's depth, read from the broker at most every 15 s
        wait_until(lambda: total(stack, "monitoring", "ortak_dead_letters") >= 1, 30, interval=1,
                   what="the dead letter counted in the queue's depth")
        lines = [line for line in log_lines(stack, "monitoring") if line.get("request_id") == request_id]
        assert [line["outcome"] for line in lines if line.get("entrypoint") == "monitoring.on_readings_approved"] \
            == ["failed"] * attempts
        assert any("dead-lettered" in line["message"] for line in lines)
    finally:
        wait_until(lambda: take_dead_letter(amqp_uri, event["event_id"]), 30, interval=0.5,
                   what="the test's dead letter removed")
