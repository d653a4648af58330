"""Entrypoints without a broker: each service's worker built by nameko's ``worker_factory``.

Only the store and the event dispatcher are stood in for (an RPC proxy to another service is the
mock worker_factory gives); schemas, access rules and domain run as they do in the service. The
registry's store is an in-memory one whose outbox the relay empties into the dispatcher, so a test
sees which events a write sent; the other stores are autospecs of the real ones (a call the real
store would not take fails), their inbox the real one over an in-memory collection.

No eventlet monkey-patching here: worker_factory only instantiates the class and sets its
dependencies, and nothing below waits on a green thread.
"""
import base64
import copy
import gzip
import json
from types import SimpleNamespace
from unittest.mock import ANY, call, create_autospec, patch

import pytest
from nameko.testing.services import worker_factory
from pymongo.errors import DuplicateKeyError

from ops.demo import korfez
from services.consultation.dependencies import Consultations
from services.consultation.service import ConsultationService
from services.monitoring import domain
from services.monitoring.service import APPROVAL_POLL, FIGURING_SECONDS
from services.plan_registry.service import PlanRegistry
from services.requests.dependencies import Requests
from services.requests import service as requests_module
from services.requests.service import RequestsService
from shared import events as ev
from shared import inbox
from shared.errors import Forbidden, InvalidInput, NotFound, RateLimited, StaleVersion

ADMIN = {"token_id": "tok_admin", "role": "admin", "municipality": None}
COORDINATOR = {"token_id": "tok_c", "role": "coordinator", "municipality": korfez.COORDINATOR}
EDREMIT = {"token_id": "tok_e", "role": "planner", "municipality": "edremit"}
VIEWER = {"token_id": "tok_v", "role": "viewer", "municipality": None}


class Dispatched(list):
    """The event dispatcher: what was dispatched, as (event type, envelope)."""

    def __call__(self, event_type, envelope):
        self.append((event_type, envelope))

    def types(self):
        return [event_type for event_type, _ in self]


class MemoryRegistry:
    """The registry's store interface in memory, as much of it as these entrypoints use."""

    def __init__(self):
        self.places, self.plans, self.tokens, self.outbox, self.windows = {}, {}, {}, [], {}

    def municipalities(self):
        return {mid: self.places[mid] for mid in sorted(self.places)}

    def municipality(self, mid):
        if mid not in self.places:
            raise NotFound(f"No municipality {mid!r}.")
        return self.places[mid]

    def put_municipality(self, mid, data, event):
        created = mid not in self.places
        self.places[mid] = {"id": mid, **copy.deepcopy(data)}
        self.outbox.append(event)
        return created

    def exists(self, plan_id):
        return plan_id in self.plans

    def latest(self, plan_id):
        if plan_id not in self.plans:
            raise NotFound(f"No plan {plan_id!r}.")
        return len(self.plans[plan_id]), copy.deepcopy(self.plans[plan_id][-1])

    def commit(self, plan_id, n, snapshot, kind, summary, author, events):
        versions = self.plans.setdefault(plan_id, [])
        if n != len(versions) + 1:
            raise StaleVersion(f"Plan {plan_id} changed meanwhile.")
        versions.append(copy.deepcopy(snapshot))
        self.outbox += events

    def provenance(self, plan_id):
        return []

    def issue_token(self, role, municipality, label, created_by):
        token = {"id": f"tok_{len(self.tokens) + 1}", "role": role, "municipality": municipality, "label": label}
        self.tokens[f"value-{token['id']}"] = token
        return f"value-{token['id']}", token

    def authenticate(self, value):
        token = self.tokens.get(value)
        return token and {"token_id": token["id"], "role": token["role"], "municipality": token["municipality"]}

    def hit(self, key, window_seconds):
        self.windows[key] = self.windows.get(key, 0) + 1
        return self.windows[key]

    def relay(self, dispatch, now=False, written=None):   # written's events are in the one outbox here
        while self.outbox:
            envelope = self.outbox.pop(0)
            dispatch(envelope["type"], envelope)


class MemoryCollection:
    def __init__(self):
        self.documents = {}

    def find_one(self, query, projection=None):
        return self.documents.get(query["_id"])

    def insert_one(self, document):
        if document["_id"] in self.documents:
            raise DuplicateKeyError("duplicate _id")
        self.documents[document["_id"]] = document


def with_inbox(store):
    """The store's handle_once as the real inbox does it, over an in-memory collection."""
    database = {inbox.COLLECTION: MemoryCollection()}
    store.handle_once.side_effect = lambda consumer, body, effect: inbox.handle_once(database, consumer, body, effect)
    return store


@pytest.fixture
def registry():
    worker = worker_factory(PlanRegistry, store=MemoryRegistry(), dispatch=Dispatched())
    for mid, body in korfez.MUNICIPALITIES.items():
        worker.put_municipality(ADMIN, mid, body)
    worker.dispatch.clear()
    return worker


def adopted_korfez(registry):
    """The Körfez plan created, framed, contributed and adopted through the registry's entrypoints."""
    registry.create_plan(COORDINATOR, copy.deepcopy(korfez.PLAN))
    registry.put_frame(COORDINATOR, korfez.PLAN_ID, copy.deepcopy(korfez.FRAME))
    for district, contribution in korfez.CONTRIBUTIONS.items():
        registry.put_contribution(COORDINATOR, korfez.PLAN_ID, district, copy.deepcopy(contribution))
    return registry.adopt(COORDINATOR, korfez.PLAN_ID, dict(korfez.ADOPTION))


