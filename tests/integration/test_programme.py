"""Activities and projects of the adopted Körfez plan through the gateway, with the real services:
projects registered, reported and ranked; a refused project per rule, naming its field; a milestone
alert raised and cleared; and the performance programme and activity report of 2026, for the whole
region and for Edremit alone, with budgets worked by hand (see the comments)."""
import copy
import io

import openpyxl
import pytest
from pypdf import PdfReader

from tests.integration.test_monitoring import H1, readings_for

pytestmark = pytest.mark.stack


def pdf_text(answer):
    """A PDF answer's text without its spacing (table cells wrap their words)."""
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/pdf"
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages).split())

# Today is after 2026-10-31 in these tests' world (the suites run with the real clock; the plan runs
# 2025-2029): the Açılış milestone below is overdue, 2027-H1 has not begun.
E1 = {"code": "E1", "title": {"tr": "Kompost tesisi", "en": "Composting plant"}, "kind": "project",
      "objective": "H1.3", "municipality": "edremit", "responsible_unit": "Temizlik İşleri Müdürlüğü",
      "partners": [{"name": "Balıkesir Üniversitesi", "kind": "university"}], "horizon": "short", "priority": 1,
      "start": "2025-01-01", "end": "2026-12-31", "budget": {"2025": "100000.00", "2026": "250000.00"},
      "funding": [{"source": "İller Bankası", "amount": "350000.00"}],
      "milestones": [{"title": "İhale", "due": "2025-05-31", "done_on": "2025-05-20"},
                     {"title": "Açılış", "due": "2026-10-31"}]}
E2 = {"code": "E2", "title": {"tr": "Zeytinli kıyı yolu tanıtımı"}, "kind": "project", "objective": "H5.1",
      "municipality": "edremit", "responsible_unit": "Kültür ve Turizm Müdürlüğü", "horizon": "mid", "priority": 2,
      "start": "2026-03-01", "end": "2028-12-31", "budget": {"2026": "80000.50", "2027": "120000.00"},
      "funding": [{"source": "Öz kaynak", "amount": "200000.50"}], "milestones": []}
E3 = {"code": "E3", "title": {"tr": "Ortak atık ayrıştırma kampanyası"}, "kind": "activity", "objective": "H1.1",
      "municipality": "edremit", "responsible_unit": "Temizlik İşleri Müdürlüğü",
      "partners": [{"name": "ayvalik", "kind": "municipality"}], "horizon": "short", "priority": 2,
      "start": "2026-02-01", "end": "2026-12-31", "budget": {"2026": "40000.00"},
      "funding": [{"source": "Öz kaynak", "amount": "40000.00"}]}
A1 = {"code": "A1", "title": {"tr": "Cunda geri dönüşüm merkezi"}, "kind": "project", "objective": "H1.1",
      "municipality": "ayvalik", "responsible_unit": "Temizlik İşleri", "horizon": "short", "priority": 3,
      "start": "2027-01-01", "end": "2027-06-30", "budget": {"2027": "300000.00"}}
B1 = {"code": "B1", "title": {"tr": "Körfez bisiklet yolu"}, "kind": "project", "goal": "A1",
      "municipality": "balikesir", "responsible_unit": "Ulaşım Dairesi",
      "partners": [{"name": "Körfez Ulaşım A.Ş.", "kind": "company"}], "horizon": "long", "priority": 1,
      "start": "2026-06-01", "end": "2029-12-31", "budget": {"2026": "500000.00", "2027": "750000.00"},
      "funding": [{"source": "Kalkınma Ajansı", "amount": "1250000.00"}]}


