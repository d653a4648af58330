"""problem+json answers (RFC 9457): one place builds them, one table maps errors to statuses."""
import logging

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

from shared.errors import OrtakError, RateLimited, StaleVersion, StoreUnavailable, http_status

from .rpc import ServiceUnavailable

log = logging.getLogger(__name__)
TYPE_BASE = "https://ortak.example/problems/"

TITLES = {400: "Malformed request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 412: "Stale version", 413: "Too large",
          415: "Unsupported media type", 422: "Invalid input", 428: "Precondition required",
          429: "Too many requests", 500: "Internal error", 503: "Service unavailable"}


def problem(status, detail, errors=None, slug=None, headers=None, extra=None):
    body = {"type": TYPE_BASE + (slug or TITLES.get(status, "error").lower().replace(" ", "-")),
            "title": TITLES.get(status, "Error"), "status": status, "detail": detail, "errors": errors or {}}
    body.update({k: v for k, v in (extra or {}).items() if k not in body})  # extension members
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        content_type="application/problem+json; charset=utf-8")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_exception(exc):
    if isinstance(exc, OrtakError):
        status = http_status(exc)
        extra = dict(exc.extra)
        headers = {}
        if isinstance(exc, StaleVersion) and "version" in extra:
            headers["ETag"] = f'"{extra["version"]}"'
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(extra.get("retry_after", 60))
        if isinstance(exc, StoreUnavailable):
            headers["Retry-After"] = "5"
        return problem(status, exc.detail, exc.errors, exc.slug, headers=headers, extra=extra)
    if isinstance(exc, ServiceUnavailable):
        extra = {"unavailable": exc.what}
        detail = str(exc)
        if exc.sent and request.method not in ("GET", "HEAD", "OPTIONS"):
            # the service may have made the change after we stopped waiting
            extra["outcome"] = "unknown"
            detail += (" The change may or may not have been made. Retry the same request: with the same "
                       "Idempotency-Key it is made at most once; a write with If-Match answers 412 if it was "
                       "made; otherwise read the resource first.")
        elif request.method not in ("GET", "HEAD", "OPTIONS"):
            extra["outcome"] = "not_applied"
            detail += " Nothing was changed; retry shortly."
        return problem(503, detail, {}, "unavailable", headers={"Retry-After": "5"}, extra=extra)
    if isinstance(exc, HTTPException):
        return problem(exc.code, exc.description or TITLES.get(exc.code, ""))
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "Something went wrong on our side; it has been logged.")
