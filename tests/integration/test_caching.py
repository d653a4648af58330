"""Reads without the round trip: the gateway remembers checked tokens and sessions and what it
served, and forgets them when an event says they changed (revoked, ended, new figures)."""
import secrets
import time

import pytest

from ops.client import Client
from ops.processes import wait_until
from services.gateway.http import GZIP_OVER
from services.monitoring.models import unpacked
from tests.integration.test_monitoring import readings_for, H1
from tests.stack import login

pytestmark = pytest.mark.stack

SETTLE = 1.0   # a revocation or a logout reaches every gateway process within this


def refused_within(request, refused, what, settle=SETTLE, tries=12):
    """Sends ``request`` until ``settle`` s have passed since the change, then ``tries`` more times
    (the gateway's two workers answer in turn): every answer after ``settle`` is a refusal."""
    changed = time.monotonic()
    while time.monotonic() - changed < settle:
        request()
        time.sleep(0.05)
    late = [request() for _ in range(tries)]
    assert all(refused(r) for r in late), f"{what}: {[r.status_code for r in late]} after {settle} s"


def warm(request, times=12):
    """Enough requests, a little apart, for both workers to start listening and remember the caller."""
    for _ in range(times):
        assert request().status_code == 200
        time.sleep(0.1)


def test_a_revoked_token_is_refused_on_every_worker_within_a_second(stack, admin, region):
    issued = admin.post("/tokens", {"role": "viewer", "municipality": "havran", "label": "cache test"}, expect=201)
    viewer = Client(stack.url, issued["token"])
    warm(lambda: viewer.request("GET", "/municipalities"))
    assert admin.request("DELETE", f"/tokens/{issued['id']}").status_code == 204
    # each try from another address: a client's bad tokens are counted (429 after ten a minute)
    addresses = (f"10.77.{n // 250}.{n % 250 + 1}" for n in range(10_000))
    refused_within(lambda: viewer.request("GET", "/municipalities", headers={"X-Forwarded-For": next(addresses)}),
                   lambda r: r.status_code == 401, "the revoked token")


def test_a_logged_out_or_disabled_session_is_the_public_within_a_second(stack, admin, draft, person_for):
    username, password = f"cache.{secrets.token_hex(4)}", "Körfez " + secrets.token_urlsafe(12)
    admin.post("/users", {"username": username, "display_name": "Cache", "role": "coordinator",
                          "municipality": "balikesir", "password": password}, expect=201)
    first, second = login(stack.url, username, password), login(stack.url, username, password)
    secret = first.session.cookies.get("ortak_session")
    warm(lambda: first.request("GET", f"/plans/{draft}"))
    warm(lambda: second.request("GET", f"/plans/{draft}"))
    assert first.request("DELETE", "/sessions/current").status_code == 204
    # the cookie kept (copied, or replayed) no longer speaks for anyone
    replay = Client(stack.url)
    replay.session.cookies.set("ortak_session", secret)
    refused_within(lambda: replay.request("GET", f"/plans/{draft}"), lambda r: r.status_code == 404,
                   "the ended session")
    assert second.request("GET", f"/plans/{draft}").status_code == 200   # another browser stays logged in
    uid = next(u["id"] for u in admin.get("/users") if u["username"] == username)
    assert admin.request("DELETE", f"/users/{uid}").status_code == 204
    refused_within(lambda: second.request("GET", f"/plans/{draft}"), lambda r: r.status_code == 404,
                   "the disabled person's session")


def forgotten_everywhere(read, is_new):
    """Once the change's event reaches every gateway worker as it reached the test (how soon is the
    benchmark's propagation figure, not a test's), no worker serves the old answer again."""
    wait_until(lambda: all(is_new(read()) for _ in range(8)), 10, interval=0.05,
               what="every worker forgetting the old answer")
    assert all(is_new(read()) for _ in range(16))


