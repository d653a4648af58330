"""A service that stops answering while it holds a write: the gateway gives up after its RPC
timeout with a 503 that says the outcome is unknown and how to retry, the service makes the
change once it runs again, and the retry with the same Idempotency-Key is answered, not doubled."""
import os
import secrets
import signal

import pytest

from ops.processes import wait_until

pytestmark = pytest.mark.stack


def test_a_write_that_timed_out_is_made_once_when_retried_with_its_key(stack, adopted, coordinator, token_for):
    planner = token_for("planner", "edremit")
    body = {"readings": [{"indicator": "PG5.1.1", "municipality": "edremit", "period": "2026-H1", "value": 18}]}
    key = {"Idempotency-Key": "unknown-outcome-" + secrets.token_hex(4)}
    monitoring = [child.pid for child in stack.processes("monitoring")]
    for pid in monitoring:
        os.kill(pid, signal.SIGSTOP)               # holds the request in its queue, answers nothing
    try:
        lost = planner.request("POST", f"/plans/{adopted}/readings", json=body, headers=key)
        read = planner.request("GET", f"/plans/{adopted}/readings")
    finally:
        for pid in monitoring:
            os.kill(pid, signal.SIGCONT)
    assert lost.status_code == 503 and lost.headers["Retry-After"]
    problem = lost.json()
    assert problem["outcome"] == "unknown" and "same Idempotency-Key" in problem["detail"]
    assert read.status_code == 503 and "outcome" not in read.json()   # a read changes nothing

    def stored():
        return coordinator.get(f"/plans/{adopted}/readings?municipality=edremit")
    wait_until(lambda: len(stored()) == 1, 30, what="the held write made once the service runs")
    again = planner.request("POST", f"/plans/{adopted}/readings", json=body, headers=key)
    assert again.status_code == 202 and again.json()["replayed"] is True
    assert [(r["indicator"], r["value"]) for r in stored()] == [("PG5.1.1", 18)]