# --- plan_registry -------------------------------------------------------------------------

def test_a_municipality_put_is_stored_and_announced_once_stored(registry):
    answer = registry.put_municipality(ADMIN, "korfez-birlik", {"name": "Körfez Birliği", "kind": "cooperation_body",
                                                                "locale": "tr", "calendar": "gregorian",
                                                                "members": ["edremit", "havran"]})
    assert answer["created"] and answer["municipality"]["members"] == ["edremit", "havran"]
    [(event_type, envelope)] = registry.dispatch
    assert event_type == ev.MUNICIPALITY_REGISTERED and envelope["payload"]["id"] == "korfez-birlik"
    assert envelope["municipality"] == "korfez-birlik" and envelope["actor"]["token_id"] == "tok_admin"


def test_a_municipality_outside_the_hierarchy_is_refused_and_nothing_is_sent(registry):
    with pytest.raises(InvalidInput) as refused:
        registry.put_municipality(ADMIN, "akcay", {"name": "Akçay", "kind": "district", "locale": "tr",
                                                   "calendar": "gregorian"})
    assert "parent" in refused.value.errors
    assert "akcay" not in registry.store.places and registry.dispatch == []


def test_tokens_are_issued_by_admins_only_and_for_a_role_its_municipality_fits(registry):
    with pytest.raises(Forbidden):
        registry.issue_token(COORDINATOR, {"role": "planner", "municipality": "edremit"})
    with pytest.raises(InvalidInput) as refused:
        registry.issue_token(ADMIN, {"role": "planner", "municipality": None})
    assert refused.value.errors == {"municipality": ["Required for this role."]}
    with pytest.raises(InvalidInput):
        registry.issue_token(ADMIN, {"role": "admin", "municipality": "edremit"})
    with pytest.raises(NotFound):
        registry.issue_token(ADMIN, {"role": "planner", "municipality": "atlantis"})
    assert registry.store.tokens == {} and registry.dispatch == []
    issued = registry.issue_token(ADMIN, {"role": "planner", "municipality": "edremit", "label": "Edremit office"})
    assert issued["role"] == "planner" and issued["municipality"] == "edremit" and issued["label"] == "Edremit office"
    assert registry.authenticate(issued["token"]) == {"token_id": issued["id"], "role": "planner",
                                                      "municipality": "edremit"}


def test_bad_tokens_are_counted_per_client_and_refused_over_the_limit(registry, monkeypatch):
    monkeypatch.setenv("ORTAK_TOKEN_FAILURE_LIMIT", "2")
    assert registry.authenticate("nope", client="10.0.0.1") is None
    assert registry.authenticate("x" * 201, client="10.0.0.1") is None   # not even looked up
    with pytest.raises(RateLimited):
        registry.authenticate("nope", client="10.0.0.1")
    assert registry.authenticate("nope", client="10.0.0.2") is None   # another client's count
    value = registry.issue_token(ADMIN, {"role": "viewer", "municipality": None})["token"]
    assert registry.authenticate(value, client="10.0.0.1")["role"] == "viewer"   # a valid token always passes


def test_a_plan_adopted_through_the_entrypoints_sends_each_fact_once(registry):
    answer = adopted_korfez(registry)
    assert answer == {"id": korfez.PLAN_ID, "status": "adopted", "version": 3 + len(korfez.CONTRIBUTIONS)}
    assert registry.dispatch.types() == [ev.PLAN_CREATED, ev.FRAME_CHANGED,
                                         *[ev.CONTRIBUTION_SUBMITTED] * len(korfez.CONTRIBUTIONS), ev.PLAN_ADOPTED]
    adopted = registry.dispatch[-1][1]
    assert adopted["plan_id"] == korfez.PLAN_ID and adopted["payload"]["version"] == answer["version"]
    assert adopted["payload"]["plan"]["locale"] == "tr" and adopted["payload"]["adoption"]["decision_no"] == "2024/512"


def test_refused_plan_writes_store_and_send_nothing(registry):
    with pytest.raises(Forbidden):
        registry.create_plan(EDREMIT, copy.deepcopy(korfez.PLAN))   # a planner creates no joint plan
    assert registry.store.plans == {} and registry.dispatch == []
    registry.create_plan(COORDINATOR, copy.deepcopy(korfez.PLAN))
    registry.dispatch.clear()
    with pytest.raises(StaleVersion):
        registry.put_frame(COORDINATOR, korfez.PLAN_ID, copy.deepcopy(korfez.FRAME), expected_version=7)
    with pytest.raises(Forbidden):
        registry.put_frame(EDREMIT, korfez.PLAN_ID, copy.deepcopy(korfez.FRAME))
    assert len(registry.store.plans[korfez.PLAN_ID]) == 1 and registry.dispatch == []


# --- consultation --------------------------------------------------------------------------

@pytest.fixture
def consultation():
    return worker_factory(ConsultationService, store=with_inbox(create_autospec(Consultations, instance=True)),
                          dispatch=Dispatched())


def test_the_registrys_adoption_updates_consultations_plan_once(registry, consultation):
    adopted_korfez(registry)
    _, envelope = registry.dispatch[-1]
    consultation.on_plan_adopted(copy.deepcopy(envelope))
    consultation.on_plan_adopted(copy.deepcopy(envelope))   # a redelivery
    consultation.store.keep_plan.assert_called_once_with(ANY, envelope["payload"]["version"])
    view = consultation.store.keep_plan.call_args.args[0]
    assert view["id"] == korfez.PLAN_ID and view["members"] == korfez.DISTRICTS and view["objectives"]


