"""A service that does nothing: the far end of the bare-RPC baseline."""
from nameko.rpc import rpc


class Noop:
    name = "bench_noop"

    @rpc
    def noop(self):
        return None
