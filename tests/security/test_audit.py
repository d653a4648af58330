"""Every change to a plan or a reading is in the audit trail: who, when, what, from which request."""
import pytest

from tests.integration.test_monitoring import readings_for

pytestmark = pytest.mark.stack


def test_the_trail_names_who_changed_what_from_which_request(adopted, coordinator, token_for, public, admin):
    planner = token_for("planner", "edremit")
    submitted = planner.request("POST", f"/plans/{adopted}/readings", headers={"X-Request-Id": "district-sync-0001"},
                                json={"readings": readings_for("edremit", "2026-H1", {
                                    "works": 18, "satisfaction": 65, "green": 12000, "answered": (76, 100)})})
    assert submitted.status_code == 202 and submitted.headers["X-Request-Id"] == "district-sync-0001"
    approved = coordinator.request("POST", f"/plans/{adopted}/readings/approve",
                               json={"municipality": "edremit", "period": "2026-H1"})
    generated = approved.headers["X-Request-Id"]
    assert len(generated) == 32                                  # one is made when the client sends none

    trail = coordinator.get(f"/plans/{adopted}/audit")
    assert [e["at"] for e in trail] == sorted((e["at"] for e in trail), reverse=True)
    actions = [e["action"] for e in trail]
    assert actions[:2] == ["readings.approved", "readings.submitted"]
    assert actions[2:4] == ["plan.adoption", "plan.contribution"] and actions[-1] == "plan.created"
    assert actions.count("plan.contribution") == 5 and "plan.frame" in actions
    count = submitted.json()["accepted"]
    assert trail[1] | {"at": None} == {
        "at": None, "action": "readings.submitted", "request_id": "district-sync-0001",
        "by": {"token_id": trail[1]["by"]["token_id"], "role": "planner", "municipality": "edremit"},
        "batch": submitted.json()["batch"], "count": count, "municipalities": ["edremit"], "periods": ["2026-H1"]}
    assert trail[0]["request_id"] == generated and trail[0]["count"] == count and trail[0]["period"] == "2026-H1"
    created = trail[-1]
    assert created["by"]["role"] == "coordinator" and created["by"]["municipality"] == "balikesir"
    assert created["version"] == 1 and len(created["request_id"]) == 32
    assert len(coordinator.get(f"/plans/{adopted}/audit?limit=3")) == 3

    # the trail is the participants': not the public's, nor another region's
    assert public.request("GET", f"/plans/{adopted}/audit").status_code in (401, 404)
    assert token_for("viewer", "edremit").request("GET", f"/plans/{adopted}/audit").status_code == 200
    admin.put("/municipalities/izmir", {"name": "İzmir", "kind": "metropolitan", "parent": None, "locale": "tr",
                                        "calendar": "gregorian"})
    assert token_for("coordinator", "izmir").request("GET", f"/plans/{adopted}/audit").status_code == 404
    bad = coordinator.request("GET", f"/plans/{adopted}/audit?limit=0")
    assert bad.status_code == 422 and "limit" in bad.json()["errors"]
