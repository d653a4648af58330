"""The plan registry through the gateway: the guide's rules, versions, access, adoption."""
import copy

import pytest

from ops.demo import korfez
from tests.stack import new_plan_id

pytestmark = pytest.mark.stack


def plan_state(client, plan_id):
    response = client.request("GET", f"/plans/{plan_id}", expect=200)
    return response.headers["ETag"], response.json()


def edremit_contribution():
    return copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])


def test_the_whole_draft_reads_back_with_every_contribution(draft, coordinator):
    etag, plan = plan_state(coordinator, draft)
    assert plan["status"] == "draft"
    assert etag == f'"{plan["version"]}"'
    assert plan["version"] == 2 + len(korfez.DISTRICTS)  # created, frame, one per district
    assert sorted(plan["contributions"]) == sorted(korfez.DISTRICTS)
    objective = plan["contributions"]["edremit"]["objectives"][0]
    assert objective["responsible_unit"] == {"municipality": "edremit", "unit": "Tarımsal Hizmetler Müdürlüğü"
                                             if objective["theme"] == "T6" else objective["responsible_unit"]["unit"]}
    assert objective["indicators"][0]["class"] == "output"
    priorities = {s["name"]: s["priority"] for s in plan["frame"]["situation"]["stakeholders"]}
    assert priorities["Kent Konseyi"] == "work_together"
    assert priorities["Muhtarlar"] == "consider"
    assert priorities["Ticaret ve Sanayi Odası"] == "inform"
    assert priorities["Balıkesir Üniversitesi BUBFA"] == "watch"


def test_weights_totalling_90_are_refused_with_the_objective_path_and_change_nothing(draft, token_for):
    planner = token_for("planner", "edremit")
    before = plan_state(planner, draft)
    body = edremit_contribution()
    body["objectives"][1]["indicators"][0]["weight"] = 50  # 50 + 40
    response = planner.request("PUT", f"/plans/{draft}/contributions/edremit", json=body)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert "total 90" in problem["errors"]["objectives[1].indicators[*].weight"][0]
    assert plan_state(planner, draft) == before


