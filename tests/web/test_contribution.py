"""The plan being made, in a real browser: a planner downloads the district's contribution workbook,
uploads it with a wrong weight and sees the cell named (nothing stored), then a corrected one."""
import copy
import io
import re
from types import SimpleNamespace

import openpyxl
import pytest

from ops.demo import korfez
from tests.stack import new_plan_id, until_monitoring_has
from tests.web.test_workspace import log_in, make_person, serious, shot


@pytest.fixture(scope="module")
def draft_plan(region, admin, token_for):
    """A Körfez plan in public consultation (contributions still change), with Edremit's contribution."""
    coordinator = token_for("coordinator", korfez.COORDINATOR)
    plan_id = new_plan_id()
    coordinator.post("/plans", {**copy.deepcopy(korfez.PLAN), "id": plan_id}, expect=201)
    coordinator.put(f"/plans/{plan_id}/frame", korfez.FRAME)
    for district, contribution in korfez.CONTRIBUTIONS.items():
        coordinator.put(f"/plans/{plan_id}/contributions/{district}", contribution)
    coordinator.post(f"/plans/{plan_id}/status", {"status": "consultation"})
    return SimpleNamespace(id=plan_id, coordinator=coordinator,
                           planner=make_person(admin, "planner", "edremit"),
                           chief=make_person(admin, "coordinator", korfez.COORDINATOR))


def weights(coordinator, plan_id, objective="H5.1"):
    plan = coordinator.get(f"/plans/{plan_id}")
    found = next(o for o in plan["contributions"]["edremit"]["objectives"] if o["code"] == objective)
    return plan["version"], [i["weight"] for i in found["indicators"]]


def upload(page, path):
    page.set_input_files("#workbook", str(path))
    with page.expect_navigation():
        page.click("#contribution-form button[type=submit]")


def test_a_workbook_with_a_wrong_weight_names_the_cell_and_stores_nothing_then_a_corrected_one_is_stored(
        page, draft_plan, tmp_path):
    version, before = weights(draft_plan.coordinator, draft_plan.id)
    assert before == [60, 40]
    log_in(page, draft_plan.planner, expect=r"/workspace")
    page.goto(f"/workspace/plans/{draft_plan.id}?lang=en")
    with page.expect_download() as download:
        page.click("#contribution a[href*='contribution.xlsx']:not([href*='empty'])")
    path = tmp_path / "edremit.xlsx"
    download.value.save_as(path)

    book = openpyxl.load_workbook(path)
    sheet = book["Indicators"]
    header = [c.value for c in sheet[1]]
    column = header.index("Weight in objective (%)") + 1
    rows = {sheet.cell(r, 2).value: r for r in range(2, sheet.max_row + 1)}
    first, second = rows["PG5.1.1"], rows["PG5.1.2"]
    cell = f"{openpyxl.utils.get_column_letter(column)}{first}"
    sheet.cell(first, column).value = 70   # 70 + 40: the objective's weights total 110
    book.save(path)
    upload(page, path)

    problems = page.locator("#book-problems").inner_text()
    assert "Sheet “Indicators”" in problems and f"Cell {cell}" in problems
    assert "weights of objective H5.1's indicators total 110" in problems
    assert page.locator("#workbook").get_attribute("aria-invalid") == "true"
    assert "Nothing was stored" in page.locator(".error-summary").inner_text()
    shot(page, "workspace-contribution-errors")
    assert not serious(page)
    assert weights(draft_plan.coordinator, draft_plan.id) == (version, before)

    sheet.cell(second, column).value = 30   # 70 + 30
    book.save(path)
    upload(page, path)
    assert re.search(r"\d+ objectives of Edremit Municipality were stored", page.locator(".confirmation").inner_text())
    assert weights(draft_plan.coordinator, draft_plan.id) == (version + 1, [70, 30])


