"""A write whose answer is lost (a 503 or a timeout after the server did it) is neither stored
twice nor reported as failed."""
import http.server
import socketserver
import threading

import openpyxl
import pytest
import requests

from ops.processes import free_port
from tests.cli.test_sync import ortak, readings_csv, submitted, token

pytestmark = pytest.mark.stack


class LosingProxy:
    """Forwards to the gateway; the first write matching ``lose`` is done by the server but its
    answer is replaced by a 503, as when a gateway times out on a write that went through."""

    def __init__(self, target, lose):
        self.target, self.lose, self.lost, self.seen = target, lose, 0, []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = requests.request(self.command, proxy.target + self.path, data=body, headers=headers,
                                          timeout=60)
                proxy.seen.append((self.command, self.path, self.headers.get("Idempotency-Key"),
                                   self.headers.get("If-Match"), answer.status_code))
                if not proxy.lost and proxy.lose(self.command, self.path) and answer.status_code < 300:
                    proxy.lost += 1
                    status, content, kind = 503, b'{"title": "Service Unavailable", "status": 503}', \
                        "application/problem+json"
                else:
                    status, content, kind = answer.status_code, answer.content, answer.headers.get(
                        "Content-Type", "application/json")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = _forward

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def losing_proxy(stack):
    proxies = []

    def make(lose):
        proxies.append(LosingProxy(stack.url, lose))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


def test_a_contribution_whose_answer_was_lost_is_stored_once_and_reported_done(draft, coordinator, token_for,
                                                                               losing_proxy, tmp_path):
    planner = token(token_for("planner", "edremit"))
    proxy = losing_proxy(lambda method, path: method == "PUT")
    book = tmp_path / "edremit.xlsx"
    assert ortak(tmp_path, proxy.url, planner, "pull", "contribution", "--plan", draft, "--municipality", "edremit",
                 "-o", str(book))[0] == 0
    wb = openpyxl.load_workbook(book)
    header = [c.value for c in wb["Göstergeler"][1]]
    wb["Göstergeler"].cell(2, header.index("Hedef 2028") + 1).value = 77
    wb.save(book)
    version = coordinator.get(f"/plans/{draft}")["version"]

    code, result = ortak(tmp_path, proxy.url, planner, "push", "contribution", str(book))
    assert code == 0, result
    puts = [s for s in proxy.seen if s[0] == "PUT"]
    assert proxy.lost == 1 and [s[4] for s in puts] == [200, 412] and puts[0][3] == puts[1][3] == f'"{version}"'
    plan = coordinator.get(f"/plans/{draft}")
    assert plan["version"] == version + 1 == result["version"]      # stored once
    assert plan["contributions"]["edremit"]["objectives"][0]["indicators"][0]["targets"]["2028"] == 77


def test_readings_whose_answer_was_lost_are_sent_again_with_the_same_key_and_stored_once(
        adopted, coordinator, token_for, losing_proxy, tmp_path):
    planner = token(token_for("planner", "edremit"))
    proxy = losing_proxy(lambda method, path: method == "POST" and path.endswith("/readings"))
    file = tmp_path / "r.csv"
    readings_csv(file)
    code, result = ortak(tmp_path, proxy.url, planner, "push", "readings", str(file), "--plan", adopted)
    assert code == 0 and result["sent"] == 1, result
    posts = [s for s in proxy.seen if s[0] == "POST"]
    assert proxy.lost == 1 and len(posts) == 2 and posts[0][2] and posts[0][2] == posts[1][2]
    assert submitted(coordinator, adopted) == (1, 2)
