"""Request helpers the routes share: the JSON body, If-Match, the ETag of a plan, files."""
import base64
import contextlib
import gzip
import hashlib
import json
import re

import orjson
from flask import Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from shared.errors import Malformed as BadRequest


class Json(DefaultJSONProvider):
    """The answers' JSON written by orjson: the same JSON (keys in their order, UTF-8 as it is), a
    5,000-indicator progress in a tenth of the standard library's time. What orjson does not write
    (a date, a Decimal) is written as Flask writes it; a call with options of its own is Flask's."""
    ensure_ascii, sort_keys = False, False
    OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def encode(self, obj):
        try:
            return orjson.dumps(obj, default=self.default, option=self.OPTIONS)
        except orjson.JSONEncodeError:   # an integer over 64 bits, say: as Flask writes it
            return super().dumps(obj).encode()

    def dumps(self, obj, **kwargs):
        if set(kwargs) - {"separators"}:
            return super().dumps(obj, **kwargs)
        return self.encode(obj).decode()

    def response(self, *args, **kwargs):
        return self._app.response_class(self.encode(self._prepare_response_obj(args, kwargs)) + b"\n",
                                        mimetype=self.mimetype)


class TooLarge(RequestEntityTooLarge):
    def __init__(self, detail):
        super().__init__(description=detail)


def json_body(limit=None):
    """The request body as parsed JSON, or a 400 that says what is wrong with it; a body over
    ``limit`` bytes (or the gateway's limit) is 413 however it is sent, Content-Length or chunked."""
    raw = _read(limit or current_app.config["MAX_CONTENT_LENGTH"])
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
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError:
        raise BadRequest("The JSON is nested too deeply.") from None
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from None
    if SURROGATE.search(text):   # an escaped UTF-16 half: whole pairs only, as text is stored in UTF-8
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("The body holds half of a UTF-16 surrogate pair (a \\ud800-\\udfff escape alone); "
                             "send the text as UTF-8.") from None
    return value


def _read(limit):
    """At most ``limit`` bytes of the body: the count is of bytes read, not of what the client
    declared, so a chunked body cannot slip past it."""
    if "ortak_body" in g:
        return g.ortak_body
    if (request.content_length or 0) > limit:
        raise TooLarge(f"The body is larger than {_size(limit)}; nothing was read.")
    parts, size = [], 0
    while size <= limit:
        try:  # the stream itself stops at the gateway's own limit
            part = request.stream.read(min(65536, limit + 1 - size))
        except RequestEntityTooLarge:
            part = b"\0" * (limit + 1)
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise TooLarge(f"The body is larger than {_size(limit)}; nothing was read.")
    g.ortak_body = b"".join(parts)
    return g.ortak_body


def _size(limit):
    return f"{limit // 1048576} MiB" if limit >= 1048576 else f"{limit // 1024} KiB"


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text):
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large a number")
    return number


SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


# the version, and after a dot what a plan's read adds from other plans (plan_etag)
_IF_MATCH = re.compile(r'^(?:W/)?"?([0-9]{1,9})(?:\.[0-9a-f]{1,16})?"?$')


def if_match():
    """The version named by If-Match, or None when the header is absent."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    match = _IF_MATCH.fullmatch(value.strip())
    if not match:
        raise BadRequest('If-Match carries the plan version as an ETag, e.g. If-Match: "3".')
    return int(match.group(1))


def call(service, method, *args, **kwargs):
    return current_app.extensions["ortak_rpc"].call(service, method, *args, **kwargs)


def actor():
    return g.get("actor")


def plan_etag(plan):
    """A plan read's ETag: its version, and where other plans count its objectives too (that
    changes with their versions, not this plan's); If-Match takes it as the version."""
    elsewhere = sorted((a["plan"], a["goal"], a["status"]) for c in plan["contributions"].values()
                       for o in c["objectives"] for a in o.get("also_in") or [])
    if not elsewhere:
        return f'"{plan["version"]}"'
    return f'"{plan["version"]}.{hashlib.sha256(repr(elsewhere).encode()).hexdigest()[:12]}"'


