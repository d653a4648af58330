"""The workspace in a real browser: people log in and out, a coordinator decides a consultation
input and approves a district's readings, a planner enters a period's readings; sessions that end
send people to the login page and back; the lock after five wrong passwords; axe on every page."""
import os
import re
import secrets
import time
from types import SimpleNamespace

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe

from ops.demo import korfez
from ops.demo.readings import publish, readings
from ops.processes import wait_until
from shared.guide import what_to_enter
from tests.stack import CATCH_UP, new_plan_id, until_monitoring_has

LANGUAGES = ("tr", "fa", "en")
PERIOD = "2026-H2"   # begun (the clock of the stack is today's), no demo readings: what districts enter now
axe = Axe()


def make_person(admin, role, municipality):
    username = f"{role}.{municipality}.{secrets.token_hex(3)}"
    password = "Körfez parolası " + secrets.token_urlsafe(8)
    admin.post("/users", {"username": username, "display_name": f"{role.title()} {municipality.title()}",
                          "role": role, "municipality": municipality, "password": password}, expect=201)
    return SimpleNamespace(username=username, password=password, municipality=municipality)


@pytest.fixture(scope="module")
def region_plan(region, admin, token_for):
    """The Körfez plan with figures up to 2026-H1, Edremit's 2026-H2 readings submitted and waiting,
    a public consultation with inputs, and people: the coordinator and two Edremit planners."""
    coordinator = token_for("coordinator", korfez.COORDINATOR)
    plan_id = new_plan_id()
    plan = publish(admin, coordinator, plan_id, wait_until, municipalities=False)
    waiting = [r for r in readings(plan, periods=((PERIOD, "2026"),))["readings"] if r["municipality"] == "edremit"]
    token_for("planner", "edremit").request("POST", f"/plans/{plan_id}/readings", json={"readings": waiting},
                                            expect=202)
    consultation = coordinator.post(f"/plans/{plan_id}/consultations", {
        "title": {"tr": "Körfez çevre çalıştayı", "fa": "کارگاه محیط زیست کورفز", "en": "Körfez environment workshop"},
        "kind": "public_comment", "themes": ["T1", "T3"], "public": True,
        "opens_at": "2025-01-01T09:00:00Z", "closes_at": "2035-01-01T09:00:00Z"}, expect=201)
    inputs = []
    for text, kind, theme in (("Sahil boyunca gölgeli yürüyüş yolu", "request", "T1"),
                              ("Körfezde atık su arıtma kapasitesi artırılsın", "suggestion", "T1"),
                              ("Sağlık ocaklarında bekleme süresi uzun", "complaint", "T3")):
        inputs.append(coordinator.post(f"/consultations/{consultation['id']}/inputs", {
            "stakeholder": {"name": "Ayşe Yılmaz", "group": "citizen", "municipality": "edremit",
                            "contact": "ayse@example.org"},
            "kind": kind, "theme": theme, "text": text}, expect=201)["id"])
    return SimpleNamespace(
        id=plan_id, coordinator=coordinator, consultation=consultation["id"], inputs=inputs, token_for=token_for,
        chief=make_person(admin, "coordinator", korfez.COORDINATOR),
        planner=make_person(admin, "planner", "edremit"), second=make_person(admin, "planner", "edremit"),
        gomec=make_person(admin, "planner", "gomec"))


def log_in(page, person, path="/login?lang=en", expect=None):
    page.goto(path)
    page.fill("#username", person.username)
    page.fill("#password", person.password)
    page.click("main button[type=submit]")
    if expect:
        page.wait_for_url(re.compile(expect))


