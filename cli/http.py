"""The public API over HTTP, patient with poor connections: a request that the network or the
gateway fails (connection errors, timeouts, 429, 502-504) is tried again with growing pauses;
what the server refuses becomes a CliError carrying its problem+json errors.

A write is tried again after an answer that leaves its outcome unknown (a timeout, a dropped
connection, 502-504) only when a repeat is harmless: it carries an Idempotency-Key (the server
answers a repeated key with the first result) or an If-Match (a repeat of a write that was done
gets 412, and the caller compares what the server has with what it sent). Other writes are tried
again only when they cannot have reached the server (no connection, 429)."""
import random
import time

import requests

from .errors import AUTH, CONFLICT, CliError, Unknown, Unreachable

RETRYABLE = {429, 502, 503, 504}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def repeatable(method, headers):
    """Whether sending the request twice does no more than sending it once."""
    names = {name.lower() for name in headers or {}}
    return method.upper() in SAFE_METHODS or "idempotency-key" in names or "if-match" in names


def never_sent(exc):
    """A connection error that happened before the request could reach the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return isinstance(exc, requests.ConnectionError) and any(
        sign in text for sign in ("NewConnectionError", "Connection refused", "Name or service not known",
                                  "nodename nor servname", "Temporary failure in name resolution"))


class Api:
    def __init__(self, url, token=None, attempts=6, pause=0.5, timeout=60, sleep=time.sleep):
        self.url, self.attempts, self.pause, self.timeout, self.sleep = url, attempts, pause, timeout, sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "ortak-cli"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, expect=(200, 201, 202), on_retry=None, harmless=False, **kwargs):
        """The response once the server answers for good; see the module for what is tried again.
        ``harmless``: the caller knows a repeat of this write does nothing more (rows keyed by their ids)."""
        safe = harmless or repeatable(method, kwargs.get("headers"))
        last = None
        for attempt in range(self.attempts):
            try:
                response = self.session.request(method, f"{self.url}/api/v1{path}", timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}: {exc}"
                if not safe and not never_sent(exc):
                    raise Unknown(f"{method} {path} to {self.url} may or may not have been done ({last}); "
                                  f"look on the server before sending it again.") from None
            else:
                if response.status_code in expect:
                    return response
                if response.status_code not in RETRYABLE:
                    raise refusal(response)
                last = f"{response.status_code} {problem(response).get('detail', '')}".strip()
                if not safe and response.status_code != 429:
                    raise Unknown(f"{method} {path} to {self.url} may or may not have been done ({last}); "
                                  f"look on the server before sending it again.")
                wait = retry_after(response, None, 60)
                if wait is not None:
                    self.sleep(wait)
                    continue
            if attempt + 1 < self.attempts:
                if on_retry:
                    on_retry(last)
                self.sleep(min(self.pause * 2 ** attempt, 30) * (0.5 + random.random() / 2))
        raise Unreachable(f"{self.url} did not answer {method} {path} after {self.attempts} attempts ({last}).")

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs).json()

    def follow(self, response, done, timeout=900):
        """The answer at the ``Location`` of a 202 (work the server does after answering), asked
        again as its Retry-After says until ``done(answer)``, or as it stands after ``timeout`` seconds."""
        path = response.headers["Location"].split("/api/v1", 1)[-1]
        deadline = time.monotonic() + timeout
        while True:
            response = self.request("GET", path)
            answer = response.json()
            if done(answer) or time.monotonic() > deadline:
                return answer
            self.sleep(retry_after(response, 1, 30))


def retry_after(response, default, most):
    """The seconds a response's ``Retry-After`` asks to wait (at most ``most``), else ``default``."""
    value = response.headers.get("Retry-After") or ""
    return min(int(value), most) if value.isdigit() else default


def problem(response):
    try:
        body = response.json()
        return body if isinstance(body, dict) else {}
    except ValueError:
        return {}


def refusal(response):
    body = problem(response)
    message = f"{response.status_code} {body.get('title', response.reason)}: {body.get('detail', response.text[:200])}"
    code = AUTH if response.status_code in (401, 403) else CONFLICT if response.status_code in (409, 412) else None
    error = CliError(message, body.get("errors"), code)
    error.status, error.body = response.status_code, body
    return error