def test_a_workbook_lacking_an_indicator_asks_before_removing_it(page, draft_plan, tmp_path):
    log_in(page, draft_plan.planner, expect=r"/workspace")
    page.goto(f"/workspace/plans/{draft_plan.id}?lang=en")
    with page.expect_download() as download:
        page.click("#contribution a[href*='contribution.xlsx']:not([href*='empty'])")
    book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    sheet = book["Indicators"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "PG6.1.2")
    sheet.delete_rows(row)
    first = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "PG6.1.1")
    column = [c.value for c in sheet[1]].index("Weight in objective (%)") + 1
    sheet.cell(first, column).value = 100
    path = tmp_path / "removal.xlsx"
    book.save(path)
    # meanwhile Gömeç sends its contribution again: the workbook is of an older version now
    gomec = draft_plan.coordinator.get(f"/plans/{draft_plan.id}")["contributions"]["gomec"]
    draft_plan.coordinator.put(f"/plans/{draft_plan.id}/contributions/gomec",
                               {"objectives": [{k: v for k, v in o.items() if k != "inputs"}
                                               for o in gomec["objectives"]]})
    version, _ = weights(draft_plan.coordinator, draft_plan.id, "H6.1")
    upload(page, path)
    assert "PG6.1.2" in page.locator("#removed-list").inner_text()
    assert weights(draft_plan.coordinator, draft_plan.id, "H6.1") == (version, [60, 40])
    page.check("#allow_removals")
    upload(page, path)
    assert "The plan changed since this workbook was downloaded" in page.locator("#rebase-error").inner_text()
    assert page.locator("#changes").count() == 1 and page.locator("#allow_removals").is_checked()
    assert weights(draft_plan.coordinator, draft_plan.id, "H6.1") == (version, [60, 40])
    page.check("#rebase")
    upload(page, path)
    assert "1 objective or indicator was removed" in page.locator(".confirmation").inner_text()
    assert weights(draft_plan.coordinator, draft_plan.id, "H6.1") == (version + 1, [100])

    # a form posted without its CSRF token changes nothing
    answer = page.request.post(f"/workspace/plans/{draft_plan.id}/contribution",
                               multipart={"workbook": {"name": "removal.xlsx", "mimeType": "application/octet-stream",
                                                       "buffer": path.read_bytes()}, "allow_removals": "1"})
    assert answer.status == 403
    assert weights(draft_plan.coordinator, draft_plan.id, "H6.1") == (version + 1, [100])


def test_the_coordinator_writes_the_frame_in_english_keeping_turkish_and_a_goal_in_use_stays(page, draft_plan):
    coordinator, plan_id = draft_plan.coordinator, draft_plan.id
    before = coordinator.get(f"/plans/{plan_id}")
    log_in(page, draft_plan.chief, expect=r"/workspace")
    page.goto(f"/workspace/plans/{plan_id}?lang=en")
    page.click("#edit-frame")
    assert page.locator("#mission").input_value() == korfez.FRAME["mission"]["en"]
    assert page.locator("#g0-code").input_value() == "A1"

    # a field left empty is said at it, and nothing goes to the registry
    page.fill("#vision", "")
    page.click("#frame-form button[type=submit]")
    assert "vision" in page.locator("#vision-error").inner_text()
    assert not serious(page)
    # a goal that the members' objectives serve cannot go: the registry's rule, at the goals
    page.fill("#vision", korfez.FRAME["vision"]["en"])
    page.check("#g0-remove")
    page.click("#frame-form button[type=submit]")
    assert "Goal A1 cannot go" in page.locator("#goals-error").inner_text()
    assert coordinator.get(f"/plans/{plan_id}")["version"] == before["version"]
    shot(page, "workspace-frame-errors-en")

    page.uncheck("#g0-remove")
    page.fill("#mission", "To plan and measure the Körfez region together.")
    page.fill("#g1-title", "Culture, arts and sport for the whole region")
    page.click("#frame-form button[type=submit]")
    assert "frame was saved" in page.locator(".confirmation").inner_text()
    frame = coordinator.get(f"/plans/{plan_id}")["frame"]
    assert frame["mission"] == {"tr": korfez.FRAME["mission"]["tr"], "en": "To plan and measure the Körfez region together."}
    assert frame["goals"][1]["title"]["tr"] == korfez.FRAME["goals"][1]["title"]["tr"]
    assert frame["goals"][1]["title"]["en"] == "Culture, arts and sport for the whole region"
    assert frame["regional_indicators"] == before["frame"]["regional_indicators"]


