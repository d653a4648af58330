"""A small HTTP client of Ortak's public API, for the demo seed, the tests and the benchmarks."""
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry, reraise


class Reconnect(Retry):
    """An idempotent request (GET, PUT, DELETE) sent again, once, on a new connection when the
    kept-alive one it went out on was being closed by the gateway (its keepalive ran out at that
    moment): the server never answered it. A POST is not (``patiently`` sends it again, with its
    Idempotency-Key), nor a request that timed out waiting for its answer."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, ReadTimeoutError):
            raise reraise(type(error), error, _stacktrace)
        return super().increment(method, url, response, error, _pool, _stacktrace)


class ApiError(Exception):
    def __init__(self, response):
        self.response = response
        try:
            self.problem = response.json()
        except ValueError:
            self.problem = {"detail": response.text}
        super().__init__(f"{response.request.method} {response.url} -> {response.status_code}: "
                         f"{self.problem.get('detail')} {self.problem.get('errors') or ''}")


class Client:
    def __init__(self, url, token=None, timeout=30):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=Reconnect(total=1, connect=0, read=1, other=0, status=0,
                                                                        redirect=False, raise_on_status=False)))
        self.timeout = timeout
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, expect=None, **kwargs):
        response = self.session.request(method, self.url + "/api/v1" + path, timeout=self.timeout, **kwargs)
        if expect is not None and response.status_code not in ((expect,) if isinstance(expect, int) else expect):
            raise ApiError(response)
        return response

    def patiently(self, method, path, body, key=None, attempts=30, pause=0.5):
        """A write as a careful district tool sends it: again after a 503 or a dropped connection,
        with the same Idempotency-Key (so it is made once); the first other answer. ``body``: what
        to send as JSON, or its JSON text (bytes) as a tool that wrote it already sends it."""
        headers = {"Idempotency-Key": key} if key else {}
        sent = {"json": body}
        if isinstance(body, bytes):
            headers["Content-Type"] = "application/json"
            sent = {"data": body}
        last = None
        for _ in range(attempts):
            try:
                last = self.request(method, path, headers=headers, **sent)
            except requests.RequestException as exc:
                last = exc
            else:
                if last.status_code != 503:
                    return last
            time.sleep(pause)
        raise last if isinstance(last, Exception) else ApiError(last)

    def get(self, path, **kwargs):
        return self.request("GET", path, expect=kwargs.pop("expect", 200), **kwargs).json()

    def put(self, path, body, **kwargs):
        return self.request("PUT", path, json=body, expect=kwargs.pop("expect", (200, 201)), **kwargs).json()

    def post(self, path, body, **kwargs):
        return self.request("POST", path, json=body, expect=kwargs.pop("expect", (200, 201)), **kwargs).json()


def token_maker(url, admin):
    """A client for a role (and municipality), its token issued by ``admin`` the first time;
    ``person`` gives another token of the same role and municipality (a second pair of eyes)."""
    issued = {}

    def make(role, municipality=None, person=None):
        key = (role, municipality, person)
        if key not in issued:
            label = "issued for a test run" + (f" ({person})" if person else "")
            body = {"role": role, "municipality": municipality, "label": label}
            issued[key] = admin.post("/tokens", body, expect=201)["token"]
        return Client(url, issued[key])

    return make
