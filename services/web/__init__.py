"""The web application: server-rendered pages at the root of the gateway's origin.

``init_app(app)`` adds to the gateway's Flask app (not to its OpenAPI document): the pages'
blueprint, the gettext catalogues (tr, fa, en; compiled from the committed .po files at start),
the reader's language, CSRF protection of every form outside the JSON API, and HTML error pages in
the reader's language for page requests (the API keeps its problem+json).
"""
import hashlib
import logging
import os
from urllib.parse import urlencode

from flask import current_app, g, has_app_context, render_template, request
from flask_babel import Babel, get_translations
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from shared import config
from shared.config import ConfigurationError
from shared.errors import OrtakError, RateLimited, StoreUnavailable, http_status

from ..gateway.rpc import ServiceUnavailable
from . import changes, forms, i18n
from . import account, workspace  # noqa: F401 (their pages join the blueprint)
from .views import blp

log = logging.getLogger(__name__)
# Paths that belong to the JSON API and operations: their forms are Bearer-token requests, not a
# browser's, so they carry no CSRF token, and their errors stay problem+json.
API_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/docs", "/open311/")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DEVELOPMENT_SECRET = "ortak-development-only-secret-key"  # outside production, when none is configured

csrf = CSRFProtect()


def secret_key():
    """The key that signs sessions and CSRF tokens: ORTAK_SECRET_KEY (or its _FILE), shared by every
    gateway worker; production refuses to start without one."""
    key = config.secret("ORTAK_SECRET_KEY")
    if key:
        return key
    if config.env("ORTAK_ENV", "development") == "production":
        raise ConfigurationError("ORTAK_SECRET_KEY (or ORTAK_SECRET_KEY_FILE) must be set in production: "
                                 "it signs the web sessions and CSRF tokens.")
    return DEVELOPMENT_SECRET


def is_api_path(path=None):
    return (path or request.path).startswith(API_PREFIXES)


def wants_page():
    """A request the web answers with HTML: a page, or a browser asking for something not in the API."""
    if is_api_path():
        return False
    if request.blueprint == "web" or request.method in UNSAFE_METHODS:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "application/problem+json", "text/html"])
    return best == "text/html"


def _catalogue():
    """This request's translations."""
    if not has_app_context():
        return get_translations()
    found = g.get("catalogue")
    if found is None:
        found = g.catalogue = get_translations()
    return found


def _(string):
    """gettext, from the catalogue found once per request."""
    return _catalogue().ugettext(string)