def test_the_coordinator_reads_the_contributions_what_changed_and_adopts_with_the_council_decision(
        page, draft_plan):
    coordinator, plan_id = draft_plan.coordinator, draft_plan.id
    edremit = coordinator.get(f"/plans/{plan_id}")["contributions"]["edremit"]
    indicator = edremit["objectives"][0]["indicators"][0]
    before = indicator["targets"]["2027"]
    indicator["targets"]["2027"] = before + 7
    changed = coordinator.put(f"/plans/{plan_id}/contributions/edremit",
                              {"objectives": [{k: v for k, v in o.items() if k != "inputs"}
                                              for o in edremit["objectives"]]})
    log_in(page, draft_plan.chief, expect=r"/workspace")
    page.goto(f"/workspace/plans/{plan_id}?lang=en")
    row = page.locator("#contributions tr[data-municipality=edremit]").inner_text()
    objectives = len(edremit["objectives"])
    assert "Submitted" in row and str(objectives) in row
    page.click(f"#versions a[href*='to={changed['version']}']")
    changes = page.locator("#changes").inner_text()
    shot(page, "workspace-versions")
    assert f"What changed from version {changed['version'] - 1} to version {changed['version']}" in changes
    assert re.search(rf"{indicator['code']}.*\b2027\b.*\b{before:g}\b.*\b{before + 7:g}\b", changes.replace("\n", " "))

    # the council decision: each problem at its field, nothing adopted
    page.fill("#decision_no", "")
    page.fill("#decision_date", "2024-13-40")
    with page.expect_navigation():
        page.click("#adopt-form button[type=submit]")
    assert page.locator("#decision_no").get_attribute("aria-invalid") == "true"
    assert "year-month-day" in page.locator("#decision_date-error").inner_text()
    assert page.locator("#decision_date").input_value() == "2024-13-40"
    shot(page, "workspace-adoption-errors")
    assert not serious(page)
    assert coordinator.get(f"/plans/{plan_id}")["status"] == "consultation"
    page.fill("#decision_no", "2025/77")
    page.fill("#decision_date", "2025-02-03")
    with page.expect_navigation():
        page.click("#adopt-form button[type=submit]")
    assert "adopted with council decision 2025/77 of February 3, 2025" in page.locator(".confirmation").inner_text()
    plan = coordinator.get(f"/plans/{plan_id}")
    assert plan["status"] == "adopted" and plan["adoption"]["decision_no"] == "2025/77"
    assert plan["adoption"]["decision_date"] == "2025-02-03"
    assert page.locator("#adopt-form").count() == 0


@pytest.fixture(scope="module")
def adopted_plan(draft_plan):
    """The plan adopted (by the test above, or here when run alone), known to monitoring."""
    coordinator, plan_id = draft_plan.coordinator, draft_plan.id
    if coordinator.get(f"/plans/{plan_id}")["status"] != "adopted":
        coordinator.post(f"/plans/{plan_id}/adopt", korfez.ADOPTION)
    until_monitoring_has(coordinator, plan_id)
    return draft_plan


