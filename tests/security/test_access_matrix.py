"""Who may do what: every endpoint of our own OpenAPI document x every role x own or other
municipality, against the running system. An endpoint missing from POLICY fails the test, so a
new endpoint cannot escape it."""
import copy
import itertools
import secrets

import pytest
import requests

from ops.client import Client
from ops.demo import korfez
from tests.integration.test_consultation import an_input, workshop
from tests.stack import new_plan_id

pytestmark = pytest.mark.stack

# name: (role, municipality). "own" is the Körfez plan's world (Balıkesir, Edremit); İzmir is elsewhere.
ACTORS = {
    "public": None,
    "admin": ("admin", None),
    "coordinator": ("coordinator", korfez.COORDINATOR),
    "coordinator_elsewhere": ("coordinator", "izmir"),
    "planner": ("planner", "edremit"),
    "planner_neighbour": ("planner", "ayvalik"),        # in the plan, but not the municipality named
    "planner_elsewhere": ("planner", "bornova"),
    "viewer": ("viewer", "edremit"),
    "viewer_elsewhere": ("viewer", "izmir"),
    "viewer_all": ("viewer", None),
}
EVERYONE = set(ACTORS)
ADMIN = {"admin"}
COORDINATOR = {"admin", "coordinator"}
SPEAKS_FOR_EDREMIT = COORDINATOR | {"planner"}
PARTICIPANTS = COORDINATOR | {"planner", "planner_neighbour", "viewer", "viewer_all"}
VIEWERS = {"viewer", "viewer_elsewhere", "viewer_all"}
COORDINATORS = COORDINATOR | {"coordinator_elsewhere"}