def open_consultation(consultation, registry):
    adopted_korfez(registry)
    consultation.on_plan_adopted(registry.dispatch[-1][1])
    consultation.store.plan.return_value = consultation.store.keep_plan.call_args.args[0]
    consultation.store.consultation.return_value = {
        "id": "c1", "plan_id": korfez.PLAN_ID, "title": "Burhaniye", "kind": "workshop", "themes": ["T1", "T2"],
        "sessions": [], "opens_at": "2024-06-12T07:00:00.000Z", "closes_at": "2999-01-01T00:00:00.000Z",
        "public": False, "audience": None, "location": "", "created_at": "2024-06-01T00:00:00.000Z"}


INPUT = {"stakeholder": {"name": "Edremit Kent Konseyi", "group": "ngo", "municipality": "edremit"},
         "kind": "request", "theme": "T1", "text": "Kıyıda gölgelik yok."}


def test_an_input_refused_stores_and_sends_nothing(registry, consultation):
    open_consultation(consultation, registry)
    with pytest.raises(Forbidden):
        consultation.submit_input(VIEWER, "c1", dict(INPUT))
    with pytest.raises(InvalidInput) as refused:
        consultation.submit_input(EDREMIT, "c1", {**INPUT, "theme": "T9"})
    assert "theme" in refused.value.errors
    consultation.store.add_input.assert_not_called()
    consultation.store.relay.assert_not_called()
    assert consultation.dispatch == []


def test_an_input_accepted_is_stored_with_its_event_and_relayed(registry, consultation):
    open_consultation(consultation, registry)
    consultation.store.add_input.return_value = ({"id": "i_1"}, True)
    assert consultation.submit_input(EDREMIT, "c1", dict(INPUT)) == {"id": "i_1", "created": True}
    stored, iid, data, _, submitted_by, events = consultation.store.add_input.call_args.args
    assert stored["id"] == "c1" and data["theme"] == "T1" and submitted_by == "tok_e"
    [envelope] = events
    assert envelope["type"] == ev.INPUT_SUBMITTED and envelope["plan_id"] == korfez.PLAN_ID
    assert envelope["payload"] == {"input_id": iid, "consultation_id": "c1", "kind": "request", "theme": "T1",
                                   "group": "ngo", "municipality": "edremit"}
    consultation.store.relay.assert_called_once_with(consultation.dispatch, now=True)


# --- requests ------------------------------------------------------------------------------

@pytest.fixture
def requests_service():
    requests_module.MUNICIPALITIES.clear()   # what another test's worker looked up
    requests_module.SERVICES.clear()
    requests_module.MEASURING.clear()
    worker = worker_factory(RequestsService, store=create_autospec(Requests, instance=True), dispatch=Dispatched())
    worker.registry.get_municipality.return_value = {"id": "edremit", **korfez.MUNICIPALITIES["edremit"]}
    worker.store.service.return_value = {"municipality": "edremit", "code": "CUKUR", "name": "Çukur", "public": False,
                                         "target_days": 7, "responsible_unit": "Fen İşleri"}
    return worker


FORM = {"service_code": "CUKUR", "description": "Yolda çukur", "lat": "39.59", "long": "27.02"}


def test_a_request_filed_by_others_than_staff_to_a_closed_service_is_refused(requests_service):
    with pytest.raises(Forbidden):
        requests_service.file_request({"token_id": "t", "role": "planner", "municipality": "havran"}, "edremit",
                                      dict(FORM))
    with pytest.raises(Forbidden):
        requests_service.file_request(None, "edremit", dict(FORM), client="10.0.0.1")
    requests_service.store.file.assert_not_called()
    requests_service.store.relay.assert_not_called()
    assert requests_service.dispatch == []


def test_a_request_filed_by_staff_is_stored_with_its_event_and_relayed_by_the_timer(requests_service):
    filed = type("Filed", (), {"id": "sr_1", "service_code": "CUKUR", "status": "open", "neighbourhood": "",
                               "filed_by": "staff", "requested_at": "2026-03-02T09:00:00.000Z",
                               "agency_responsible": "Fen İşleri"})()
    requests_service.store.file.return_value = (filed, True)
    answer = requests_service.file_request(EDREMIT, "edremit", dict(FORM))
    assert answer["service_request_id"] == "sr_1"
    rid, record, events = requests_service.store.file.call_args.args
    assert record["municipality"] == "edremit" and record["status"] == "open" and record["filed_by"] == "staff"
    [envelope] = events
    assert envelope["type"] == ev.SERVICE_REQUEST_FILED and envelope["municipality"] == "edremit"
    assert envelope["payload"]["request_id"] == rid and envelope["payload"]["expected_at"] > record["requested_at"]
    requests_service.store.relay.assert_not_called()   # the timer's next pass relays it, with the others
    requests_service.tick()
    requests_service.store.relay.assert_called_once_with(requests_service.dispatch)


