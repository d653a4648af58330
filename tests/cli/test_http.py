"""Which requests the command line tries again after an answer that leaves their outcome unknown."""
import http.server
import socketserver
import threading

import pytest

from cli.errors import Unknown, Unreachable
from cli.http import Api
from ops.processes import free_port


@pytest.fixture
def unavailable():
    """A server that answers every request 503 and counts what it got."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.command, self.headers.get("Idempotency-Key"), self.headers.get("If-Match")))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = _answer

    server = socketserver.ThreadingTCPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_reads_and_writes_that_can_be_repeated_are_tried_again_with_the_same_headers(unavailable):
    url, seen = unavailable
    api = Api(url, "t", attempts=3, sleep=lambda s: None)
    for method, headers in (("GET", {}), ("POST", {"Idempotency-Key": "k1"}), ("PUT", {"If-Match": '"4"'})):
        with pytest.raises(Unreachable):
            api.request(method, "/x", json={}, headers=headers)
    assert seen == [("GET", None, None)] * 3 + [("POST", "k1", None)] * 3 + [("PUT", None, '"4"')] * 3


def test_a_write_without_a_key_or_if_match_is_not_sent_twice(unavailable):
    url, seen = unavailable
    with pytest.raises(Unknown, match="may or may not have been done"):
        Api(url, "t", attempts=3, sleep=lambda s: None).request("POST", "/x", json={})
    assert seen == [("POST", None, None)]
