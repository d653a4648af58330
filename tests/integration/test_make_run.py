"""`make run` as a user runs it: up with the demo, Ctrl-C, up again with the data kept; a seed
interrupted anywhere finished by the next start; the token pepper made for the installation."""
import hashlib
import hmac
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time

import pymongo
import pytest
import requests

from ops import broker
from ops.run import pepper_env
from ops.stack import ROOT, Stack
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


def run_env(tmp_path, vhost_uri, **extra):
    """The environment of a `make run` of its own: free ports, its own var dir and vhost."""
    env = {**os.environ, "ORTAK_VAR": str(tmp_path / "var"), "PORT": str(free_port()),
           "ORTAK_STORE_PORT": str(free_port()), "AMQP_URI": vhost_uri, "PYTHONPATH": ROOT,
           "ORTAK_ADMIN_TOKEN": "ortak_" + secrets.token_hex(16), **extra}
    for name in ("MONGODB_URI", "ORTAK_TOKEN_PEPPER", "ORTAK_TOKEN_PEPPER_FILE", "ORTAK_ENV"):
        env.pop(name, None)
    return env


def url_of(env):
    return f"http://127.0.0.1:{env['PORT']}"


def launch(env, log, **popen):
    return subprocess.Popen([sys.executable, "-m", "ops.run"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, **{"start_new_session": True, **popen})


def wait_for_text(process, log, text, timeout=120, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log.name) as f:
            found = f.read()
        if text in found:
            return found
        assert process.poll() is None, found
        time.sleep(interval)
    process.kill()
    raise AssertionError(f"no {text!r} from make run:\n" + found)


def start(env, log, **popen):
    process = launch(env, log, **popen)
    wait_for_text(process, log, "Ortak is running")
    return process


def stop(process):
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0


def registry_db(env):
    return pymongo.MongoClient(f"mongodb://127.0.0.1:{env['ORTAK_STORE_PORT']}/",
                               serverSelectionTimeoutMS=5000)["ortak_plan_registry"]


def stored_admin_hash(env):
    db = registry_db(env)
    try:
        return db["tokens"].find_one({"_id": "bootstrap-admin"})["hash"]
    finally:
        db.client.close()


def test_run_seeds_once_and_keeps_data_across_restarts(tmp_path, own_vhost):
    env = run_env(tmp_path, own_vhost)
    port, store_port = int(env["PORT"]), int(env["ORTAK_STORE_PORT"])
    url = url_of(env)
    with open(tmp_path / "first.log", "w+") as log:
        process = start(env, log)
        try:
            assert requests.get(url + "/readyz", timeout=10).status_code == 200
            plan = requests.get(url + "/api/v1/plans/korfez-2025-2029", timeout=10).json()
            assert plan["status"] == "adopted" and len(plan["members"]) == 5 and len(plan["themes"]) == 10
            versions = len(requests.get(url + "/api/v1/plans/korfez-2025-2029/versions", timeout=10).json())
            # Ayvalık's own plan counts its objectives of the Körfez plan, which says so
            own = requests.get(url + "/api/v1/plans/ayvalik-2025-2029", timeout=10).json()
            assert own["status"] == "adopted" and own["members"] == []
            assert [(o["code"], o["reported_in"]["plan"]) for o in own["contributions"]["ayvalik"]["objectives"]] \
                == [("H1.1", "korfez-2025-2029"), ("H2.1", "korfez-2025-2029"), ("H3.1", "korfez-2025-2029")]
            joint = requests.get(url + "/api/v1/plans/korfez-2025-2029", timeout=10).json()
            assert [a["plan"] for a in joint["contributions"]["ayvalik"]["objectives"][0]["also_in"]] == \
                ["ayvalik-2025-2029"]
            # a pepper of this installation, owner-only, is the one the registry hashes tokens with
            pepper_path = tmp_path / "var" / "token-pepper"
            assert stat.S_IMODE(os.stat(pepper_path).st_mode) == 0o600
            pepper = pepper_path.read_text().strip()
            assert len(pepper) >= 32 and pepper != "ortak-local-pepper"
            expected = hmac.new(pepper.encode(), env["ORTAK_ADMIN_TOKEN"].encode(), hashlib.sha256).hexdigest()
            assert stored_admin_hash(env) == expected
        finally:
            stop(process)
        first = open(log.name).read()
    assert "seeded korfez-2025-2029" in first
    # a new store is migrated to the latest version before the services start (nothing to change)
    assert first.index("migrate: stored data at versions plan_registry 2, ") < first.index("Ortak is running")
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
            # and so do the demo people's logins printed the first time
            logins = {line.split()[0]: (line.split()[1], line.split("password ")[1])
                      for line in first.splitlines() if " password " in line}
            assert set(logins) == {"admin", "coordinator", "planner", "viewer"}
            for username, password in logins.values():
                answer = requests.post(url + "/api/v1/sessions", json={"username": username, "password": password},
                                       timeout=10)
                assert answer.status_code == 201 and "ortak_session=" in answer.headers["Set-Cookie"]
        finally:
            stop(process)
        second = open(log.name).read()
    assert "there already (not seeded again)" in second
    assert all(token in second for token in tokens.values())


def public_plan(url):
    return requests.get(url + "/api/v1/plans/korfez-2025-2029", timeout=10)


def test_an_interrupted_seed_is_finished_by_the_next_start(tmp_path, own_vhost):
    """The first start stopped with the plan a draft (frame and two contributions in): the next
    `make run` does what is missing, and the demo plan is adopted and public."""
    env = run_env(tmp_path, own_vhost)
    var_dir = env["ORTAK_VAR"]
    os.makedirs(var_dir)
    # the first start, as `make run` starts it (its pepper too), stopped part way through the seed
    stack = Stack(var_dir, port=int(env["PORT"]), amqp_uri=env["AMQP_URI"], store_port=int(env["ORTAK_STORE_PORT"]),
                  admin_token=env["ORTAK_ADMIN_TOKEN"], env=pepper_env(var_dir), log=lambda *_: None)
    try:
        stack.start()
        partial = subprocess.run([sys.executable, "-m", "ops.seed", "--url", stack.url, "--until",
                                  "contribution burhaniye"], cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=120)
        assert partial.returncode == 0, partial.stdout + partial.stderr
        assert "demo: contribution burhaniye done" in partial.stdout
        assert "contribution edremit" not in partial.stdout and "adoption" not in partial.stdout
        assert public_plan(stack.url).status_code == 404  # a draft is not public
        # a municipality as a release before cooperation bodies stored it, in a database of that release
        db = registry_db(env)
        db["municipalities"].insert_one({"_id": "gomec-old", "name": "Gömeç", "kind": "district", "parent": None,
                                         "locale": "tr", "calendar": "gregorian", "created_at": "2025-01-01",
                                         "updated_at": "2025-01-01"})
        db["schema_migrations"].delete_many({"_id": 1})
        db.client.close()
    finally:
        stack.stop()

    with open(tmp_path / "resumed.log", "w+") as log:
        process = start(env, log)
        try:
            plan = public_plan(url_of(env))
            assert plan.status_code == 200
            db = registry_db(env)
            assert db["municipalities"].find_one({"_id": "gomec-old"})["members"] == []
            db.client.close()
            assert "(1 migration step run now)" in open(log.name).read()
            plan = plan.json()
            assert plan["status"] == "adopted" and sorted(plan["contributions"]) == sorted(plan["members"])
        finally:
            stop(process)
        text = open(log.name).read()
    assert "not seeded again" not in text
    assert "demo: contribution edremit done" in text and "demo: adoption done" in text
    assert "demo: frame done" not in text and "demo: contribution ayvalik done" not in text  # not done twice
    assert "demo: admin token done" not in text  # the tokens issued the first time were kept


def test_a_seed_killed_mid_way_with_its_launcher_is_finished_by_the_next_start(tmp_path, own_vhost):
    env = run_env(tmp_path, own_vhost)
    with open(tmp_path / "killed.log", "w+") as log:
        process = launch(env, log)
        try:
            wait_for_text(process, log, "demo: plan done", interval=0.01)
            process.send_signal(signal.SIGSTOP)  # hold it where it is, then kill it there
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
        first = open(log.name).read()
    assert "demo: adoption done" not in first and "Ortak is running" not in first
    # its store went with it: the next start gets the port
    deadline = time.monotonic() + 30
    while port_open(int(env["ORTAK_STORE_PORT"])) and time.monotonic() < deadline:
        time.sleep(0.25)

    with open(tmp_path / "again.log", "w+") as log:
        process = start(env, log)
        try:
            plan = public_plan(url_of(env))
            assert plan.status_code == 200 and plan.json()["status"] == "adopted"
            tokens = {line.split()[0]: line.split("Bearer ")[1] for line in open(log.name).read().splitlines()
                      if "Bearer " in line}
            assert set(tokens) == {"admin", "coordinator", "planner", "viewer"}
            for token in tokens.values():
                answer = requests.get(url_of(env) + "/api/v1/municipalities", timeout=10,
                                      headers={"Authorization": f"Bearer {token}"})
                assert answer.status_code == 200
        finally:
            stop(process)
        assert "demo: adoption done" in open(log.name).read()