POLICY = {   # who gets past access control, on an adopted plan and a public consultation of it
    "GET /municipalities": EVERYONE,
    "GET /municipalities/{mid}": EVERYONE,
    "PUT /municipalities/{mid}": ADMIN,
    "POST /tokens": ADMIN,
    "GET /tokens": ADMIN,
    "DELETE /tokens/{token_id}": ADMIN,
    "POST /users": COORDINATORS,
    "GET /users": COORDINATORS,
    "DELETE /users/{uid}": COORDINATOR,             # a planner of Edremit: its coordinator, not İzmir's
    "POST /users/password": EVERYONE,               # the setup link's token is the credential
    "POST /sessions": EVERYONE,
    "DELETE /sessions/current": EVERYONE,
    "POST /plans": COORDINATOR,
    "GET /plans": EVERYONE,
    "GET /plans/{plan_id}": EVERYONE,
    "PUT /plans/{plan_id}/frame": COORDINATOR,
    "PUT /plans/{plan_id}/contributions/{municipality}": SPEAKS_FOR_EDREMIT,
    "POST /plans/{plan_id}/status": COORDINATOR,
    "POST /plans/{plan_id}/adopt": COORDINATOR,
    "POST /plans/{plan_id}/revisions": COORDINATOR,
    "POST /plans/{plan_id}/parent-changes/{n}/acknowledge": COORDINATOR,   # the child plan's coordinator
    "GET /plans/{plan_id}/versions": EVERYONE,
    "GET /plans/{plan_id}/versions/{n}": EVERYONE,
    "GET /plans/{plan_id}/diff": EVERYONE,
    "GET /plans/{plan_id}/audit": PARTICIPANTS,
    "GET /plans/{plan_id}/target-cards": EVERYONE,
    "POST /plans/{plan_id}/consultations": COORDINATOR,
    "GET /plans/{plan_id}/consultations": EVERYONE,
    "GET /consultations/{cid}": EVERYONE,
    "POST /consultations/{cid}/open": COORDINATOR,
    "POST /consultations/{cid}/close": COORDINATOR,
    "POST /consultations/{cid}/inputs": EVERYONE - VIEWERS,   # a viewer reads only
    "GET /consultations/{cid}/inputs": EVERYONE,
    "POST /inputs/{iid}/decision": COORDINATOR,
    "POST /inputs/{iid}/moderation": COORDINATOR,
    "GET /consultations/{cid}/summary": EVERYONE,
    "PUT /plans/{plan_id}/stakeholders": COORDINATOR,
    "GET /plans/{plan_id}/stakeholders": PARTICIPANTS,
    "POST /plans/{plan_id}/readings": SPEAKS_FOR_EDREMIT,
    "GET /plans/{plan_id}/readings": PARTICIPANTS,
    "POST /plans/{plan_id}/readings/approve": SPEAKS_FOR_EDREMIT,
    "GET /plans/{plan_id}/readings/approvals/{approval_id}": PARTICIPANTS,
    "POST /plans/{plan_id}/readings/reject": SPEAKS_FOR_EDREMIT,
    "GET /plans/{plan_id}/progress": EVERYONE,
    "GET /plans/{plan_id}/progress/series": EVERYONE,
    "GET /plans/{plan_id}/progress/matrix": EVERYONE,
    "GET /plans/{plan_id}/alerts": EVERYONE,
    "GET /plans/{plan_id}/reports/monitoring": EVERYONE,
    "GET /plans/{plan_id}/reports/evaluation": EVERYONE,
    "PUT /municipalities/{mid}/services/{code}": SPEAKS_FOR_EDREMIT,   # Balıkesir's coordinator: its metropolitan
    "GET /municipalities/{mid}/services": EVERYONE,
    "POST /municipalities/{mid}/requests": SPEAKS_FOR_EDREMIT,
    "GET /municipalities/{mid}/service-quality": EVERYONE,
    "GET /municipalities/{mid}/request-findings": EVERYONE,   # figures by neighbourhood, no person
    "GET /requests/{rid}": SPEAKS_FOR_EDREMIT,                        # the requester's name: staff only
    "PATCH /requests/{rid}": SPEAKS_FOR_EDREMIT,
    "POST /plans/{plan_id}/service-quality": SPEAKS_FOR_EDREMIT,
    "POST /plans/{plan_id}/adoptions/{municipality}": SPEAKS_FOR_EDREMIT,   # Edremit's own council decision
    "POST /plans/{plan_id}/bank": SPEAKS_FOR_EDREMIT,                       # a record of Edremit
    "GET /plans/{plan_id}/bank": EVERYONE,
    "GET /plans/{plan_id}/situation": EVERYONE,
    "POST /plans/{plan_id}/projects": SPEAKS_FOR_EDREMIT,                   # a project of Edremit
    "GET /plans/{plan_id}/projects": EVERYONE,
    "GET /plans/{plan_id}/project-budget": EVERYONE,
    "GET /projects/{pid}": EVERYONE,
    "PUT /projects/{pid}": SPEAKS_FOR_EDREMIT,
    "POST /projects/{pid}/progress": SPEAKS_FOR_EDREMIT,
    "POST /projects/{pid}/reports": SPEAKS_FOR_EDREMIT,
    "GET /plans/{plan_id}/programmes/{year}": EVERYONE,
    "POST /plans/{plan_id}/programmes/{year}/adoption": SPEAKS_FOR_EDREMIT,   # Edremit's programme
    "GET /plans/{plan_id}/activity-reports/{year}": EVERYONE,
    "GET /plans/{plan_id}/programme": EVERYONE,
    "GET /plans/{plan_id}/activity-report": EVERYONE,
}
PASSED = {200, 201, 202, 204, 400, 409, 412, 422}   # access granted; the request itself may still be refused
DENIED = {401, 403, 404}
LAST = ("/open", "/close")                          # they change the consultation the others use


def endpoints(stack):
    spec = requests.get(stack.url + "/api/v1/openapi.json", timeout=10).json()
    found = [f"{method.upper()} {path.removeprefix('/api/v1')}" for path, operations in spec["paths"].items()
             for method in operations if method in ("get", "put", "post", "delete", "patch")]
    return sorted(found, key=lambda e: e.endswith(LAST))


