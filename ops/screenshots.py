"""Screenshots of the public pages, for the README and for a look at what people see.

    python -m ops.screenshots [--url http://127.0.0.1:8000] [--out docs/screenshots] [--plan korfez-2025-2029]

Uses Debian's Chromium (/usr/bin/chromium) through Playwright; the system must be running
(``make run``). The first open public consultation of the plan is shown with its form.
"""
import argparse
import os

import requests

from .demo import korfez

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_consultation(url, plan_id):
    answer = requests.get(f"{url}/api/v1/plans/{plan_id}/consultations", timeout=10)
    if answer.status_code != 200:
        return None
    found = [c for c in answer.json() if c.get("public") and c.get("status") == "open"]
    return found[0]["id"] if found else None


def pages(url, plan_id, municipality, consultation):
    shots = [("home-tr", "/?lang=tr", DESKTOP, False),
             ("plan-tr", f"/plans/{plan_id}?lang=tr", DESKTOP, True),
             ("plan-fa", f"/plans/{plan_id}?lang=fa", DESKTOP, True),
             ("plan-en", f"/plans/{plan_id}?lang=en#goal-A1", DESKTOP, True),
             ("plan-phone-tr", f"/plans/{plan_id}?lang=tr", PHONE, True),
             ("district-tr", f"/plans/{plan_id}/municipalities/{municipality}?lang=tr", DESKTOP, True)]
    if consultation:
        shots.append(("consultation-en", f"/consultations/{consultation}?lang=en", DESKTOP, False))
        shots.append(("consultation-fa", f"/consultations/{consultation}?lang=fa", PHONE, True))
    return shots


def take(url, out, plan_id=korfez.PLAN_ID, municipality="edremit", full=False):
    from playwright.sync_api import sync_playwright

    os.makedirs(out, exist_ok=True)
    consultation = open_consultation(url, plan_id)
    written = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for name, path, viewport, long_page in pages(url, plan_id, municipality, consultation):
                page = browser.new_page(viewport=viewport)
                page.goto(url + path, wait_until="load")
                target = os.path.join(out, f"{name}.png")
                page.screenshot(path=target, full_page=full or not long_page, animations="disabled")
                page.close()
                written.append(target)
            if consultation:  # the form sent empty: every problem at its field
                page = browser.new_page(viewport=DESKTOP)
                page.goto(f"{url}/consultations/{consultation}?lang=tr")
                page.fill("#name", "")
                page.click("button[type=submit]")
                page.wait_for_load_state("load")
                target = os.path.join(out, "consultation-errors-tr.png")
                page.screenshot(path=target, full_page=False)
                page.close()
                written.append(target)
        finally:
            browser.close()
    return written


def log_in(browser, url, person, viewport=DESKTOP, lang="tr"):
    """A page of a browser logged in as a demo person (``{"username", "password"}``)."""
    page = browser.new_page(viewport=viewport)
    page.goto(f"{url}/login?lang={lang}")
    page.fill("#username", person["username"])
    page.fill("#password", person["password"])
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    return page


def workspace_shots(url, out, people, plan_id=korfez.PLAN_ID, consultation=None):
    """The workspace as the demo coordinator and the demo planner see it (first screens)."""
    from playwright.sync_api import sync_playwright

    os.makedirs(out, exist_ok=True)
    written = []
    shots = [("coordinator", "workspace-region-tr", f"/workspace/plans/{plan_id}?lang=tr#heat", DESKTOP),
             ("coordinator", "workspace-region-fa", f"/workspace/plans/{plan_id}?lang=fa#waiting", DESKTOP),
             ("planner", "workspace-district-en", f"/workspace/plans/{plan_id}?lang=en#readings", DESKTOP),
             ("planner", "workspace-district-phone-tr", f"/workspace/plans/{plan_id}?lang=tr#readings", PHONE),
             ("coordinator", "workspace-new-consultation-en", f"/workspace/plans/{plan_id}/consultations/new?lang=en",
              DESKTOP)]
    if consultation:
        shots.append(("coordinator", "workspace-consultation-en", f"/workspace/consultations/{consultation}?lang=en",
                      DESKTOP))
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            shots.insert(0, ("coordinator", "login-tr", "/login?lang=tr", DESKTOP))
            for role, name, path, viewport in shots:
                if name == "login-tr":
                    page = browser.new_page(viewport=viewport)
                else:
                    page = log_in(browser, url, people[role], viewport)
                page.goto(url + path, wait_until="load")
                target = os.path.join(out, f"{name}.png")
                page.screenshot(path=target, animations="disabled")
                page.close()
                written.append(target)
        finally:
            browser.close()
    return written


def main(argv=None):
    from shared import config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{config.env('PORT', '8000')}")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(__file__)), "docs", "screenshots"))
    parser.add_argument("--plan", default=korfez.PLAN_ID)
    parser.add_argument("--municipality", default="edremit")
    parser.add_argument("--full", action="store_true", help="whole pages, not the first screen")
    args = parser.parse_args(argv)
    for path in take(args.url.rstrip("/"), args.out, args.plan, args.municipality, args.full):
        print(path)
    from .seed import people
    from .stack import ROOT
    logins = people(os.path.abspath(config.env("ORTAK_VAR", os.path.join(ROOT, "var"))))
    if "coordinator" in logins and "planner" in logins:
        url = args.url.rstrip("/")
        for path in workspace_shots(url, args.out, logins, args.plan, open_consultation(url, args.plan)):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