def test_filing_remembers_the_municipality_and_service_briefly_and_a_changed_service_at_once(requests_service):
    filed = type("Filed", (), {"id": "sr_2"})()
    requests_service.store.file.return_value = (filed, True)
    for _ in range(3):
        requests_service.file_request(EDREMIT, "edremit", dict(FORM))
    assert requests_service.registry.get_municipality.call_count == 1
    assert requests_service.store.service.call_count == 1
    requests_service.put_service(EDREMIT, "edremit", "CUKUR", {"name": {"tr": "Çukur"}, "target_days": 3})
    requests_service.store.service.reset_mock()
    requests_service.file_request(EDREMIT, "edremit", dict(FORM))
    requests_service.store.service.assert_called_with("edremit", "CUKUR")     # read again after the change
    # a service that does not exist is not remembered: created, it is taken at once
    requests_service.store.service.return_value = None
    with pytest.raises(InvalidInput):
        requests_service.file_request(EDREMIT, "edremit", {**FORM, "service_code": "NEW"})
    requests_service.store.service.return_value = {"municipality": "edremit", "code": "NEW", "public": False,
                                                   "target_days": 7, "responsible_unit": "Fen İşleri"}
    assert requests_service.file_request(EDREMIT, "edremit", {**FORM, "service_code": "NEW"})["service_request_id"] \
        == "sr_2"


# --- monitoring ----------------------------------------------------------------------------

@pytest.fixture
def monitoring():
    from services.monitoring.dependencies import Monitoring
    from services.monitoring.service import MonitoringService
    from services.plan_registry import domain as registry_domain

    worker = worker_factory(MonitoringService, store=create_autospec(Monitoring, instance=True), dispatch=Dispatched())
    registry = worker_factory(PlanRegistry, store=MemoryRegistry(), dispatch=Dispatched())
    for mid, body in korfez.MUNICIPALITIES.items():
        registry.put_municipality(ADMIN, mid, body)
    adopted_korfez(registry)
    plan = registry.store.plans[korfez.PLAN_ID][-1]
    view = {**registry_domain.monitoring_view(plan), "version": 1}
    worker.store.models.return_value = [type("Model", (), {"view": view})()]
    worker.store.unapplied_batches.return_value = []
    return worker


def test_an_approval_figures_its_period_and_carries_the_rest_of_its_year_and_the_later_years_of_what_carries(
        monitoring):
    updated, figured = [], []
    monitoring._slices = lambda plan_id, models, periods, codes, **kwargs: figured.append(([p.key for p in periods],
                                                                                           codes)) or {}
    monitoring._rollups = lambda plan_id, models, periods, *rest: [p.key for p in periods]
    monitoring._figures_updated = lambda plan_id, keys: updated.append(keys)
    models = monitoring.store.models.return_value
    later = ["2027-H1", "2027-H2", "2027", "2028-H1", "2028-H2", "2028", "2029-H1", "2029-H2", "2029"]
    # PG1.3.1 is cumulative (and feeds the cumulative BG1); PG5.1.1 is measured against its own year
    monitoring._update(korfez.PLAN_ID, "2026-H1", {"PG5.1.1", "PG1.3.1"}, models, "evt_1")
    # its own period too, marked as figured by it: a read of it in another process waits for that
    monitoring.store.carry.assert_called_once_with(korfez.PLAN_ID, "evt_1", [
        ({"PG5.1.1", "PG1.3.1"}, ["2026-H1", "2026-H2", "2026"]), ({"PG1.3.1"}, later)],
        figuring="2026-H1", seconds=FIGURING_SECONDS, known=set())
    assert figured == [(["2026-H1"], {"PG5.1.1", "PG1.3.1"})]
    assert updated[-1] == ["2026-H1", "2026-H2", "2026", *later]
    monitoring.store.carry.reset_mock()
    # what carries left of the approved period is figured with it, and taken from them; another
    # municipality's waits (its own approval, a read or the timer figures it)
    indicators = domain.index(models[-1].view).indicator
    assert indicators["PG5.1.2"]["municipality"] == indicators["PG5.1.1"]["municipality"]
    other = next(c for c, i in indicators.items() if i["municipality"] != indicators["PG5.1.1"]["municipality"])
    left = SimpleNamespace(id="c1", indicators=["PG5.1.2"], periods=["2026-H1", "2026"])
    carries = [left, SimpleNamespace(id="c2", indicators=["PG1.1.1"], periods=["2026"]),
               SimpleNamespace(id="c3", indicators=["PG5.1.2", other], periods=["2026-H1"])]
    monitoring.store.carries.side_effect = lambda plan_id, fields=None, period=None: [
        c for c in carries if period in (None, *c.periods)]   # as the store selects them
    # (its own carry, kept as the approval answered, is among those read: the store writes nothing
    # then; else it is written and answered, and taken from with the others)
    own = SimpleNamespace(id="own", indicators=["PG5.1.1"], periods=["2026-H1", "2026-H2", "2026"])
    monitoring.store.carry.return_value = [own]
    monitoring._update(korfez.PLAN_ID, "2026-H1", {"PG5.1.1"}, models, "evt_2")
    monitoring.store.carry.assert_called_once_with(korfez.PLAN_ID, "evt_2", [
        ({"PG5.1.1"}, ["2026-H1", "2026-H2", "2026"]), (set(), [])], figuring="2026-H1", seconds=FIGURING_SECONDS,
        known={"c1"})
    assert figured[-1] == (["2026-H1"], {"PG5.1.1", "PG5.1.2"})
    monitoring.store.carried.assert_called_with([left, own], "2026-H1")
    assert updated[-1] == ["2026-H1", "2026-H2", "2026"]   # its own year only


