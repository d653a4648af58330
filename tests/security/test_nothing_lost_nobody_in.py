"""What an outside probe broke, against the running system: numbers that could not be figured,
idempotency keys shared across callers, drafts and people in public answers, digits that are
not ASCII, bodies and URLs over their limits."""
import copy
import io
import secrets
import subprocess
import sys

import openpyxl
import pytest
import requests

from ops.demo import korfez
from ops.processes import wait_until
from ops.stack import ROOT
from services.monitoring.readings import reading_id
from tests.faults.test_delivery import read_store
from tests.integration.test_consultation import an_input, workshop
from tests.security.test_hostile_input import plan_state, problem
from tests.stack import until_monitoring_has

pytestmark = pytest.mark.stack


def reading(indicator="PG5.1.1", municipality="edremit", period="2026-H1", **figures):
    return {"indicator": indicator, "municipality": municipality, "period": period, **(figures or {"value": 18})}


# -- numbers that would make a figure non-finite ----------------------------------------------------
def test_numbers_no_figure_can_hold_are_refused_with_their_line(adopted, coordinator):
    found = problem(coordinator.request("POST", f"/plans/{adopted}/readings", json={"readings": [
        reading(), reading("PG5.1.2", value=1e308), reading("PG3.3.2", numerator=1e15, denominator=1e-300)]}), 422)
    assert set(found["errors"]) == {"readings[1].value", "readings[2].denominator"}
    assert "cannot be computed" in found["errors"]["readings[2].denominator"][0]
    assert coordinator.get(f"/plans/{adopted}/readings") == []
    contribution = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    contribution["objectives"][0]["indicators"][0]["baseline"] = 1e300
    revision = {"kind": "update", "reason": "sınama", "effective_from": "2027"}
    coordinator.post(f"/plans/{adopted}/revisions", revision, expect=201)
    found = problem(coordinator.request("PUT", f"/plans/{adopted}/contributions/edremit", json=contribution), 422)
    assert "objectives[0].indicators[0].baseline" in found["errors"]


def test_a_reading_outside_its_indicators_declared_range_is_refused_with_its_line(draft, coordinator, token_for):
    contribution = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    indicator = contribution["objectives"][0]["indicators"][0]
    top = max(indicator["targets"].values()) + 5
    indicator["range"] = {"min": 0, "max": top}
    coordinator.put(f"/plans/{draft}/contributions/edremit", contribution)
    coordinator.post(f"/plans/{draft}/adopt", korfez.ADOPTION)
    until_monitoring_has(coordinator, draft)
    planner = token_for("planner", "edremit")
    found = problem(planner.request("POST", f"/plans/{draft}/readings", json={"readings": [
        reading("PG5.1.2", value=18), reading(indicator["code"], value=top + 1)]}), 422)
    assert list(found["errors"]) == ["readings[1].value"] and "declared range" in found["errors"]["readings[1].value"][0]
    assert coordinator.get(f"/plans/{draft}/readings") == []          # nothing of the batch stored
    planner.post(f"/plans/{draft}/readings", {"readings": [reading(indicator["code"], value=top)]}, expect=202)
    assert coordinator.get(f"/plans/{draft}")["contributions"]["edremit"]["objectives"][0]["indicators"][0][
        "range"] == {"min": 0, "max": top}


