"""Seed the demo region through the public API: the Körfez joint plan 2025-2029, adopted, with
approved readings of three half-years, Edremit's readings of the current one waiting for approval,
an open public consultation with a few inputs, and a few activities and projects with a progress
report each; beside it Bilecik's own plan 2020-2024, the
Alborz cooperation body's plan of goals and strategies with its members' parts and bank records,
and Tehran's city plan 1401-1404 with two region plans cascading from it, all adopted, with
approved readings of Bilecik (2020 to 2022) and of Tehran's every level (1402-H1).

Resumable step by step: each step first looks whether its part is there (each municipality,
each demo token, the plan, its frame, each contribution, the adoption) and does only what is
missing, so a first run that was interrupted anywhere is finished by the next one.

Prints (and keeps in var/demo-tokens.json, readable only by its owner) a token per role.

    python -m ops.seed --url http://127.0.0.1:8000 [--until STEP]    (admin token from var/)
"""
import argparse
import datetime
import json
import os
import secrets

from shared.calendars import period_containing

from .client import Client
from .demo import alborz, bilecik, korfez, projects, tehran
from .demo import consultation as korfez_consultation
from .demo import readings as demo_readings
from .processes import wait_until

DEMO_ROLES = [("admin", None), ("coordinator", korfez.COORDINATOR), ("planner", "edremit"),
              ("viewer", korfez.COORDINATOR)]
PLAN = f"/plans/{korfez.PLAN_ID}"
DEMO_PERIODS = {period for period, _ in demo_readings.PERIODS}


