"""Hostile input against the running system: refused with a precise problem, or kept as plain
text, never executed and never a 5xx; and a refused request changes nothing."""
import copy
import json

import pytest

from ops.demo import korfez
from tests.integration.test_consultation import an_input, workshop

pytestmark = pytest.mark.stack

OPERATOR = {"$gt": ""}


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def plan_state(client, plan_id):
    response = client.request("GET", f"/plans/{plan_id}")
    return response.headers["ETag"], response.json()


def test_a_body_over_the_limit_gets_413(adopted, coordinator):
    lines = [{"indicator": "X", "municipality": "edremit", "period": "2026-H1", "value": 1, "note": "n" * 1000}]
    body = json.dumps({"readings": lines * 17_000}).encode()          # about 17 MB, over the 16 MB limit
    response = coordinator.request("POST", f"/plans/{adopted}/readings", data=body,
                                   headers={"Content-Type": "application/json"})
    problem(response, 413)
    assert coordinator.get(f"/plans/{adopted}/readings") == []


def test_a_batch_over_ten_thousand_lines_is_refused_whole(adopted, coordinator):
    lines = [{"indicator": "X", "municipality": "edremit", "period": "2026-H1", "value": 1}] * 10_001
    found = problem(coordinator.request("POST", f"/plans/{adopted}/readings", json={"readings": lines}), 422)
    assert "readings" in found["errors"] and "10000" in found["errors"]["readings"][0]


@pytest.mark.parametrize("text, refused", [
    ("Sahil\x00yolu", "NUL"),
    ("Sahil \u202eyolu", "bidi"),
    ("x" * 5000, "Longer than"),
])
def test_nul_bidi_overrides_and_huge_text_are_refused_with_their_path(draft, coordinator, text, refused):
    before = plan_state(coordinator, draft)
    contribution = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    contribution["objectives"][0]["title"] = {"tr": text}
    found = problem(coordinator.request("PUT", f"/plans/{draft}/contributions/edremit", json=contribution), 422)
    assert any(path.startswith("objectives[0].title") and refused in " ".join(messages)
               for path, messages in found["errors"].items()), found["errors"]
    assert plan_state(coordinator, draft) == before


def test_bidi_isolates_and_persian_text_are_kept_as_written(draft, coordinator):
    contribution = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    title = "\u2067برنامه ۱۴۰۵\u2069 — Edremit <script>alert(1)</script> {\"$gt\": \"\"}"
    contribution["objectives"][0]["title"] = {"tr": title}
    coordinator.put(f"/plans/{draft}/contributions/edremit", contribution)
    stored = coordinator.get(f"/plans/{draft}")["contributions"]["edremit"]["objectives"][0]["title"]
    assert stored == {"tr": title}                                       # plain text, as sent


@pytest.mark.parametrize("field", ["indicator", "municipality", "period", "value"])
def test_operators_in_reading_fields_are_refused_as_data(adopted, coordinator, field):
    line = {"indicator": "PG5.1.1", "municipality": "edremit", "period": "2026-H1", "value": 1, field: OPERATOR}
    found = problem(coordinator.request("POST", f"/plans/{adopted}/readings", json={"readings": [line]}), 422)
    assert any(path.startswith("readings[0].") for path in found["errors"]), found["errors"]
    assert coordinator.get(f"/plans/{adopted}/readings") == []


def test_operators_in_ids_and_filters_match_nothing(adopted, coordinator, token_for):
    planner = token_for("planner", "edremit")
    planner.post(f"/plans/{adopted}/readings", {"readings": [
        {"indicator": "PG5.1.1", "municipality": "edremit", "period": "2026-H1", "value": 1}]}, expect=202)
    as_text = json.dumps(OPERATOR)
    for query in (f"municipality={as_text}", "municipality[$ne]=x", f"period={as_text}", "municipality=%00"):
        response = coordinator.request("GET", f"/plans/{adopted}/readings?{query}")
        assert response.status_code in (200, 422), (query, response.text)
        assert response.status_code == 422 or response.json() in ([], [r for r in response.json()
                                                                          if r["municipality"] == "edremit"])
    assert coordinator.request("GET", f"/plans/{adopted}/readings?municipality={as_text}").json() == []
    for path in (f"/plans/{as_text}", "/plans/%24where", f"/municipalities/{as_text}", "/plans/%00",
                 f"/plans/{adopted}/versions/0", "/plans/%FF%FE"):
        assert coordinator.request("GET", path).status_code in (400, 404), path
    approval = coordinator.request("POST", f"/plans/{adopted}/readings/approve",
                                   json={"municipality": OPERATOR, "period": "2026-H1"})
    assert "municipality" in problem(approval, 422)["errors"]
    assert {r["status"] for r in coordinator.get(f"/plans/{adopted}/readings")} == {"submitted"}


def test_operator_keys_inside_free_text_objects_are_refused_or_kept_inert(draft, coordinator):
    frame = copy.deepcopy(korfez.FRAME)
    frame["situation"] = {"$where": "sleep(10000)", "findings": [{"$set": {"status": "adopted"}}]}
    response = coordinator.request("PUT", f"/plans/{draft}/frame", json=frame)
    assert response.status_code in (200, 422), response.text
    plan = coordinator.get(f"/plans/{draft}")
    assert plan["status"] == "draft"
    if response.status_code == 200:
        assert plan["frame"]["situation"]["$where"] == "sleep(10000)"


def test_consultation_filters_and_inputs_with_operators(draft, coordinator, public):
    cid = coordinator.post(f"/plans/{draft}/consultations", workshop(kind="public_comment", public=True,
                                                                      sessions=[]), expect=201)["id"]
    body = an_input("edremit", 5)
    body["stakeholder"]["name"] = OPERATOR
    found = problem(public.request("POST", f"/consultations/{cid}/inputs", json=body,
                                   headers={"X-Forwarded-For": "10.9.9.9"}), 422)
    assert "stakeholder.name" in found["errors"]
    listed = public.request("GET", f"/consultations/{cid}/inputs?theme={json.dumps(OPERATOR)}")
    assert listed.status_code in (200, 422)
    assert listed.status_code == 422 or listed.json() == []
    assert coordinator.get(f"/consultations/{cid}/inputs") == []