def test_a_stored_value_out_of_range_blocks_no_approval_nor_the_repair(stack, adopted, coordinator, token_for):
    """A reading stored before the bounds existed: its own figure is missing, the other readings
    approved with it count, and the repair command figures the plan."""
    import pymongo
    stored = {**reading("PG5.1.2", value=1e308), "plan_id": adopted, "numerator": None, "denominator": None,
              "weight": None, "note": None, "source": None, "status": "submitted", "batch": "legacy",
              "submitted_at": "2026-07-01T00:00:00Z", "approved": None, "approved_at": None, "history": []}
    from services.monitoring.models import Sheet, pack
    with pymongo.MongoClient(stack.mongodb_uri) as client:
        client[f"{stack.db_prefix}_monitoring"]["reading_sheets"].insert_one({
            "_id": Sheet.key(adopted, "edremit", "2026-H1"), "plan_id": adopted, "municipality": "edremit",
            "period": "2026-H1", "rev": 0, "readings": pack([{"_id": reading_id(adopted, stored), **stored}]),
            "approved": pack({})})
    coordinator.post(f"/plans/{adopted}/readings", {"readings": [reading(value=18)]}, expect=202)
    approver = token_for("planner", "edremit")                     # four eyes: not who submitted
    assert approver.post(f"/plans/{adopted}/readings/approve",
                         {"municipality": "edremit", "period": "2026-H1"})["approved"] == 2

    def figures():
        indicators = coordinator.get(f"/plans/{adopted}/progress?period=2026-H1&municipality=edremit")["indicators"]
        return {i["code"]: i for i in indicators}
    wait_until(lambda: figures()["PG5.1.1"]["C"] == 18, 30, what="the approval's figures")
    assert figures()["PG5.1.2"]["D"] is None
    repaired = subprocess.run([sys.executable, "-m", "ops.recompute", adopted], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, env={**stack.env(), "PYTHONPATH": ROOT})
    assert repaired.returncode == 0, repaired.stderr
    assert "periods recomputed" in repaired.stdout
    assert figures()["PG5.1.1"]["C"] == 18


# -- idempotency keys belong to their caller -----------------------------------------------------------
def test_an_idempotency_key_belongs_to_its_caller_and_its_body(adopted, token_for, public):
    key = {"Idempotency-Key": "batch-2026-H1"}
    burhaniye, edremit = token_for("planner", "burhaniye"), token_for("planner", "edremit")
    first = burhaniye.request("POST", f"/plans/{adopted}/readings", headers=key,
                              json={"readings": [reading("PG3.2.1", "burhaniye")]})
    assert first.status_code == 202 and not first.json().get("replayed")
    again = burhaniye.request("POST", f"/plans/{adopted}/readings", headers=key,
                              json={"readings": [reading("PG3.2.1", "burhaniye")]})
    assert again.status_code == 202 and again.json() == {**first.json(), "replayed": True}
    other = edremit.request("POST", f"/plans/{adopted}/readings", headers=key,
                            json={"readings": [reading(), reading("PG5.1.2", value=40)]})
    assert other.status_code == 202 and other.json()["accepted"] == 2 and not other.json().get("replayed")
    changed = problem(burhaniye.request("POST", f"/plans/{adopted}/readings", headers=key,
                                        json={"readings": [reading("PG3.2.1", "burhaniye", value=99)]}), 422)
    assert "Idempotency-Key" in changed["errors"]
    for stranger, status in ((token_for("viewer"), 403), (token_for("planner", "gomec"), 403), (public, 403)):
        answer = stranger.request("POST", f"/plans/{adopted}/readings", headers=key,
                                  json={"readings": [reading("PG3.2.1", "burhaniye")]})
        assert answer.status_code == status, answer.text
    stored = {(r["indicator"], r["value"]) for r in token_for("coordinator", korfez.COORDINATOR).get(
        f"/plans/{adopted}/readings")}
    assert stored == {("PG3.2.1", 18), ("PG5.1.1", 18), ("PG5.1.2", 40)}


def test_a_create_retried_with_its_key_finds_what_the_first_attempt_made(adopted, coordinator, token_for):
    """A 503 can hide a write that happened: a consultation or a bank record sent again with its key
    is the one the first attempt created, never a second one."""
    key = {"Idempotency-Key": "create-" + secrets.token_hex(4)}
    body = workshop()
    first = coordinator.request("POST", f"/plans/{adopted}/consultations", json=body, headers=key)
    again = coordinator.request("POST", f"/plans/{adopted}/consultations", json=body, headers=key)
    assert first.status_code == again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert [c["id"] for c in coordinator.get(f"/plans/{adopted}/consultations")].count(first.json()["id"]) == 1
    assert len(coordinator.get(f"/plans/{adopted}/consultations")) == 1
    changed = problem(coordinator.request("POST", f"/plans/{adopted}/consultations",
                                          json={**body, "title": "Başka bir çalıştay"}, headers=key), 422)
    assert "Idempotency-Key" in changed["errors"] and len(coordinator.get(f"/plans/{adopted}/consultations")) == 1
    record = {"kind": "need", "municipality": "edremit", "title": "Soğuk hava deposu", "text": "2000 m³"}
    edremit, havran = token_for("planner", "edremit"), token_for("planner", "havran")
    made = edremit.request("POST", f"/plans/{adopted}/bank", json=record, headers=key)
    retried = edremit.request("POST", f"/plans/{adopted}/bank", json=record, headers=key)
    assert made.status_code == retried.status_code == 201 and retried.json() == made.json()
    # the key is Edremit's own: another district's planner is still refused Edremit's record
    assert havran.request("POST", f"/plans/{adopted}/bank", json=record, headers=key).status_code == 403
    assert [r["id"] for r in coordinator.get(f"/plans/{adopted}/bank")] == [made.json()["id"]]


