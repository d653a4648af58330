"""A service whose reply meets a broker gone away keeps running. nameko lets an error of sending
the reply out of the worker, which kills the whole container: a broker restart while a request was
being answered left the monitoring service dead (the fault suite's outage test caught it now and
then). The broker's side is simulated here: the moment cannot be timed from a test."""
import logging
from types import SimpleNamespace

import pytest
from amqp.exceptions import ConnectionForced
from kombu.exceptions import OperationalError
from nameko.rpc import RpcConsumer

from shared.entrypoints import OrtakRpc, OrtakRpcConsumer


@pytest.mark.parametrize("gone", [OperationalError("[Errno 111] ECONNREFUSED"), ConnectionRefusedError(111),
                                  ConnectionForced("CONNECTION_FORCED - shutdown")])
def test_a_reply_the_broker_cannot_take_is_logged_not_raised(monkeypatch, caplog, gone):
    def send_fails(self, message, result, exc_info):
        raise gone
    monkeypatch.setattr(RpcConsumer, "handle_result", send_fails)
    message = SimpleNamespace(delivery_info={"routing_key": "monitoring.submit_readings"})
    with caplog.at_level(logging.WARNING, logger="shared.entrypoints"):
        assert OrtakRpcConsumer().handle_result(message, {"accepted": 1}, None) == ({"accepted": 1}, None)
    assert "reply to monitoring.submit_readings not sent" in caplog.text


def test_other_errors_still_surface(monkeypatch):
    def broken(self, message, result, exc_info):
        raise TypeError("not a broker problem")
    monkeypatch.setattr(RpcConsumer, "handle_result", broken)
    with pytest.raises(TypeError):
        OrtakRpcConsumer().handle_result(SimpleNamespace(delivery_info={}), None, None)


def test_every_ortak_rpc_entrypoint_replies_through_the_guarded_consumer():
    assert isinstance(OrtakRpc.rpc_consumer, OrtakRpcConsumer)


def test_work_left_for_after_the_answer_runs_once_the_answer_is_sent(monkeypatch, caplog):
    from nameko.rpc import Rpc

    from shared.entrypoints import after_reply
    order = []

    def answer(self, message, worker_ctx, result, exc_info):
        order.append("answered")
        return result, exc_info
    monkeypatch.setattr(Rpc, "handle_result", answer)
    entrypoint = OrtakRpc.__new__(OrtakRpc)
    worker = SimpleNamespace(entrypoint=entrypoint, call_id="requests.file_request.1")
    later = after_reply(worker)
    later(lambda: order.append("published"))
    later(lambda: 1 / 0)   # a failure is logged; the answer is sent already
    later(lambda: order.append("and the rest"))
    with caplog.at_level(logging.ERROR, logger="shared.entrypoints"):
        assert entrypoint.handle_result(None, worker, {"ok": 1}, None) == ({"ok": 1}, None)
    assert order == ["answered", "published", "and the rest"]
    assert "after the answer to requests.file_request.1 failed" in caplog.text
    assert entrypoint.handle_result(None, worker, {"ok": 2}, None) == ({"ok": 2}, None)   # once
    assert order == ["answered", "published", "and the rest", "answered"]
    assert after_reply(SimpleNamespace(entrypoint=object())) is None   # a timer, an event handler: none
