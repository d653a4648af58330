"""The launcher (`python -m ops.run`) under faults: a service or the gateway killed comes back;
a launcher killed takes every process it started with it; SIGINT stops a launcher that was
started with SIGINT ignored, as a background job of a non-interactive shell is."""
import os
import signal
import time

import pytest
import requests

from ops.processes import wait_until
from tests.integration.test_make_run import own_vhost, port_open, run_env, start, url_of  # noqa: F401

pytestmark = pytest.mark.stack


def children_of(pid):
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def descendants(pid):
    found, todo = [], [pid]
    while todo:
        for child in children_of(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


REPLICAS = int(os.environ.get("ORTAK_REPLICAS") or 1)   # processes of each service the launcher starts


def the_child(launcher, marker, count=1):
    """The pid of the launcher's first child whose command line has ``marker`` (there are ``count``)."""
    found = sorted(pid for pid in children_of(launcher.pid) if marker in cmdline(pid))
    assert len(found) == count, (marker, [cmdline(p) for p in children_of(launcher.pid)])
    return found[0]


def cleanup(launcher, started):
    """Whatever is still running of what this test started, stopped by pid."""
    for pid in [launcher.pid, *started]:
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    launcher.wait(10)


def ready(url):
    try:
        return requests.get(url + "/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def log_text(log):
    with open(log.name) as f:
        return f.read()


def test_a_killed_service_and_a_killed_gateway_are_started_again(tmp_path, own_vhost):  # noqa: F811
    env = run_env(tmp_path, own_vhost)
    url = url_of(env)
    with open(tmp_path / "run.log", "w+") as log:
        launcher = start(env, log)
        started = descendants(launcher.pid)
        try:
            registry = the_child(launcher, "services.plan_registry.service:PlanRegistry", REPLICAS)
            os.kill(registry, signal.SIGKILL)
            wait_until(lambda: "plan_registry exited (-9)" in log_text(log), 10, what="the crash reported")
            wait_until(lambda: "plan_registry restarted" in log_text(log), 15, what="plan_registry restarted")
            wait_until(lambda: ready(url), 60, interval=0.5, what="ready again")
            assert the_child(launcher, "services.plan_registry.service:PlanRegistry", REPLICAS) != registry
            # it answers: a token check goes through the registry
            plan = requests.get(url + "/api/v1/plans/korfez-2025-2029", timeout=10)
            assert plan.status_code == 200 and plan.json()["status"] == "adopted"

            gateway = the_child(launcher, "gunicorn")
            os.kill(gateway, signal.SIGKILL)  # the master alone, as a crash would
            wait_until(lambda: "gateway exited (-9)" in log_text(log), 10, what="the gateway's crash reported")
            wait_until(lambda: "gateway restarted" in log_text(log), 15, what="the gateway restarted")
            wait_until(lambda: ready(url), 60, interval=0.5, what="the gateway ready again")
            assert the_child(launcher, "gunicorn") != gateway
            assert launcher.poll() is None
            started += descendants(launcher.pid)
        finally:
            launcher.send_signal(signal.SIGINT)
            code = launcher.wait(60)
            leftovers = [pid for pid in started if running(pid)]
            cleanup(launcher, started)
    text = log_text(log)
    assert code == 0, text
    assert "restarting it in 1 s" in text
    assert leftovers == [], [cmdline(p) for p in leftovers]


def test_a_killed_launcher_leaves_no_process_behind(tmp_path, own_vhost):  # noqa: F811
    env = run_env(tmp_path, own_vhost)
    with open(tmp_path / "run.log", "w+") as log:
        launcher = start(env, log)
        started = descendants(launcher.pid)
        try:
            # the store, three services, the gunicorn master and its workers
            assert len(started) >= 6, [cmdline(p) for p in started]
            launcher.send_signal(signal.SIGKILL)
            launcher.wait(10)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(running(pid) for pid in started):
                time.sleep(0.25)
            leftovers = [pid for pid in started if running(pid)]
        finally:
            cleanup(launcher, started)
    assert leftovers == [], [cmdline(p) for p in leftovers]
    assert not port_open(int(env["PORT"])) and not port_open(int(env["ORTAK_STORE_PORT"]))


def ignore_sigint():
    """What a shell does to a background job when job control is off (`make run &` in a script)."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_sigint_stops_a_launcher_started_with_sigint_ignored(tmp_path, own_vhost):  # noqa: F811
    env = run_env(tmp_path, own_vhost)
    with open(tmp_path / "run.log", "w+") as log:
        launcher = start(env, log, start_new_session=False, preexec_fn=ignore_sigint)
        started = descendants(launcher.pid)
        try:
            with open(f"/proc/{launcher.pid}/status") as f:
                ignored = int(next(line for line in f if line.startswith("SigIgn:")).split()[1], 16)
            launcher.send_signal(signal.SIGINT)
            code = launcher.wait(60)
            leftovers = [pid for pid in started if running(pid)]
        finally:
            cleanup(launcher, started)
    assert code == 0, log_text(log)
    assert ignored & (1 << (signal.SIGINT - 1)) == 0  # the launcher put its own handler in place
    assert "stopped." in log_text(log)
    assert leftovers == [], [cmdline(p) for p in leftovers]
    assert not port_open(int(env["PORT"])) and not port_open(int(env["ORTAK_STORE_PORT"]))