@pytest.fixture(params=["token", "session"])
def world(request, adopted, coordinator, admin, token_for, person_for):
    """The plan and its consultation, and a client per actor: with a token, or logged in as a person
    of the same role and municipality (one access rule set for both)."""
    credential = token_for if request.param == "token" else person_for
    admin.put("/municipalities/izmir", {"name": "İzmir", "kind": "metropolitan", "parent": None,
                                        "locale": "tr", "calendar": "gregorian"})
    admin.put("/municipalities/bornova", {"name": "Bornova", "kind": "district", "parent": "izmir",
                                          "locale": "tr", "calendar": "gregorian"})
    cid = coordinator.post(f"/plans/{adopted}/consultations",
                           workshop(kind="public_comment", public=True, sessions=[]), expect=201)["id"]
    iid = coordinator.post(f"/consultations/{cid}/inputs", an_input("edremit", 1), expect=201)["id"]
    coordinator.put("/municipalities/edremit/services/MATRIX", {"name": "Yol çukuru", "target_days": 7})
    [rid] = coordinator.post("/municipalities/edremit/requests", {"requests": [{
        "id": "matrix-" + secrets.token_hex(4), "service_code": "MATRIX", "address_string": "Zeytinli",
        "requested_datetime": "2026-01-05T09:00:00Z"}]})["ids"]
    clients = {name: credential(*spec) if spec else Client(coordinator.url) for name, spec in ACTORS.items()}
    value_indicator = next(i["code"] for o in korfez.CONTRIBUTIONS["edremit"]["objectives"]
                           for i in o["indicators"] if not i.get("contributes_to"))
    pid = coordinator.post(f"/plans/{adopted}/projects", {
        "code": "MATRIX", "title": "Matris", "objective": "H1.3", "municipality": "edremit",
        "responsible_unit": "Fen İşleri", "horizon": "short", "priority": 1, "start": "2026-01-01",
        "end": "2026-12-31"}, expect=201)["id"]
    approval = coordinator.post(f"/plans/{adopted}/readings/approve", {"municipality": "edremit", "period": "2025-H1"})
    return {"plan_id": adopted, "cid": cid, "iid": iid, "clients": clients, "indicator": value_indicator, "rid": rid,
            "pid": pid, "approval": approval["approval"]}