@pytest.fixture
def portfolio(adopted, token_for, coordinator, listen):
    """The five projects registered by whoever may: Edremit's planner, Ayvalık's, the coordinator."""
    events = listen("programme", "project_registered", "project_progressed", "milestone_missed", "milestone_met",
                    "programme_adopted")
    edremit, ayvalik = token_for("planner", "edremit"), token_for("planner", "ayvalik")
    ids = {}
    for client, body in ((edremit, E1), (edremit, E2), (edremit, E3), (ayvalik, A1), (coordinator, B1)):
        ids[body["code"]] = client.post(f"/plans/{adopted}/projects", body, expect=201)["id"]
    edremit.post(f"/projects/{ids['E1']}/progress", {"period": "2025", "percent": 30, "spent": "90000.00"},
                 expect=201)
    edremit.post(f"/projects/{ids['E1']}/progress", {"period": "2026-H1", "percent": 60, "spent": "120000.00",
                                                     "note": {"tr": "Beton işleri bitti"}}, expect=201)
    edremit.post(f"/projects/{ids['E1']}/reports", {"period": "2026-H2", "percent": 80, "spent": "30000.25"},
                 expect=201)
    edremit.post(f"/projects/{ids['E2']}/progress", {"period": "2026-H1", "percent": 10, "spent": "5000.00"},
                 expect=201)
    return {"plan_id": adopted, "ids": ids, "edremit": edremit, "ayvalik": ayvalik, "events": events}


def test_projects_are_registered_reported_and_ranked_for_the_public(portfolio, public):
    plan_id, ids = portfolio["plan_id"], portfolio["ids"]
    ranked = public.get(f"/plans/{plan_id}/projects")
    # short (E1 priority 1, E3 priority 2, A1 priority 3), then mid (E2), then long (B1)
    assert [p["code"] for p in ranked] == ["E1", "E3", "A1", "E2", "B1"]
    assert [p["code"] for p in public.get(f"/plans/{plan_id}/projects?horizon=short")] == ["E1", "E3", "A1"]
    assert [p["code"] for p in public.get(f"/plans/{plan_id}/projects?municipality=edremit")] == ["E1", "E3", "E2"]
    assert [p["code"] for p in public.get(f"/plans/{plan_id}/projects?status=planned")] == ["A1"]
    assert public.request("GET", f"/plans/{plan_id}/projects?horizon=soon").status_code == 422
    # theme and goal through the objective (E1, E3, A1 serve H1.x of A1/T1) or the goal itself (B1)
    assert [p["code"] for p in public.get(f"/plans/{plan_id}/projects?theme=T1")] == ["E1", "E3", "A1", "B1"]
    assert [p["code"] for p in public.get(f"/plans/{plan_id}/projects?goal=A5")] == ["E2"]
    assert public.get(f"/plans/{plan_id}/projects?theme=T9&municipality=edremit") == []
    unknown = public.request("GET", f"/plans/{plan_id}/projects?theme=T99&goal=A1")
    assert unknown.status_code == 422 and list(unknown.json()["errors"]) == ["theme"]

    e1 = public.get(f"/projects/{ids['E1']}")
    assert e1["version"] == 4 and e1["status"] == "ongoing" and "history" not in e1   # registered + 3 reports
    assert [(r["period"], r["percent"], r["spent"]) for r in e1["reports"]] == [
        ("2025", 30, "90000.00"), ("2026-H1", 60, "120000.00"), ("2026-H2", 80, "30000.25")]
    own = portfolio["edremit"].get(f"/projects/{ids['E1']}")
    assert [h["action"] for h in own["history"]] == ["registered", "progress_reported", "progress_reported",
                                                     "progress_reported"]
    assert own["history"][0]["by"]["role"] == "planner" and own["history"][0]["data"]["code"] == "E1"

    registered = portfolio["events"].wait_for("project_registered", lambda b: b["payload"]["code"] == "B1")
    assert registered["producer"] == "programme" and registered["plan_id"] == plan_id
    assert registered["municipality"] == "balikesir" and registered["payload"]["project_id"] == ids["B1"]
    progressed = portfolio["events"].wait_for("project_progressed", lambda b: b["payload"]["code"] == "E2")
    assert progressed["payload"]["period"] == "2026-H1" and progressed["payload"]["spent"] == "5000.00"