def with_etag(body, status=200):
    return body, status, {"ETag": f'"{body["version"]}"'}


PUBLIC_MAX_AGE = 5   # seconds a browser or proxy may reuse a public answer without asking (API.md)
GZIP_OVER = 64 * 1024   # bytes: a bigger answer goes gzipped to whoever takes it (a district on a poor connection)


def _none_match(etag):
    """True when If-None-Match names ``etag`` (a weak comparison, as RFC 9110 says for GET)."""
    header = request.headers.get("If-None-Match")
    if not header or not etag:
        return False
    offered = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in offered or etag in offered


class Encoded:
    """An answer a service wrote as JSON text (``text``), or gzipped (``gzipped``, in base64): sent
    as it is, never parsed here."""
    __slots__ = ("data", "packed")

    def __init__(self, text=None, gzipped=None):
        self.data = None if text is None else text.encode() + b"\n"   # as the app's JSON ends every answer
        self.packed = None if gzipped is None else base64.b64decode(gzipped)

    @classmethod
    def of(cls, answer):
        """The service's answer ({"encoded"} or {"gzipped"}), or None when it sent the figures."""
        if "encoded" in answer or "gzipped" in answer:
            return cls(answer.get("encoded"), answer.get("gzipped"))
        return None


def _fetched(cache, key, plan_id, fetch, keeps, takes_gzip):
    """(etag, encoded body or None, gzipped body or None) of a read fetched now, kept if it may be."""
    stamp = cache.read_stamp(plan_id)
    body, etag = fetch()
    kept = bool(etag and keeps)
    if isinstance(body, Encoded) and body.packed is not None:   # gzipped by the service already
        data, packed = None, body.packed
    else:
        data = body.data if isinstance(body, Encoded) else current_app.json.response(body).get_data()
        # gzipped once, when it is kept (a tenth of its size) or goes to a client that takes it
        big = len(data) > GZIP_OVER and (kept or takes_gzip)
        packed = gzip.compress(data, compresslevel=1, mtime=0) if big else None
    if kept:
        cache.keep(key, plan_id, stamp, (etag, None if packed else data, packed), len(packed or data))
    return etag, data, packed


def repeatable_read(key, plan_id, fetch, shared=False):
    """A read people repeat: its strong ETag, 304 to If-None-Match, Cache-Control as API.md says.

    ``fetch()`` gives (body or its JSON as Encoded, etag or None). What the public was served (or,
    with ``shared``, anyone: an answer that is the same for every caller) is kept encoded in this
    process until an event about ``plan_id`` says it changed (cache.py); a repeated read then costs
    no RPC. An answer over GZIP_OVER is kept gzipped, and sent so to a client that accepts it (with
    the ETag made weak: the same figures, another encoding of them)."""
    cache = current_app.extensions["ortak_cache"]
    public = actor() is None
    keeps = public or shared
    takes_gzip = request.accept_encodings["gzip"] > 0
    found, source = (cache.read(key) if keeps else None), "hit"
    if found is None:   # of a read kept for all, one fetch at a time in the process: the others wait for it
        with cache.flights.first(key) if keeps else contextlib.nullcontext(True) as first:
            found = None if first else cache.read(key)
            if found is None:
                found, source = _fetched(cache, key, plan_id, fetch, keeps, takes_gzip), "miss"
    etag, data, packed = found
    headers = {"Cache-Control": f"public, max-age={PUBLIC_MAX_AGE}" if public else "private, no-cache",
               "X-Cache": source, "Vary": "Accept-Encoding"}
    gzipped = packed is not None and takes_gzip
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    if etag:
        headers["ETag"] = f"W/{etag}" if gzipped else etag
    if _none_match(etag):
        return Response(status=304, headers=headers)
    if gzipped:
        body = packed
    else:
        body = data if data is not None else gzip.decompress(packed)
    return Response(body, status=200, mimetype="application/json", headers=headers)


CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}


def attachment(result, fmt):
    """A file a service rendered (sent over RPC as base64) as a download."""
    return Response(base64.b64decode(result["content_base64"]), content_type=CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{result["filename"]}"'})