def test_a_readings_workbook_with_text_in_a_number_cell_names_the_line_then_its_readings_are_submitted(
        page, adopted_plan, tmp_path):
    coordinator, plan_id = adopted_plan.coordinator, adopted_plan.id
    log_in(page, adopted_plan.planner, expect=r"/workspace")
    page.goto(f"/workspace/plans/{plan_id}?period=2026-H2&lang=en")
    with page.expect_download() as download:
        page.click("#readings a[href*='readings.xlsx']")
    path = tmp_path / "readings.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    value = header.index("value") + 1
    sheet.cell(2, value).value = "about 40"
    sheet.cell(3, value).value = 12
    book.save(path)
    page.set_input_files("#readings_workbook", str(path))
    with page.expect_navigation():
        page.click("#readings-book-form button[type=submit]")
    cell = f"{openpyxl.utils.get_column_letter(value)}2"
    assert f"Line 2, cell {cell}" in page.locator("#line-problems").inner_text()
    assert page.locator("#readings_workbook").get_attribute("aria-invalid") == "true"
    shot(page, "workspace-readings-workbook-errors")
    assert not serious(page)
    assert coordinator.get(f"/plans/{plan_id}/readings?municipality=edremit&period=2026-H2") == []

    sheet.cell(2, value).value = 40
    book.save(path)
    page.set_input_files("#readings_workbook", str(path))
    with page.expect_navigation():
        page.click("#readings-book-form button[type=submit]")
    assert "2 readings were submitted from the workbook" in page.locator(".confirmation").inner_text()
    stored = coordinator.get(f"/plans/{plan_id}/readings?municipality=edremit&period=2026-H2")
    assert sorted(r["value"] for r in stored) == [12, 40] and {r["status"] for r in stored} == {"submitted"}


def test_the_public_plan_page_says_what_changed_between_adopted_versions(page, adopted_plan):
    coordinator, plan_id = adopted_plan.coordinator, adopted_plan.id
    # the coordinator starts an update in the browser: the reason and the period at their fields
    log_in(page, adopted_plan.chief, expect=r"/workspace")
    page.goto(f"/workspace/plans/{plan_id}?lang=en")
    page.click("a[href='#revision']")
    page.click("#revision-form button[type=submit]")
    assert page.locator("#reason").get_attribute("aria-invalid") == "true"
    page.fill("#reason", "Ara değerlendirme")
    page.fill("#effective_from", "2099-H1")                  # outside the plan's years
    page.click("#revision-form button[type=submit]")
    assert page.locator("#effective_from").get_attribute("aria-invalid") == "true"
    assert not serious(page)
    assert coordinator.get(f"/plans/{plan_id}")["status"] == "adopted"
    page.fill("#effective_from", "2028")
    page.click("#revision-form button[type=submit]")
    assert "An update of the plan was started" in page.locator(".confirmation").inner_text()
    revision = coordinator.get(f"/plans/{plan_id}")
    assert revision["status"] == "revising" and revision["revision"]["effective_from"] == "2028"
    assert page.locator("#adopt-form").count() == 1                 # adopted again with the council decision
    edremit = coordinator.get(f"/plans/{plan_id}")["contributions"]["edremit"]
    indicator = edremit["objectives"][0]["indicators"][0]
    before = indicator["targets"]["2028"]
    indicator["targets"]["2028"] = before + 3
    coordinator.put(f"/plans/{plan_id}/contributions/edremit",
                    {"objectives": [{k: v for k, v in o.items() if k != "inputs"} for o in edremit["objectives"]]})
    adopted = coordinator.post(f"/plans/{plan_id}/adopt", {"decision_no": "2026/9", "decision_date": "2026-06-01"})
    page.goto(f"/plans/{plan_id}?lang=en")
    page.click(f"#versions a[href*='changes={adopted['version']}']")
    changes = page.locator("#changes").inner_text().replace("\n", " ")
    assert re.search(rf"{indicator['code']}.*\b2028\b.*\b{before:g}\b.*\b{before + 3:g}\b", changes)
    assert not serious(page)
    page.goto(f"/plans/{plan_id}?changes={adopted['version']}&lang=fa")
    assert "۲۰۲۸" in page.locator("#changes").inner_text()


def test_a_plan_prepared_before_its_period_begins_has_its_district_page(page, draft_plan):
    plan_id = new_plan_id()
    draft_plan.coordinator.post("/plans", {**copy.deepcopy(korfez.PLAN), "id": plan_id,
                                           "period": {"start": 2031, "end": 2035}}, expect=201)
    log_in(page, draft_plan.planner, expect=r"/workspace")
    answer = page.goto(f"/workspace/plans/{plan_id}?lang=en")
    assert answer.status == 200 and "has not written the plan's frame yet" in page.locator("#contribution").inner_text()
    assert page.request.get(f"/workspace/plans/{plan_id}/contribution.xlsx?lang=en").status == 404
