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

POLICY = {   # who gets past access control, on an adopted plan and a public consultation of it
    "GET /municipalities": EVERYONE,
    "GET /municipalities/{mid}": EVERYONE,
    "PUT /municipalities/{mid}": ADMIN,
    "POST /tokens": ADMIN,
    "GET /tokens": ADMIN,
    "DELETE /tokens/{token_id}": ADMIN,
    "POST /plans": COORDINATOR,
    "GET /plans": EVERYONE,
    "GET /plans/{plan_id}": EVERYONE,
    "PUT /plans/{plan_id}/frame": COORDINATOR,
    "PUT /plans/{plan_id}/contributions/{municipality}": SPEAKS_FOR_EDREMIT,
    "POST /plans/{plan_id}/status": COORDINATOR,
    "POST /plans/{plan_id}/adopt": COORDINATOR,
    "POST /plans/{plan_id}/revisions": COORDINATOR,
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
    "POST /consultations/{cid}/inputs": EVERYONE,
    "GET /consultations/{cid}/inputs": EVERYONE,
    "POST /inputs/{iid}/decision": COORDINATOR,
    "GET /consultations/{cid}/summary": EVERYONE,
    "PUT /plans/{plan_id}/stakeholders": COORDINATOR,
    "GET /plans/{plan_id}/stakeholders": PARTICIPANTS,
    "POST /plans/{plan_id}/readings": SPEAKS_FOR_EDREMIT,
    "GET /plans/{plan_id}/readings": PARTICIPANTS,
    "POST /plans/{plan_id}/readings/approve": SPEAKS_FOR_EDREMIT,
    "GET /plans/{plan_id}/progress": EVERYONE,
    "GET /plans/{plan_id}/alerts": EVERYONE,
    "GET /plans/{plan_id}/reports/monitoring": EVERYONE,
    "GET /plans/{plan_id}/reports/evaluation": EVERYONE,
}
PASSED = {200, 201, 202, 204, 400, 409, 412, 422}   # access granted; the request itself may still be refused
DENIED = {401, 403, 404}
LAST = ("/open", "/close")                          # they change the consultation the others use


def endpoints(stack):
    spec = requests.get(stack.url + "/api/v1/openapi.json", timeout=10).json()
    found = [f"{method.upper()} {path.removeprefix('/api/v1')}" for path, operations in spec["paths"].items()
             for method in operations if method in ("get", "put", "post", "delete", "patch")]
    return sorted(found, key=lambda e: e.endswith(LAST))


@pytest.fixture
def world(adopted, coordinator, admin, token_for):
    admin.put("/municipalities/izmir", {"name": "İzmir", "kind": "metropolitan", "parent": None,
                                        "locale": "tr", "calendar": "gregorian"})
    admin.put("/municipalities/bornova", {"name": "Bornova", "kind": "district", "parent": "izmir",
                                          "locale": "tr", "calendar": "gregorian"})
    cid = coordinator.post(f"/plans/{adopted}/consultations",
                           workshop(kind="public_comment", public=True, sessions=[]), expect=201)["id"]
    iid = coordinator.post(f"/consultations/{cid}/inputs", an_input("edremit", 1), expect=201)["id"]
    clients = {name: token_for(*spec) if spec else Client(coordinator.url) for name, spec in ACTORS.items()}
    value_indicator = next(i["code"] for o in korfez.CONTRIBUTIONS["edremit"]["objectives"]
                           for i in o["indicators"] if not i.get("contributes_to"))
    return {"plan_id": adopted, "cid": cid, "iid": iid, "clients": clients, "indicator": value_indicator}


def request_for(endpoint, world, admin):
    """The path, query and body one call sends: real ids of the world, a body an allowed caller
    could send (often one a rule then refuses, so the plan is not changed by the matrix)."""
    method, template = endpoint.split(" ", 1)
    fresh_token = admin.post("/tokens", {"role": "viewer", "municipality": None, "label": "to revoke"},
                             expect=201) if "{token_id}" in template else None
    path = template.format(mid="edremit", plan_id=world["plan_id"], municipality="edremit", n=1, cid=world["cid"],
                           iid=world["iid"], token_id=fresh_token["id"] if fresh_token else "")
    query = {"diff": "?from=1&to=2", "progress": "?period=2026-H1", "monitoring": "?period=2026-H1",
             "evaluation": "?year=2026"}.get(template.rsplit("/", 1)[-1], "")
    body = None if method in ("GET", "DELETE") else {}
    if endpoint == "POST /plans":
        body = {**copy.deepcopy(korfez.PLAN), "id": "matrix-" + secrets.token_hex(4)}
    elif endpoint == "POST /plans/{plan_id}/readings":
        body = {"readings": [{"indicator": world["indicator"], "municipality": "edremit", "period": "2026-H1",
                              "value": 1}]}
    elif endpoint == "POST /plans/{plan_id}/readings/approve":
        body = {"municipality": "edremit", "period": "2026-H1"}
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
        response = world["clients"][actor].request(method, path, json=body, headers=headers)
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
