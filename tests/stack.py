"""The whole system running as real processes against the real broker and the embedded store:
one stack per test session, shared by the integration and fault suites (tests/conftest.py)."""
import copy
import json
import queue
import secrets
import threading

import kombu
import pytest

from ops.client import Client, token_maker
from ops.demo import korfez
from ops.processes import wait_until
from ops.stack import Stack
from shared.calendars import plan_periods
from shared.events import exchange_name
from tests.conftest import free_port

ADMIN_TOKEN = "ortak_test_admin_" + secrets.token_urlsafe(16)
# how long a read model may take to catch up with an event: generous, since the whole system and the
# browser share two cores under the suite (tests check what arrives, not how fast; bench/ measures that)
CATCH_UP = 60


def until_monitoring_has(client, plan_id, period="2026"):
    """Wait until monitoring has the adopted plan's read model (it answers its progress)."""
    wait_until(lambda: client.request("GET", f"/plans/{plan_id}/progress?period={period}").status_code == 200,
               CATCH_UP, what=f"monitoring knows the adopted plan {plan_id}")


@pytest.fixture(scope="session")
def stack(store_uri, amqp_uri, run_id, tmp_path_factory):
    system = Stack(str(tmp_path_factory.mktemp("stack")), port=free_port(), amqp_uri=amqp_uri,
                   mongodb_uri=store_uri, db_prefix=f"ortak_{run_id}", admin_token=ADMIN_TOKEN,
                   # tests speak for several clients through X-Forwarded-For, as a reverse proxy would
                   # and the service-quality figures due are submitted every second, not every half minute
                   env={"ORTAK_TRUSTED_PROXIES": "1", "ORTAK_QUALITY_SECONDS": "1"},
                   log=lambda *_: None).start()
    yield system
    system.stop()


@pytest.fixture(scope="session")
def admin(stack):
    return Client(stack.url, ADMIN_TOKEN)


@pytest.fixture(scope="session")
def public(stack):
    return Client(stack.url)


@pytest.fixture(scope="session")
def region(admin):
    """Balıkesir and the five Körfez districts, registered once."""
    for mid, body in korfez.MUNICIPALITIES.items():
        admin.put(f"/municipalities/{mid}", body)
    return korfez


@pytest.fixture(scope="session")
def token_for(stack, admin):
    return token_maker(stack.url, admin)


@pytest.fixture(scope="session")
def person_for(stack, admin):
    """A client logged in as a person of a role (and municipality), created by ``admin`` the first time:
    it carries the session cookie, no token."""
    made = {}

    def make(role, municipality=None):
        key = (role, municipality)
        if key not in made:
            username = f"{role}.{municipality or 'all'}.{secrets.token_hex(3)}"
            password = "Körfez " + secrets.token_urlsafe(12)
            admin.post("/users", {"username": username, "display_name": f"Demo {role}", "role": role,
                                  "municipality": municipality, "password": password}, expect=201)
            made[key] = login(stack.url, username, password)
        return made[key]

    return make


def login(url, username, password):
    client = Client(url)
    client.post("/sessions", {"username": username, "password": password}, expect=201)
    assert client.session.cookies.get("ortak_session"), "the session cookie was set"
    return client


@pytest.fixture
def coordinator(region, token_for):
    return token_for("coordinator", korfez.COORDINATOR)


def new_plan_id():
    return "korfez-" + secrets.token_hex(4)


@pytest.fixture
def draft(region, coordinator):
    """A fresh Körfez plan with its frame and every contribution, not yet adopted."""
    plan_id = new_plan_id()
    coordinator.post("/plans", {**copy.deepcopy(korfez.PLAN), "id": plan_id}, expect=201)
    coordinator.put(f"/plans/{plan_id}/frame", korfez.FRAME)
    for district, contribution in korfez.CONTRIBUTIONS.items():
        coordinator.put(f"/plans/{plan_id}/contributions/{district}", contribution)
    return plan_id


@pytest.fixture
def adopted(draft, coordinator):
    """The draft adopted, once monitoring has stored the figures of its every period (a test that
    compares ETags sees no write of the adoption's after its own)."""
    coordinator.post(f"/plans/{draft}/adopt", korfez.ADOPTION)
    until_monitoring_has(coordinator, draft)
    periods = plan_periods(korfez.PLAN["calendar"], korfez.PLAN["period"]["start"], korfez.PLAN["period"]["end"])
    wait_until(lambda: all("ETag" in coordinator.request("GET", f"/plans/{draft}/progress?period={p.key}").headers
                           for p in periods), CATCH_UP, what=f"the figures of plan {draft} stored")
    return draft


class EventListener:
    """Binds a private queue to a service's event exchange, as any outside listener would."""

    def __init__(self, amqp_uri, service, routing_keys):
        self.events = queue.Queue()
        self.connection = kombu.Connection(amqp_uri)
        exchange = kombu.Exchange(exchange_name(service), type="topic", durable=True)
        self.queue = kombu.Queue(f"test-listener-{secrets.token_hex(4)}", exchange=exchange, exclusive=True,
                                 bindings=[kombu.binding(exchange, routing_key=k) for k in routing_keys])
        self.consumer = kombu.Consumer(self.connection, [self.queue], callbacks=[self._on_message],
                                       accept=["json"])
        self.consumer.consume()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _on_message(self, body, message):
        self.events.put((message.delivery_info["routing_key"], json.loads(body) if isinstance(body, str) else body))
        message.ack()

    def _drain(self):
        while not self.stopped.is_set():
            try:
                self.connection.drain_events(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:
                if not self.stopped.is_set():
                    raise

    def wait_for(self, routing_key, match=lambda body: True, timeout=15):
        seen = []
        while True:
            try:
                key, body = self.events.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {routing_key} event within {timeout} s; saw {seen}") from None
            seen.append(key)
            if key == routing_key and match(body):
                return body

    def close(self):
        self.stopped.set()
        self.thread.join(2)
        self.connection.release()


@pytest.fixture
def listen(amqp_uri, stack):
    listeners = []

    def make(service, *routing_keys):
        listener = EventListener(amqp_uri, service, routing_keys)
        listeners.append(listener)
        return listener

    yield make
    for listener in listeners:
        listener.close()
