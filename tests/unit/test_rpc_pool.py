"""How the gateway's RPC pool names a broker that goes away while a request is in flight: a 503
that says the outcome is unknown, never a 500. The broker's side is simulated: its forced close
(a broker shutting down) cannot be timed from a test."""
from types import SimpleNamespace

import pytest
from amqp.exceptions import ConnectionForced

from services.gateway.rpc import RpcPool, ServiceUnavailable


class ClosingBroker:
    """A started proxy whose broker closes the connection during the call."""

    def __getattr__(self, service):
        return self

    def __call__(self, *args, **kwargs):
        raise ConnectionForced("CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'")


class StoppedProxy:
    """The proxy object the pool keeps beside its started proxy: its reply consumer, its context
    data and stop()."""

    def __init__(self):
        self._reply_listener = SimpleNamespace(queue_consumer=SimpleNamespace(timeout=10))
        self._worker_ctx = SimpleNamespace(data={})

    def stop(self):
        self.stopped = True


def test_a_broker_shutting_down_mid_call_is_a_503_with_an_unknown_outcome():
    pool = RpcPool(nameko_config={"AMQP_URI": "amqp://127.0.0.1:1//"}, timeout=1)
    proxy = StoppedProxy()
    pool.idle.put_nowait((proxy, ClosingBroker()))
    with pytest.raises(ServiceUnavailable) as raised:
        pool.call("monitoring", "submit_readings", None, "plan", {})
    assert raised.value.what == "broker" and raised.value.sent
    assert proxy.stopped and pool.idle.empty()        # the broken proxy is not handed out again