def test_a_plan_read_has_its_etag_and_is_served_again_without_the_registry(stack, adopted, coordinator, public):
    first = public.request("GET", f"/plans/{adopted}")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag == f'"{first.json()["version"]}"'
    assert first.headers["Cache-Control"].startswith("public")
    assert "Content-Encoding" not in first.headers and len(first.content) < GZIP_OVER   # a small answer as it is
    again = [public.request("GET", f"/plans/{adopted}") for _ in range(6)]
    assert all(r.json() == first.json() and r.headers["ETag"] == etag for r in again)
    assert "hit" in {r.headers["X-Cache"] for r in again}
    not_modified = public.request("GET", f"/plans/{adopted}", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["ETag"] == etag
    mine = coordinator.request("GET", f"/plans/{adopted}", headers={"If-None-Match": etag})
    assert mine.status_code == 304 and mine.headers["Cache-Control"].startswith("private")
    # a renewal is a new version of the plan: once its event is out (it is before the answer),
    # no worker serves the old one
    renewal = coordinator.post(f"/plans/{adopted}/revisions", {"kind": "renewal", "reason": "Yerel seçimler",
                                                               "new_plan_id": adopted + "-r"}, expect=201)
    forgotten_everywhere(lambda: public.request("GET", f"/plans/{adopted}"), lambda r: (
        r.json()["version"], r.json()["status"]) == (renewal["version"], "renewed") and r.headers["ETag"] != etag)


def test_a_big_answer_goes_gzipped_to_whoever_takes_it_and_plain_to_the_rest(stack, admin):
    import gzip
    import requests
    from ops.client import token_maker
    from ops.demo import synthetic
    from ops.processes import wait_until
    plan_id = synthetic.create(token_maker(stack.url, admin), admin, "gz" + secrets.token_hex(2), 1, 300)
    # the plan, and its progress, which monitoring sends gzipped already (a tenth through the broker)
    progress = f"{stack.url}/api/v1/plans/{plan_id}/progress?period={synthetic.half_years()[0]}&level=indicators"
    wait_until(lambda: "ETag" in requests.get(progress, timeout=30).headers, 60, what="the adoption's figures stored")
    for url in (f"{stack.url}/api/v1/plans/{plan_id}", progress):
        plain = [requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=30) for _ in range(4)]
        body, etag = plain[0].content, plain[0].headers["ETag"]
        assert len(body) > GZIP_OVER and "Content-Encoding" not in plain[0].headers and etag.startswith('"')
        assert all(r.content == body and r.headers["ETag"] == etag for r in plain)   # kept gzipped, sent plain
        assert "hit" in {r.headers["X-Cache"] for r in plain} and body.endswith(b"}\n")
        packed = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30)
        raw = packed.raw.read(decode_content=False)
        assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["Vary"] == "Accept-Encoding"
        assert gzip.decompress(raw) == body and len(raw) < len(body) / 5
        assert packed.headers["ETag"] == f"W/{etag}"                    # the same figures, another encoding
        for tag in (etag, f"W/{etag}"):                                # either names what the client holds
            again = requests.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": tag}, timeout=30)
            assert again.status_code == 304 and again.content == b""
    assert len(plain[0].json()["indicators"]) == 300


def test_clients_reading_a_big_plan_nobody_read_yet_wait_for_one_fetch_in_each_worker(stack, admin):
    import threading
    import requests
    from ops.client import token_maker
    from ops.demo import synthetic
    warm(lambda: admin.request("GET", "/municipalities"))   # both workers listening: they may keep answers
    plan_id = synthetic.create(token_maker(stack.url, admin), admin, "sf" + secrets.token_hex(2), 1, 300)
    url, ready, answers = f"{stack.url}/api/v1/plans/{plan_id}", threading.Barrier(16), []

    def client():
        ready.wait()
        answers.append(requests.get(url, timeout=30))
    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in answers] == [200] * 16 and len({r.content for r in answers}) == 1
    # the registry was asked once by each gateway worker at most; the other clients waited for it
    assert [r.headers["X-Cache"] for r in answers].count("miss") <= 2


def test_a_draft_is_never_served_from_the_cache(stack, draft, coordinator, public):
    for _ in range(4):
        assert coordinator.request("GET", f"/plans/{draft}").status_code == 200
        assert public.request("GET", f"/plans/{draft}").status_code == 404


def settled_progress(client, plan_id, period, check):
    found = {}

    def ready():
        found["answer"] = client.request("GET", f"/plans/{plan_id}/progress?period={period}")
        return found["answer"].status_code == 200 and check(found["answer"].json())
    wait_until(ready, 20, interval=0.1, what="the figures")
    return found["answer"]