def request_for(endpoint, world, admin):
    """The path, query and body one call sends: real ids of the world, a body an allowed caller
    could send (often one a rule then refuses, so the plan is not changed by the matrix)."""
    method, template = endpoint.split(" ", 1)
    fresh_token = admin.post("/tokens", {"role": "viewer", "municipality": None, "label": "to revoke"},
                             expect=201) if "{token_id}" in template else None
    fresh_person = admin.post("/users", {"username": "matrix." + secrets.token_hex(4), "role": "planner",
                                         "municipality": "edremit"}, expect=201) if "{uid}" in template else None
    path = template.format(mid="edremit", plan_id=world["plan_id"], municipality="edremit", n=1, cid=world["cid"],
                           iid=world["iid"], token_id=fresh_token["id"] if fresh_token else "",
                           uid=fresh_person["id"] if fresh_person else "", code="MATRIX", rid=world["rid"], pid=world["pid"],
                           year=2026, approval_id=world["approval"])
    query = {"diff": "?from=1&to=2", "progress": "?period=2026-H1", "monitoring": "?period=2026-H1",
             "matrix": "?period=2026-H1", "series": "?from=2025-H1&to=2026-H1",
             "evaluation": "?year=2026", "programme": "?year=2026", "activity-report": "?year=2026",
             "service-quality": "?period=2026-H1" if method == "GET" else "",
             "request-findings": "?period=2026-H1"}.get(template.rsplit("/", 1)[-1], "")
    body = None if method in ("GET", "DELETE") else {}
    if endpoint == "POST /plans":
        body = {**copy.deepcopy(korfez.PLAN), "id": "matrix-" + secrets.token_hex(4)}
    elif endpoint == "POST /plans/{plan_id}/readings":
        body = {"readings": [{"indicator": world["indicator"], "municipality": "edremit", "period": "2026-H1",
                              "value": 1}]}
    elif endpoint == "POST /plans/{plan_id}/readings/approve":
        body = {"municipality": "edremit", "period": "2026-H1"}
    elif endpoint == "POST /plans/{plan_id}/readings/reject":
        body = {"municipality": "edremit", "period": "2026-H1", "reason": "Check the figure."}
    elif endpoint == "POST /plans/{plan_id}/service-quality":
        body = {"period": "2026-H1", "municipality": "edremit"}
    elif endpoint == "POST /plans/{plan_id}/bank":
        body = {"kind": "need", "municipality": "edremit", "title": "Soğuk hava deposu", "text": "2000 m³"}
    elif endpoint in ("POST /plans/{plan_id}/projects", "PUT /projects/{pid}"):
        # Ayvalık's objective with no partner: refused (422) once access is granted, nothing changed
        body = {"code": "MATRIX", "title": "Matris", "objective": "H1.1", "municipality": "edremit",
                "responsible_unit": "Fen İşleri", "horizon": "short", "priority": 1, "start": "2026-01-01",
                "end": "2026-12-31"}
    elif endpoint == "POST /plans/{plan_id}/programmes/{year}/adoption":
        body = {"municipality": "edremit", "decision_no": "M", "decision_date": "2099-01-01"}   # future: 422
    elif endpoint in ("POST /projects/{pid}/progress", "POST /projects/{pid}/reports"):
        body = {"period": "2027-H1", "percent": 5, "spent": "1.00"}   # a period not begun: 422
    elif endpoint == "POST /consultations/{cid}/inputs":
        body = an_input("edremit", secrets.randbelow(10**6))
    return method, path + query, body


