"""People who log in: accounts (admin, or a coordinator for its plans' municipalities) and
sessions (a cookie that acts with the person's role and municipality, as a token would)."""
from flask import current_app, request
from flask_smorest import Blueprint
from werkzeug.http import dump_cookie

from shared import config

from ..auth import SESSION_COOKIE
from ..http import actor, call, json_body
from ..openapi import body

blp = Blueprint("people", __name__, url_prefix="/api/v1", description="People and sessions")


def setup_url(token):
    return f"{request.host_url}setup?token={token}"


@blp.route("/users", methods=["POST"])
@blp.doc(**body("User"))
def create_user():
    """Add a person; without a password the answer has a one-time `setup_url` (72 h) where they set one."""
    created = call("plan_registry", "create_user", actor(), json_body())
    token = created.pop("setup_token", None)
    return ({**created, "setup_url": setup_url(token)} if token else created), 201


@blp.route("/users", methods=["GET"])
def list_users():
    return call("plan_registry", "list_users", actor())


@blp.route("/users/<uid>", methods=["DELETE"])
def disable_user(uid):
    """Disable (never delete: the audit trail keeps naming them); their sessions end at once."""
    call("plan_registry", "disable_user", actor(), uid)
    current_app.extensions["ortak_cache"].forget_actor(tag=("person", uid))
    return "", 204


@blp.route("/users/password", methods=["POST"])
@blp.doc(**body("PasswordSetup"))
def set_password():
    """Set the password with the token of a setup link; the link is then spent."""
    return call("plan_registry", "set_password", json_body())


@blp.route("/sessions", methods=["POST"])
@blp.doc(**body("Login"))
def login():
    """Log in: a session cookie (HttpOnly, SameSite=Lax). Five failures in 15 minutes lock the
    username for 15 minutes (429 with Retry-After)."""
    session = call("plan_registry", "login", json_body())
    response = {"user": session["user"], "expires_at": session["expires_at"]}, 201
    return response + ({"Set-Cookie": session_cookie(session["session"], session["expires_at"])},)


@blp.route("/sessions/current", methods=["DELETE"])
def logout():
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        call("plan_registry", "logout", secret)
        current_app.extensions["ortak_cache"].forget_actor("session", secret)
    return "", 204, {"Set-Cookie": session_cookie("", None)}


def session_cookie(secret, expires_at):
    """The Set-Cookie value: HttpOnly, SameSite=Lax, Secure unless ORTAK_INSECURE_COOKIES=1 (local http)."""
    secure = config.env("ORTAK_INSECURE_COOKIES", "0") != "1"
    if expires_at is None:
        return dump_cookie(SESSION_COOKIE, "", max_age=0, path="/", httponly=True, samesite="Lax", secure=secure)
    return dump_cookie(SESSION_COOKIE, secret, path="/", httponly=True, samesite="Lax", secure=secure,
                       max_age=12 * 3600)