def by_code(progress):
    return {i["code"]: i for i in progress["indicators"]}


def test_progress_has_an_etag_and_a_read_after_an_approval_shows_the_new_figures(
        stack, adopted, token_for, coordinator, public, listen):
    url = f"/plans/{adopted}/progress?period=2026-H1"
    havran = token_for("planner", "havran")
    # stored figures first (an approval of one district), so the period has a revision
    events = listen("monitoring", "figures_updated")
    havran.post(f"/plans/{adopted}/readings", {"readings": readings_for("havran", "2026-H1", H1)}, expect=202)
    coordinator.post(f"/plans/{adopted}/readings/approve", {"municipality": "havran", "period": "2026-H1"})
    events.wait_for("figures_updated", lambda body: body["plan_id"] == adopted)
    first = settled_progress(public, adopted, "2026-H1", lambda p: by_code(p)["PG9.1.1"]["C"] is not None)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"].startswith("public")
    again = [public.request("GET", url) for _ in range(6)]
    assert all(r.headers["ETag"] == etag and r.json() == first.json() for r in again)
    assert "hit" in {r.headers["X-Cache"] for r in again}
    assert public.request("GET", url, headers={"If-None-Match": etag}).status_code == 304
    assert havran.request("GET", url, headers={"If-None-Match": etag}).status_code == 304
    other = public.request("GET", url + "&municipality=havran")
    assert other.headers["ETag"] != etag                      # another representation, another tag
    # another district's readings approved: once its figures_updated has been published, no
    # worker serves the old figures
    edremit = token_for("planner", "edremit")
    edremit.post(f"/plans/{adopted}/readings", {"readings": readings_for("edremit", "2026-H1", H1)}, expect=202)
    coordinator.post(f"/plans/{adopted}/readings/approve", {"municipality": "edremit", "period": "2026-H1"})
    events.wait_for("figures_updated", lambda body: body["plan_id"] == adopted and "2026-H1" in
                    body["payload"]["periods"])

    def new_figures(response):
        figures = by_code(response.json())
        edremit_codes = [c for c in figures if c.startswith("PG5.") or c.startswith("PG6.")]
        return (response.headers["ETag"] != etag and figures["PG9.1.1"]["C"] is not None
                and any(figures[c]["C"] is not None for c in edremit_codes))
    forgotten_everywhere(lambda: public.request("GET", url), new_figures)
    assert public.request("GET", url, headers={"If-None-Match": etag}).status_code == 200