def test_every_endpoint_by_every_role_from_own_and_other_municipalities(stack, world, admin):
    found = endpoints(stack)
    assert set(found) == set(POLICY), f"endpoints without a policy: {set(found) - set(POLICY)}; " \
                                      f"policies without an endpoint: {set(POLICY) - set(found)}"
    violations = []
    for endpoint, actor in itertools.product(found, ACTORS):
        method, path, body = request_for(endpoint, world, admin)
        # a client address of its own: the public-input rate limit is per client
        headers = {"X-Forwarded-For": f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"}
        client = world["clients"][actor]
        if endpoint == "DELETE /sessions/current":   # would end the session the other tests go on with
            client = Client(client.url)
            client.session.headers.update({k: v for k, v in world["clients"][actor].session.headers.items()
                                           if k == "Authorization"})
        response = client.request(method, path, json=body, headers=headers)
        expected = PASSED if actor in POLICY[endpoint] else DENIED
        if response.status_code not in expected:
            violations.append(f"{endpoint} as {actor}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:
            assert response.headers["Content-Type"].startswith("application/problem+json"), endpoint
    assert not violations, "\n".join(violations)


def test_only_the_coordinator_sees_stakeholders_contacts(world):
    for actor, client in world["clients"].items():
        listed = client.request("GET", f"/consultations/{world['cid']}/inputs")
        assert listed.status_code == 200
        contacts = [i["stakeholder"].get("contact") for i in listed.json()]
        if actor in COORDINATOR:
            assert "+90 266 000 0001" in contacts
        else:
            assert not any(contacts), actor
        assert "+90 266 000 0001" not in client.request("GET", f"/consultations/{world['cid']}/summary").text


DRAFT_READS = ("", "/versions", "/versions/1", "/diff?from=1&to=2", "/target-cards", "/consultations")


def test_a_draft_is_read_by_its_participants_only(world, coordinator):
    draft = new_plan_id()
    coordinator.post("/plans", {**copy.deepcopy(korfez.PLAN), "id": draft}, expect=201)
    coordinator.put(f"/plans/{draft}/frame", korfez.FRAME)
    coordinator.put(f"/plans/{draft}/contributions/edremit", korfez.CONTRIBUTIONS["edremit"])
    coordinator.post(f"/plans/{draft}/consultations", workshop(), expect=201)
    violations = []
    for actor, client in world["clients"].items():
        for read in DRAFT_READS:
            status = client.request("GET", f"/plans/{draft}{read}").status_code
            if status != (200 if actor in PARTICIPANTS else 404):
                violations.append(f"{read or '/'} as {actor}: {status}")
    assert not violations, violations


def test_a_revision_under_way_is_read_by_its_participants_only(world, coordinator):
    plan_id = world["plan_id"]
    coordinator.post(f"/plans/{plan_id}/revisions", {"kind": "update", "reason": "ara değerlendirme",
                                                     "effective_from": "2027"}, expect=201)
    contribution = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    contribution["objectives"][0]["title"] = {"tr": "Taslak başlık"}
    coordinator.put(f"/plans/{plan_id}/contributions/edremit", contribution)
    for actor, client in world["clients"].items():
        title = client.get(f"/plans/{plan_id}")["contributions"]["edremit"]["objectives"][0]["title"]
        assert (title == {"tr": "Taslak başlık"}) == (actor in PARTICIPANTS), (actor, title)


def test_an_idempotency_key_replays_to_its_own_caller_only(world):
    plan_id, clients = world["plan_id"], world["clients"]
    body = {"readings": [{"indicator": world["indicator"], "municipality": "edremit", "period": "2026-H1",
                          "value": 7}]}
    key = {"Idempotency-Key": "matrix-" + secrets.token_hex(4)}
    first = clients["planner"].request("POST", f"/plans/{plan_id}/readings", json=body, headers=key)
    assert first.status_code == 202
    for actor, client in clients.items():
        answer = client.request("POST", f"/plans/{plan_id}/readings", json=body, headers=key)
        replayed = answer.status_code == 202 and answer.json().get("replayed") is True
        assert replayed == (actor == "planner"), (actor, answer.status_code, answer.text[:200])
        assert answer.status_code in ({202} if actor in POLICY["POST /plans/{plan_id}/readings"] else DENIED), actor


def test_a_cooperation_body_reads_its_members_part_of_its_plan_and_nothing_else_of_theirs(admin, token_for):
    from ops.demo import alborz
    for mid, body in alborz.MUNICIPALITIES.items():
        admin.put(f"/municipalities/{mid}", body)
    body, karaj = token_for("coordinator", alborz.BODY), token_for("planner", "karaj")
    plan_id = "alborz-" + secrets.token_hex(3)
    body.post("/plans", {**alborz.PLAN, "id": plan_id}, expect=201)
    body.put(f"/plans/{plan_id}/frame", alborz.FRAME)
    contribution = {"objectives": [{"code": "K1", "goal": "A2", "title": "GIS", "responsible_unit": "IT",
                                    "indicators": []}]}
    karaj.put(f"/plans/{plan_id}/contributions/karaj", contribution)
    own = {"id": "karaj-" + secrets.token_hex(3), "title": "Karaj", "coordinator": "karaj", "members": [],
           "period": {"start": 1403, "end": 1407}, "calendar": "solar_hijri"}
    token_for("coordinator", "karaj").post("/plans", own, expect=201)
    expected = [   # (client, method, path, body, allowed)
        (body, "GET", f"/plans/{plan_id}", None, True),                      # its plan, with Karaj's part
        (karaj, "GET", f"/plans/{plan_id}", None, True),                     # a member reads the body's plan
        (body, "PUT", f"/plans/{plan_id}/contributions/karaj", contribution, False),
        (body, "PUT", f"/plans/{plan_id}/contributions/{alborz.BODY}", {"objectives": []}, True),
        (body, "POST", f"/plans/{plan_id}/adoptions/karaj", {"decision_no": "1", "decision_date": "2024-05-01"},
         False),
        (karaj, "POST", f"/plans/{plan_id}/adoptions/karaj", {"decision_no": "1", "decision_date": "2024-05-01"},
         True),
        (body, "POST", f"/plans/{plan_id}/bank", {"kind": "need", "municipality": "karaj", "title": "x",
                                                  "text": "y"}, False),
        (karaj, "POST", f"/plans/{plan_id}/bank", {"kind": "need", "municipality": "karaj", "title": "x",
                                                   "text": "y"}, True),
        (body, "GET", f"/plans/{plan_id}/bank", None, True),
        (body, "GET", f"/plans/{own['id']}", None, False),                   # nothing else of theirs
        (body, "GET", f"/plans/{own['id']}/versions", None, False),
        (body, "PUT", f"/plans/{own['id']}/frame", alborz.FRAME, False),
        (body, "POST", "/users", {"username": "karaj." + secrets.token_hex(3), "role": "planner",
                                  "municipality": "karaj"}, False),
    ]
    violations = []
    for client, method, path, payload, allowed in expected:
        status = client.request(method, path, json=payload).status_code
        if (status in PASSED) != allowed or (not allowed and status not in DENIED):
            violations.append(f"{method} {path}: {status}")
    assert not violations, violations


def test_a_parent_plan_and_its_child_plans_keep_their_own_coordinators(admin, token_for, public):
    from ops.demo import tehran
    for mid, body in tehran.MUNICIPALITIES.items():
        admin.put(f"/municipalities/{mid}", body)
    city, region = token_for("coordinator", tehran.CITY), token_for("coordinator", "tehran-r2")
    suffix = secrets.token_hex(3)
    city_id, child_id = f"tehran-{suffix}", f"tehran-r2-{suffix}"
    city.post("/plans", {**tehran.CITY_PLAN, "id": city_id}, expect=201)
    city.put(f"/plans/{city_id}/frame", tehran.CITY_FRAME)
    city.put(f"/plans/{city_id}/contributions/{tehran.CITY}", tehran.CITY_CONTRIBUTIONS[tehran.CITY])
    # only the region's own coordinator starts its plan under the city's, and only once the city's is adopted
    child = {**tehran.REGION_PLANS["tehran-r2"], "id": child_id, "parent_plan": city_id}
    assert region.request("POST", "/plans", json=child).status_code == 422
    city.post(f"/plans/{city_id}/adopt", tehran.ADOPTION)
    assert city.request("POST", "/plans", json=child).status_code == 403
    region.post("/plans", child, expect=201)
    expected = [
        (city, "PUT", f"/plans/{child_id}/frame", tehran.REGION_FRAMES["tehran-r2"], False),  # not the city's to write
        (city, "GET", f"/plans/{child_id}", None, False),           # a region's draft is its own until adopted
        (region, "PUT", f"/plans/{child_id}/frame", tehran.REGION_FRAMES["tehran-r2"], True),
        (region, "PUT", f"/plans/{city_id}/frame", tehran.CITY_FRAME, False),
        (region, "POST", f"/plans/{city_id}/revisions", {"kind": "update", "reason": "x"}, False),
        (public, "GET", f"/plans/{child_id}", None, False),
        (public, "GET", f"/plans/{city_id}/progress?period=1402-H1&include=children", None, True),
        # the flags of the city's changes are the region's to acknowledge (none yet: 422 once past access)
        (city, "POST", f"/plans/{child_id}/parent-changes/1/acknowledge", {}, False),
        (token_for("planner", "tehran-r2"), "POST", f"/plans/{child_id}/parent-changes/1/acknowledge", {}, False),
        (region, "POST", f"/plans/{child_id}/parent-changes/1/acknowledge", {}, True),
    ]
    violations = []
    for client, method, path, payload, allowed in expected:
        status = client.request(method, path, json=payload).status_code
        if (status in PASSED) != allowed or (not allowed and status not in DENIED):
            violations.append(f"{method} {path}: {status}")
    assert not violations, violations