def test_a_read_of_a_period_waits_for_an_approval_of_it_being_figured_in_its_process(monitoring):
    import eventlet
    order = []

    def figured(*args, **kwargs):
        eventlet.sleep(0.05)
        order.append("figured")
        return {}
    monitoring._slices, monitoring._rollups = figured, lambda *args: []
    monitoring.store.carries.return_value = []
    monitoring.store.rollup.return_value = None   # what the read finds does not matter here
    models = monitoring.store.models.return_value
    model = SimpleNamespace(plan_id=korfez.PLAN_ID, version=1, view=models[-1].view)
    approval = eventlet.spawn(monitoring._update, korfez.PLAN_ID, "2026-H1", {"PG5.1.1"}, models, "evt_1")
    eventlet.sleep(0)
    monitoring._stored(model, "2026-H2", None, True, None)   # another period: at once
    order.append("read 2026-H2")
    monitoring._stored(model, "2026-H1", None, True, None)
    order.append("read 2026-H1")
    approval.wait()
    assert order == ["read 2026-H2", "figured", "read 2026-H1"]


def test_a_read_of_a_period_waits_for_an_approval_of_it_being_figured_in_another_process(monitoring):
    """That approval's carry of its period says so (``figuring``, ``until``): the read waits until it
    goes, figuring nothing itself; past APPROVAL_WAIT, or once the mark has run out (a crash), the
    read no longer waits for it."""
    import time
    models = monitoring.store.models.return_value
    model = SimpleNamespace(plan_id=korfez.PLAN_ID, version=1, view=models[-1].view)
    mine = SimpleNamespace(id="c1", indicators=["PG5.1.1"], periods=["2026-H1", "2026"], at=time.time(),
                           figuring="2026-H1", until=time.time() + 60)
    looks = []

    def carries(plan_id, fields=None, period=None):
        looks.append(time.monotonic())
        return [mine] if len(looks) < 4 else []   # the other process is done at the fourth look
    monitoring.store.carries.side_effect = carries
    monitoring._carry = lambda *args, **kwargs: pytest.fail("figured by the read")
    started = time.monotonic()
    assert monitoring._carried(model, "2026-H1")
    assert len(looks) == 4 and looks[-1] - started >= 3 * APPROVAL_POLL
    # another period it carries to is anyone's to figure: the read figures it at once
    figured = []
    monitoring.store.carries.side_effect = lambda plan_id, fields=None, period=None: [mine] if not figured else []
    monitoring._carry = lambda plan_id, only=None: figured.append(only) or True
    assert monitoring._carried(model, "2026") and figured == ["2026"]
    # still figuring past the wait: the figures as stored, not figured again here
    monitoring.store.carries.side_effect = lambda plan_id, fields=None, period=None: [mine]
    monitoring._carry = lambda *args, **kwargs: pytest.fail("figured by the read")
    with patch("services.monitoring.service.APPROVAL_WAIT", 0.05):
        started = time.monotonic()
        assert monitoring._carried(model, "2026-H1")
        assert 0.05 <= time.monotonic() - started < 0.5
    # the mark run out (the approval's process died): the read figures it
    mine.until, figured[:] = time.time() - 1, []
    monitoring.store.carries.side_effect = lambda plan_id, fields=None, period=None: [mine] if not figured else []
    monitoring._carry = lambda plan_id, only=None: figured.append(only) or True
    assert monitoring._carried(model, "2026-H1") and figured == ["2026-H1"]


def test_a_carried_period_is_figured_with_its_twin_where_carries_left_it_too(monitoring):
    """A year and its second half are figured in one pass (figured alike, mostly): both claimed,
    both taken from their carries; the twin another worker is figuring is left to it."""
    figured = []
    monitoring._slices = lambda plan_id, models, periods, codes, **kwargs: figured.append(([p.key for p in periods],
                                                                                           codes)) or {}
    monitoring._rollups = lambda plan_id, models, periods, *rest: [p.key for p in periods]
    models = monitoring.store.models.return_value
    carries = [SimpleNamespace(id="c1", indicators=["PG1.3.1", "PG5.1.1"], periods=["2027-H2", "2027"]),
               SimpleNamespace(id="c2", indicators=["PG5.1.1"], periods=["2027"])]
    monitoring.store.carries.side_effect = lambda plan_id, fields=None, period=None: [
        c for c in carries if period in (None, *c.periods)]
    monitoring.store.claim_carry.return_value = True
    half = domain.period_of(models[-1].view, "2027-H2")
    assert monitoring._carry_period(korfez.PLAN_ID, models, half) == ["2027-H2", "2027"]
    assert figured == [(["2027-H2", "2027"], {"PG1.3.1", "PG5.1.1"})]
    assert monitoring.store.carried.call_args_list == [call([carries[0]], "2027-H2"), call(carries, "2027")]
    assert [c.args[0] for c in monitoring.store.release_carry.call_args_list] == [
        f"{korfez.PLAN_ID}|2027-H2", f"{korfez.PLAN_ID}|2027"]
    monitoring.store.reset_mock()
    # more left of the year than of its half (another municipality's approval): each on its own
    carries[1].indicators = ["PG1.1.1"]
    assert monitoring._carry_period(korfez.PLAN_ID, models, half) == ["2027-H2"]
    assert figured[-1] == (["2027-H2"], {"PG1.3.1", "PG5.1.1"})
    assert monitoring.store.carried.call_args_list == [call([carries[0]], "2027-H2")]
    monitoring.store.reset_mock()
    # the year held by another worker: the half alone, and only its own claim released
    carries[1].indicators = ["PG5.1.1"]
    monitoring.store.claim_carry.side_effect = lambda claim, by, seconds: not claim.endswith("|2027")
    assert monitoring._carry_period(korfez.PLAN_ID, models, half) == ["2027-H2"]
    assert figured[-1] == (["2027-H2"], {"PG1.3.1", "PG5.1.1"})
    assert monitoring.store.carried.call_args_list == [call([carries[0]], "2027-H2")]
    assert [c.args[0] for c in monitoring.store.release_carry.call_args_list] == [f"{korfez.PLAN_ID}|2027-H2"]
    # and asked for the year itself: nothing figured here
    assert monitoring._carry_period(korfez.PLAN_ID, models, domain.period_of(models[-1].view, "2027")) is None
    monitoring.store.reset_mock()
    # an approval's own carry of the half it figures (in another process) is left to that approval
    import time
    monitoring.store.claim_carry.side_effect = None
    carries.append(SimpleNamespace(id="c3", indicators=["PG1.1.1"], periods=["2027-H2"], figuring="2027-H2",
                                   until=time.time() + 60))
    assert monitoring._carry_period(korfez.PLAN_ID, models, half) == ["2027-H2", "2027"]
    assert figured[-1] == (["2027-H2", "2027"], {"PG1.3.1", "PG5.1.1"})
    assert monitoring.store.carried.call_args_list == [call([carries[0]], "2027-H2"), call(carries[:2], "2027")]


