"""Open311 GeoReport v2 at ``/open311/v2/``: the service list and definitions, filing a request,
reading requests, in JSON (``.json``) and XML (``.xml``) exactly as the specification writes them.

``jurisdiction_id`` is an Ortak municipality id (required: this endpoint serves many). Filing
(``POST requests.json``, form-encoded) takes ``api_key`` = an Ortak token of the municipality's
coordinator or planner (or its metropolitan's coordinator, or admin) for requests brought by
muhtars, district chiefs and staff (``filed_by``); without ``api_key`` the public may file to a
service the municipality opened to the public (the catalogue's ``public``), rate limited per
client. No cookie counts here (these routes are outside the web's CSRF protection, so a browser's
session must not act through them), and no answer carries a requester's name, e-mail or phone.
Errors are the specification's: ``[{"code": 400, "description": "..."}]`` or
``<errors><error><code>400</code><description>...</description></error></errors>``, with the
same HTTP status. A field that breaks a rule is 400 here (the specification's code for a bad
request), its description naming the field.

These routes are not in the OpenAPI document: their formats (a JSON array or XML chosen by the
path's suffix, form-encoded posts) are the specification's, described there.
"""
import logging
import re
import xml.etree.ElementTree as ET

from flask import Blueprint, Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException

from shared.errors import Forbidden, InvalidInput, OrtakError, RateLimited, http_status
from shared.text import LANGUAGES

from .http import call
from .rpc import ServiceUnavailable

log = logging.getLogger(__name__)
PREFIX = "/open311/v2"
blp = Blueprint("open311", __name__, url_prefix=PREFIX)
FORMAT = "<any(json, xml):fmt>"
REQUEST_FIELDS = ("service_code", "description", "lat", "long", "address_string", "address_id", "zipcode",
                  "neighbourhood", "media_url", "first_name", "last_name", "email", "phone", "device_id",
                  "account_id", "filed_by")
FILTERS = ("service_request_id", "service_code", "start_date", "end_date", "status")
# characters XML 1.0 cannot carry, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class BadRequest(OrtakError):
    """A parameter the specification requires is missing or unreadable (400)."""


# -- answers -----------------------------------------------------------------------------------------

