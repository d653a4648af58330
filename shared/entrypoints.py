"""nameko entrypoints as Ortak uses them.

``rpc`` marks our typed errors as expected, so a refused request is logged as a warning
instead of an error with a traceback.
"""
from nameko.rpc import rpc as nameko_rpc

from shared.errors import OrtakError

rpc = nameko_rpc(expected_exceptions=OrtakError)


class HealthCheck:
    """``health`` for the gateway's /readyz and the container healthcheck: the service answers
    over the broker and its store answers a ping."""

    @rpc
    def health(self):
        self.store.ping()
        return {"service": self.name, "store": "ok"}