# -- digits, bodies and URLs --------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["diff?from=¹&to=2", "diff?from=1&to=²", "diff?from=١&to=2", "audit?limit=²",
                                   "audit?limit=۱۰", "diff?from=1%0A&to=2", "audit?limit=99999999999999999999",
                                   "programmes/²⁰²⁶", "activity-reports/२०२६", "programme?year=２０２６",
                                   "reports/evaluation?year=²⁰²⁶", "progress?period=²⁰²⁶-H1",
                                   "progress/series?from=2026-H¹&to=2026-H2", "progress/matrix?period=2026-H²"])
def test_digits_of_other_scripts_in_integer_parameters_are_refused(adopted, coordinator, query):
    problem(coordinator.request("GET", f"/plans/{adopted}/{query}"), 422)


@pytest.mark.parametrize("path", ["versions/¹", "versions/99999999999999999999", "versions/0"])
def test_version_numbers_out_of_form_are_not_found(adopted, coordinator, path):
    problem(coordinator.request("GET", f"/plans/{adopted}/{path}"), 404)


def test_an_if_match_of_other_digits_is_malformed(adopted, coordinator):
    problem(coordinator.request("PUT", f"/plans/{adopted}/frame", json=korfez.FRAME, headers={"If-Match": '"¹"'}),
            400)