def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _xml(root, item_tag, items):
    """``<root><item_tag><field>text</field>...</item_tag>...</root>``; every text escaped."""
    top = ET.Element(root)
    for item in items:
        element = ET.SubElement(top, item_tag) if item_tag else top
        for key, value in item.items():
            child = ET.SubElement(element, key)
            if isinstance(value, list):
                for entry in value:
                    sub = ET.SubElement(child, key[:-1] if key.endswith("s") else "item")
                    for k, v in entry.items():
                        ET.SubElement(sub, k).text = _text(v)
            else:
                child.text = _text(value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def answer(fmt, data, root, item_tag, status=200):
    """``data`` (a list of objects, or one object when ``item_tag`` is None) as JSON or XML."""
    if fmt == "xml":
        body = _xml(root, item_tag, data if item_tag else [data])
        response = Response(body, status=status, content_type="text/xml; charset=utf-8")
    else:
        response = Response(json.dumps(data, ensure_ascii=False), status=status,
                            content_type="application/json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"   # no cookie counts here: any page may read
    return response


def fmt_of_path(path):
    return "xml" if path.rsplit("?", 1)[0].endswith(".xml") else "json"


def errors(exc, fmt=None):
    """An error in the specification's format, with the HTTP status as its code."""
    fmt = fmt or g.get("open311_format") or fmt_of_path(request.path)
    headers = {}
    if isinstance(exc, InvalidInput):
        status = 400
        described = [f"{field}: {' '.join(messages)}" for field, messages in (exc.errors or {}).items()]
        items = [{"code": 400, "description": d} for d in described] or [{"code": 400, "description": exc.detail}]
    elif isinstance(exc, OrtakError):
        status = 400 if isinstance(exc, BadRequest) else http_status(exc)
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.extra.get("retry_after", 60))
        items = [{"code": status, "description": exc.detail}]
    elif isinstance(exc, ServiceUnavailable):
        status, items = 503, [{"code": 503, "description": str(exc)}]
        headers["Retry-After"] = "5"
    elif isinstance(exc, HTTPException):
        status, items = exc.code, [{"code": exc.code, "description": exc.description or exc.name}]
    else:
        log.exception("unhandled error", exc_info=exc)
        status, items = 500, [{"code": 500, "description": "Something went wrong on our side; it has been logged."}]
    if status == 500 and isinstance(exc, OrtakError):
        log.error("unmapped error %r", exc)
    response = answer(fmt, items, "errors", "error", status)
    for key, value in headers.items():
        response.headers[key] = value
    return response


@blp.errorhandler(Exception)
def handle(exc):
    return errors(exc)


@blp.url_value_preprocessor
def remember_format(endpoint, values):
    g.open311_format = (values or {}).get("fmt", "json")


# -- parameters --------------------------------------------------------------------------------------

def jurisdiction():
    mid = (request.form.get("jurisdiction_id") if request.method == "POST" else None) \
        or request.args.get("jurisdiction_id")
    if not mid:
        raise BadRequest("jurisdiction_id: required; it is the municipality's id, e.g. jurisdiction_id=yunusemre.")
    return mid.strip()


def language():
    asked = request.args.get("locale") or (request.form.get("locale") if request.method == "POST" else None)
    if asked:
        asked = asked.split("_")[0].split("-")[0].lower()
        if asked in LANGUAGES:
            return asked
    return request.accept_languages.best_match(LANGUAGES) or "tr"


def api_key_actor():
    """The actor an ``api_key`` names, or None without one; a key that names nobody is refused."""
    key = request.form.get("api_key") or request.args.get("api_key")
    if not key:
        return None
    key = key.strip()
    # remembered like a Bearer token until an event says it was revoked (cache.py): a muhtar's app
    # filing all day costs the registry one check
    actor = current_app.extensions["ortak_cache"].actor(
        "token", key, lambda: call("plan_registry", "authenticate", key, request.remote_addr))
    if actor is None:
        raise Forbidden("Invalid api_key received -- can't proceed with create_request.")
    return {**actor, "request_id": g.get("request_id")}


# -- the methods -------------------------------------------------------------------------------------

@blp.route(f"/services.{FORMAT}", methods=["GET"])
def services(fmt):
    """GET Service List."""
    return answer(fmt, call("requests", "open311_services", jurisdiction(), language()), "services", "service")


@blp.route(f"/services/<code>.{FORMAT}", methods=["GET"])
def service_definition(code, fmt):
    """GET Service Definition: our services have no extra attributes (``metadata`` false)."""
    definition = call("requests", "open311_service", jurisdiction(), code, language())
    return answer(fmt, definition, "service_definition", None)


@blp.route(f"/requests.{FORMAT}", methods=["POST"])
def post_request(fmt):
    """POST Service Request (form-encoded)."""
    mid = jurisdiction()
    actor = api_key_actor()
    form = {}
    for name in REQUEST_FIELDS:
        value = request.form.get(name)
        if value is None or (value == "" and name in ("lat", "long", "filed_by")):
            continue
        form[name] = value
    created = call("requests", "file_request", actor, mid, form, client=request.remote_addr)
    return answer(fmt, [created], "service_requests", "request", 201)


@blp.route(f"/requests.{FORMAT}", methods=["GET"])
def get_requests(fmt):
    """GET Service Requests: by ids, service codes, status, start and end dates."""
    filters = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    items = call("requests", "open311_requests", jurisdiction(), filters, language())
    return answer(fmt, items, "service_requests", "request")


@blp.route(f"/requests/<rid>.{FORMAT}", methods=["GET"])
def get_request(rid, fmt):
    """GET Service Request: a list of one, as the specification has it."""
    items = call("requests", "open311_request", jurisdiction(), rid, language())
    return answer(fmt, items, "service_requests", "request")
