"""Monitoring through the gateway: the Körfez plan adopted, two half-years of readings from all
five districts, approvals, and figures checked against numbers worked out by hand."""
import copy
import json
import secrets
import time

import pytest

from ops.demo import korfez
from ops.processes import wait_until
from services.monitoring.models import pack, unpack
from tests.stack import until_monitoring_has

pytestmark = pytest.mark.stack

# Hand-worked figures for 2026-H1 (targets of 2026; see ops/demo/korfez.py):
#   works done   A=10  B=20    C=18                    D = 80
#   satisfaction A=60  B=66    C=65                    D = 83.333
#   green area   A=0   B=16000 C=0+(5000+3000)+4000    D = 75       (cumulative: 2025's halves, then 2026-H1)
#   answered     A=70  B=78    C=76 %                  D = 75;  Ayvalık 45/50 = 90 % -> D = 250 (capped 100);
#                                                      Burhaniye 60/100 = 60 % -> D = -125 (off track)
H1 = {"works": 18, "satisfaction": 65, "green": 4000, "answered": (76, 100)}
H1_ANSWERED = {"ayvalik": (45, 50), "burhaniye": (60, 100)}
# 2026-H2: every indicator on target: D = 100 everywhere (green: 8000 + 4000 + 4000 = 16000)
H2 = {"works": 20, "satisfaction": 66, "green": 4000, "answered": (78, 100)}
# 2025's green area, by half-year: a cumulative indicator needs every period before the one figured
GREEN_2025 = {"2025-H1": 5000, "2025-H2": 3000}


def kind_of(indicator):
    if indicator.get("contributes_to") == "BG1":
        return "green"
    if indicator.get("contributes_to") == "BG2":
        return "answered"
    return "works" if indicator["unit"] == "adet" else "satisfaction"


def readings_for(district, period, values, answered_override=None):
    lines = []
    for objective in korfez.CONTRIBUTIONS[district]["objectives"]:
        for indicator in objective["indicators"]:
            kind = kind_of(indicator)
            line = {"indicator": indicator["code"], "municipality": district, "period": period}
            if kind == "answered":
                numerator, denominator = (answered_override or {}).get(district, values["answered"])
                line.update(numerator=numerator, denominator=denominator)
            else:
                line["value"] = values[kind]
            lines.append(line)
    return lines


def report_and_approve(token_for, plan_id, period, values, override=None):
    """Each district's planner submits; the coordinator approves (four eyes)."""
    coordinator = token_for("coordinator", korfez.COORDINATOR)
    for district in korfez.DISTRICTS:
        planner = token_for("planner", district)
        answer = planner.post(f"/plans/{plan_id}/readings",
                              {"readings": readings_for(district, period, values, override)}, expect=202)
        assert answer["accepted"] == sum(len(o["indicators"]) for o in korfez.CONTRIBUTIONS[district]["objectives"])
        assert coordinator.post(f"/plans/{plan_id}/readings/approve",
                                {"municipality": district, "period": period})["approved"] == answer["accepted"]


def report_green_2025(token_for, plan_id):
    """Each district's green area of 2025's two halves (only the cumulative indicators need them),
    approved by a second planner of the district."""
    for district in korfez.DISTRICTS:
        planner, colleague = token_for("planner", district), token_for("planner", district, "second")
        for period, value in GREEN_2025.items():
            lines = [line for line in readings_for(district, period, {**H1, "green": value})
                     if line["indicator"].startswith("PG1.")]
            planner.post(f"/plans/{plan_id}/readings", {"readings": lines}, expect=202)
            colleague.post(f"/plans/{plan_id}/readings/approve", {"municipality": district, "period": period})


def settled(client, plan_id, period):
    """Progress once every approval has been figured in (the figures are updated by events)."""
    def ready():
        figures = client.get(f"/plans/{plan_id}/progress?period={period}")
        return figures["plan"]["realization"] is not None and figures
    wait_until(ready, 30, interval=0.2, what=f"progress of {period}")
    return client.get(f"/plans/{plan_id}/progress?period={period}")


def below_threshold(event):
    return event["payload"]["kind"] == "below_threshold"


def by(items, key="code"):
    return {item[key]: item for item in items}


