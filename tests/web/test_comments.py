"""A citizen comments on an open public consultation: the form works without JavaScript, says
every problem at its field, keeps what was typed, confirms, and never shows a name back; a POST
without its CSRF token is refused and stores nothing."""
import re
import secrets

import requests


def inputs(published):
    return published.coordinator.get(f"/consultations/{published.consultation}/inputs")


def test_a_citizen_leaves_a_comment_without_javascript(new_page, published):
    page = new_page(java_script_enabled=False, locale="tr-TR")
    name = "Deniz Yorumcu " + secrets.token_hex(3)
    contact = f"deniz-{secrets.token_hex(3)}@example.org"
    text = "Körfez sahiline bisiklet yolu " + secrets.token_hex(3)
    page.goto(f"/consultations/{published.consultation}")
    assert page.locator("html").get_attribute("lang") == "tr"
    page.check("#kind-suggestion")
    page.select_option("#theme", "T1")
    page.fill("#text", text)
    page.fill("#name", name)
    page.fill("#contact", contact)
    page.select_option("#group", "citizen")
    page.select_option("#municipality", "edremit")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Teşekkürler: görüşünüz alındı"
    reference = page.locator(".confirmation bdi").inner_text()
    content = page.content()
    assert name not in content and contact not in content
    # stored, with the name and contact only the coordinator sees
    stored = {i["id"]: i for i in inputs(published)}
    assert stored[reference]["stakeholder"] == {"name": name, "group": "citizen", "municipality": "edremit",
                                                "contact": contact}
    assert stored[reference]["text"] == text and stored[reference]["kind"] == "suggestion"
    # published by the coordinator: the text is public, the name and contact never are
    published.coordinator.post(f"/inputs/{reference}/moderation", {"action": "publish"})
    for path in (f"/consultations/{published.consultation}", f"/plans/{published.plan}", "/"):
        page.goto(path + "?lang=en")
        content = page.content()
        assert name not in content and contact not in content, path
    page.goto(f"/consultations/{published.consultation}?lang=en")
    assert text in page.locator(".comments").inner_text()


def test_a_form_with_problems_comes_back_with_each_at_its_field_and_the_values_kept(page, published):
    before = len(inputs(published))
    page.goto(f"/consultations/{published.consultation}?lang=en")
    page.fill("#text", "Bir görüş, ama adım yok")
    page.fill("#contact", "kept@example.org")
    page.check("#kind-complaint")
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Körfez plan public comment"
    assert page.title().startswith("Error:")
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert summary.locator("a[href='#name']").count() == 1 and summary.locator("a[href='#theme']").count() == 1
    assert page.locator("#name").get_attribute("aria-invalid") == "true"
    assert "name-error" in page.locator("#name").get_attribute("aria-describedby")
    assert page.locator("#name-error").inner_text().strip().endswith("Write your name, or the name of your organisation.")
    assert page.locator("#theme-error").is_visible()
    assert page.locator("#text").input_value() == "Bir görüş, ama adım yok"
    assert page.locator("#contact").input_value() == "kept@example.org"
    assert page.locator("#kind-complaint").is_checked()
    assert len(inputs(published)) == before


def test_the_form_in_persian(new_page, published):
    page = new_page(locale="fa-IR")
    page.goto(f"/consultations/{published.consultation}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.select_option("#theme", "T3")
    page.fill("#text", "پیشنهاد: مسیر دوچرخه در ساحل " + secrets.token_hex(2))
    page.fill("#name", "آرش " + secrets.token_hex(2))
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "سپاس: نظر شما دریافت شد"


def test_a_post_without_a_valid_csrf_token_is_refused_and_stores_nothing(stack, published):
    before = len(inputs(published))
    form = {"kind": "suggestion", "theme": "T1", "text": "CSRF " + secrets.token_hex(3), "name": "Saldırgan",
            "group": "citizen"}
    url = f"{stack.url}/consultations/{published.consultation}"
    bare = requests.post(url, data=form, timeout=10)
    assert bare.status_code == 403 and "text/html" in bare.headers["content-type"]
    forged = requests.post(url, data={**form, "csrf_token": "forged." + secrets.token_hex(20)}, timeout=10)
    assert forged.status_code == 403
    # a real token of another browser's session does not do either
    other = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', other.get(url, timeout=10).text).group(1)
    stolen = requests.post(url, data={**form, "csrf_token": token}, timeout=10)
    assert stolen.status_code == 403
    assert len(inputs(published)) == before
    # and the same browser's own token works: the check is the token, not the route
    accepted = other.post(url, data={**form, "csrf_token": token}, timeout=10, allow_redirects=False)
    assert accepted.status_code == 303
    assert len(inputs(published)) == before + 1


def test_the_json_api_takes_bearer_requests_without_csrf(stack, published):
    answer = requests.post(f"{stack.url}/api/v1/consultations/{published.consultation}/inputs", timeout=10, json={
        "stakeholder": {"name": "API", "group": "ngo"}, "kind": "request", "theme": "T5",
        "text": "API " + secrets.token_hex(3)})
    assert answer.status_code == 201
