"""Bearer tokens: the registry checks them (tokens are its data); no header means the public role."""
from flask import g, request

from shared.errors import Unauthenticated


SESSION_COOKIE = "ortak_session"


def authenticate(rpc, cache):
    """A Bearer token (programs) or the session cookie (people); neither is the public. A session
    that has ended is the public too: the web sends such a person to the login page. A checked
    token or session is remembered until an event says it was revoked or ended (cache.py)."""
    header = request.headers.get("Authorization")
    g.actor = None
    if header is None:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            actor = cache.actor("session", secret, lambda: rpc.call("plan_registry", "authenticate_session", secret))
            g.actor = {**actor, "request_id": g.request_id} if actor else None
            g.session_ended = actor is None
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send 'Authorization: Bearer <token>', or no Authorization header at all.")
    token = token.strip()
    actor = cache.actor("token", token, lambda: rpc.call("plan_registry", "authenticate", token, request.remote_addr))
    if actor is None:
        raise Unauthenticated("The token is unknown or revoked.")
    # the request id travels with the actor into every change and event it causes (the audit trail)
    g.actor = {**actor, "request_id": g.request_id}