def write_private(path, data):
    """Owner-only, and whole or not at all: a crash mid-write leaves the previous file."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_private(path):
    """What write_private kept, or {} when there is nothing (yet) or it cannot be read."""
    try:
        with open(path) as f:
            found = json.load(f)
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


class DemoSeed:
    def __init__(self, url, admin_token, var_dir, log=print):
        self.url = url
        self.admin = Client(url, admin_token)
        self.tokens_path = os.path.join(var_dir, "demo-tokens.json")
        self.people_path = os.path.join(var_dir, "demo-people.json")
        self.log = log
        self.done = []  # the steps that had something to do

    # -- what is there --------------------------------------------------------------------------
    def plan(self):
        response = self.admin.request("GET", PLAN, expect=(200, 404))
        return response.json() if response.status_code == 200 else None

    def saved_tokens(self):
        return read_private(self.tokens_path)

    def token_works(self, value):
        """A token the registry knows (a store started afresh, or a new pepper, forgets them)."""
        return Client(self.url, value).request("GET", "/municipalities", expect=(200, 401)).status_code == 200

    # -- the steps, in order; each returns True when it had something to do ---------------------
    def steps(self):
        found = [(f"municipality {mid}", lambda mid=mid: self.municipality(mid)) for mid in korfez.MUNICIPALITIES]
        found += [(f"{role} token", lambda role=role, m=m: self.token(role, m)) for role, m in DEMO_ROLES]
        found += [(f"{role} person", lambda role=role, m=m: self.person(role, m)) for role, m in DEMO_ROLES]
        found += [("plan", self.create_plan), ("frame", self.frame)]
        found += [(f"contribution {d}", lambda d=d: self.contribution(d)) for d in korfez.CONTRIBUTIONS]
        found += [("adoption", self.adopt), ("readings", self.readings), ("approval", self.approve),
                  ("waiting readings", self.waiting_readings), ("consultation", self.consultation)]
        found += [(f"project {p['code']}", lambda p=p: self.project(p)) for p in projects.PROJECTS]
        # Ayvalık's own plan counts its objectives of the adopted Körfez plan
        found += self.plan_steps("ayvalik", korfez.OWN_PLAN, korfez.OWN_FRAME, {"ayvalik": korfez.OWN_CONTRIBUTION},
                                 korfez.OWN_ADOPTION)
        found += self.shape_steps()
        return found

    def municipality(self, mid):
        if self.admin.request("GET", f"/municipalities/{mid}", expect=(200, 404)).status_code == 200:
            return False
        self.admin.put(f"/municipalities/{mid}", korfez.MUNICIPALITIES[mid])
        return True

    def token(self, role, municipality):
        tokens = self.saved_tokens()
        saved = tokens.get(role)
        if saved and saved.get("municipality") == municipality and self.token_works(saved.get("token", "")):
            return False
        issued = self.admin.post("/tokens", {"role": role, "municipality": municipality, "label": f"demo {role}"},
                                 expect=201)
        tokens[role] = {"token": issued["token"], "municipality": municipality, "id": issued["id"]}
        write_private(self.tokens_path, tokens)  # each token kept as soon as it is issued
        return True

    def saved_people(self):
        return read_private(self.people_path)

    def person(self, role, municipality):
        """A demo person per role, who logs in at /login; the password is made here and kept."""
        saved = self.saved_people()
        known = saved.get(role)
        if known and Client(self.url).request("POST", "/sessions", json={
                "username": known["username"], "password": known["password"]}).status_code == 201:
            return False
        username = f"demo.{role}" if not known else f"demo.{role}.{secrets.token_hex(2)}"  # password lost
        password = "ortak-" + secrets.token_urlsafe(9)
        self.admin.post("/users", {"username": username, "display_name": f"Demo {role}", "role": role,
                                   "municipality": municipality, "password": password}, expect=201)
        saved[role] = {"username": username, "password": password, "municipality": municipality}
        write_private(self.people_path, saved)
        return True

    def create_plan(self):
        if self.plan() is not None:
            return False
        self.admin.post("/plans", korfez.PLAN, expect=201)
        return True

    def frame(self):
        plan = self.plan()
        if plan["frame"] is not None or plan["status"] != "draft":
            return False
        self.admin.put(f"{PLAN}/frame", korfez.FRAME)
        return True

    def contribution(self, district):
        plan = self.plan()
        if district in plan["contributions"] or plan["status"] != "draft":
            return False
        self.admin.put(f"{PLAN}/contributions/{district}", korfez.CONTRIBUTIONS[district])
        return True

    def adopt(self):
        if self.plan()["status"] != "draft":  # adopted (or revised since, by hand): nothing to do
            return False
        self.admin.post(f"{PLAN}/adopt", korfez.ADOPTION)
        return True

    # -- figures and a consultation, so the pages have something to show ----------------------------
    def coordinator(self):
        saved = self.saved_tokens().get("coordinator") or {}
        return Client(self.url, saved["token"]) if saved.get("token") else None

    def stored_readings(self, **query):
        args = "&".join(f"{k}={v}" for k, v in query.items())
        return self.admin.get(f"{PLAN}/readings" + (f"?{args}" if args else ""))

    def readings(self):
        """The demo readings of 2025-H1 to 2026-H1, submitted by operations (admin)."""
        # monitoring learns of the adoption by an event: until it has, it knows no readings of the plan
        wait_until(lambda: self.admin.request("GET", f"{PLAN}/progress?period=2026").status_code == 200, 60,
                   what="monitoring knows the adopted plan")
        if self.stored_readings():
            return False
        plan = self.plan()
        self.admin.request("POST", f"{PLAN}/readings", json=demo_readings.readings(plan), expect=202)
        return True

    def approve(self):
        """Approved by the coordinator: four eyes, not who submitted them."""
        waiting = sorted({(r["municipality"], r["period"]) for r in self.stored_readings()
                          if r["status"] == "submitted" and r["period"] in DEMO_PERIODS})
        for municipality, period in waiting:
            self.coordinator().post(f"{PLAN}/readings/approve", {"municipality": municipality, "period": period})
        return bool(waiting)

    def waiting_readings(self):
        """Edremit's readings of the half-year under way, submitted and waiting for approval (when it has begun)."""
        period = period_containing(korfez.PLAN["calendar"], datetime.date.today()).key
        if period in DEMO_PERIODS or self.stored_readings(municipality="edremit", period=period):
            return False
        planner = self.saved_tokens().get("planner") or {}
        plan = self.plan()
        if not planner.get("token") or period[:4] not in {str(y) for y in range(plan["period"]["start"],
                                                                                plan["period"]["end"] + 1)}:
            return False
        lines = [r for r in demo_readings.readings(plan, periods=((period, period[:4]),))["readings"]
                 if r["municipality"] == "edremit"]
        Client(self.url, planner["token"]).request("POST", f"{PLAN}/readings", json={"readings": lines}, expect=202)
        return True

    def consultation(self):
        """An open public consultation with a few citizens' inputs."""
        if self.admin.get(f"{PLAN}/consultations"):
            return False
        opened = self.admin.post(f"{PLAN}/consultations", korfez_consultation.CONSULTATION, expect=201)
        for item in korfez_consultation.INPUTS:
            Client(self.url).post(f"/consultations/{opened['id']}/inputs", item, expect=201)
    def project(self, body, plan=None):
        """A demo project (of the Körfez plan unless ``plan`` is given) with its progress report,
        each registered once."""
        plan = plan or PLAN
        listed = self.admin.get(f"{plan}/projects?municipality={body['municipality']}")
        found = next((p for p in listed if p["code"] == body["code"]), None)
        created = found is None
        if created:
            found = self.admin.post(f"{plan}/projects", body, expect=201)
        report = projects.REPORTS.get(body["code"])
        if report is None or any(r["period"] == report["period"] for r in found["reports"]):
            return created
        self.admin.post(f"/projects/{found['id']}/progress", report, expect=201)
        return True

    # -- every shape of cooperation: Bilecik alone, the Alborz body, Tehran's cascade -----------
    # Each step looks whether its part is there first, like the Körfez steps above.
    def plan_steps(self, name, body, frame, contributions, adoption):
        plan_id = body["id"]
        return [(f"{name} plan", lambda: self.shape_plan(body)),
                (f"{name} frame", lambda: self.shape_frame(plan_id, frame)),
                *((f"{name} contribution {m}", lambda m=m, c=c: self.shape_contribution(plan_id, m, c))
                  for m, c in contributions.items()),
                (f"{name} adoption", lambda: self.shape_adoption(plan_id, adoption))]

    def shape_steps(self):
        found = []

        def plan_steps(*args):
            found.extend(self.plan_steps(*args))

        for demo in (bilecik, alborz, tehran):
            found += [(f"municipality {mid}", lambda mid=mid, b=b: self.shape_municipality(mid, b))
                      for mid, b in demo.MUNICIPALITIES.items()]
        plan_steps("bilecik", bilecik.PLAN, bilecik.FRAME, {bilecik.COORDINATOR: bilecik.CONTRIBUTION},
                   bilecik.ADOPTION)
        plan_steps("alborz", alborz.PLAN, alborz.FRAME, alborz.CONTRIBUTIONS, alborz.ADOPTION)
        found.extend((f"alborz project {p['code']}", lambda p=p: self.project(p, f"/plans/{alborz.PLAN_ID}"))
                     for p in alborz.PROJECTS)
        found.extend((f"alborz bank {r['municipality']} {r['title']['en']}", lambda r=r: self.shape_bank_record(
            alborz.PLAN_ID, r)) for r in alborz.BANK)
        plan_steps("tehran", tehran.CITY_PLAN, tehran.CITY_FRAME, tehran.CITY_CONTRIBUTIONS, tehran.ADOPTION)
        for region in tehran.REGIONS:
            plan_steps(region, tehran.REGION_PLANS[region], tehran.REGION_FRAMES[region],
                       tehran.REGION_CONTRIBUTIONS[region], tehran.ADOPTION)
        # readings, so the pages and reports of Bilecik and Tehran have figures (Tehran's roll up)
        bilecik_lines = [{"indicator": c, "municipality": bilecik.COORDINATOR, "period": p, "value": v}
                         for c, p, v in bilecik.READINGS]
        found.append(("bilecik readings", lambda: self.shape_readings(bilecik.PLAN_ID, bilecik.COORDINATOR,
                                                                      bilecik_lines)))
        plans = {tehran.CITY: tehran.CITY_PLAN_ID, **{m: tehran.REGION_PLAN_IDS[r] for r in tehran.REGIONS
                                                      for m in tehran.REGION_CONTRIBUTIONS[r]}}
        for municipality, values in tehran.READINGS.items():
            lines = [{"indicator": c, "municipality": municipality, "period": "1402-H1", "value": v}
                     for c, v in values.items()]
            found.append((f"tehran readings {municipality}", lambda p=plans[municipality], m=municipality, l=lines:
                          self.shape_readings(p, m, l)))
        return found

    def shape_municipality(self, mid, body):
        if self.admin.request("GET", f"/municipalities/{mid}", expect=(200, 404)).status_code == 200:
            return False
        self.admin.put(f"/municipalities/{mid}", body)
        return True

    def shape_read(self, plan_id):
        response = self.admin.request("GET", f"/plans/{plan_id}", expect=(200, 404))
        return response.json() if response.status_code == 200 else None

    def shape_plan(self, body):
        if self.shape_read(body["id"]) is not None:
            return False
        self.admin.post("/plans", body, expect=201)
        return True

    def shape_frame(self, plan_id, frame):
        plan = self.shape_read(plan_id)
        if plan["frame"] is not None or plan["status"] != "draft":
            return False
        self.admin.put(f"/plans/{plan_id}/frame", frame)
        return True

    def shape_contribution(self, plan_id, municipality, body):
        plan = self.shape_read(plan_id)
        if municipality in plan["contributions"] or plan["status"] != "draft":
            return False
        self.admin.put(f"/plans/{plan_id}/contributions/{municipality}", body)
        return True

    def shape_adoption(self, plan_id, adoption):
        if self.shape_read(plan_id)["status"] != "draft":
            return False
        self.admin.post(f"/plans/{plan_id}/adopt", adoption)
        return True

    def shape_bank_record(self, plan_id, record):
        """A bank record, once: known by its municipality and title."""
        listed = self.admin.get(f"/plans/{plan_id}/bank?municipality={record['municipality']}")
        if any(r["title"] == record["title"] for r in listed):
            return False
        self.admin.post(f"/plans/{plan_id}/bank", record, expect=201)
        return True

    def shape_readings(self, plan_id, municipality, lines):
        """A municipality's readings, submitted by a planner of its own (a token made for it and
        revoked after) and approved by operations: four eyes, as a district's are."""
        wait_until(lambda: self.admin.request("GET", f"/plans/{plan_id}/progress?period={lines[0]['period']}")
                   .status_code == 200, 30, what=f"monitoring knows {plan_id}")
        stored = self.admin.get(f"/plans/{plan_id}/readings?municipality={municipality}")
        keys = {(r["indicator"], r["period"]) for r in stored}
        missing = [line for line in lines if (line["indicator"], line["period"]) not in keys]
        if missing:
            token = self.admin.post("/tokens", {"role": "planner", "municipality": municipality,
                                                "label": f"demo readings of {municipality}"}, expect=201)
            try:
                Client(self.url, token["token"]).request("POST", f"/plans/{plan_id}/readings",
                                                         json={"readings": missing}, expect=202)
            finally:
                self.admin.request("DELETE", f"/tokens/{token['id']}", expect=(204, 404))
            stored = self.admin.get(f"/plans/{plan_id}/readings?municipality={municipality}")
        waiting = sorted({r["period"] for r in stored if r["status"] == "submitted"})
        for period in waiting:
            self.admin.post(f"/plans/{plan_id}/readings/approve", {"municipality": municipality, "period": period})
        return bool(missing or waiting)

    def run(self, until=None):
        for name, step in self.steps():
            if step():
                self.done.append(name)
                self.log(f"demo: {name} done")
            if name == until:
                break
        return self.done