def test_a_recompute_takes_every_period_from_the_carries_read_before_it(monitoring):
    """A repair figures every period from the readings: what carries left is in it, and the timer
    does not figure it all again. The carries are read first, so one an approval leaves meanwhile
    stays."""
    done = []
    monitoring.store.carries.side_effect = lambda plan_id, **kwargs: done.append("carries") or carries
    monitoring._slices = lambda plan_id, models, periods, *rest, **kwargs: done.append("slices") or {}
    monitoring._rollups = lambda plan_id, models, periods, *rest: [p.key for p in periods]
    carries = [SimpleNamespace(id="c1", indicators=["PG1.3.1"], periods=["2026-H2", "2027"]),
               SimpleNamespace(id="c2", indicators=["PG5.1.1"], periods=["2026-H2"])]
    assert monitoring.recompute(korfez.PLAN_ID) == {"plan_id": korfez.PLAN_ID, "periods": 15}
    assert done == ["carries", "slices"]
    assert monitoring.store.carried.call_args_list == [call([carries[0], carries[1]], "2026-H2"),
                                                       call([carries[0]], "2027")]


def test_progress_goes_to_the_gateway_as_json_text_or_as_figures_where_json_has_no_plain_form(monitoring):
    figures = {"plan": {"realization": 50.0}, "indicators": []}

    def stored(models, key, *args, revision=None, **kwargs):
        revision.append("1.3.abc")
        return figures
    monitoring._progress = stored
    answer = monitoring.progress(None, korfez.PLAN_ID, "2026-H1", with_revision=True, encoded=True)
    assert json.loads(answer["encoded"]) == figures and answer["revision"] == "1.3.abc"
    # a big answer gzipped, as the gateway keeps and sends it; a small one as text
    answer = monitoring.progress(None, korfez.PLAN_ID, "2026-H1", with_revision=True, encoded=True, gzip_over=10)
    assert json.loads(gzip.decompress(base64.b64decode(answer["gzipped"]))) == figures
    assert gzip.decompress(base64.b64decode(answer["gzipped"])).endswith(b"}\n") and answer["revision"] == "1.3.abc"
    assert "encoded" in monitoring.progress(None, korfez.PLAN_ID, "2026-H1", with_revision=True, encoded=True,
                                            gzip_over=10_000)
    figures["plan"]["realization"] = {50.0}   # a set: no JSON form, so the gateway gets the figures to write
    answer = monitoring.progress(None, korfez.PLAN_ID, "2026-H1", with_revision=True, encoded=True)
    assert answer == {"progress": figures, "revision": "1.3.abc"}


def _pending(indicators, submitted_by):
    return [{"_id": f"r{n}", "indicator": code, "batch": "b1", "submitted_by": submitted_by}
            for n, code in enumerate(indicators)]


def test_four_eyes_refuses_an_approval_of_ones_own_readings_and_approves_nothing(monitoring):
    monitoring.store.pending.return_value = _pending(["PG5.1.1"], EDREMIT), None
    with pytest.raises(InvalidInput) as refused:
        monitoring.approve(EDREMIT, korfez.PLAN_ID, {"municipality": "edremit", "period": "2026-H1"})
    assert "indicators" in refused.value.errors
    monitoring.store.approve.assert_not_called()
    with pytest.raises(Forbidden):   # another district's planner speaks not for Edremit
        monitoring.approve({"token_id": "tok_a", "role": "planner", "municipality": "ayvalik"}, korfez.PLAN_ID,
                           {"municipality": "edremit", "period": "2026-H1"})
    monitoring.store.approve.assert_not_called()


def _approval(pending, applied):
    return SimpleNamespace(id="apr_1", readings=[r["_id"] for r in pending], municipality="edremit",
                           period="2026-H1", applied=applied)


