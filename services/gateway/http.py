"""Request helpers the routes share: the JSON body, If-Match, the ETag of a plan, files."""
import base64
import json
import re

from flask import Response, current_app, g, request

from shared.errors import Malformed as BadRequest


def json_body():
    """The request body as parsed JSON, or a 400 that says what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadRequest("The request needs a JSON body.")
    ctype = request.mimetype or ""
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise BadRequest(f"Send the body as application/json, not {ctype}.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest("The JSON is nested too deeply.") from None
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from None


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


_IF_MATCH = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


def if_match():
    """The version named by If-Match, or None when the header is absent."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    match = _IF_MATCH.match(value.strip())
    if not match:
        raise BadRequest('If-Match carries the plan version as an ETag, e.g. If-Match: "3".')
    return int(match.group(1))


def call(service, method, *args, **kwargs):
    return current_app.extensions["ortak_rpc"].call(service, method, *args, **kwargs)


def actor():
    return g.get("actor")


def with_etag(body, status=200):
    return body, status, {"ETag": f'"{body["version"]}"'}


CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}


def attachment(result, fmt):
    """A file a service rendered (sent over RPC as base64) as a download."""
    return Response(base64.b64decode(result["content_base64"]), content_type=CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{result["filename"]}"'})