def init_app(app):
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key()
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,        # checked below for everything outside the API
        WTF_CSRF_TIME_LIMIT=None,            # valid for the session: a long comment is not lost to a timeout
        WTF_CSRF_SSL_STRICT=False,           # the token is the check; Referer is often stripped
        SESSION_COOKIE_NAME="ortak_form",      # the forms' CSRF secret; a login is the registry's ortak_session
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.env("ORTAK_INSECURE_COOKIES", "0") != "1",
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT_LANGUAGE,
    )
    Babel(app, locale_selector=i18n.current,
          default_translation_directories=i18n.compile_catalogues())
    # Flask-Babel finds the catalogue again for every string, a quarter of a plan page's rendering:
    # found once per request instead (it keeps the request's locale from its first string on too)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s), ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n), newstyle=True)
    csrf.init_app(app)
    app.register_blueprint(blp)

    @app.before_request
    def protect_forms():
        if request.method in UNSAFE_METHODS and not is_api_path():
            csrf.protect()

    @app.after_request
    def page_headers(response):
        if is_api_path() or not response.mimetype == "text/html":
            if request.blueprint == "web" and request.endpoint == "web.static":
                response.headers.setdefault("X-Content-Type-Options", "nosniff")
            return response
        offered = i18n.offered_language()
        if offered:
            response.set_cookie(i18n.COOKIE, offered, max_age=i18n.COOKIE_AGE, samesite="Lax", httponly=True,
                                secure=current_app.config["SESSION_COOKIE_SECURE"])
        response.headers.setdefault("Content-Security-Policy", (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-cache")
        response.vary.update(("Accept-Language", "Cookie"))
        return response

    app.jinja_env.globals.update(
        t=i18n.text, t_lang=i18n.text_language, num=i18n.number, pct=i18n.percent, fmt_date=i18n.date,
        iso_date=i18n.iso_date, digits=i18n.local_digits, period_short=i18n.period_short,
        period_long=i18n.period_long, band_label=band_label, lang_url=lang_url, language_names=i18n.NAMES,
        group_label=lambda k: forms.GROUP_LABELS.get(k, k), kind_label=lambda k: forms.KIND_LABELS.get(k, k),
        mname=municipality_name, asset=asset_url, csrf_token=generate_csrf, role_label=role_label,
        municipality_label=municipality_label, decision_label=decision_label, decision_action=decision_action,
        field_label=changes.field_label, status_label=lambda s: changes.STATUSES.get(s, s),
        version_kind=lambda k: changes.KINDS.get(k, k),
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters.update(period_of=period_of, period_short=i18n.period_short, period_long=i18n.period_long,
                                 submitter=submitter, field_label=changes.field_label)

    @app.context_processor
    def page_globals():
        lang = i18n.current()
        return {"lang": lang, "dir": i18n.direction(lang), "comma": "، " if lang == "fa" else ", ",
                "me": account.person()}


def band_label(band):
    """The band of a figure in words (colour is never the only sign)."""
    if band is None:
        return _("No figure yet")
    if band == "exceeding":
        return _("Exceeding the target")
    if band == "very_good":
        return _("Very good")
    if band == "good":
        return _("Good")
    if band == "moderate":
        return _("Moderate")
    if band == "weak":
        return _("Weak")
    if band == "very_weak":
        return _("Very weak")
    return band


def period_of(key, plan):
    """A period key of a plan (``2026-H1``) as the Period the page writes out."""
    from shared.calendars import parse_period
    return parse_period(key, plan["calendar"])


def submitter(by):
    """Who submitted a reading: a person's username, else the role of the token and its municipality."""
    by = by or {}
    if by.get("username"):
        return by["username"]
    if by.get("service") == "requests":
        label = _("Counted from the service requests")
        return f"{label} ({municipality_label(by['municipality'])})" if by.get("municipality") else label
    if by.get("role"):
        label = role_label(by["role"])
        return f"{label} ({municipality_label(by['municipality'])})" if by.get("municipality") else label
    return "—"


def decision_label(decision):
    if decision == "accepted":
        return _("Accepted")
    if decision == "rejected":
        return _("Rejected")
    if decision == "merged":
        return _("Merged")
    return decision


def decision_action(decision):
    if decision == "accepted":
        return _("Accept: take it into the plan")
    if decision == "rejected":
        return _("Reject, with a reason")
    if decision == "merged":
        return _("Merge into a similar input")
    return decision


def role_label(role):
    if role == "coordinator":
        return _("Coordinator")
    if role == "planner":
        return _("Planner")
    if role == "viewer":
        return _("Viewer")
    if role == "admin":
        return _("Administrator")
    return role


def lang_url(lang):
    """This page in another language (the choice is remembered in a cookie)."""
    args = request.args.to_dict()
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"


def municipality_label(mid):
    """A municipality's name in the reader's language (the registry's list, kept a few seconds)."""
    from . import data
    try:
        return municipality_name(mid, data.municipalities())
    except Exception:  # the header must not fail a page
        return mid


def municipality_name(mid, municipalities):
    found = municipalities.get(mid)
    return i18n.text(found["name"]) if found else mid


_asset_versions = {}


def asset_url(name):
    """/assets/<name>?v=<content hash>: a changed file is fetched again, an unchanged one is cached."""
    version = _asset_versions.get(name)
    if version is None:
        path = os.path.join(os.path.dirname(__file__), "static", name)
        with open(path, "rb") as f:
            version = _asset_versions[name] = hashlib.sha256(f.read()).hexdigest()[:10]
    return Markup(f"/assets/{name}?v={version}")


# -- error pages ------------------------------------------------------------------------------------

def error_page(exc):
    """An HTML page in the reader's language for a failed page request."""
    retry = None
    if isinstance(exc, CSRFError):
        status = 403
    elif isinstance(exc, (ServiceUnavailable, StoreUnavailable)):
        status, retry = 503, "5"
    elif isinstance(exc, RateLimited):
        status, retry = 429, str(exc.extra.get("retry_after", 60))
    elif isinstance(exc, OrtakError):
        status = http_status(exc)
    elif isinstance(exc, HTTPException):
        status = exc.code or 500
    else:
        log.exception("unhandled error on a page", exc_info=exc)
        status = 500
    try:
        html = render_template("error.html", status=status, csrf_failed=isinstance(exc, CSRFError))
    except Exception:  # the error page itself must not fail
        log.exception("error page failed")
        html = f"<!doctype html><title>{status}</title><h1>{status}</h1>"
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if retry:
        headers["Retry-After"] = retry
    if isinstance(exc, HTTPException) and exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return html, status, headers


__all__ = ["init_app", "wants_page", "error_page"]