def seed(url, admin_token, var_dir, log=print, until=None):
    """Seed what is missing of the demo; returns the demo tokens by role (the demo people's logins
    are in ``people(var_dir)``)."""
    demo = DemoSeed(url, admin_token, var_dir, log=log)
    done = demo.run(until)
    if not done:
        log(f"demo: {korfez.PLAN_ID} is there already (not seeded again)")
    elif until is None:
        log(f"demo: seeded {korfez.PLAN_ID} (Balıkesir with Ayvalık, Burhaniye, Edremit, Gömeç, Havran): "
            f"{len(done)} step(s) done")
    return demo.saved_tokens()


def people(var_dir):
    return DemoSeed("", None, var_dir).saved_people()


def main(argv=None):
    from shared import config

    from .run import admin_token  # ops.run imports this module
    from .stack import ROOT

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{config.env('PORT', '8000')}")
    parser.add_argument("--until", help="stop after this step (e.g. 'frame', 'contribution gomec')")
    args = parser.parse_args(argv)
    var_dir = os.path.abspath(config.env("ORTAK_VAR", os.path.join(ROOT, "var")))
    names = [name for name, _ in DemoSeed(args.url, None, var_dir).steps()]
    if args.until and args.until not in names:
        parser.error(f"no step {args.until!r}; the steps: {', '.join(names)}")
    seed(args.url, admin_token(var_dir), var_dir, until=args.until)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
