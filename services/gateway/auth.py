"""Bearer tokens: the registry checks them (tokens are its data); no header means the public role."""
from flask import g, request

from shared.errors import Unauthenticated


def authenticate(rpc):
    header = request.headers.get("Authorization")
    g.actor = None
    if header is None:
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send 'Authorization: Bearer <token>', or no Authorization header at all.")
    actor = rpc.call("plan_registry", "authenticate", token.strip(), request.remote_addr)
    if actor is None:
        raise Unauthenticated("The token is unknown or revoked.")
    # the request id travels with the actor into every change and event it causes (the audit trail)
    g.actor = {**actor, "request_id": g.request_id}