def test_only_the_projects_municipality_or_the_coordinator_writes(portfolio, public, token_for):
    plan_id, ids = portfolio["plan_id"], portfolio["ids"]
    body = {**E2, "code": "E9"}
    assert public.request("POST", f"/plans/{plan_id}/projects", json=body).status_code == 401
    assert portfolio["ayvalik"].request("POST", f"/plans/{plan_id}/projects", json=body).status_code == 403
    assert token_for("viewer", "edremit").request("POST", f"/plans/{plan_id}/projects", json=body).status_code == 403
    assert portfolio["ayvalik"].request("PUT", f"/projects/{ids['E2']}", json=E2).status_code == 403
    report = {"period": "2026-H2", "percent": 20, "spent": "1.00"}
    assert public.request("POST", f"/projects/{ids['E2']}/progress", json=report).status_code == 401
    assert portfolio["edremit"].request("POST", f"/plans/{plan_id}/projects", json=E1).status_code == 409
    assert public.request("GET", "/projects/pj_000000000000").status_code == 404
    # a registration sent again with its Idempotency-Key (an answer lost) finds the first; the key
    # sent with another body is refused
    need = portfolio["edremit"].post(f"/plans/{plan_id}/bank", {"kind": "need", "municipality": "edremit",
                                                               "title": "Kompost alanı", "text": "2 ha"}, expect=201)
    keyed, key = {**E2, "code": "E8", "bank": [need["id"]]}, {"Idempotency-Key": "edremit-E8"}
    first = portfolio["edremit"].post(f"/plans/{plan_id}/projects", keyed, headers=key, expect=201)
    again = portfolio["edremit"].post(f"/plans/{plan_id}/projects", keyed, headers=key, expect=201)
    assert again["id"] == first["id"] and again["version"] == 1 and first["bank"] == [need["id"]]
    other = portfolio["edremit"].request("POST", f"/plans/{plan_id}/projects", json={**keyed, "priority": 3},
                                         headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["errors"]
    assert [p["code"] for p in public.get(f"/plans/{plan_id}/projects?municipality=edremit")].count("E8") == 1


@pytest.mark.parametrize("changes, field", [
    ({"objective": "H1.1", "partners": []}, "objective"),                        # Ayvalık's, not a partner
    ({"budget": {"2026": "1000.00", "2031": "5000.00"}}, "budget.2031"),         # outside 2025-2029
    ({"milestones": [{"title": "Açılış", "due": "2029-03-01"}]}, "milestones[0].due"),   # after the end
    ({"municipality": "izmir"}, "municipality"),
    ({"priority": 9}, "priority"),
    ({"bank": ["bnk_000000000000"]}, "bank[0]"),                                  # no such record in the bank
])
def test_a_project_that_breaks_a_rule_is_refused_naming_the_field_and_nothing_is_stored(
        portfolio, changes, field):
    plan_id, edremit = portfolio["plan_id"], portfolio["edremit"]
    before = len(edremit.get(f"/plans/{plan_id}/projects"))
    body = {**copy.deepcopy(E2), "code": "X1", **changes}
    answer = edremit.request("POST", f"/plans/{plan_id}/projects", json=body)
    assert answer.status_code == (403 if field == "municipality" else 422), answer.text
    if answer.status_code == 422:
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert field in answer.json()["errors"], answer.json()
    assert len(edremit.get(f"/plans/{plan_id}/projects")) == before


def test_spending_in_a_period_not_begun_is_refused(portfolio):
    pid = portfolio["ids"]["E2"]
    answer = portfolio["edremit"].request("POST", f"/projects/{pid}/progress",
                                          json={"period": "2027-H1", "percent": 15, "spent": "10.00"})
    assert answer.status_code == 422 and list(answer.json()["errors"]) == ["spent"]
    assert len(portfolio["edremit"].get(f"/projects/{pid}")["reports"]) == 1


def test_an_overdue_milestone_raises_an_alert_once_and_clears_when_done(portfolio, coordinator):
    pid, events = portfolio["ids"]["E1"], portfolio["events"]
    missed = events.wait_for("milestone_missed", lambda b: b["payload"]["project_id"] == pid)
    assert missed["payload"]["milestone"] == "Açılış" and missed["payload"]["due"] == "2026-10-31"
    project = coordinator.get(f"/projects/{pid}")
    assert [(a["milestone"], a["status"]) for a in project["alerts"]] == [("Açılış", "open")]
    done = copy.deepcopy(E1)
    done["milestones"][1]["done_on"] = "2026-11-20"
    stale = coordinator.request("PUT", f"/projects/{pid}", json=done, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    changed = coordinator.put(f"/projects/{pid}", done, headers={"If-Match": f'"{project["version"]}"'})
    assert changed["version"] == project["version"] + 1
    assert [(a["milestone"], a["status"]) for a in changed["alerts"]] == [("Açılış", "closed")]
    met = events.wait_for("milestone_met", lambda b: b["payload"]["project_id"] == pid)
    assert met["payload"]["done_on"] == "2026-11-20"


def test_budget_by_year_shows_where_projects_and_cost_estimates_disagree(portfolio, public):
    budget = public.get(f"/plans/{portfolio['plan_id']}/project-budget?municipality=edremit")
    rows = {r["objective"]: r for r in budget["objectives"]}
    assert set(rows) == {"H5.1", "H6.1", "H1.3", "H3.3"}
    # H1.3 costs 250,000 in 2025 and 300,000 in 2026; E1 budgets 100,000 and 250,000
    assert rows["H1.3"]["years"]["2025"] == {"cost": "250000.00", "budget": "100000.00", "difference": "-150000.00",
                                             "mismatch": True}
    assert rows["H1.3"]["years"]["2026"]["difference"] == "-50000.00"
    assert rows["H6.1"]["years"]["2026"] == {"cost": "300000.00", "budget": "0.00", "difference": "-300000.00",
                                             "mismatch": True}


def test_the_programme_of_2026_for_korfez_and_for_edremit(portfolio, public):
    plan_id = portfolio["plan_id"]
    region = public.get(f"/plans/{plan_id}/programmes/2026")
    # 18 objectives of 300,000.00 each in 2026
    assert len(region["objectives"]) == 18 and region["resources"]["cost_estimate"] == "5400000.00"
    # E1 250,000.00 + E3 40,000.00 + E2 80,000.50 + B1 500,000.00 (A1 starts and budgets in 2027)
    assert [p["code"] for p in region["projects"]] == ["E1", "E3", "E2", "B1"]
    assert region["resources"]["project_budget"] == "870000.50"
    assert region["resources"]["difference"] == "-4529999.50"
    assert region["resources"]["funding"] == {"Kalkınma Ajansı": "1250000.00", "Öz kaynak": "240000.50",
                                              "İller Bankası": "350000.00"}

    edremit = public.get(f"/plans/{plan_id}/programmes/2026?municipality=edremit")
    assert [o["code"] for o in edremit["objectives"]] == ["H5.1", "H6.1", "H1.3", "H3.3"]
    h13 = next(o for o in edremit["objectives"] if o["code"] == "H1.3")
    assert h13["cost"] == "300000.00" and h13["projects"] == ["E1"]
    assert {i["code"]: i["target"] for i in h13["indicators"]}["PG1.3.1"] == 16000
    # 4 x 300,000.00 = 1,200,000.00 against E1 250,000.00 + E3 40,000.00 + E2 80,000.50 = 370,000.50
    assert edremit["resources"]["cost_estimate"] == "1200000.00"
    assert edremit["resources"]["project_budget"] == "370000.50"
    assert edremit["resources"]["difference"] == "-829999.50"
    lines = {p["code"]: p for p in edremit["projects"]}
    # E1 spent 120,000.00 in 2026-H1 and 30,000.25 in 2026-H2 (the 90,000.00 of 2025 is not 2026's)
    assert (lines["E1"]["spent"], lines["E1"]["remaining"], lines["E1"]["percent"]) == ("150000.25", "99999.75", 80)
    assert (lines["E2"]["spent"], lines["E2"]["remaining"]) == ("5000.00", "75000.50")
    assert public.get(f"/plans/{plan_id}/programme?year=2026&municipality=edremit") == edremit
    assert public.request("GET", f"/plans/{plan_id}/programmes/2031").status_code == 422

    # Edremit's council adopts its programme of 2026 (the region's waits for Balıkesir's council)
    assert edremit["adoption"] is None
    decision = {"municipality": "edremit", "decision_no": "2025/88", "decision_date": "2025-11-14"}
    adopt = f"/plans/{plan_id}/programmes/2026/adoption"
    future = portfolio["edremit"].request("POST", adopt, json={**decision, "decision_date": "2099-01-01"})
    assert future.status_code == 422 and list(future.json()["errors"]) == ["decision_date"]
    assert portfolio["ayvalik"].request("POST", adopt, json=decision).status_code == 403
    assert portfolio["edremit"].post(adopt, decision, expect=201)["decision_no"] == "2025/88"
    assert public.get(f"/plans/{plan_id}/programmes/2026?municipality=edremit")["adoption"]["decision_date"] == \
        "2025-11-14"
    assert public.get(f"/plans/{plan_id}/programmes/2026")["adoption"] is None
    adopted = portfolio["events"].wait_for("programme_adopted", lambda b: b["plan_id"] == plan_id)
    assert adopted["municipality"] == "edremit" and adopted["payload"]["year"] == "2026"

    workbook = public.request("GET", f"/plans/{plan_id}/programmes/2026?municipality=edremit&format=xlsx")
    assert workbook.status_code == 200 and workbook.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["Hedefler", "Projeler", "Kaynaklar"]
    assert [row[0].value for row in book["Projeler"].iter_rows(min_row=2)] == ["E1", "E3", "E2"]
    assert [c.value for c in book["Projeler"][2]][10:13] == [250000.0, 150000.25, 99999.75]

    # the same figures, printed the Turkish way: E1's budget, spending and what remains, the totals
    text = pdf_text(public.request("GET", f"/plans/{plan_id}/programmes/2026?municipality=edremit&format=pdf"))
    assert all(figure in text for figure in (
        "PerformansProgramı2026", "MeclisKararı:2025/88,2025-11-14", "16.000", "250.000,00", "150.000,25", "99.999,75", "80.000,50", "75.000,50",
        "1.200.000,00", "370.000,50", "-829.999,50", "İllerBankası", "Kısa", "Sürüyor"))
    assert "Körfezbisikletyolu" not in text                 # B1 is Balıkesir's
    region = pdf_text(public.request("GET", f"/plans/{plan_id}/programmes/2026?format=pdf"))
    assert all(figure in region for figure in ("Tümbelediyeler", "Mecliskararıbekleniyor", "5.400.000,00", "870.000,50", "-4.529.999,50",
                                                "1.250.000,00", "Körfezbisikletyolu"))


def test_the_activity_report_of_2026_sets_spending_against_budget(portfolio, public, coordinator):
    plan_id = portfolio["plan_id"]
    # Edremit's readings of 2026-H1, the compost one saying why it is behind, approved (four eyes)
    lines = readings_for("edremit", "2026-H1", H1)
    for line in lines:
        if line["indicator"] == "PG1.3.1":
            line.update(deviation_reason="Tesis açılışı gecikti", measures="İkinci vardiya")
    portfolio["edremit"].post(f"/plans/{plan_id}/readings", {"readings": lines}, expect=202)
    coordinator.post(f"/plans/{plan_id}/readings/approve", {"municipality": "edremit", "period": "2026-H1"})
    report = public.get(f"/plans/{plan_id}/activity-reports/2026?municipality=edremit")
    # spent 150,000.25 + 5,000.00 + 0 = 155,000.25 of 370,000.50
    assert report["spending"]["budget"] == "370000.50" and report["spending"]["spent"] == "155000.25"
    assert report["spending"]["difference"] == "-215000.25"
    indicators = [i for o in report["objectives"] for i in o["indicators"]]
    assert indicators and all({"target", "result", "realization"} <= set(i) for i in indicators)
    assert report["evaluation"]["projects"] == 3
    compost = next(i for i in indicators if i["code"] == "PG1.3.1")
    assert (compost["deviation_reason"], compost["measures"]) == ("Tesis açılışı gecikti", "İkinci vardiya")
    assert public.get(f"/plans/{plan_id}/activity-report?year=2026&municipality=edremit") == report

    book = openpyxl.load_workbook(io.BytesIO(public.request(
        "GET", f"/plans/{plan_id}/activity-reports/2026?municipality=edremit&format=xlsx").content))
    closing = {row[0]: row[1] for row in book["Kaynaklar"].iter_rows(values_only=True) if row[0]}
    assert (closing["Bütçe"], closing["Harcama"], closing["Fark"]) == (370000.5, 155000.25, -215000.25)
    assert "Gerçekleşen Değer" in [c.value for c in book["Hedefler"][4]]
    text = pdf_text(public.request("GET", f"/plans/{plan_id}/activity-reports/2026?municipality=edremit&format=pdf"))
    # 155,000.25 of 370,000.50 is 41.9 % spent
    assert all(figure in text for figure in ("FaaliyetRaporu2026", "GerçekleşenDeğer", "BütçeveHarcama",
                                             "370.000,50", "155.000,25", "-215.000,25", "41,9",
                                             "Tesisaçılışıgecikti", "İkincivardiya"))


def test_the_demo_projects_fit_the_korfez_plan_and_are_seeded_once(adopted, stack, public, tmp_path, monkeypatch):
    from ops import seed
    from ops.demo import projects
    from tests.stack import ADMIN_TOKEN
    monkeypatch.setattr(seed, "PLAN", f"/plans/{adopted}")
    demo = seed.DemoSeed(stack.url, ADMIN_TOKEN, str(tmp_path), log=lambda *_: None)
    assert [demo.project(body) for body in projects.PROJECTS] == [True] * len(projects.PROJECTS)
    assert [demo.project(body) for body in projects.PROJECTS] == [False] * len(projects.PROJECTS)
    listed = public.get(f"/plans/{adopted}/projects")
    # every district and the metropolitan municipality: short, mid, long, then priority
    assert [p["code"] for p in listed] == ["P-EDR-01", "P-HAV-01", "P-AYV-01", "P-BUR-01", "P-GOM-01", "P-BLK-01"]
    assert all(len(p["reports"]) == 1 for p in listed)


def test_the_plans_page_shows_its_portfolio_to_the_public(portfolio, stack):
    import requests as http
    page = http.get(f"{stack.url}/plans/{portfolio['plan_id']}?lang=tr", timeout=30)
    assert page.status_code == 200
    section = page.text[page.text.index('id="projects"'):]
    section = section[:section.index("</section>")]
    assert "Faaliyet ve projeler" in section and "Aşama gecikti" in section   # E1's Açılış is overdue
    assert [c for c in ("E1", "E3", "A1", "E2", "B1") if f">{c}<" in section or f"{c} " in section]
    assert section.index("Kompost tesisi") < section.index("Körfez bisiklet yolu")     # short before long
    assert "Performans programı" in page.text
    persian = http.get(f"{stack.url}/plans/{portfolio['plan_id']}?lang=fa", timeout=30)
    assert "فعالیت‌ها و پروژه‌ها" in persian.text