def test_korfez_two_half_years_match_the_hand_worked_figures(adopted, coordinator, token_for, public, listen):
    off_track = listen("monitoring", "indicator_off_track", "indicator_recovered")
    report_and_approve(token_for, adopted, "2026-H1", H1, H1_ANSWERED)
    # 2025 not reported yet: the cumulative green area is incomplete and says so; it is never taken as zero
    def levels_figured():
        figures = public.get(f"/plans/{adopted}/progress?period=2026-H1")
        return all(i["D"] is not None for i in figures["indicators"] if not i["code"].startswith("PG1."))
    wait_until(levels_figured, 30, interval=0.2, what="2026-H1 figured without 2025")
    incomplete = public.get(f"/plans/{adopted}/progress?period=2026-H1")
    green = by(incomplete["indicators"])["PG1.1.1"]
    assert green["C"] is None and green["D"] is None and green["incomplete"]
    assert green["missing_periods"] == ["2025-H1", "2025-H2"]
    assert by(incomplete["objectives"])["H1.1"]["missing_periods"] == {"PG1.1.1": ["2025-H1", "2025-H2"]}
    assert incomplete["plan"]["realization"] is None and incomplete["plan"]["incomplete"]
    assert incomplete["plan"]["missing_goals"] == ["A1"] and "A1" in incomplete["plan"]["reason"]
    assert by(incomplete["regional"])["BG1"]["missing_municipalities"] == list(korfez.DISTRICTS)
    report_green_2025(token_for, adopted)
    progress = settled(public, adopted, "2026-H1")  # progress is public for an adopted plan
    assert progress["period"]["first_day"] == "2026-01-01" and progress["period"]["last_day"] == "2026-06-30"
    ind = by(progress["indicators"])
    assert (ind["PG2.1.1"]["A"], ind["PG2.1.1"]["B"], ind["PG2.1.1"]["C"], ind["PG2.1.1"]["D"]) == (10, 20, 18, 80)
    assert ind["PG2.1.2"]["D"] == pytest.approx(83.3333, abs=1e-3) and ind["PG2.1.2"]["band"] == "good"
    assert (ind["PG1.3.1"]["C"], ind["PG1.3.1"]["D"]) == (12000, 75)
    assert ind["PG3.1.2"]["D"] == 250 and ind["PG3.1.2"]["capped"] == 100 and ind["PG3.1.2"]["band"] == "exceeding"
    assert ind["PG3.2.2"]["D"] == -125 and ind["PG3.2.2"]["band"] == "very_weak"

    obj = by(progress["objectives"])
    assert obj["H2.1"]["realization"] == pytest.approx(0.6 * 80 + 0.4 * 83.3333, abs=1e-3)   # 81.333
    assert obj["H1.1"]["realization"] == pytest.approx(0.6 * 75 + 0.4 * 83.3333, abs=1e-3)   # 78.333
    assert obj["H3.1"]["realization"] == pytest.approx(0.6 * 80 + 0.4 * 100, abs=1e-3)       # 88
    assert obj["H3.2"]["realization"] == pytest.approx(0.6 * 80 + 0.4 * -125, abs=1e-3)      # -2
    goals = by(progress["goals"])
    assert goals["A3"]["realization"] == pytest.approx((88 - 2 + 78 * 3) / 5, abs=1e-3)      # 64
    assert goals["A1"]["realization"] == pytest.approx(78.3333, abs=1e-3)
    expected_plan = (78.3333 + 64 + 81.3333 * 8) / 10
    assert progress["plan"]["realization"] == pytest.approx(expected_plan, abs=1e-3)
    municipalities = by(progress["municipalities"], "municipality")
    assert municipalities["ayvalik"]["realization"] == pytest.approx((78.3333 + 81.3333 + 88) / 3, abs=1e-3)

    regional = by(progress["regional"])
    assert (regional["BG1"]["C"], regional["BG1"]["D"]) == (60000, 75)                 # sum of five districts
    assert regional["BG2"]["C"] == pytest.approx(333 / 450 * 100, abs=1e-3)            # Σnum / Σden = 74 %
    assert regional["BG2"]["D"] == pytest.approx(50, abs=1e-3)                         # not the mean (74.4 %)

    # the same figures sized to the question: a summary, one goal, the region as a table, a series
    summary = public.get(f"/plans/{adopted}/progress?period=2026-H1&level=summary")
    assert "indicators" not in summary and summary["level"] == "summary"
    assert (summary["plan"], summary["goals"], summary["objectives"]) == (
        progress["plan"], progress["goals"], progress["objectives"])
    a3 = public.get(f"/plans/{adopted}/progress?period=2026-H1&goal=A3")
    assert {o["code"] for o in a3["objectives"]} == {"H3.1", "H3.2", "H3.3", "H3.4", "H3.5"}
    assert [g["code"] for g in a3["goals"]] == ["A3"] and {i["objective"] for i in a3["indicators"]} == {
        "H3.1", "H3.2", "H3.3", "H3.4", "H3.5"}
    matrix = public.request("GET", f"/plans/{adopted}/progress/matrix?period=2026-H1")
    cells = {(c["goal"], c["municipality"]): c for c in matrix.json()["cells"]}
    assert set(matrix.json()["municipalities"]) == set(korfez.DISTRICTS)    # the coordinator has no objective
    assert cells[("A3", "ayvalik")]["realization"] == pytest.approx(88, abs=1e-3)          # its own H3.1
    assert cells[("A3", "burhaniye")]["realization"] == pytest.approx(-2, abs=1e-3)        # its own H3.2
    assert cells[("A1", "ayvalik")]["realization"] == pytest.approx(78.3333, abs=1e-3)
    assert cells[("A1", "ayvalik")]["objectives"] == 1
    again = public.request("GET", f"/plans/{adopted}/progress/matrix?period=2026-H1",
                           headers={"If-None-Match": matrix.headers["ETag"]})
    assert again.status_code == 304
    series = public.get(f"/plans/{adopted}/progress/series?from=2025-H2&to=2026-H1")
    assert [p["period"] for p in series["periods"]] == ["2025-H2", "2026-H1"]
    assert series["periods"][1]["plan"]["realization"] == pytest.approx(expected_plan, abs=1e-3)
    assert by(series["periods"][1]["goals"])["A3"]["realization"] == pytest.approx(64, abs=1e-3)
    assert series["periods"][0]["plan"]["incomplete"] is True     # 2025 has only the green areas
    own = public.get(f"/plans/{adopted}/progress/series?from=2026-H1&to=2026-H1&municipality=ayvalik")
    assert own["periods"][0]["plan"]["realization"] == pytest.approx((78.3333 + 81.3333 + 88) / 3, abs=1e-3)
    mixed = public.request("GET", f"/plans/{adopted}/progress/series?from=2026&to=2026-H2")
    assert mixed.status_code == 422 and "from" in mixed.json()["errors"]

    # Burhaniye's answered share is off track: one alert, listed with its reason
    event = off_track.wait_for("indicator_off_track", below_threshold)
    assert event["payload"]["indicator"] == "PG3.2.2"
    alerts = coordinator.get(f"/plans/{adopted}/alerts?kind=below_threshold")
    assert [a["indicator"] for a in alerts] == ["PG3.2.2"] and "below the plan's threshold 70" in alerts[0]["reason"]
    assert public.get(f"/plans/{adopted}/alerts?kind=below_threshold") == alerts   # public, as progress is

    # a correction waits for approval and keeps the old value in history; the alert is not raised twice
    burhaniye = token_for("planner", "burhaniye")
    corrected = readings_for("burhaniye", "2026-H1", H1, {"burhaniye": (61, 100)})
    burhaniye.post(f"/plans/{adopted}/readings", {"readings": corrected}, expect=202)
    stored = by(burhaniye.get(f"/plans/{adopted}/readings?municipality=burhaniye&period=2026-H1"), "indicator")
    assert stored["PG3.2.2"]["status"] == "submitted" and stored["PG3.2.2"]["history"][0]["numerator"] == 60
    assert stored["PG3.2.2"]["approved"]["numerator"] == 60          # still what counts
    coordinator.post(f"/plans/{adopted}/readings/approve", {"municipality": "burhaniye", "period": "2026-H1"})
    wait_until(lambda: by(public.get(f"/plans/{adopted}/progress?period=2026-H1")["indicators"])["PG3.2.2"]["D"]
               == pytest.approx(-112.5), 20, what="the correction figured in")
    assert len(coordinator.get(f"/plans/{adopted}/alerts?kind=below_threshold")) == 1

    # the second half-year: everything on target, the alert clears
    report_and_approve(token_for, adopted, "2026-H2", H2)
    wait_until(lambda: coordinator.get(f"/plans/{adopted}/alerts?kind=below_threshold") == [], 30,
               what="the alert cleared")
    assert off_track.wait_for("indicator_recovered", below_threshold)["payload"]["indicator"] == "PG3.2.2"
    year = settled(public, adopted, "2026")
    ind = by(year["indicators"])
    assert ind["PG1.1.1"]["C"] == 16000 and ind["PG1.1.1"]["D"] == 100                # 12000 + 4000
    assert ind["PG2.1.1"]["C"] == 20                                                  # the year reads its H2
    assert year["plan"]["realization"] == pytest.approx(100, abs=1e-6) and year["plan"]["band"] == "very_good"
    assert by(year["regional"])["BG1"]["C"] == 80000
    all_alerts = coordinator.get(f"/plans/{adopted}/alerts?all=true&kind=below_threshold")
    assert [(a["indicator"], a["status"]) for a in all_alerts] == [("PG3.2.2", "closed")]

    # filtered views
    edremit = public.get(f"/plans/{adopted}/progress?period=2026&municipality=edremit")
    assert {o["municipality"] for o in edremit["objectives"]} == {"edremit"}
    theme = public.get(f"/plans/{adopted}/progress?period=2026&theme=T3")
    assert {o["code"] for o in theme["objectives"]} == {"H3.1", "H3.2", "H3.3", "H3.4", "H3.5"}