def test_an_approval_by_a_second_pair_of_eyes_is_stored_with_its_event(monitoring):
    sheet = {"rev": 3, "readings": {}}   # as read to find the pending readings: the approval writes to it
    monitoring.store.pending.return_value = _pending(["PG5.1.2", "PG5.1.1"], EDREMIT), sheet
    monitoring.store.approve.return_value = _approval(monitoring.store.pending.return_value[0], 1)
    answer = monitoring.approve(COORDINATOR, korfez.PLAN_ID, {"municipality": "edremit", "period": "2026-H1"})
    assert answer == {"approved": 2, "municipality": "edremit", "period": "2026-H1", "approval": "apr_1",
                      "status": "applied"}
    plan_id, municipality, period, actor, events, pending = monitoring.store.approve.call_args.args
    assert monitoring.store.approve.call_args.kwargs == {"now": True, "sheet": sheet}
    [event] = events
    assert (event["type"], event["payload"]["indicators"], event["payload"]["count"]) == (
        ev.READINGS_APPROVED, ["PG5.1.1", "PG5.1.2"], 2)
    # what it leaves to figure is left as it answers (before its event goes), its own period marked:
    # a read of that period in any process from then on waits for its figures
    assert [c[0] for c in monitoring.store.method_calls if c[0] in ("carry", "relay")] == ["carry", "relay"]
    kept = monitoring.store.carry.call_args
    assert kept.args[:2] == (korfez.PLAN_ID, event["event_id"]) and kept.args[2][0] == (
        {"PG5.1.1", "PG5.1.2"}, ["2026-H1", "2026-H2", "2026"])
    assert kept.kwargs == {"figuring": "2026-H1", "seconds": FIGURING_SECONDS, "known": ()}
    # its own event relayed at once (the approval as stored, not a search of every outbox)
    monitoring.store.outbox_of.assert_called_once_with(monitoring.store.approve.return_value)
    monitoring.store.relay.assert_called_once_with(monitoring.dispatch, now=True,
                                                   written=[monitoring.store.outbox_of.return_value])


def test_a_big_approval_is_left_to_the_timer(monitoring):
    from services.monitoring.service import APPROVE_AT_ONCE
    pending = [{**r, "indicator": f"I{n}"} for n, r in enumerate(_pending(["x"] * (APPROVE_AT_ONCE + 1), EDREMIT))]
    monitoring.store.pending.return_value = pending, None
    monitoring.store.approve.return_value = _approval(pending, 0)
    answer = monitoring.approve(COORDINATOR, korfez.PLAN_ID, {"municipality": "edremit", "period": "2026-H1"})
    assert (answer["status"], answer["approved"]) == ("applying", APPROVE_AT_ONCE + 1)
    assert monitoring.store.approve.call_args.kwargs == {"now": False, "sheet": None}
    assert [r["_id"] for r in monitoring.store.approve.call_args.args[5]] == [r["_id"] for r in pending]
    monitoring.store.relay.assert_not_called()   # the event leaves with the applied approval
    monitoring.store.carry.assert_not_called()   # and its figures are waited for once it is applied


# --- requests: the service-quality consumer ------------------------------------------------

def test_a_plan_naming_a_figure_marks_its_half_years_due_from_their_end_and_a_filed_request_marks_its_own(
        requests_service, monkeypatch):
    from datetime import datetime, timezone

    from services.requests import service as requests_module
    monkeypatch.setattr(requests_module, "utcnow", lambda: datetime(2026, 1, 10, tzinfo=timezone.utc))
    with_inbox(requests_service.store)
    plan = {"id": "manisa-x", "status": "adopted", "calendar": "gregorian", "period": {"start": 2025, "end": 2029},
            "coordinator": "manisa", "members": ["yunusemre"], "coordinator_kind": "metropolitan", "objectives": [],
            "indicators": [{"code": "PGY.1", "municipality": "yunusemre", "data_source": "open311:received"}]}
    requests_service.on_plan_adopted(ev.envelope(ev.PLAN_ADOPTED, "plan_registry", {
        "version": 3, "status": "adopted", "plan": plan, "adoption": {}}, plan_id="manisa-x"))
    plan_id, version, view = requests_service.store.keep_quality_plan.call_args.args
    assert (plan_id, version, view["municipalities"]) == ("manisa-x", 3, ["yunusemre"])
    # the half-year under way too: submitted once it ends, even if none of its requests changes again
    assert [c.args for c in requests_service.store.mark_quality_due.call_args_list] == [
        ("yunusemre", "2025-H1", "2025-07-01"), ("yunusemre", "2025-H2", "2026-01-01"),
        ("yunusemre", "2026-H1", "2026-07-01")]
    requests_service.store.reset_mock()
    monkeypatch.setattr(requests_module, "now_iso", lambda: "2026-01-10T08:00:00.000Z")
    requests_service.store.quality_plans.return_value = [view]
    requests_service.store.services.return_value = [requests_service.store.service.return_value]
    requests_service.store.file.return_value = (type("Filed", (), {"id": "sr_1"})(), True)
    requests_service.import_requests({"role": "admin"}, "edremit", {"requests": [   # entered late, from the muhtar's book
        {"id": "b-1", "service_code": "CUKUR", "requested_datetime": "2025-12-30T09:00:00+00:00", "status": "assigned",
         "neighbourhood": "Merkez", "address_string": "1. Sokak", "filed_by": "muhtar"}]})
    marks = [("edremit", "2025-H2", "2026-01-01"), ("edremit", "2026-H1", "2026-07-01")]
    # the half-year it was received in and the one it was entered in: before its write and after it
    calls = [(name, args) for name, args, _ in requests_service.store.mock_calls if name in ("mark_quality_due", "file")]
    assert [(name, args if name == "mark_quality_due" else None) for name, args in calls] == [
        *(("mark_quality_due", m) for m in marks), ("file", None), *(("mark_quality_due", m) for m in marks)]
    requests_service.store.quality_plans.assert_called_once_with("edremit")
    requests_service.store.mark_quality_due.reset_mock()
    # a district no plan measures: nothing marked, and not asked again for a while
    requests_service.store.quality_plans.return_value = []
    requests_module.MEASURING.clear()
    requests_service.file_request(EDREMIT, "edremit", dict(FORM))
    requests_service.file_request(EDREMIT, "edremit", dict(FORM))
    requests_service.store.mark_quality_due.assert_not_called()
    assert requests_service.store.quality_plans.call_count == 2   # once more in all: remembered