def serious(page):
    results = axe.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def shot(page, name):
    """With ORTAK_SCREENSHOTS set, the page as a PNG there (to look at, and for the README)."""
    folder = os.environ.get("ORTAK_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True, animations="disabled")


# -- logging in and out ------------------------------------------------------------------------------

def test_login_shows_the_person_in_the_header_and_logout_ends_the_session(page, region_plan):
    log_in(page, region_plan.chief, expect=r"/workspace")
    header = page.locator("header.site").inner_text()
    assert "Coordinator Balikesir" in header and "Coordinator" in header and "Log out" in header
    assert page.locator("header.site a.login").count() == 0
    assert region_plan.id in page.content()
    page.click("header.site button.login")
    page.wait_for_url(re.compile(r"/login\?out=1"))
    assert "You have logged out." in page.locator("main").inner_text()
    assert not [c for c in page.context.cookies() if c["name"] == "ortak_session" and c["value"]]
    page.goto("/workspace")
    assert "/login?next=%2Fworkspace" in page.url


def test_a_wrong_password_is_said_at_its_field_and_the_sixth_attempt_is_locked(new_page, admin, region_plan):
    person = make_person(admin, "viewer", korfez.COORDINATOR)
    page = new_page(locale="tr-TR")
    page.goto("/login")
    for attempt in range(6):
        page.fill("#username", person.username)
        page.fill("#password", "yanlış parola " + str(attempt))
        with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as answer:
            page.click("main button[type=submit]")
        page.wait_for_load_state()
        if attempt < 5:
            assert answer.value.status == 401
            assert page.locator("#password-error").inner_text().strip().endswith("Kullanıcı adı veya parola yanlış.")
            assert page.locator("#password").get_attribute("aria-invalid") == "true"
            assert page.locator("#username").input_value() == person.username
    assert answer.value.status == 429 and int(answer.value.headers["retry-after"]) > 800
    message = page.locator("#password-error").inner_text()
    assert "kilitlendi" in message and "15 dakika" in message
    # the right password is refused too while the lock holds
    page.fill("#password", person.password)
    page.click("main button[type=submit]")
    assert "kilitlendi" in page.locator("#password-error").inner_text()


def test_logout_without_the_csrf_token_is_refused(stack, region_plan):
    browser_like = requests.Session()
    answer = browser_like.post(f"{stack.url}/api/v1/sessions", json={
        "username": region_plan.second.username, "password": region_plan.second.password}, timeout=10)
    assert answer.status_code == 201
    refused = browser_like.post(f"{stack.url}/logout", timeout=10, allow_redirects=False)
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert browser_like.get(f"{stack.url}/workspace", timeout=10, allow_redirects=False).status_code == 200


def test_an_ended_session_goes_to_the_login_page_and_back(page, stack, region_plan):
    log_in(page, region_plan.second, expect=r"/workspace")
    page.goto(f"/workspace/plans/{region_plan.id}?period=2026-H1&lang=en")
    secret = next(c["value"] for c in page.context.cookies() if c["name"] == "ortak_session")
    ended = requests.delete(f"{stack.url}/api/v1/sessions/current", cookies={"ortak_session": secret}, timeout=10)
    assert ended.status_code == 204
    page.goto("/workspace")
    assert page.url.endswith("/login?next=%2Fworkspace")
    assert "Your session has ended" in page.locator("main").inner_text()
    page.fill("#username", region_plan.second.username)
    page.fill("#password", region_plan.second.password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/workspace$"))
    assert page.locator("h1").inner_text() == "Your workspace"


def test_a_next_that_leaves_the_site_is_not_followed(page, region_plan):
    log_in(page, region_plan.second, path="/login?next=//evil.example/x&lang=en", expect=r"/workspace")
    assert page.url.endswith("/workspace")


def test_the_setup_link_sets_a_password_with_the_rules_at_the_field(page, admin, stack):
    created = admin.post("/users", {"username": f"kurulum.{secrets.token_hex(3)}", "display_name": "Kurulum",
                                    "role": "viewer", "municipality": korfez.COORDINATOR}, expect=201)
    path = created["setup_url"].replace(stack.url, "").replace("http://localhost", "")
    path = path[path.index("/setup"):]
    page.goto(path + "&lang=en")
    page.fill("#password", "short")
    page.fill("#again", "short")
    page.click("main button[type=submit]")
    assert "Use 10 to 200 characters" in page.locator("#password-error").inner_text()
    page.fill("#password", "password123")
    page.fill("#again", "password123")
    page.click("main button[type=submit]")
    assert "most common" in page.locator("#password-error").inner_text()
    password = "kuzey rüzgarı " + secrets.token_hex(3)
    page.fill("#password", password)
    page.fill("#again", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/login\?"))
    assert page.locator("#username").input_value() == created["username"]
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/workspace$"))


# -- the coordinator -------------------------------------------------------------------------------

def edremit_column(page):
    return [c.inner_text() for c in page.locator("#heat td[data-municipality=edremit]").all()]


def test_the_coordinator_decides_an_input_and_approves_a_districts_readings(page, region_plan):
    log_in(page, region_plan.chief, expect=r"/workspace")
    waiting = page.locator(f"section[data-plan='{region_plan.id}'] ul.waiting").inner_text()
    assert "wait for approval" in waiting and "wait for a decision" in waiting
    page.click(f"a[href^='/workspace/plans/{region_plan.id}']")
    assert page.locator("#period").input_value() == PERIOD     # the latest half-year with readings
    assert page.locator("#waiting tr[data-municipality=edremit]").count() == 1
    missing = page.locator("#missing").inner_text()
    assert "Gömeç" in missing and "Edremit" not in missing
    before = edremit_column(page)
    shot(page, "workspace-region-en")

    # a consultation's inputs: accept one with a link to an objective, publish its text
    page.click(f"a[href^='/workspace/consultations/{region_plan.consultation}']")
    card = page.locator(f"#input-{region_plan.inputs[1]}")
    card.locator("input[value=accepted]").check()
    card.locator("button[type=submit]").filter(has_text="Save the decision").click()
    assert "Choose at least one goal or objective" in page.locator(f"#links-{region_plan.inputs[1]}-error").inner_text()
    card = page.locator(f"#input-{region_plan.inputs[1]}")
    card.locator("select[name=links]").select_option(["objective:H1.3:edremit", "goal:A1"])
    card.locator("button[type=submit]").filter(has_text="Save the decision").click()
    assert "was saved" in page.locator(".confirmation").inner_text()
    decided = {i["id"]: i for i in region_plan.coordinator.get(f"/consultations/{region_plan.consultation}/inputs")}
    assert decided[region_plan.inputs[1]]["decision"]["decision"] == "accepted"
    assert {"objective": "H1.3", "municipality": "edremit", "goal": None} in \
        [{**{"goal": None}, **link} for link in decided[region_plan.inputs[1]]["decision"]["links"]]
    page.locator(f"#input-{region_plan.inputs[1]} button[value=publish]").click()
    assert "now public" in page.locator(".confirmation").inner_text()
    # a rejection needs its reason, at its field
    card = page.locator(f"#input-{region_plan.inputs[2]}")
    card.locator("input[value=rejected]").check()
    card.locator("button[type=submit]").filter(has_text="Save the decision").click()
    assert page.locator(f"#reason-{region_plan.inputs[2]}").get_attribute("aria-invalid") == "true"
    # a merge names the input it goes into; the first input joins the accepted one
    card = page.locator(f"#input-{region_plan.inputs[0]}")
    card.locator("input[value=merged]").check()
    card.locator("select[name=merged_into]").select_option(region_plan.inputs[1])
    card.locator("button[type=submit]").filter(has_text="Save the decision").click()
    assert "was saved" in page.locator(".confirmation").inner_text()
    merged = {i["id"]: i for i in region_plan.coordinator.get(f"/consultations/{region_plan.consultation}/inputs")}
    assert merged[region_plan.inputs[0]]["decision"]["decision"] == "merged"
    assert merged[region_plan.inputs[0]]["decision"]["merged_into"] == region_plan.inputs[1]
    shot(page, "workspace-consultation-en")

    # approve Edremit's readings: the figures change on the dashboard
    page.goto(f"/workspace/plans/{region_plan.id}?period={PERIOD}&lang=en")
    page.click("#approve-edremit")
    assert "were approved" in page.locator(".confirmation").inner_text()
    deadline = time.monotonic() + CATCH_UP
    while edremit_column(page) == before and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    after = edremit_column(page)
    assert after != before and any("%" in cell for cell in after)
    assert page.locator("#waiting tr[data-municipality=edremit]").count() == 0


def test_the_coordinator_opens_a_workshop_with_a_session_and_sees_each_problem_at_its_field(page, region_plan):
    def consultations():
        return {c["id"]: c for c in region_plan.coordinator.get(f"/plans/{region_plan.id}/consultations")}
    before = set(consultations())
    log_in(page, region_plan.chief, expect=r"/workspace")
    page.goto(f"/workspace/plans/{region_plan.id}?lang=en")
    page.click("#new-consultation")
    page.fill("#title", "Körfez kıyı çalıştayı")
    page.select_option("#kind", "workshop")
    page.check("#themes-T1")
    page.fill("#opens", "2027-13-01")                     # no such month
    page.fill("#closes", "2027-02-28")
    page.select_option("#s0-theme", "T3")                 # a theme the consultation is not about
    page.fill("#s0-date", "2027-01-12")
    page.fill("#s0-time", "14:30")
    page.click("#consultation-form button[type=submit]")
    assert "year-month-day" in page.locator("#opens-error").inner_text()
    assert page.locator("#s0-theme").get_attribute("aria-invalid") == "true"
    assert page.locator(".error-summary a[href='#opens']").count() == 1
    assert page.locator("#title").input_value() == "Körfez kıyı çalıştayı"    # what was written stays
    assert set(consultations()) == before                  # nothing stored
    assert serious(page) == []

    page.check("#themes-T3")
    page.fill("#opens", "2027-01-04")
    page.check("#public")
    shot(page, "workspace-new-consultation-en")
    page.click("#consultation-form button[type=submit]")
    page.wait_for_url(re.compile(r"/workspace/consultations/"))
    assert "was created" in page.locator(".confirmation").inner_text()
    made = [c for cid, c in consultations().items() if cid not in before]
    assert len(made) == 1
    assert made[0]["kind"] == "workshop" and made[0]["themes"] == ["T1", "T3"] and made[0]["public"] is True
    assert made[0]["sessions"][0]["theme"] == "T3"
    assert made[0]["sessions"][0]["starts_at"].startswith("2027-01-12T11:30")   # 14:30 in Istanbul
    assert "opens on January 4, 2027" in page.locator(".confirmation").inner_text()   # the day in Istanbul


# -- a district's planner --------------------------------------------------------------------------

def test_a_planner_enters_readings_sees_the_bad_line_at_its_row_then_fixes_it(page, region_plan):
    log_in(page, region_plan.gomec, expect=r"/workspace")
    page.goto(f"/workspace/plans/{region_plan.id}?period={PERIOD}&lang=en")
    assert page.locator("h1").inner_text()
    plain = page.locator("table.readings tbody tr:has(input[name$='-value'])")
    first, second = plain.nth(0), plain.nth(1)
    first_code, second_code = first.get_attribute("data-indicator"), second.get_attribute("data-indicator")
    first_value, second_value = first.locator("input[name$='-value']"), second.locator("input[name$='-value']")
    # each row says what its figure is for the period, as the readings workbook does
    plan_doc = region_plan.coordinator.get(f"/plans/{region_plan.id}")
    indicators = {i["code"]: i for o in plan_doc["contributions"]["gomec"]["objectives"] for i in o["indicators"]}
    assert first.locator(".hint").inner_text() == what_to_enter(indicators[first_code], PERIOD, "en")
    first_value.fill("twelve")
    second_value.fill("12.5")
    second.locator("input[name$='-note']").fill("Belediye kayıtları")
    page.click("#readings-form button[type=submit]")
    row = page.locator(f"tr[data-indicator='{first_code}']")
    assert "row-error" in row.get_attribute("class")
    field = row.locator("input[name$='-value']")
    assert field.get_attribute("aria-invalid") == "true" and field.input_value() == "twelve"
    error_id = field.get_attribute("aria-describedby")
    assert "Write a number, such as 12.5." in page.locator(f"#{error_id}").inner_text()
    assert page.locator(".error-summary").get_attribute("role") == "alert"
    assert page.locator(f"tr[data-indicator='{second_code}'] input[name$='-value']").input_value() == "12.5"
    shot(page, "workspace-district-errors-en")
    stored = region_plan.coordinator.get(f"/plans/{region_plan.id}/readings?municipality=gomec&period={PERIOD}")
    assert stored == []       # nothing half-saved
    row.locator("input[name$='-value']").fill("7")
    page.click("#readings-form button[type=submit]")
    assert "2 readings were submitted" in page.locator(".confirmation").inner_text()
    stored = {r["indicator"]: r for r in region_plan.coordinator.get(
        f"/plans/{region_plan.id}/readings?municipality=gomec&period={PERIOD}")}
    assert stored[first_code]["value"] == 7 and stored[second_code]["value"] == 12.5
    assert stored[second_code]["note"] == "Belediye kayıtları" and stored[first_code]["status"] == "submitted"
    assert stored[first_code]["submitted_by"]["username"] == region_plan.gomec.username
    # four eyes: the same person is not offered the approval
    assert page.locator("#approve").count() == 0
    assert "You submitted 2 of them" in page.locator("#waiting").inner_text()


def test_a_double_submit_of_the_readings_form_is_stored_once(stack, region_plan):
    session = requests.Session()
    assert session.post(f"{stack.url}/login", data={}, timeout=10).status_code == 403      # CSRF first
    page_html = session.get(f"{stack.url}/login?lang=en", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)
    session.post(f"{stack.url}/login", data={"csrf_token": token, "username": region_plan.planner.username,
                                              "password": region_plan.planner.password}, timeout=10)
    form_page = session.get(f"{stack.url}/workspace/plans/{region_plan.id}?period=2026-H1&lang=en", timeout=10).text
    key = re.search(r'name="key" value="([^"]+)"', form_page).group(1)
    row = re.search(r'name="(r\d+)-value"', form_page).group(1)
    form = {"csrf_token": token, "period": "2026-H1", "key": key, f"{row}-value": "3", f"{row}-note": "ikinci kez"}
    answers = [session.post(f"{stack.url}/workspace/plans/{region_plan.id}/readings", data=form, timeout=10,
                            allow_redirects=False) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    audit = region_plan.coordinator.get(f"/plans/{region_plan.id}/readings?municipality=edremit&period=2026-H1")
    corrected = [r for r in audit if r.get("note") == "ikinci kez"]
    assert len(corrected) == 1 and len([t for t in corrected[0]["trail"] if t["action"] == "submitted"]) == 2


# -- accessibility -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_serious_or_critical_violation_on_the_login_and_workspace_pages(new_page, region_plan, lang):
    page = new_page(locale={"tr": "tr-TR", "fa": "fa-IR", "en": "en-GB"}[lang])
    found = {}
    page.goto(f"/login?lang={lang}")
    found["login"] = serious(page)
    page.click("main button[type=submit]")
    found["login with errors"] = serious(page)
    log_in(page, region_plan.chief, path=f"/login?lang={lang}", expect=r"/workspace")
    found["workspace"] = serious(page)
    shot(page, f"workspace-home-{lang}")
    page.goto(f"/workspace/plans/{region_plan.id}?period=2026-H1&lang={lang}")
    found["region"] = serious(page)
    shot(page, f"workspace-region-{lang}")
    page.goto(f"/workspace/consultations/{region_plan.consultation}?lang={lang}")
    found["consultation"] = serious(page)
    page.goto(f"/workspace/plans/{region_plan.id}/consultations/new?lang={lang}")
    found["new consultation"] = serious(page)
    page.click("#consultation-form button[type=submit]")
    found["new consultation with errors"] = serious(page)
    shot(page, f"workspace-new-consultation-errors-{lang}")
    page.click("header.site button.login")
    log_in(page, region_plan.second, path=f"/login?lang={lang}", expect=r"/workspace")
    page.goto(f"/workspace/plans/{region_plan.id}?period={PERIOD}&lang={lang}")
    found["district"] = serious(page)
    shot(page, f"workspace-district-{lang}")
    page.locator("table.readings input[name$='-value']").first.fill("x")
    page.click("#readings-form button[type=submit]")
    found["district with errors"] = serious(page)
    assert {k: v for k, v in found.items() if v} == {}


def test_a_big_approval_is_followed_until_its_readings_are_approved(page, admin, token_for):
    """More readings than an approval marks before answering: the browser is shown the approval
    under way, which looks again by itself, and comes back to the plan when it is done."""
    from ops.demo import synthetic
    from services.monitoring.service import APPROVE_AT_ONCE
    prefix, count = "webapr" + secrets.token_hex(2), APPROVE_AT_ONCE + 10   # ten indicators to an objective
    plan_id = synthetic.create(token_for, admin, prefix, 1, count, per_objective=10)
    period = synthetic.half_years()[0]
    until_monitoring_has(token_for("planner", f"{prefix}-d1"), plan_id, synthetic.START)   # adopted there too
    token_for("planner", f"{prefix}-d1").post(f"/plans/{plan_id}/readings", {
        "readings": synthetic.readings(prefix, 1, count, period)}, expect=202)
    under_way = []

    def looked(response):
        if "/approvals/apr_" in response.url:
            under_way.append((response.status, response.text() if response.status == 200 else ""))
            if response.status == 200:
                shot(page, "workspace-approving-en")
    page.on("response", looked)
    log_in(page, make_person(admin, "coordinator", f"{prefix}-metro"), expect=r"/workspace")
    page.goto(f"/workspace/plans/{plan_id}?period={period}&lang=en")
    page.click(f"#approve-{prefix}-d1")
    page.wait_for_url(re.compile(rf"/workspace/plans/{plan_id}\?period={period}"), timeout=60000)
    assert f"{count:,} readings of" in page.locator(".confirmation").inner_text()
    assert "were approved" in page.locator(".confirmation").inner_text()
    assert page.locator(f"#waiting tr[data-municipality={prefix}-d1]").count() == 0
    # the approval was looked at until done: under way, a page that looks again by itself; done, the plan
    assert under_way and under_way[-1][0] == 303
    for status, html in under_way[:-1]:
        assert status == 200 and 'http-equiv="refresh"' in html and "are being approved" in html