def chunks(total, size=65536):
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def test_a_chunked_body_over_a_limit_gets_413(stack, adopted, coordinator, token_for):
    """requests sends a generator with Transfer-Encoding: chunked and no Content-Length."""
    url = f"{stack.url}/api/v1/plans/{adopted}/readings"
    headers = {**coordinator.session.headers, "Content-Type": "application/json"}
    response = requests.post(url, data=chunks(17 * 1024 * 1024), headers=headers, timeout=60)
    assert response.status_code == 413 and "16 MiB" in response.json()["detail"]
    cid = coordinator.post(f"/plans/{adopted}/consultations", workshop(public=True), expect=201)["id"]
    body = b'{"text": "' + b"a" * 70_000 + b'"}'
    response = requests.post(f"{stack.url}/api/v1/consultations/{cid}/inputs", data=iter([body]),
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 413 and "64 KiB" in response.json()["detail"]
    assert coordinator.get(f"/consultations/{cid}/inputs") == []


def test_long_urls_and_headers_get_problem_json(stack):
    long_url = requests.get(f"{stack.url}/api/v1/plans?member={'x' * 5000}", timeout=10)
    assert long_url.status_code == 414
    assert long_url.headers["Content-Type"].startswith("application/problem+json")
    assert long_url.json()["status"] == 414 and "shorter" in long_url.json()["detail"]
    headers = requests.get(f"{stack.url}/api/v1/plans", headers={"X-Big": "y" * 9000}, timeout=10)
    assert headers.status_code in (400, 431)
    assert headers.headers["Content-Type"].startswith("application/problem+json")


# -- people and drafts ---------------------------------------------------------------------------------
def test_viewers_read_only_and_drafts_do_not_leak_through_consultations(draft, coordinator, token_for, public):
    cid = coordinator.post(f"/plans/{draft}/consultations", workshop(), expect=201)["id"]
    viewer = token_for("viewer")
    problem(viewer.request("POST", f"/consultations/{cid}/inputs", json=an_input("edremit", 1)), 403)
    assert coordinator.get(f"/consultations/{cid}/inputs") == []
    problem(public.request("GET", f"/plans/{draft}/consultations"), 404)
    problem(public.request("GET", f"/plans/{draft}"), 404)
    problem(public.request("GET", "/plans/no-such-plan/consultations"), 404)
    assert len(viewer.get(f"/plans/{draft}/consultations")) == 1


def test_public_answers_name_nobody_and_publish_text_only_after_moderation(adopted, coordinator, token_for,
                                                                           public):
    cid = coordinator.post(f"/plans/{adopted}/consultations", workshop(public=True), expect=201)["id"]
    said = {"stakeholder": {"name": "Zeytinli Muhtarı Ahmet Kaya", "group": "muhtar", "municipality": "edremit",
                            "contact": "ahmet@example.org"},
            "kind": "request", "theme": "T1", "text": "Sahil parkına gölgelik; beni 0532 123 45 67'den arayın"}
    iid = token_for("planner", "edremit").post(f"/consultations/{cid}/inputs", said, expect=201)["id"]
    coordinator.post(f"/inputs/{iid}/decision", {"decision": "accepted",
                                                 "links": [{"objective": "H5.1", "municipality": "edremit"}]})

    seen = public.get(f"/consultations/{cid}/inputs")[0]
    assert seen["stakeholder"] == {"group": "muhtar", "municipality": "edremit"}
    assert seen["text"] is None and seen["moderation"] == "pending"
    book = openpyxl.load_workbook(io.BytesIO(public.request("GET", f"/consultations/{cid}/summary?format=xlsx",
                                                            expect=200).content))
    cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value)
    assert "Ahmet" not in cells and "0532 " not in cells and "example.org" not in cells

    problem(token_for("planner", "edremit").request("POST", f"/inputs/{iid}/moderation",
                                                    json={"action": "publish"}), 403)
    problem(coordinator.request("POST", f"/inputs/{iid}/moderation", json={"action": "shout"}), 422)
    assert coordinator.post(f"/inputs/{iid}/moderation", {"action": "publish"})["moderation"] == "published"
    seen = public.get(f"/consultations/{cid}/inputs")[0]
    assert "0532" not in seen["text"] and seen["text"].startswith("Sahil parkına gölgelik")
    assert "name" not in seen["stakeholder"] and "contact" not in seen["stakeholder"]
    assert coordinator.get(f"/consultations/{cid}/inputs")[0]["stakeholder"]["contact"] == "ahmet@example.org"

    def sources(client):
        plan = client.get(f"/plans/{adopted}")
        objective = next(o for o in plan["contributions"]["edremit"]["objectives"] if o["code"] == "H5.1")
        return objective["inputs"]
    wait_until(lambda: sources(public), 20, what="the decision in the plan's provenance")
    assert "Ahmet" not in str(sources(public)) and "0532 " not in str(sources(public))
    assert sources(public)[0]["group"] == "muhtar" and "text" not in sources(public)[0]
    assert "0532" not in sources(coordinator)[0]["text"] and "Ahmet" not in str(sources(coordinator))


def test_a_revision_draft_stays_out_of_public_view_until_adopted(adopted, coordinator, public):
    adopted_etag, adopted_plan = plan_state(public, adopted)
    coordinator.post(f"/plans/{adopted}/revisions", {"kind": "update", "reason": "ara değerlendirme",
                                                     "effective_from": "2027"}, expect=201)
    contribution = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    contribution["objectives"][0]["title"] = {"tr": "Taslak başlık"}
    contribution["objectives"][0]["indicators"][0]["targets"]["2028"] = 31
    coordinator.put(f"/plans/{adopted}/contributions/edremit", contribution)

    assert plan_state(public, adopted) == (adopted_etag, adopted_plan)
    cards = public.get(f"/plans/{adopted}/target-cards?municipality=edremit")
    assert "Taslak" not in str(cards)
    newest = adopted_plan["version"]
    assert max(v["version"] for v in public.get(f"/plans/{adopted}/versions")) == newest
    problem(public.request("GET", f"/plans/{adopted}/versions/{newest + 1}"), 404)
    problem(public.request("GET", f"/plans/{adopted}/diff?from=1&to={newest + 2}"), 404)
    assert coordinator.get(f"/plans/{adopted}")["contributions"]["edremit"]["objectives"][0]["title"] == {
        "tr": "Taslak başlık"}

    coordinator.post(f"/plans/{adopted}/adopt", {"decision_no": "2026/77", "decision_date": "2026-12-01"})
    assert public.get(f"/plans/{adopted}")["contributions"]["edremit"]["objectives"][0]["title"] == {
        "tr": "Taslak başlık"}