def test_a_mark_stored_before_marks_said_when_they_are_due_waits_for_its_half_years_end(
        requests_service, monkeypatch):
    from datetime import datetime, timezone

    from services.requests import service as requests_module
    monkeypatch.setattr(requests_module, "utcnow", lambda: datetime(2026, 3, 10, tzinfo=timezone.utc))
    view = {"id": "manisa-x", "calendar": "gregorian", "period": {"start": 2025, "end": 2029},
            "indicators": [{"code": "PGY.1", "municipality": "yunusemre", "data_source": "open311:received"}],
            "municipalities": ["yunusemre"]}
    requests_service.store.quality_plans.return_value = [view]
    requests_service.store.quality_due.return_value = [
        {"_id": "yunusemre:2026-H1", "municipality": "yunusemre", "period": "2026-H1", "dirty": 1, "rev": 1,
         "submitted": {}}]
    requests_service.submit_quality_due()
    requests_service.store.mark_quality_due.assert_called_once_with("yunusemre", "2026-H1", "2026-07-01")
    requests_service.store.settle_quality_due.assert_not_called()   # still dirty: submitted once it ends
    requests_service.monitoring.submit_readings.assert_not_called()


def test_a_half_year_whose_figures_are_refused_is_tried_again_later_and_the_others_go_on(
        requests_service, monkeypatch):
    from datetime import datetime, timezone

    from services.requests import service as requests_module
    monkeypatch.setattr(requests_module, "utcnow", lambda: datetime(2026, 7, 10, 8, 0, tzinfo=timezone.utc))
    view = {"id": "manisa-x", "calendar": "gregorian", "period": {"start": 2025, "end": 2029},
            "indicators": [{"code": "PGY.1", "municipality": "yunusemre", "data_source": "open311:received"}],
            "municipalities": ["yunusemre"]}
    requests_service.store.quality_plans.return_value = [view]
    requests_service.store.timings.return_value = [
        {"service_code": "CUKUR", "requested_at": f"{day}T09:00:00.000Z", "closed_at": None, "neighbourhood": "Merkez"}
        for day in ("2025-10-01", "2026-03-01")]
    marks = [{"_id": f"yunusemre:{p}", "municipality": "yunusemre", "period": p, "dirty": 1, "rev": 1,
              "submitted": {}, "due_from": d} for p, d in (("2025-H2", "2026-01-01"), ("2026-H1", "2026-07-01"))]
    requests_service.store.quality_due.return_value = marks
    requests_service.monitoring.submit_readings.side_effect = [InvalidInput("refused", {}), {"accepted": 1}]
    requests_service.submit_quality_due()
    assert requests_service.store.quality_due.call_args.args == ("2026-07-10T08:00:00.000Z",)
    requests_service.store.retry_quality_due.assert_called_once_with(marks[0], "2026-07-10T08:05:00.000Z")
    [(settled, submitted)] = [c.args for c in requests_service.store.settle_quality_due.call_args_list]
    assert settled is marks[1] and submitted == {"manisa-x": {"PGY.1": 1}}


# --- programme -----------------------------------------------------------------------------

@pytest.fixture
def programme(monitoring):
    from services.programme.dependencies import Programme
    from services.programme.service import ProgrammeService

    worker = worker_factory(ProgrammeService, store=create_autospec(Programme, instance=True), dispatch=Dispatched())
    worker.store.plan.return_value = monitoring.store.models.return_value[-1].view   # the adopted Körfez plan
    return worker


PROJECT = {"code": "EDR-01", "title": "Sahil yolu", "objective": "H1.3", "municipality": "edremit",
           "responsible_unit": "Fen İşleri", "horizon": "short", "priority": 1, "start": "2026-01-01",
           "end": "2026-12-31"}


def test_a_project_of_another_municipality_is_refused_and_nothing_is_registered(programme):
    with pytest.raises(Forbidden):
        programme.register_project({"token_id": "tok_a", "role": "planner", "municipality": "ayvalik"},
                                   korfez.PLAN_ID, dict(PROJECT))
    with pytest.raises(InvalidInput) as refused:   # a milestone after the project's end
        programme.register_project(EDREMIT, korfez.PLAN_ID, {**PROJECT, "milestones": [
            {"code": "M1", "title": "Bitiş", "due": "2027-06-30"}]})
    assert any(path.startswith("milestones") for path in refused.value.errors)
    programme.store.register.assert_not_called()
    assert programme.dispatch == []


def test_a_project_registered_is_stored_with_its_event_under_the_id_it_was_given(programme):
    programme.store.keyed.return_value = None   # the key is new
    programme.store.register.side_effect = lambda plan_id, pid, data, fields, entry, events, keyed: (
        type("Project", (), {"as_dict": lambda self: {"id": pid, **data, **fields}, "history": [entry]})(), True)
    programme.register_project(EDREMIT, korfez.PLAN_ID, dict(PROJECT), "retry-key-1")
    plan_id, pid, data, fields, entry, events, keyed = programme.store.register.call_args.args
    assert keyed and pid.startswith("pj_") and data["code"] == "EDR-01" and fields["version"] == 1
    assert [(e["type"], e["payload"]["project_id"]) for e in events] == [(ev.PROJECT_REGISTERED, pid)]
    programme.store.relay.assert_called_once_with(programme.dispatch, now=True)
