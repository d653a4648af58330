"""axe-core on every public page in every language: no serious or critical violation."""
import pytest
from axe_playwright_python.sync_playwright import Axe

LANGUAGES = ("tr", "fa", "en")
axe = Axe()


def pages(published):
    return {"home": "/", "plan": f"/plans/{published.plan}", "district": f"/plans/{published.plan}/municipalities/gomec",
            "consultation": f"/consultations/{published.consultation}", "not found": "/plans/no-such-plan"}


def serious(page):
    results = axe.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_serious_or_critical_violation_on_any_public_page(page, published, lang):
    found = {}
    for name, path in pages(published).items():
        page.goto(f"{path}?lang={lang}")
        found[name] = serious(page)
    # the form with its errors shown, and the confirmation
    page.goto(f"/consultations/{published.consultation}?lang={lang}")
    page.click("button[type=submit]")
    found["form with errors"] = serious(page)
    page.select_option("#theme", "T1")
    page.fill("#text", f"axe {lang}")
    page.fill("#name", f"axe {lang}")
    page.click("button[type=submit]")
    assert page.locator(".confirmation").count() == 1
    found["confirmation"] = serious(page)
    assert {k: v for k, v in found.items() if v} == {}
