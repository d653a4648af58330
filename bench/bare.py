"""A bare gunicorn endpoint doing one RPC to a no-op method, through the gateway's own RPC pool:
what a gateway route costs before any work of Ortak's."""
from flask import Flask

from services.gateway.rpc import RpcPool

app = Flask("bench-bare")
pool = RpcPool()


@app.get("/noop")
def noop():
    pool.call("bench_noop", "noop")
    return {"ok": True}