def test_overdue_alerts_stay_open_when_an_update_is_adopted(stack, adopted, coordinator, listen):
    """The plan was first adopted in November 2024; an update adopted today moves no due date."""
    revisions = listen("plan_registry", "plan_revised")
    overdue = f"/plans/{adopted}/alerts?kind=overdue"
    indicators = {i["code"] for c in korfez.CONTRIBUTIONS.values() for o in c["objectives"] for i in o["indicators"]}
    wait_until(lambda: {a["indicator"] for a in coordinator.get(overdue)} == indicators, 30,
               what="an overdue alert for every indicator: none has a reading yet")
    coordinator.post(f"/plans/{adopted}/revisions", {"kind": "update", "reason": "ara değerlendirme",
                                                     "effective_from": "2027"}, expect=201)
    contribution = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    contribution["objectives"][0]["indicators"][0]["targets"]["2028"] = 31
    coordinator.put(f"/plans/{adopted}/contributions/edremit", contribution)
    coordinator.post(f"/plans/{adopted}/adopt", {"decision_no": "2026/77", "decision_date": "2026-12-01"})
    event_id = revisions.wait_for("plan_revised", lambda e: e["plan_id"] == adopted)["event_id"]
    wait_until(lambda: read_store(stack, "monitoring", "inbox", {"_id": f"monitoring.plan_model:{event_id}"}), 30,
               what="monitoring handled the update's adoption")
    assert {a["indicator"] for a in coordinator.get(overdue)} == indicators


# -- operations ----------------------------------------------------------------------------------------
def test_a_refused_request_is_one_line_at_info_in_the_service_log(stack, public):
    problem(public.request("GET", "/plans/no-such-plan-4xx"), 404)
    path = stack.log_path("plan_registry")

    def lines():
        with open(path, encoding="utf-8") as f:
            return [line for line in f if "no-such-plan-4xx" in line]
    wait_until(lambda: lines(), 5, what="the refusal in the log")
    assert all('"INFO"' in line and "refused" in line and "Traceback" not in line for line in lines()), lines()


def test_metrics_are_not_public_in_production(stack, tmp_path):
    from ops.processes import free_port
    port = free_port()
    env = {**stack.env(), "PORT": str(port), "ORTAK_ENV": "production", "ORTAK_METRICS_TOKEN": "scrape-me",
           "ORTAK_TOKEN_PEPPER": "a-pepper-for-this-test", "ORTAK_SECRET_KEY": "a-web-key-for-this-test",
           "GATEWAY_WORKERS": "1", "PYTHONPATH": ROOT}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    gateway = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", f"{ROOT}/deploy/gunicorn.conf.py"], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        wait_until(lambda: _answers(url), 20, what="the production gateway")
        hidden = requests.get(url, timeout=5)
        assert hidden.status_code == 404 and hidden.headers["Content-Type"].startswith("application/problem+json")
        assert requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 404
        scraped = requests.get(url, headers={"Authorization": "Bearer scrape-me"}, timeout=5)
        assert scraped.status_code == 200 and "ortak_http_requests_total" in scraped.text
    finally:
        gateway.terminate()
        gateway.wait(20)


def _answers(url):
    try:
        return requests.get(url, timeout=2).status_code > 0
    except requests.ConnectionError:
        return False


