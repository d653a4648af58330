"""Typed errors that cross RPC intact.

Each class is registered with nameko so a remote raise arrives at the caller as the same
class with the same arguments; the gateway then maps classes to HTTP statuses in one table.
"""
import json
import socket

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError
from nameko.exceptions import deserialize_to_instance

# The broker going away, as each layer says it: a socket error, kombu's, or AMQP's own connection
# errors (a broker shutting down closes its connections with CONNECTION_FORCED, which is none of
# Python's ConnectionErrors).
BROKER_GONE = (OSError, OperationalError, socket.timeout, ConnectionError, AMQPConnectionError)


class OrtakError(Exception):
    """Base: ``detail`` is a sentence for people, ``errors`` maps field paths to messages."""

    title = "Error"
    slug = "error"

    def __init__(self, detail="", errors=None, extra=None):
        # nameko turns non-string scalars in args into strings; ``extra`` travels as JSON text
        if not isinstance(extra, str):
            extra = json.dumps(extra or {})
        super().__init__(detail, errors or {}, extra)

    @property
    def detail(self):
        return self.args[0]

    @property
    def errors(self):
        return self.args[1]

    @property
    def extra(self):
        return json.loads(self.args[2])

    def __str__(self):
        return self.detail


def _register(cls):
    return deserialize_to_instance(cls)


@_register
class InvalidInput(OrtakError):
    """Valid JSON whose content breaks a rule (HTTP 422)."""
    title = "Invalid input"
    slug = "invalid-input"


@_register
class NotFound(OrtakError):
    title = "Not found"
    slug = "not-found"


@_register
class Forbidden(OrtakError):
    title = "Forbidden"
    slug = "forbidden"


@_register
class Unauthenticated(OrtakError):
    title = "Unauthenticated"
    slug = "unauthenticated"


@_register
class Conflict(OrtakError):
    """The request does not fit the current state (HTTP 409)."""
    title = "Conflict"
    slug = "conflict"


@_register
class StaleVersion(OrtakError):
    """The write was based on an older version (HTTP 412); ``extra`` has the current one."""
    title = "Stale version"
    slug = "stale-version"


@_register
class RateLimited(OrtakError):
    """Too many requests from one client (HTTP 429); ``extra["retry_after"]`` in seconds."""
    title = "Too many requests"
    slug = "rate-limited"


@_register
class Malformed(OrtakError):
    """The request could not be read: bad JSON, bad header (HTTP 400)."""
    title = "Malformed request"
    slug = "malformed-request"


@_register
class StoreUnavailable(OrtakError):
    """The service's store did not answer (HTTP 503): nothing was written, try again shortly."""
    title = "Service unavailable"
    slug = "unavailable"


HTTP_STATUS = {
    Malformed: 400,
    InvalidInput: 422,
    NotFound: 404,
    Forbidden: 403,
    Unauthenticated: 401,
    Conflict: 409,
    StaleVersion: 412,
    RateLimited: 429,
    StoreUnavailable: 503,
}


def http_status(exc):
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500
