"""People at the door: /login, /logout and /setup (the one-time link where a person sets a password).

A login through the pages opens the same session the API's ``POST /sessions`` opens (the
registry's ``login``) and sets the same ``ortak_session`` cookie; every form carries its CSRF
token (checked for every POST outside the API, see ``init_app``).
"""
import functools
import math
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from shared.errors import InvalidInput, NotFound, RateLimited, Unauthenticated

from ..gateway.auth import SESSION_COOKIE
from ..gateway.http import call
from ..gateway.routes.people import session_cookie
from ..plan_registry.people import MAX_PASSWORD, MIN_PASSWORD
from . import i18n
from .views import blp

HOME = "/workspace"
MAX_USERNAME = 64


def local_path(target):
    """``target`` when it is a path on this site (``/workspace?period=2026-H1``), else None: a login
    never sends anyone to another site."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c in target for c in "\r\n\t\\") or len(target) > 1000:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def this_page():
    """The current page as a local path with its query (where a login comes back to)."""
    query = request.query_string.decode("utf-8", "replace")
    return request.path + (f"?{query}" if query else "")


def person():
    """The logged-in person (or program) the request acts for, or None."""
    return g.get("actor")


def login_required(view):
    """A page for people who logged in: anyone else goes to the login page, and comes back after."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if person() is None:
            return redirect("/login?" + urlencode({"next": this_page()}), code=303)
        return view(*args, **kwargs)
    return wrapped


def _with_lang(path):
    lang = i18n.offered_language()
    if not lang:
        return path
    return path + ("&" if "?" in path else "?") + urlencode({"lang": lang})


@blp.route("/login", methods=["GET", "POST"])
def login():
    g.lang = i18n.choose_language()
    target = local_path(request.values.get("next")) or HOME
    values, errors, notice, status, headers = {"username": request.args.get("username", "")}, {}, None, 200, {}
    if request.method == "GET":
        if g.get("session_ended"):
            notice = _("Your session has ended. Please log in again; you will come back to the page you were on.")
            headers["Set-Cookie"] = session_cookie("", None)   # the stale cookie goes
        elif request.args.get("out") == "1":
            notice = _("You have logged out.")
        elif request.args.get("set") == "1":
            notice = _("Your password is set. Log in with it.")
        elif person() is not None:
            return redirect(target, code=303)
    else:
        values = {"username": (request.form.get("username") or "").strip()}
        password = request.form.get("password") or ""
        if not values["username"]:
            errors["username"] = [_("Write your username.")]
        elif len(values["username"]) > MAX_USERNAME:
            errors["username"] = [_("A username has at most %(count)s characters.", count=i18n.number(MAX_USERNAME))]
        if not password:
            errors["password"] = [_("Write your password.")]
        elif len(password) > MAX_PASSWORD:
            errors["password"] = [_("Wrong username or password.")]
        if not errors:
            try:
                session = call("plan_registry", "login", {"username": values["username"], "password": password})
            except Unauthenticated:
                errors["password"] = [_("Wrong username or password.")]
                status = 401
            except RateLimited as exc:
                wait = int(exc.extra.get("retry_after", 900))
                minutes = max(1, math.ceil(wait / 60))
                notice = ngettext("Too many failed logins: this login is locked. Try again in %(count)s minute.",
                                  "Too many failed logins: this login is locked. Try again in %(count)s minutes.",
                                  minutes, count=i18n.number(minutes))
                errors["password"] = [notice]
                status, headers["Retry-After"] = 429, str(wait)
            except InvalidInput:
                errors["password"] = [_("Wrong username or password.")]
                status = 422
            else:
                response = redirect(target, code=303)
                response.headers.add("Set-Cookie", session_cookie(session["session"], session["expires_at"]))
                return response
        elif status == 200:
            status = 422
    return render_template("login.html", values=values, errors=errors, notice=notice, next=target), status, headers


@blp.route("/logout", methods=["POST"])
def logout():
    g.lang = i18n.choose_language()
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        call("plan_registry", "logout", secret)
        current_app.extensions["ortak_cache"].forget_actor("session", secret)
    response = redirect(_with_lang("/login?out=1"), code=303)
    response.headers.add("Set-Cookie", session_cookie("", None))
    return response


def password_message(password, username=""):
    """The password rules as a sentence in the reader's language (the registry's own rules)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return _("Use %(least)s to %(most)s characters; a few words in a row are easy to remember.",
                 least=i18n.number(MIN_PASSWORD), most=i18n.number(MAX_PASSWORD))
    return _("This password is among the most common ones (or is the username); choose another.")


@blp.route("/setup", methods=["GET", "POST"])
def setup():
    g.lang = i18n.choose_language()
    token = request.values.get("token", "")
    errors, notice, status = {}, None, 200
    if not token or len(token) > 200:
        notice, status = _("This link is unknown, used or expired; ask your coordinator for a new one."), 404
    elif request.method == "POST":
        password, again = request.form.get("password") or "", request.form.get("again") or ""
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            errors["password"] = [password_message(password)]
        elif password != again:
            errors["again"] = [_("The two passwords differ: write the same password twice.")]
        if not errors:
            try:
                done = call("plan_registry", "set_password", {"token": token, "password": password})
            except NotFound:
                notice, status = _("This link is unknown, used or expired; ask your coordinator for a new one."), 404
            except InvalidInput:
                errors["password"] = [password_message(password)]
            else:
                return redirect(_with_lang("/login?" + urlencode({"set": "1", "username": done["username"]})),
                                code=303)
        if errors:
            status = 422
    return render_template("setup.html", token=token, errors=errors, notice=notice), status
