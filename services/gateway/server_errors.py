"""Errors gunicorn answers itself, before the application sees the request (a URL over its limit,
malformed headers or chunks), written as problem+json like every other error a client can meet.

gunicorn writes them through ``gunicorn.util.write_error``; deploy/gunicorn.conf.py points that
at ``write_problem``.
"""
import json

from gunicorn.util import write_nonblock

from .problems import TYPE_BASE

ADVICE = {414: "The URL is too long (at most 4094 bytes in the request line); send fewer or shorter "
               "query parameters.",
          431: "The request headers are too large or too many; send fewer or shorter headers.",
          400: "The request could not be read as HTTP."}


def write_problem(sock, status_int, reason, mesg):
    detail = ADVICE.get(status_int, reason)
    if mesg and status_int in (400, 501):
        detail = f"{detail} ({mesg})"
    body = json.dumps({"type": TYPE_BASE + reason.lower().replace(" ", "-"), "title": reason,
                       "status": status_int, "detail": detail, "errors": {}}, ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n")
    write_nonblock(sock, head.encode("latin-1") + body)
