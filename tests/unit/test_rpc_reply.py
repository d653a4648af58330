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