def test_every_violation_is_reported_at_once(draft, coordinator):
    body = edremit_contribution()
    objective = body["objectives"][0]
    del objective["indicators"][0]["targets"]["2027"]
    objective["indicators"][1]["unit"] = ""
    objective["goal"] = "A99"
    objective["indicators"][1]["code"] = objective["indicators"][0]["code"]
    body["objectives"][1]["code"] = "H1.1"  # Ayvalık's
    body["objectives"][1]["responsible_unit"] = ["Fen İşleri", "İmar"]
    response = coordinator.request("PUT", f"/plans/{draft}/contributions/edremit", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert "objectives[1].responsible_unit" in errors          # shape: one responsible unit
    # shape errors stop before the rules; fix the shape and every rule violation comes at once
    body["objectives"][1]["responsible_unit"] = "Fen İşleri"
    errors = coordinator.request("PUT", f"/plans/{draft}/contributions/edremit", json=body).json()["errors"]
    assert set(errors) >= {
        "objectives[0].indicators[0].targets.2027", "objectives[0].indicators[1].unit", "objectives[0].goal",
        "objectives[0].indicators[1].code", "objectives[1].code",
    }, errors
    assert "No target for plan year 2027." in errors["objectives[0].indicators[0].targets.2027"]
    assert "ayvalik" in errors["objectives[1].code"][0]


def test_a_planner_writes_only_its_own_contribution(draft, token_for):
    planner = token_for("planner", "ayvalik")
    before = plan_state(planner, draft)
    response = planner.request("PUT", f"/plans/{draft}/contributions/edremit", json=edremit_contribution())
    assert response.status_code == 403
    assert response.json()["type"].endswith("forbidden")
    assert plan_state(planner, draft) == before
    # its own goes through
    own = copy.deepcopy(korfez.CONTRIBUTIONS["ayvalik"])
    own["objectives"][0]["indicators"][0]["targets"]["2029"] = 50000
    assert planner.put(f"/plans/{draft}/contributions/ayvalik", own)["version"] == before[1]["version"] + 1


def test_a_stale_if_match_gets_412_with_the_current_version(draft, coordinator):
    etag, plan = plan_state(coordinator, draft)
    stale = f'"{plan["version"] - 1}"'
    response = coordinator.request("PUT", f"/plans/{draft}/frame", json=korfez.FRAME, headers={"If-Match": stale})
    assert response.status_code == 412
    assert response.json()["version"] == plan["version"]
    assert response.headers["ETag"] == etag
    assert plan_state(coordinator, draft) == (etag, plan)
    fresh = coordinator.request("PUT", f"/plans/{draft}/frame", json=korfez.FRAME, headers={"If-Match": etag})
    assert fresh.status_code == 200 and fresh.json()["version"] == plan["version"] + 1


@pytest.mark.parametrize("raw, content_type", [
    (b'{"objectives": [', "application/json"),
    (b"\xff\xfe not utf-8", "application/json"),
    (b"[" * 100000 + b"]" * 100000, "application/json"),
    (b'{"objectives": NaN}', "application/json"),
    (b'{"objectives": 1e400}', "application/json"),              # no finite number
    (b'{"objectives": "half a pair \\ud800"}', "application/json"),   # text that cannot be UTF-8
    (b"objectives=1", "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_get_400_and_change_nothing(draft, coordinator, raw, content_type):
    before = plan_state(coordinator, draft)
    response = coordinator.request("PUT", f"/plans/{draft}/contributions/edremit", data=raw,
                                   headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert plan_state(coordinator, draft) == before


def test_versions_are_immutable_and_diffable(draft, coordinator):
    body = edremit_contribution()
    body["objectives"][0]["indicators"][0]["targets"]["2029"] = 99
    body["objectives"][0]["indicators"][0]["weight"] = 70
    body["objectives"][0]["indicators"][1]["weight"] = 30
    del body["objectives"][-1]
    new = coordinator.put(f"/plans/{draft}/contributions/edremit", body)["version"]
    versions = coordinator.get(f"/plans/{draft}/versions")
    assert [v["version"] for v in versions] == list(range(1, new + 1))
    assert versions[-1]["kind"] == "contribution" and versions[-1]["author"]["role"] == "coordinator"
    old = coordinator.get(f"/plans/{draft}/versions/{new - 1}")["plan"]
    assert len(old["contributions"]["edremit"]["objectives"]) == len(korfez.CONTRIBUTIONS["edremit"]["objectives"])
    diff = coordinator.get(f"/plans/{draft}/diff?from={new - 1}&to={new}")
    removed = korfez.CONTRIBUTIONS["edremit"]["objectives"][-1]["code"]
    assert diff["objectives"]["removed"] == [{"code": removed, "municipality": "edremit"}]
    changed = korfez.CONTRIBUTIONS["edremit"]["objectives"][0]["indicators"][0]["code"]
    assert {"code": changed, "municipality": "edremit", "fields": ["targets", "weight"]} in diff["indicators"]["changed"]
    assert {"indicator": changed, "year": "2029", "from": 35, "to": 99} in diff["targets"]
    assert coordinator.request("GET", f"/plans/{draft}/versions/{new + 5}").status_code == 404
    assert coordinator.request("GET", f"/plans/{draft}/diff?from=x&to=1").status_code == 422


def test_adoption_publishes_the_targets_monitoring_measures_against(draft, coordinator, listen):
    listener = listen("plan_registry", "plan_adopted")
    coordinator.post(f"/plans/{draft}/status", {"status": "consultation"})
    adopted = coordinator.post(f"/plans/{draft}/adopt", korfez.ADOPTION)
    assert adopted["status"] == "adopted"
    event = listener.wait_for("plan_adopted", lambda body: body["plan_id"] == draft)
    assert set(event) >= {"event_id", "type", "schema_version", "occurred_at", "producer", "plan_id",
                          "municipality", "actor", "payload"}
    assert event["type"] == "plan_adopted" and event["producer"] == "plan_registry"
    plan = event["payload"]["plan"]
    assert plan["calendar"] == "gregorian" and plan["period"] == {"start": 2025, "end": 2029}
    by_code = {i["code"]: i for i in plan["indicators"]}
    sent = korfez.CONTRIBUTIONS["gomec"]["objectives"][0]["indicators"][1]
    got = by_code[sent["code"]]
    assert (got["weight"], got["baseline"], got["targets"], got["municipality"]) == \
           (sent["weight"], sent["baseline"], sent["targets"], "gomec")
    assert len(by_code) == sum(len(o["indicators"]) for c in korfez.CONTRIBUTIONS.values() for o in c["objectives"])
    assert {r["code"]: r["aggregation"] for r in plan["regional_indicators"]} == {"BG1": "sum", "BG2": "ratio"}
    # adopted plans are public, and take no more writes until an update starts
    _, public_plan = plan_state(coordinator, draft)
    assert public_plan["adoption"]["decision_no"] == "2024/512"
    response = coordinator.request("PUT", f"/plans/{draft}/frame", json=korfez.FRAME)
    assert response.status_code == 409


def test_an_update_may_not_change_mission_vision_or_goals(draft, coordinator, listen):
    coordinator.post(f"/plans/{draft}/adopt", korfez.ADOPTION)
    listener = listen("plan_registry", "plan_revised")
    revision = coordinator.post(f"/plans/{draft}/revisions",
                                {"kind": "update", "reason": "2026 ara değerlendirme", "effective_from": "2027"},
                                expect=201)
    assert revision["status"] == "revising"
    frame = copy.deepcopy(korfez.FRAME)
    frame["mission"] = {"tr": "Başka bir misyon"}
    frame["goals"][0]["title"] = {"tr": "Başka bir amaç"}
    response = coordinator.request("PUT", f"/plans/{draft}/frame", json=frame)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"mission", "goals"}
    body = edremit_contribution()
    body["objectives"][0]["indicators"][0]["targets"]["2028"] = 31
    coordinator.put(f"/plans/{draft}/contributions/edremit", body)
    readopted = coordinator.post(f"/plans/{draft}/adopt", {"decision_no": "2026/77", "decision_date": "2026-12-01"})
    assert readopted["status"] == "adopted"
    event = listener.wait_for("plan_revised", lambda b: b["plan_id"] == draft)
    assert event["payload"]["adoption"]["effective_from"] == "2027"
    changed = {i["code"]: i for i in event["payload"]["plan"]["indicators"]}
    assert changed[body["objectives"][0]["indicators"][0]["code"]]["targets"]["2028"] == 31


def test_a_renewal_opens_a_new_plan_and_closes_the_old(draft, coordinator):
    coordinator.post(f"/plans/{draft}/adopt", korfez.ADOPTION)
    renewal = coordinator.post(f"/plans/{draft}/revisions",
                               {"kind": "renewal", "reason": "Yerel seçimler", "new_plan_id": draft + "-r"},
                               expect=201)
    assert renewal["status"] == "renewed" and renewal["renewed_by"] == draft + "-r"
    successor = coordinator.get(f"/plans/{draft}-r")
    assert successor["status"] == "draft" and successor["period"] == {"start": 2030, "end": 2034}
    assert successor["renewal_of"] == draft


def test_adoption_refuses_an_incomplete_plan(region, coordinator):
    plan_id = new_plan_id()
    coordinator.post("/plans", {**korfez.PLAN, "id": plan_id}, expect=201)
    coordinator.put(f"/plans/{plan_id}/frame", korfez.FRAME)
    coordinator.put(f"/plans/{plan_id}/contributions/ayvalik", korfez.CONTRIBUTIONS["ayvalik"])
    response = coordinator.request("POST", f"/plans/{plan_id}/adopt", json=korfez.ADOPTION)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "contributions.havran" in errors and "goals.A10" in errors


def test_drafts_are_private_and_adopted_plans_public(draft, public, token_for):
    assert public.request("GET", f"/plans/{draft}").status_code == 404
    outsider = token_for("viewer", "ayvalik")
    assert outsider.request("GET", f"/plans/{draft}").status_code == 200  # a member
    listed = public.get("/plans?member=edremit")
    assert draft not in [p["id"] for p in listed]


def test_a_plan_is_created_only_by_its_coordinator(region, token_for):
    body = {**korfez.PLAN, "id": new_plan_id()}
    planner = token_for("planner", "edremit")
    assert planner.request("POST", "/plans", json=body).status_code == 403
    other = token_for("coordinator", "edremit")  # a coordinator token of another municipality
    assert other.request("POST", "/plans", json=body).status_code == 403
    bad = {**body, "members": ["ayvalik", "nowhere"], "period": {"start": 2025, "end": 2024}}
    response = token_for("coordinator", "balikesir").request("POST", "/plans", json=bad)
    assert response.status_code == 422
    assert "period.end" in response.json()["errors"]


def test_target_cards_in_json_xlsx_and_pdf(draft, coordinator, public, token_for):
    import io

    import openpyxl
    from pypdf import PdfReader

    cards = coordinator.get(f"/plans/{draft}/target-cards")
    objectives = [o for c in korfez.CONTRIBUTIONS.values() for o in c["objectives"]]
    assert len(cards["cards"]) == len(objectives) and cards["language"] == "tr"
    first = cards["cards"][0]
    assert first["responsible_unit"]["municipality"] == first["municipality"]
    assert set(first["indicators"][0]["targets"]) == {"2025", "2026", "2027", "2028", "2029"}
    havran = coordinator.get(f"/plans/{draft}/target-cards?municipality=havran&lang=en")
    assert {c["municipality"] for c in havran["cards"]} == {"havran"} and havran["language"] == "en"

    xlsx = coordinator.request("GET", f"/plans/{draft}/target-cards?format=xlsx", expect=200)
    assert "target-cards.xlsx" in xlsx.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = {v for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    assert {i["code"] for c in cards["cards"] for i in c["indicators"]} <= cells
    pdf = coordinator.request("GET", f"/plans/{draft}/target-cards?format=pdf&municipality=edremit", expect=200)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    edremit = [o["code"] for o in korfez.CONTRIBUTIONS["edremit"]["objectives"]]
    assert all(code in text for code in edremit) and "Sorumlu Birim" in text

    bad = coordinator.request("GET", f"/plans/{draft}/target-cards?format=doc&municipality=izmir&lang=de")
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"format", "municipality", "lang"}
    assert public.request("GET", f"/plans/{draft}/target-cards").status_code == 404   # a draft is private