def test_no_public_answer_names_a_stakeholder_or_their_contact(stack, adopted, coordinator, token_for, public):
    """Every GET of the OpenAPI document, as the public, with the real ids of a plan whose input
    was accepted and published, and the public pages: no name, e-mail or phone sent with it."""
    from tests.security.test_access_matrix import endpoints
    cid = coordinator.post(f"/plans/{adopted}/consultations", workshop(public=True), expect=201)["id"]
    name, email, phone = "Gizli Kişi " + secrets.token_hex(3), f"gizli.{secrets.token_hex(3)}@example.org", \
        "0532 987 65 43"
    iid = public.post(f"/consultations/{cid}/inputs", {
        "stakeholder": {"name": name, "group": "citizen", "municipality": "edremit", "contact": email},
        "kind": "request", "theme": "T1", "text": f"Sahil parkına gölgelik; {phone} / {email}"}, expect=201)["id"]
    coordinator.post(f"/inputs/{iid}/decision", {"decision": "accepted",
                                                 "links": [{"objective": "H5.1", "municipality": "edremit"}]})
    coordinator.post(f"/inputs/{iid}/moderation", {"action": "publish"})
    assert coordinator.get(f"/consultations/{cid}/inputs")[0]["stakeholder"]["name"] == name   # it is stored
    ids = {"plan_id": adopted, "cid": cid, "iid": iid, "mid": "edremit", "municipality": "edremit", "n": 1}
    queries = {"progress": "?period=2026-H1", "monitoring": "?period=2026-H1", "evaluation": "?year=2026",
               "diff": "?from=1&to=2", "service-quality": "?period=2026-H1", "request-findings": "?period=2026-H1"}
    read = []
    for endpoint in endpoints(stack):
        method, template = endpoint.split(" ", 1)
        if method != "GET":
            continue
        try:
            path = template.format(**ids)
        except KeyError:
            continue                                   # an id this plan has none of (a request, a project)
        for fmt in ("", "xlsx"):
            query = queries.get(template.rsplit("/", 1)[-1], "")
            if fmt:
                query += ("&" if query else "?") + "format=xlsx"
            response = public.request("GET", path + query)
            read.append((endpoint, fmt, response.status_code))
            body = response.content.decode("utf-8", "replace") if not fmt else _xlsx_text(response)
            for secret in (name, email, "0532 ", "987 65 43"):   # a phone, never a hex id
                assert secret not in body, (endpoint, fmt, secret)
    assert sum(1 for _, _, status in read if status == 200) >= 20, read
    # who facilitates a session is often a person: the plan's participants see it, the public does not
    sessions = public.get(f"/consultations/{cid}")["sessions"]
    assert sessions and all("facilitator" not in s for s in sessions)
    assert all(s["facilitator"] for s in coordinator.get(f"/consultations/{cid}")["sessions"])
    for page in (f"/plans/{adopted}", f"/consultations/{cid}", "/"):
        html = requests.get(stack.url + page, timeout=30).text
        assert name not in html and email not in html and "0532 " not in html, page


def _xlsx_text(response):
    if response.status_code != 200 or not response.content.startswith(b"PK"):
        return response.content.decode("utf-8", "replace")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None)


def test_no_public_answer_names_the_staff_who_wrote_the_plan(draft, coordinator, person_for, public):
    """A person of the plan writes a contribution; the public reads the adopted plan and its versions
    with the role and municipality of who wrote each, never the person's username or name."""
    planner = person_for("planner", "edremit")
    planner.put(f"/plans/{draft}/contributions/edremit", korfez.CONTRIBUTIONS["edremit"])
    coordinator.post(f"/plans/{draft}/adopt", korfez.ADOPTION)
    versions = coordinator.get(f"/plans/{draft}/versions")
    written = next(v for v in versions if (v["author"] or {}).get("username", "").startswith("planner.edremit."))
    username, n = written["author"]["username"], written["version"]   # participants see who it was
    assert written["author"]["role"] == "planner"
    for path in (f"/plans/{draft}", f"/plans/{draft}/versions", f"/plans/{draft}/versions/{n}"):
        body = public.request("GET", path)
        assert body.status_code == 200 and username not in body.text and "Demo planner" not in body.text, path
    shown = next(v for v in public.get(f"/plans/{draft}/versions") if v["version"] == n)["author"]
    assert shown == {"role": "planner", "municipality": "edremit"}
    assert "submitted_by" not in public.get(f"/plans/{draft}")["contributions"]["edremit"]