def test_two_monitoring_processes_taking_approvals_at_once_keep_the_figures_right(
        stack, adopted, admin, token_for, coordinator, public, store_uri, run_id):
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    import pymongo

    from ops.demo import korfez
    from ops.stack import ROOT
    from tests.integration.test_monitoring import GREEN_2025, H2

    replica = stack.add_replica("monitoring")
    try:
        wait_until(lambda: b"Connected to" in open(replica.log_path, "rb").read(), 30, interval=0.2,
                   what="the second monitoring process connected")
        time.sleep(1)
        periods = {"2026-H1": H1, "2026-H2": H2}
        for district in korfez.DISTRICTS:
            planner = token_for("planner", district)
            for period, values in periods.items():
                planner.post(f"/plans/{adopted}/readings", {"readings": readings_for(district, period, values)},
                             expect=202)
            for period, value in GREEN_2025.items():   # what the cumulative indicators need
                lines = [line for line in readings_for(district, period, {**H1, "green": value})
                         if line["indicator"].startswith("PG1.")]
                planner.post(f"/plans/{adopted}/readings", {"readings": lines}, expect=202)

        inbox = pymongo.MongoClient(store_uri)[f"ortak_{run_id}_monitoring"]["inbox"]

        def handled():   # approvals whose figures update has run (the inbox marks it after the effect)
            return sum(1 for d in inbox.find({"type": "readings_approved"}, {"_id": 1})
                       if d["_id"].startswith("monitoring.progress:"))
        before = handled()

        def approve(job):
            """As a client does: a 503 says the outcome is unknown, and approving again is safe (what
            was approved is not approved twice). How soon approvals answer is the benchmark's."""
            district, period = job
            for _ in range(6):
                answer = coordinator.request("POST", f"/plans/{adopted}/readings/approve",
                                             json={"municipality": district, "period": period})
                if answer.status_code != 503:
                    return answer.status_code
                time.sleep(2)
            return answer.status_code

        jobs = [(d, p) for p in [*GREEN_2025, *periods] for d in korfez.DISTRICTS]
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            assert set(pool.map(approve, jobs)) == {200}
        for district, period in jobs:   # every reading submitted is approved, once
            readings = coordinator.get(f"/plans/{adopted}/readings?municipality={district}&period={period}")
            assert readings and {r["status"] for r in readings} == {"approved"}, (district, period)

        # a figures update that met the other process's write is retried (with back-off): the
        # comparison below waits until every approval's update has run, not merely a quiet moment
        wait_until(lambda: handled() >= before + len(jobs), 120, interval=0.5, what="every approval figured in")
        database = pymongo.MongoClient(store_uri)[f"ortak_{run_id}_monitoring"]

        def stored():
            """The periods' roll-ups and the municipalities' slices, as stored."""
            return {"rollups": {d["_id"]: unpacked(d, ("figures",))["figures"]
                                for d in database["progress"].find({"plan_id": adopted})},
                    "slices": {d["_id"]: unpacked(d, ("indicators", "objectives"))
                               for d in database["figure_slices"].find({"plan_id": adopted},
                                                                       {"indicators": 1, "objectives": 1})}}

        def complete(figures):
            return figures.get("plan", {}).get("realization") is not None
        last = {}

        def quiet():   # every approval figured in (the later years they carry to too), nothing written for a second
            now = stored()
            done = all(complete(now["rollups"].get(f"{adopted}:{p}", {})) for p in periods) and not list(
                database["figures_carried"].find({"plan_id": {"$eq": adopted}}, {"_id": 1}))
            settled = done and now == last.get("figures")
            last["figures"] = now
            return settled
        try:
            wait_until(quiet, 60, interval=1.5, what="the figures settled")
        except TimeoutError:
            print({k: v.get("plan") for k, v in stored().items()})
            raise
        incremental = stored()
        result = subprocess.run([sys.executable, "-m", "ops.recompute", adopted], cwd=ROOT, capture_output=True,
                                text=True, env={"PATH": "/usr/bin:/bin", "AMQP_URI": stack.amqp_uri,
                                                "PYTHONPATH": ROOT}, timeout=120)
        assert result.returncode == 0, result.stderr
        assert stored() == incremental       # what two processes figured is what a recompute figures
        alerts = public.get(f"/plans/{adopted}/alerts")
        assert len({(a["indicator"], a["kind"]) for a in alerts}) == len(alerts)   # one open alert each
        # the gateway serves the settled figures
        assert by_code(public.get(f"/plans/{adopted}/progress?period=2026-H1")) == \
            {i["code"]: i for key, part in incremental["slices"].items() if key.startswith(f"{adopted}:2026-H1:")
             for i in part["indicators"]}

        # whoever approves and reads at once sees the approval, whichever process figures it and
        # whichever answers the read (a read of a period waits for an approval of it being figured):
        # districts of a thousand indicators, whose figuring takes long enough to be caught at it
        from ops.demo import synthetic
        from tests.stack import until_monitoring_has
        prefix = "twice" + secrets.token_hex(2)
        plan_id = synthetic.create(token_for, admin, prefix, 2, 1000)
        reader = token_for("viewer")
        until_monitoring_has(reader, plan_id, synthetic.YEARS[-1])
        for count, period in enumerate(synthetic.half_years()[:3], start=1):
            for n in (1, 2):
                planner = token_for("planner", f"{prefix}-d{n}")
                planner.post(f"/plans/{plan_id}/readings", {"readings": synthetic.readings(prefix, n, 1000, period)},
                             expect=202)
                planner.post(f"/plans/{plan_id}/readings/approve", {"municipality": f"{prefix}-d{n}", "period": period})
                figures = reader.get(f"/plans/{plan_id}/progress?period={period}&municipality={prefix}-d{n}"
                                     "&level=indicators")["indicators"]
                assert len(figures) == 1000 and {i["C"] for i in figures} == {count}, (period, n)   # cumulative
    finally:
        stack.remove_replica("monitoring")
