"""`make run` as a user runs it: up with the demo, Ctrl-C, up again with the data kept."""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from ops import broker
from ops.stack import ROOT
from shared import config
from tests.conftest import free_port

pytestmark = pytest.mark.stack


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def own_vhost(run_id):
    """A vhost of its own: a second plan_registry must not answer the main test stack's calls."""
    vhost = f"ortak-test-run-{run_id}"
    uri = broker.add_vhost(config.amqp_uri(), vhost)
    if uri is None:
        pytest.skip("needs rabbitmqctl to give this run a vhost of its own")
    yield uri
    broker.delete_vhost(vhost)


def start(env, log):
    process = subprocess.Popen([sys.executable, "-m", "ops.run"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with open(log.name) as f:
            text = f.read()
        if "Ortak is running" in text:
            return process
        assert process.poll() is None, text
        time.sleep(0.5)
    process.kill()
    raise AssertionError("make run did not come up:\n" + text)


def stop(process):
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0


def test_run_seeds_once_and_keeps_data_across_restarts(tmp_path, own_vhost):
    port, store_port = free_port(), free_port()
    env = {**os.environ, "ORTAK_VAR": str(tmp_path / "var"), "PORT": str(port), "ORTAK_STORE_PORT": str(store_port),
           "AMQP_URI": own_vhost, "PYTHONPATH": ROOT, "ORTAK_ADMIN_TOKEN": "ortak_" + secrets.token_hex(16)}
    env.pop("MONGODB_URI", None)
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "first.log", "w+") as log:
        process = start(env, log)
        try:
            assert requests.get(url + "/readyz", timeout=10).status_code == 200
            plan = requests.get(url + "/api/v1/plans/korfez-2025-2029", timeout=10).json()
            assert plan["status"] == "adopted" and len(plan["members"]) == 5 and len(plan["themes"]) == 10
            versions = len(requests.get(url + "/api/v1/plans/korfez-2025-2029/versions", timeout=10).json())
        finally:
            stop(process)
        first = open(log.name).read()
    assert "seeded korfez-2025-2029" in first
    for role in ("admin", "coordinator", "planner", "viewer"):
        assert f"  {role}" in first
    assert not port_open(port) and not port_open(store_port)  # everything it started has stopped

    tokens = {line.split()[0]: line.split("Bearer ")[1] for line in first.splitlines() if "Bearer " in line}
    with open(tmp_path / "second.log", "w+") as log:
        process = start(env, log)
        try:
            again = requests.get(url + "/api/v1/plans/korfez-2025-2029/versions", timeout=10).json()
            assert len(again) == versions
            # the demo tokens printed the first time still work (the store kept them)
            headers = {"Authorization": f"Bearer {tokens['admin']}"}
            assert requests.get(url + "/api/v1/tokens", headers=headers, timeout=10).status_code == 200
        finally:
            stop(process)
        second = open(log.name).read()
    assert "there already (not seeded again)" in second
    assert all(token in second for token in tokens.values())