def test_a_read_never_shows_a_slice_beside_an_older_roll_up(stack, adopted, token_for, public, store_uri, run_id):
    """A municipality's slice written and its period's roll-up not yet (an update under way): a read
    waits for the roll-up, and when none comes figures the period on the spot from the approved
    readings, rather than show the slice's indicators with goals and a plan figure older than them."""
    import pymongo
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared import config
    report_green_2025(token_for, adopted)
    report_and_approve(token_for, adopted, "2026-H1", H1, H1_ANSWERED)
    settled(public, adopted, "2026-H1")
    database = pymongo.MongoClient(store_uri)[f"ortak_{run_id}_monitoring"]
    # 2025's approvals carry into 2026-H1 too: once the timer has figured them, no revision moves below
    wait_until(lambda: not list(database["figures_carried"].find({"plan_id": adopted}, {"_id": 1})), 30,
               what="the carried periods figured")
    with ClusterRpcProxy({**config.nameko_config(), "AMQP_URI": stack.amqp_uri}, timeout=30) as rpc:
        before = rpc.monitoring.progress(None, adopted, "2026-H1", with_revision=True)
        assert before["revision"] is not None   # read from the stored slices and roll-up
        # what the gateway asks: the same figures as JSON text, which it sends as they are
        encoded = rpc.monitoring.progress(None, adopted, "2026-H1", with_revision=True, encoded=True)
        assert json.loads(encoded["encoded"]) == before["progress"] and encoded["revision"] == before["revision"]
        served = public.request("GET", f"/plans/{adopted}/progress?period=2026-H1")
        assert served.json() == before["progress"] and before["revision"] in served.headers["ETag"]
        slices = database["figure_slices"]
        key = f"{adopted}:2026-H1:edremit"
        written = slices.find_one({"_id": key})
        slices.update_one({"_id": key}, {"$set": {"indicators": pack([{**i, "C": -1.0} for i in unpack(
            written["indicators"])])}, "$inc": {"rev": 1}})
        started = time.monotonic()
        during = rpc.monitoring.progress(None, adopted, "2026-H1", with_revision=True)
        waited = time.monotonic() - started
    assert during["revision"] is None and waited > 1   # waited for a roll-up, then figured on the spot
    assert -1.0 not in {i["C"] for i in during["progress"]["indicators"]}
    assert during["progress"] == before["progress"]


def test_a_bad_batch_lists_every_bad_line_and_stores_nothing(adopted, token_for, coordinator):
    edremit = token_for("planner", "edremit")
    lines = readings_for("edremit", "2026-H1", H1)
    bad = copy.deepcopy(lines)
    bad[0]["indicator"] = "PG99.9.9"
    bad[1]["municipality"] = "havran"
    bad[2]["period"] = "2031-H1"
    answered = next(i for i, line in enumerate(bad) if "numerator" in line)
    bad[answered]["denominator"] = 0
    bad[3]["value"] = "on iki"
    response = edremit.request("POST", f"/plans/{adopted}/readings", json={"readings": bad})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"readings[0].indicator", "readings[1].municipality", "readings[2].period",
            f"readings[{answered}].denominator", "readings[3].value"} <= set(errors)
    assert coordinator.get(f"/plans/{adopted}/readings?municipality=edremit") == []
    # another district's readings are refused whole
    response = token_for("planner", "gomec").request("POST", f"/plans/{adopted}/readings", json={"readings": lines})
    assert response.status_code == 403
    assert coordinator.get(f"/plans/{adopted}/readings?municipality=edremit") == []


