"""The event catalogue is the truth about events: it equals the handlers the services declare and
the queues ops.topology declares, every event name has an entry, payloads load through it, and
docs/events.md is what the catalogue says."""
import pytest
from marshmallow import ValidationError

from ops import events_doc, topology
from shared import catalogue
from shared import events as ev


def test_the_catalogue_equals_the_handlers_the_services_declare():
    declared = {(source, event_type, queue.split("--", 1)[1]) for queue, source, event_type in topology.consumers()}
    catalogued = {(e.producer, e.type, consumer) for e in catalogue.CATALOGUE.values() for consumer in e.consumers}
    assert declared == catalogued


def test_every_event_name_is_catalogued_once_with_its_producer():
    names = {value for key, value in vars(ev).items() if key.isupper() and isinstance(value, str) and key != "EXCLUDE"}
    assert names == set(catalogue.CATALOGUE)
    assert {e.producer for e in catalogue.CATALOGUE.values()} <= set(topology.config.SERVICES)
    assert {exchange.name for exchange in topology.exchanges()} == {
        ev.exchange_name(p) for p in catalogue.producers()}


def test_a_payload_loads_through_its_schema_and_a_wrong_one_is_refused():
    envelope = ev.envelope(ev.READINGS_APPROVED, "monitoring", {
        "municipality": "edremit", "period": "2026-H1", "count": 2, "indicators": ["PG5.1.1"], "extra": 1})
    assert catalogue.payload_of(envelope)["extra"] == 1            # a tolerant reader keeps what it does not know
    with pytest.raises(ValidationError):
        catalogue.payload_of({**envelope, "payload": {"municipality": "edremit"}})
    with pytest.raises(ValidationError):
        catalogue.payload_of({**envelope, "type": "plan_exploded"})
    renewal = ev.envelope(ev.PLAN_RENEWED, "plan_registry", {
        "version": 4, "status": "renewed", "revision": {"kind": "renewal", "renewed_by": "p-2030"},
        "plan": {"id": "p", "status": "renewed", "coordinator": "m", "members": []}})
    assert catalogue.payload_of(renewal)["revision"]["renewed_by"] == "p-2030"
    with pytest.raises(ValidationError):   # an update's adoption carries the indicators it is measured by
        catalogue.payload_of({**renewal, "type": ev.PLAN_REVISED})


def test_the_events_document_is_generated_from_the_catalogue():
    with open(events_doc.DOC, encoding="utf-8") as f:
        assert f.read() == events_doc.render(), "run: python -m ops.events_doc"
