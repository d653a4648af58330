"""The broker stopped and started in the middle of a stream of writes, on a broker node and a store
of the test's own (its timing is then the system's, not that of the suite's store, which by then
holds every other test's data): the gateway answers 503 meanwhile, nothing it acknowledged is lost
or doubled, and the services carry on without a restart. (A service whose reply met the broker
gone used to die here now and then: every later request then waited out its timeout.)"""
import secrets
import threading
from collections import Counter
import time

import pytest

from ops.client import Client, token_maker
from ops.demo import synthetic
from ops.processes import wait_until
from ops.stack import Stack
from ops.store import EmbeddedStore
from shared import config
from tests.conftest import free_port
from tests.faults.broker_node import BrokerNode, available
from tests.faults.test_delivery import service_pids, stored_readings
from tests.stack import ADMIN_TOKEN, until_monitoring_has

pytestmark = [pytest.mark.stack, pytest.mark.skipif(not available(), reason="rabbitmq-server is not installed")]

DISTRICTS, INDICATORS = 5, 50   # ten objectives a district: one for every goal


@pytest.fixture
def node(tmp_path):
    node = BrokerNode(str(tmp_path / "broker"), free_port(), free_port()).start()
    yield node
    node.stop()


@pytest.fixture
def own_store(store_uri, tmp_path):
    if config.env("ORTAK_TEST_MONGODB_URI"):
        yield store_uri            # a real MongoDB is shared as it is
        return
    store = EmbeddedStore(str(tmp_path / "store"), free_port()).start()
    yield store.uri
    store.stop()


@pytest.fixture
def system(node, own_store, run_id, tmp_path):
    running = Stack(str(tmp_path / "stack"), port=free_port(), amqp_uri=node.uri, mongodb_uri=own_store,
                    db_prefix=f"ortak_{run_id}_outage", admin_token=ADMIN_TOKEN, log=lambda *_: None).start()
    yield running
    running.stop()


def test_the_broker_stopped_and_started_in_a_stream_of_writes(node, system):
    admin = Client(system.url, ADMIN_TOKEN)
    token_for = token_maker(system.url, admin)
    prefix = "outage" + secrets.token_hex(2)
    plan_id = synthetic.create(token_for, admin, prefix, DISTRICTS, INDICATORS)
    coordinator = token_for("coordinator", f"{prefix}-metro")
    until_monitoring_has(coordinator, plan_id, synthetic.START)
    pids = service_pids(system)
    batches = [(n, period) for period in synthetic.half_years() for n in range(1, DISTRICTS + 1)]
    planners = {n: token_for("planner", f"{prefix}-d{n}") for n in range(1, DISTRICTS + 1)}

    outage = {}

    def stop_and_start():
        time.sleep(1)
        outage["stopping"] = time.monotonic()
        node.stop()
        outage["down"] = time.monotonic()
        time.sleep(8)
        outage["restarting"] = time.monotonic()
        node.start()
        outage["back"] = time.monotonic()

    thread = threading.Thread(target=stop_and_start)
    thread.start()
    answers = []                           # (batch, status, seconds, when) for every request sent
    acknowledged = set()
    deadline = time.monotonic() + 120
    while len(acknowledged) < len(batches) and time.monotonic() < deadline:
        for n, period in batches:
            if (n, period) in acknowledged:
                continue
            started = time.monotonic()
            response = planners[n].request("POST", f"/plans/{plan_id}/readings",
                                       json={"readings": synthetic.readings(prefix, n, INDICATORS, period)},
                                       headers={"Idempotency-Key": f"{prefix}-{n}-{period}"})
            answers.append(((n, period), response.status_code, time.monotonic() - started, started))
            if response.status_code == 202:
                acknowledged.add((n, period))
            time.sleep(0.2)                # a stream, not a flood: the outage falls in its middle
    thread.join()

    print("answers:", dict(Counter(status for _, status, _, _ in answers)),
          "slowest:", round(max(seconds for _, _, seconds, _ in answers), 2), "s")
    statuses = {status for _, status, _, _ in answers}
    assert statuses <= {202, 503}, answers                    # never a 500
    during = [a for a in answers if outage["down"] < a[3] and a[3] + a[2] < outage["restarting"]]
    timeline = [(round(a[3] - outage["down"], 2), a[1], round(a[2], 2)) for a in answers]
    assert during and {status for _, status, _, _ in during} == {503}, (outage, timeline)
    assert max(seconds for _, _, seconds, _ in answers) < 10   # never hangs
    assert any(a[3] > outage["back"] and a[1] == 202 for a in answers)
    assert len(acknowledged) == len(batches)

    stored = stored_readings(system, plan_id)
    keys = [(r["municipality"], r["indicator"], r["period"]) for r in stored]
    assert len(keys) == len(set(keys)) == len(batches) * INDICATORS          # every one, once

    # the services came back by themselves: events flow again, no process was restarted
    for n, planner in planners.items():
        for period in synthetic.half_years():
            planner.post(f"/plans/{plan_id}/readings/approve", {"municipality": f"{prefix}-d{n}", "period": period})
    public = Client(system.url)
    wait_until(lambda: public.get(f"/plans/{plan_id}/progress?period={synthetic.END}")["plan"]["realization"] == 100.0,
               60, interval=0.5, what="progress after the outage")
    assert service_pids(system) == pids
    assert all(child.alive() for child in system.services.values()) and system.gateway.alive()
