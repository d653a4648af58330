"""The public pages in a real browser (Debian's chromium through Playwright) against the session
stack: a published Körfez plan with three half-years of approved readings, an accepted input
linked to an objective and to a goal, and an open public consultation."""
import os
import secrets
from types import SimpleNamespace

import pytest

from ops.demo import korfez
from ops.demo.readings import publish
from ops.processes import wait_until
from ops.screenshots import CHROMIUM, CHROMIUM_ARGS
from tests.stack import new_plan_id

LANGUAGES = ("tr", "fa", "en")


@pytest.fixture(scope="session")
def playwright_session():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it as root (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session):
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, stack):
    """A fresh browser context (no cookies), speaking English unless a test asks for a language."""
    context = browser.new_context(base_url=stack.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def new_page(browser, stack):
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=stack.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def published(region, admin, token_for):
    """An adopted Körfez plan with figures, provenance and an open public consultation."""
    coordinator = token_for("coordinator", korfez.COORDINATOR)
    plan_id = new_plan_id()
    publish(admin, coordinator, plan_id, wait_until, municipalities=False)   # the region is registered already
    consultation = coordinator.post(f"/plans/{plan_id}/consultations", {
        "title": {"tr": "Körfez planı kamuoyu görüşü", "en": "Körfez plan public comment"},
        "kind": "public_comment", "themes": ["T1", "T3", "T5"], "public": True,
        "opens_at": "2025-01-01T09:00:00Z", "closes_at": "2035-01-01T09:00:00Z"}, expect=201)
    # an input taken into the plan: the public pages name where it came from, never who sent it
    secret_name = "Provenans Kişisi " + secrets.token_hex(3)
    secret_contact = f"provenance-{secrets.token_hex(3)}@example.org"
    item = coordinator.post(f"/consultations/{consultation['id']}/inputs", {
        "stakeholder": {"name": secret_name, "group": "citizen", "municipality": "edremit", "contact": secret_contact},
        "kind": "request", "theme": "T1", "text": "Sahil parkına gölgelik"}, expect=201)
    coordinator.post(f"/inputs/{item['id']}/decision", {
        "decision": "accepted", "links": [{"objective": "H1.3", "municipality": "edremit"}, {"goal": "A1"}]})
    coordinator.post(f"/inputs/{item['id']}/moderation", {"action": "publish"})
    return SimpleNamespace(plan=plan_id, consultation=consultation["id"], coordinator=coordinator,
                           secret_name=secret_name, secret_contact=secret_contact)
