"""The API client of the seed, the tests and the benchmarks, against a server that closes a
kept-alive connection as a request goes out on it (the gateway's keepalive running out)."""
import socket
import threading
import time

import pytest
import requests

from ops.client import Client

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Server:
    """Reads each request on a new connection; ``plan`` says what it does with the n-th: "drop"
    (close it unanswered), "slow" (answer after a second) or "answer"."""

    def __init__(self, plan):
        self.plan, self.requests = list(plan), []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.requests.append(conn.recv(65536).split(b" ", 1)[0].decode())
                what = self.plan.pop(0) if self.plan else "answer"
                if what == "slow":
                    time.sleep(1)
                if what != "drop":
                    conn.sendall(ANSWER)

    def close(self):
        self.sock.close()


@pytest.fixture
def server(request):
    found = Server(request.param)
    yield found
    found.close()


@pytest.mark.parametrize("server", [["drop"]], indirect=True)
def test_an_idempotent_request_dropped_unanswered_is_sent_once_more(server):
    assert Client(server.url).get("/plans") == {}
    assert server.requests == ["GET", "GET"]


@pytest.mark.parametrize("server", [["drop", "drop"]], indirect=True)
def test_a_request_dropped_twice_is_not_sent_a_third_time(server):
    with pytest.raises(requests.ConnectionError):
        Client(server.url).get("/plans")
    assert server.requests == ["GET", "GET"]


@pytest.mark.parametrize("server", [["drop"]], indirect=True)
def test_a_post_dropped_unanswered_is_not_sent_again_by_the_connection(server):
    with pytest.raises(requests.ConnectionError):   # the server may have acted on it: patiently decides
        Client(server.url).post("/tokens", {"role": "viewer"})
    assert server.requests == ["POST"]


@pytest.mark.parametrize("server", [["slow"]], indirect=True)
def test_a_request_that_timed_out_waiting_for_its_answer_is_not_sent_again(server):
    with pytest.raises(requests.ReadTimeout):
        Client(server.url, timeout=0.3).get("/plans")
    time.sleep(0.8)
    assert server.requests == ["GET"]