def test_a_repeated_idempotency_key_returns_the_first_answer(adopted, token_for, coordinator):
    edremit = token_for("planner", "edremit")
    key = secrets.token_hex(8)
    body = {"readings": readings_for("edremit", "2026-H1", H1)}
    first = edremit.request("POST", f"/plans/{adopted}/readings", json=body, headers={"Idempotency-Key": key})
    again = edremit.request("POST", f"/plans/{adopted}/readings", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 202
    assert again.json() == {**first.json(), "replayed": True}
    stored = coordinator.get(f"/plans/{adopted}/readings?municipality=edremit")
    assert len(stored) == len(body["readings"]) and all(r["history"] == [] for r in stored)


def test_only_approved_readings_count(adopted, token_for, public):
    havran = token_for("planner", "havran")
    havran.post(f"/plans/{adopted}/readings", {"readings": readings_for("havran", "2026-H1", H1)}, expect=202)
    figures = by(public.get(f"/plans/{adopted}/progress?period=2026-H1")["indicators"])
    assert figures["PG9.1.1"]["C"] is None and figures["PG9.1.1"]["missing"] is True


TEHRAN = {
    "tehran": {"name": {"fa": "شهرداری تهران", "en": "Tehran Municipality"}, "kind": "metropolitan",
               "locale": "fa", "calendar": "solar_hijri"},
    "tehran-r1": {"name": {"fa": "شهرداری منطقه ۱"}, "kind": "district", "parent": "tehran", "locale": "fa",
                  "calendar": "solar_hijri"},
    "tehran-r2": {"name": {"fa": "شهرداری منطقه ۲"}, "kind": "district", "parent": "tehran", "locale": "fa",
                  "calendar": "solar_hijri"},
}


def test_a_solar_hijri_plan_end_to_end(admin, token_for):
    for mid, body in TEHRAN.items():
        admin.put(f"/municipalities/{mid}", body)
    plan_id = "tehran-" + secrets.token_hex(3)
    coordinator = token_for("coordinator", "tehran")
    years = ["1401", "1402", "1403", "1404"]
    coordinator.post("/plans", {"id": plan_id, "title": {"fa": "برنامه راهبردی شهر تهران ۱۴۰۱-۱۴۰۴"},
                                "coordinator": "tehran", "members": ["tehran-r1", "tehran-r2"],
                                "period": {"start": 1401, "end": 1404}, "calendar": "solar_hijri",
                                "themes": [{"code": "T1", "name": {"fa": "محیط زیست"}}]}, expect=201)
    coordinator.put(f"/plans/{plan_id}/frame", {
        "mission": {"fa": "ارتقای کیفیت زندگی شهروندان"}, "vision": {"fa": "تهران سبز و تاب‌آور"},
        "goals": [{"code": "A1", "title": {"fa": "توسعه فضای سبز"}, "theme": "T1"}]})
    for n, district in enumerate(["tehran-r1", "tehran-r2"], start=1):
        coordinator.put(f"/plans/{plan_id}/contributions/{district}", {"objectives": [{
            "code": f"H1.{n}", "goal": "A1", "title": {"fa": "افزایش سرانه فضای سبز"},
            "responsible_unit": "معاونت خدمات شهری",
            "indicators": [{"code": f"PG1.{n}.1", "name": {"fa": "سرانه فضای سبز"}, "unit": "m²/نفر",
                            "weight": 100, "baseline": 10, "targets": {y: 10 + 2 * (i + 1) for i, y in enumerate(years)},
                            "calculation": "increase"}]}]})
    coordinator.post(f"/plans/{plan_id}/adopt", {"decision_no": "۱۴۰۱/۱۲", "decision_date": "2022-05-01"})
    until_monitoring_has(coordinator, plan_id, "1402")
    for n, district in enumerate(["tehran-r1", "tehran-r2"], start=1):
        planner = token_for("planner", district)
        planner.post(f"/plans/{plan_id}/readings", {"readings": [
            {"indicator": f"PG1.{n}.1", "municipality": district, "period": "۱۴۰۲-H1", "value": 12 + n}]}, expect=202)
        coordinator.post(f"/plans/{plan_id}/readings/approve", {"municipality": district, "period": "۱۴۰۲-H1"})
    progress = settled(coordinator, plan_id, "1402-H1")
    assert progress["period"] == {"key": "1402-H1", "calendar": "solar_hijri", "year": 1402, "half": 1,
                                  "first_day": "2023-03-21", "last_day": "2023-09-22",
                                  "first_day_native": "1402/01/01", "last_day_native": "1402/06/31"}
    ind = by(progress["indicators"])
    assert (ind["PG1.1.1"]["B"], ind["PG1.1.1"]["C"], ind["PG1.1.1"]["D"]) == (14, 13, 75)   # (13-10)/(14-10)
    assert ind["PG1.2.1"]["D"] == 100
    assert progress["plan"]["realization"] == pytest.approx(87.5)
    response = coordinator.request("POST", f"/plans/{plan_id}/readings", json={"readings": [
        {"indicator": "PG1.1.1", "municipality": "tehran-r1", "period": "2026-H1", "value": 1}]})
    assert response.status_code == 422 and "Solar Hijri" in response.json()["errors"]["readings[0].period"][0]
    # the report reads right to left, with Persian digits and Solar Hijri dates
    import io

    import openpyxl
    from pypdf import PdfReader

    pdf = coordinator.request("GET", f"/plans/{plan_id}/reports/monitoring?period=1402-H1&format=pdf", expect=200)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "۱۴۰۲/۰۱/۰۱" in text and "۱۴۰۲/۰۶/۳۱" in text and "سرانه فضای سبز" in text
    # read in visual order, the figure is written with Persian digits and the Persian decimal separator
    laid_out = "".join(page.extract_text(extraction_mode="layout") for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "۸۷٫۵" in laid_out and "گزارش پایش" in text
    xlsx = coordinator.request("GET", f"/plans/{plan_id}/reports/monitoring?period=1402-H1&format=xlsx", expect=200)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book["خلاصه"].sheet_view.rightToLeft and book["هدف کلان A1"].sheet_view.rightToLeft


def test_the_repair_command_gives_the_same_figures(adopted, token_for, public, amqp_uri):
    import subprocess
    import sys

    from ops.stack import ROOT

    report_green_2025(token_for, adopted)
    report_and_approve(token_for, adopted, "2026-H1", H1, H1_ANSWERED)
    before = settled(public, adopted, "2026-H1")
    result = subprocess.run([sys.executable, "-m", "ops.recompute", adopted], cwd=ROOT, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "AMQP_URI": amqp_uri, "PYTHONPATH": ROOT},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "15 periods recomputed" in result.stdout                      # 5 years x (H1, H2, year)
    assert public.get(f"/plans/{adopted}/progress?period=2026-H1") == before


def test_reports_carry_the_same_figures_in_json_xlsx_and_pdf(adopted, token_for, coordinator, listen):
    import io

    import openpyxl
    from pypdf import PdfReader

    published = listen("monitoring", "report_published")
    report_green_2025(token_for, adopted)
    report_and_approve(token_for, adopted, "2026-H1", H1, H1_ANSWERED)
    settled(coordinator, adopted, "2026-H1")
    url = f"/plans/{adopted}/reports/monitoring?period=2026-H1"
    report = coordinator.get(url)
    assert report["kind"] == "monitoring" and report["period"]["key"] == "2026-H1"
    assert [a["indicator"] for a in report["alerts"] if a["kind"] == "below_threshold"] == ["PG3.2.2"]
    book = openpyxl.load_workbook(io.BytesIO(coordinator.request("GET", url + "&format=xlsx", expect=200).content))
    assert book.sheetnames[0] == "Özet" and len(book.sheetnames) == 1 + len(report["goals"])
    summary = {row[0]: row[1] for row in book["Özet"].iter_rows(values_only=True) if row[0]}
    assert summary["Plan Gerçekleşme Oranı (%)"] == round(report["plan"]["realization"], 2)
    assert summary["Rapor"] == "İzleme Raporu" and summary["Başarı Düzeyi"] == report["plan"]["band_label"]
    goal3 = list(book["Amaç A3"].iter_rows(min_row=4, values_only=True))
    from_json = {i["code"]: round(i["D"], 2) for i in report["indicators"] if i["goal"] == "A3"}
    assert {row[1]: row[8] for row in goal3 if row[1] in from_json} == from_json
    response = coordinator.request("GET", url + "&format=pdf", expect=200)
    assert response.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert f"{report['plan']['realization']:.1f}".replace(".", ",") in text and "PG3.2.2" in text
    assert "-125,0" in text and "İzleme Raporu" in text and "Sosyal Yardım İşleri Müdürlüğü" in " ".join(text.split())
    assert published.wait_for("report_published")["payload"]["kind"] == "monitoring"
    evaluation = coordinator.get(f"/plans/{adopted}/reports/evaluation?year=2026&municipality=edremit")
    assert [h["period"] for h in evaluation["halves"]] == ["2026-H1", "2026-H2"]
    assert {o["municipality"] for o in evaluation["objectives"]} == {"edremit"}
    rows = by(evaluation["evaluation"])
    assert (rows["PG5.1.1"]["first"], rows["PG5.1.1"]["C"], rows["PG5.1.1"]["cumulative"]) == (18, None,
                                                                                               {"2025": None,
                                                                                                "2026": None})
    evaluation_book = openpyxl.load_workbook(io.BytesIO(coordinator.request(
        "GET", f"/plans/{adopted}/reports/evaluation?year=2026&municipality=edremit&format=xlsx",
        expect=200).content))
    assert evaluation_book.sheetnames[-2:] == ["Yıllık Değerlendirme", "Kümülatif Gerçekleşme (%)"]
    assert coordinator.request("GET", f"/plans/{adopted}/reports/monitoring?period=2026").status_code == 422


def test_service_quality_from_district_requests(admin, token_for):
    """Manisa (seed 004): districts report citizens' requests received and answered, and the median
    days to answer, as ordinary indicators; the regional response rate is Σanswered / Σreceived."""
    for mid, body in {"manisa": {"name": "Manisa Büyükşehir Belediyesi", "kind": "metropolitan"},
                      "yunusemre": {"name": "Yunusemre Belediyesi", "kind": "district", "parent": "manisa"},
                      "sehzadeler": {"name": "Şehzadeler Belediyesi", "kind": "district", "parent": "manisa"}}.items():
        admin.put(f"/municipalities/{mid}", body)
    plan_id = "manisa-" + secrets.token_hex(3)
    coordinator = token_for("coordinator", "manisa")
    years = [str(y) for y in range(2025, 2030)]
    coordinator.post("/plans", {"id": plan_id, "title": "Manisa Ortak Stratejik Planı", "coordinator": "manisa",
                                "members": ["yunusemre", "sehzadeler"], "period": {"start": 2025, "end": 2029},
                                "themes": [{"code": "T9", "name": "Kurumsal Kapasite"}]}, expect=201)
    coordinator.put(f"/plans/{plan_id}/frame", {
        "mission": "Talepleri hızla yanıtlamak", "vision": "Duyarlı belediye",
        "goals": [{"code": "A1", "title": "Hizmet kalitesi", "theme": "T9"}],
        "regional_indicators": [{"code": "RQ", "goal": "A1", "name": "Talep yanıtlama oranı", "unit": "%",
                                 "aggregation": "ratio", "ratio_scale": 100, "baseline": 60,
                                 "targets": {y: 80 for y in years}}]})
    for n, district in enumerate(["yunusemre", "sehzadeler"], start=1):
        coordinator.put(f"/plans/{plan_id}/contributions/{district}", {"objectives": [{
            "code": f"H1.{n}", "goal": "A1", "title": "Muhtarlık taleplerini hızla yanıtlamak",
            "responsible_unit": "Muhtarlık İşleri Müdürlüğü",
            "indicators": [
                {"code": f"Q{n}.1", "name": "Yanıtlanan talep oranı", "unit": "%", "ratio_scale": 100, "weight": 50,
                 "baseline": 60, "targets": {y: 80 for y in years}, "calculation": "increase",
                 "contributes_to": "RQ"},
                {"code": f"Q{n}.2", "name": "Medyan yanıt süresi", "unit": "gün", "weight": 50, "baseline": 10,
                 "targets": {y: 5 for y in years}, "calculation": "decrease"}]}]})
    coordinator.post(f"/plans/{plan_id}/adopt", {"decision_no": "2025/1", "decision_date": "2025-01-15"})
    until_monitoring_has(coordinator, plan_id, "2026")
    figures = {"yunusemre": ((350, 500), 8), "sehzadeler": ((180, 200), 4)}   # answered/received, median days
    for n, (district, ((answered, received), days)) in enumerate(figures.items(), start=1):
        planner = token_for("planner", district)
        planner.post(f"/plans/{plan_id}/readings", {"readings": [
            {"indicator": f"Q{n}.1", "municipality": district, "period": "2026-H1", "numerator": answered,
             "denominator": received, "source": "CİMER ve muhtarlık talep kayıtları"},
            {"indicator": f"Q{n}.2", "municipality": district, "period": "2026-H1", "value": days}]}, expect=202)
        coordinator.post(f"/plans/{plan_id}/readings/approve", {"municipality": district, "period": "2026-H1"})
    progress = settled(coordinator, plan_id, "2026-H1")
    ind = by(progress["indicators"])
    assert (ind["Q1.1"]["C"], ind["Q1.1"]["D"]) == (70, 50)        # 350/500 = 70 %: (70-60)/(80-60)
    assert ind["Q1.2"]["D"] == 40                                  # (8-10)/(5-10): fewer days is better
    assert ind["Q2.1"]["C"] == 90 and ind["Q2.2"]["D"] == 120
    regional = by(progress["regional"])["RQ"]
    assert regional["C"] == pytest.approx(530 / 700 * 100, abs=1e-3)  # not the mean of 70 % and 90 %


def test_readings_past_their_due_date_raise_one_alert_until_they_arrive(draft, coordinator, token_for, listen):
    """The Körfez plan was adopted in November 2024: every half-year that ended more than 30 days
    ago (the plan's `readings_due_days`) with no approved reading is overdue, one alert an indicator."""
    from datetime import date, timedelta

    from shared.calendars import plan_periods
    today = date.today()
    due = [p.key for p in plan_periods("gregorian", 2025, 2029)
           if p.half is not None and p.last_day + timedelta(days=30) < today]
    assert due, "the demo plan has ended half-years by now"
    events = listen("monitoring", "indicator_off_track", "indicator_recovered")
    raised_events = listen("monitoring", "indicator_off_track")
    coordinator.post(f"/plans/{draft}/adopt", korfez.ADOPTION)
    codes = [i["code"] for c in korfez.CONTRIBUTIONS.values() for o in c["objectives"] for i in o["indicators"]]
    overdue_url = f"/plans/{draft}/alerts?kind=overdue"
    wait_until(lambda: len(coordinator.get(overdue_url)) == len(codes), 30, what="an overdue alert per indicator")
    alerts = by(coordinator.get(overdue_url), "indicator")
    assert set(alerts) == set(codes) and all(a["periods"] == due for a in alerts.values())
    assert "after the due date" in alerts["PG3.2.2"]["reason"]
    raised = events.wait_for("indicator_off_track", lambda e: overdue_in(e, draft))
    assert raised["payload"]["kind"] == "overdue" and raised["payload"]["periods"] == due

    # Edremit reports its first overdue half-year: its alerts are restated, not raised again
    edremit = token_for("planner", "edremit")
    edremit_codes = [i["code"] for o in korfez.CONTRIBUTIONS["edremit"]["objectives"] for i in o["indicators"]]
    edremit.post(f"/plans/{draft}/readings", {"readings": readings_for("edremit", due[0], H2)}, expect=202)
    coordinator.post(f"/plans/{draft}/readings/approve", {"municipality": "edremit", "period": due[0]})
    wait_until(lambda: by(coordinator.get(overdue_url), "indicator")[edremit_codes[0]]["periods"] == due[1:], 30,
               what="the alert restated")
    # ... then every other one: its alerts close, the other districts' stay open
    for key in due[1:]:
        edremit.post(f"/plans/{draft}/readings", {"readings": readings_for("edremit", key, H2)}, expect=202)
        coordinator.post(f"/plans/{draft}/readings/approve", {"municipality": "edremit", "period": key})
    wait_until(lambda: set(by(coordinator.get(overdue_url), "indicator")) == set(codes) - set(edremit_codes), 30,
               what="Edremit's overdue alerts closed")
    recovered = events.wait_for("indicator_recovered", lambda e: e["payload"]["indicator"] == edremit_codes[0])
    assert recovered["payload"]["kind"] == "overdue"
    closed = [a for a in coordinator.get(f"/plans/{draft}/alerts?kind=overdue&all=true") if a["status"] == "closed"]
    assert sorted(a["indicator"] for a in closed) == sorted(edremit_codes)
    # one off-track event per indicator, however often its missing periods changed
    raised = []
    while True:
        try:
            raised.append(raised_events.wait_for("indicator_off_track", lambda e: overdue_in(e, draft), timeout=2))
        except AssertionError:
            break
    once = {e["event_id"]: e["payload"]["indicator"] for e in raised}     # delivery is at least once
    assert sorted(once.values()) == sorted(codes)


def overdue_in(event, plan_id):
    return event["plan_id"] == plan_id and event["payload"]["kind"] == "overdue"


def test_a_districts_report_is_the_districts_own(adopted, coordinator, token_for):
    """Filtered to Edremit, the reports show Edremit's realization, goals and objectives, figured
    from its objectives only (A3: its H3.3 = 0.6 x 80 + 0.4 x 75 = 78, not the region's 64)."""
    report_green_2025(token_for, adopted)
    report_and_approve(token_for, adopted, "2026-H1", H1, H1_ANSWERED)
    region = settled(coordinator, adopted, "2026-H1")
    report = coordinator.get(f"/plans/{adopted}/reports/monitoring?period=2026-H1&municipality=edremit")
    assert {o["municipality"] for o in report["objectives"]} == {"edremit"}
    assert {i["municipality"] for i in report["indicators"]} == {"edremit"}
    goals = by(report["goals"])
    assert set(goals) == {"A1", "A3", "A5", "A6"}
    assert goals["A3"]["realization"] == pytest.approx(78, abs=1e-3)
    assert by(region["goals"])["A3"]["realization"] == pytest.approx(64, abs=1e-3)
    own = (78.3333 + 78 + 81.3333 + 81.3333) / 4                                          # 79.75
    assert report["plan"]["realization"] == pytest.approx(own, abs=1e-3)
    assert by(region["municipalities"], "municipality")["edremit"]["realization"] == pytest.approx(own, abs=1e-3)
    assert region["plan"]["realization"] == pytest.approx((78.3333 + 64 + 81.3333 * 8) / 10, abs=1e-3)
    assert [m["municipality"] for m in report["municipalities"]] == ["edremit"]
    progress = coordinator.get(f"/plans/{adopted}/progress?period=2026-H1&municipality=edremit")
    assert progress["plan"] == {k: v for k, v in report["plan"].items() if k != "band_label"}
    assert progress["goals"] == [{k: v for k, v in g.items() if k != "band_label"} for g in report["goals"]]
    evaluation = coordinator.get(f"/plans/{adopted}/reports/evaluation?year=2026&municipality=edremit")
    assert evaluation["halves"][0]["plan"]["realization"] == pytest.approx(own, abs=1e-3)


def test_four_eyes_rejection_and_each_readings_trail(adopted, coordinator, token_for):
    planner, colleague = token_for("planner", "edremit"), token_for("planner", "edremit", "second")
    lines = readings_for("edremit", "2026-H1", H1)
    codes = [line["indicator"] for line in lines]
    planner.post(f"/plans/{adopted}/readings", {"readings": lines}, expect=202)
    # the submitter may not approve its own readings
    refused = planner.request("POST", f"/plans/{adopted}/readings/approve",
                              json={"municipality": "edremit", "period": "2026-H1"})
    assert refused.status_code == 422 and "This token submitted" in refused.json()["errors"]["indicators"][0]
    # the coordinator sends one back with a reason
    rejected = coordinator.post(f"/plans/{adopted}/readings/reject", {
        "municipality": "edremit", "period": "2026-H1", "indicators": [codes[0]], "reason": "Birim yanlış girilmiş."})
    assert rejected == {"rejected": 1, "municipality": "edremit", "period": "2026-H1", "indicators": [codes[0]],
                        "reason": "Birim yanlış girilmiş."}
    # a colleague of the district approves the rest
    assert colleague.post(f"/plans/{adopted}/readings/approve",
                          {"municipality": "edremit", "period": "۲۰۲۶-H1"})["approved"] == len(codes) - 1
    stored = by(planner.get(f"/plans/{adopted}/readings?municipality=edremit&period=۲۰۲۶-H1"), "indicator")
    assert set(stored) == set(codes)
    back = stored[codes[0]]
    assert back["status"] == "rejected" and back["rejected"]["reason"] == "Birim yanlış girilmiş."
    assert [(t["action"], t["by"]["role"]) for t in back["trail"]] == [("submitted", "planner"),
                                                                      ("rejected", "coordinator")]
    kept = stored[codes[1]]
    assert kept["status"] == "approved" and [t["action"] for t in kept["trail"]] == ["submitted", "approved"]
    assert kept["approved_by"]["token_id"] != kept["submitted_by"]["token_id"] == back["submitted_by"]["token_id"]
    # corrected and sent again, it waits for approval again and is approved by the colleague
    planner.post(f"/plans/{adopted}/readings", {"readings": [{**lines[0], "value": lines[0]["value"] + 1}]},
                 expect=202)
    assert colleague.post(f"/plans/{adopted}/readings/approve",
                          {"municipality": "edremit", "period": "2026-H1"})["approved"] == 1
    again = by(planner.get(f"/plans/{adopted}/readings?municipality=edremit&period=2026-H1"), "indicator")[codes[0]]
    assert [t["action"] for t in again["trail"]] == ["submitted", "rejected", "submitted", "approved"]
    assert again["history"][0]["rejected"]["reason"] == "Birim yanlış girilmiş."
    trail = coordinator.get(f"/plans/{adopted}/audit")
    assert any(e["action"] == "readings.rejected" and e["reason"] == "Birim yanlış girilmiş." for e in trail)
    # a rejection needs its reason; a period that has not begun is refused, naming the line
    assert "reason" in coordinator.request("POST", f"/plans/{adopted}/readings/reject", json={
        "municipality": "edremit", "period": "2026-H1"}).json()["errors"]
    future = planner.request("POST", f"/plans/{adopted}/readings", json={"readings": [
        {**lines[0], "period": "2029-H1"}]})
    assert future.status_code == 422 and "has not begun" in future.json()["errors"]["readings[0].period"][0]


def test_without_four_eyes_one_person_submits_and_approves(admin, token_for):
    for mid, body in {"bilecik": {"name": "Bilecik İl Özel", "kind": "provincial"},
                      "bilecik-merkez": {"name": "Bilecik Belediyesi", "kind": "town", "parent": "bilecik"}}.items():
        admin.put(f"/municipalities/{mid}", body)
    plan_id = "bilecik-" + secrets.token_hex(3)
    coordinator = token_for("coordinator", "bilecik")
    years = [str(y) for y in range(2025, 2030)]
    coordinator.post("/plans", {"id": plan_id, "title": "Bilecik 2025-2029", "coordinator": "bilecik",
                                "members": ["bilecik-merkez"], "period": {"start": 2025, "end": 2029},
                                "settings": {"four_eyes": False}}, expect=201)
    coordinator.put(f"/plans/{plan_id}/frame", {"mission": "Hizmet", "vision": "Yaşanabilir kent",
                                                "goals": [{"code": "A1", "title": "Hizmet kalitesi"}]})
    coordinator.put(f"/plans/{plan_id}/contributions/bilecik-merkez", {"objectives": [{
        "code": "H1.1", "goal": "A1", "title": "Şikayetleri azaltmak", "responsible_unit": "Zabıta Müdürlüğü",
        "indicators": [{"code": "K1", "name": "Şikayet sayısı", "unit": "adet", "weight": 100, "baseline": 100,
                        "targets": {y: 100 - 10 * i for i, y in enumerate(years)}, "calculation": "decrease"}]}]})
    coordinator.post(f"/plans/{plan_id}/adopt", {"decision_no": "2025/3", "decision_date": "2025-02-01"})
    until_monitoring_has(coordinator, plan_id, "2026")
    planner = token_for("planner", "bilecik-merkez")
    planner.post(f"/plans/{plan_id}/readings", {"readings": [
        {"indicator": "K1", "municipality": "bilecik-merkez", "period": "2026-H1", "value": 95}]}, expect=202)
    assert planner.post(f"/plans/{plan_id}/readings/approve",
                        {"municipality": "bilecik-merkez", "period": "2026-H1"})["approved"] == 1


def test_a_big_approval_answers_202_and_its_status_is_followed_until_applied(admin, token_for):
    """More readings than an approval marks before answering: 202 with the approval to follow; a
    second approval meanwhile approves none of them again, and the figures count each once."""
    from ops.demo import synthetic
    from services.monitoring.service import APPROVE_AT_ONCE
    prefix, count = "big" + secrets.token_hex(2), APPROVE_AT_ONCE + 10   # ten to an objective
    plan_id = synthetic.create(token_for, admin, prefix, 1, count, per_objective=10)
    planner, colleague = token_for("planner", f"{prefix}-d1"), token_for("planner", f"{prefix}-d1", "second")
    until_monitoring_has(planner, plan_id, synthetic.START)   # its adoption reaches monitoring by an event
    period = synthetic.half_years()[0]
    planner.post(f"/plans/{plan_id}/readings", {"readings": synthetic.readings(prefix, 1, count, period)},
                 expect=202)
    scope = {"municipality": f"{prefix}-d1", "period": period}
    started = time.perf_counter()
    answer = colleague.request("POST", f"/plans/{plan_id}/readings/approve", json=scope)
    assert time.perf_counter() - started < 10
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert (body["approved"], body["status"], answer.headers["Retry-After"]) == (count, "applying", "1")
    location = answer.headers["Location"]
    assert location == f"/api/v1/plans/{plan_id}/readings/approvals/{body['approval']}"
    again = colleague.post(f"/plans/{plan_id}/readings/approve", scope)
    assert (again["approved"], again["status"]) == (0, "applied")
    path = location.removeprefix("/api/v1")
    wait_until(lambda: colleague.get(path)["status"] == "applied", 60, interval=0.2, what="the approval applied")
    assert colleague.get(path) == {**body, "status": "applied"}
    readings = planner.get(f"/plans/{plan_id}/readings?municipality={prefix}-d1&period={period}")
    assert len(readings) == count and {r["status"] for r in readings} == {"approved"}
    assert {tuple(t["action"] for t in r["trail"]) for r in readings} == {("submitted", "approved")}
    wait_until(lambda: all(i["C"] == 1 for i in colleague.get(
        f"/plans/{plan_id}/progress?period={period}&level=indicators")["indicators"]), 60, interval=0.2,
        what="the figures of the big approval")
    assert colleague.request("GET", f"/plans/{plan_id}/readings/approvals/apr_nothere").status_code == 404


def test_later_years_count_an_approval_when_read_at_once_and_are_figured_without_a_read(admin, token_for,
                                                                                        store_uri, run_id):
    """Cumulative readings count in every later year: those years are figured together, shortly after
    a plan's approvals pause, and a read of one of them before that figures it first."""
    import pymongo

    from ops.demo import synthetic
    prefix = "carry" + secrets.token_hex(2)
    plan_id = synthetic.create(token_for, admin, prefix, 1, 10, per_objective=1)   # an objective to each goal
    planner, public = token_for("planner", f"{prefix}-d1"), token_for("viewer")
    last = synthetic.YEARS[-1]
    until_monitoring_has(public, plan_id, last)
    first, second = synthetic.half_years()[:2]

    def lacking(period):
        """Of the periods before ``period`` that its cumulative figures need, those still without a reading."""
        figures = public.get(f"/plans/{plan_id}/progress?period={period}&level=indicators")["indicators"]
        return {key for i in figures for key in i["missing_periods"]} & {first, second}
    assert lacking(last) == {first, second}                  # read (and kept by the gateway) before the approval
    for period in (first, second):
        planner.post(f"/plans/{plan_id}/readings", {"readings": synthetic.readings(prefix, 1, 10, period)}, expect=202)
    planner.post(f"/plans/{plan_id}/readings/approve", {"municipality": f"{prefix}-d1", "period": first})
    wait_until(lambda: all(i["C"] == 1 for i in public.get(
        f"/plans/{plan_id}/progress?period={first}&level=indicators")["indicators"]), 30, interval=0.1,
        what="the approval figured")
    assert lacking(last) == {second}                         # read at once: figured first, never the old figures

    planner.post(f"/plans/{plan_id}/readings/approve", {"municipality": f"{prefix}-d1", "period": second})
    wait_until(lambda: all(i["C"] == 2 for i in public.get(   # its own year, read: it reaches no later year
        f"/plans/{plan_id}/progress?period={second}&level=indicators")["indicators"]), 30, interval=0.1,
        what="the second approval figured")
    database = pymongo.MongoClient(store_uri)[f"ortak_{run_id}_monitoring"]
    wait_until(lambda: not list(database["figures_carried"].find({"plan_id": {"$eq": plan_id}}, {"_id": 1})), 30,
               interval=0.2, what="the later years figured")
    # nobody read them since: the stored slices of every later year count both half-years
    for year in synthetic.YEARS[1:]:
        stored = database["figure_slices"].find_one({"_id": f"{plan_id}:{year}:{prefix}-d1"})
        assert all(not {first, second} & set(i["missing_periods"]) for i in unpack(stored["indicators"])), year
