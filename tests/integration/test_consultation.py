"""Stakeholder consultation through the gateway, replaying the Körfez meeting of June 2024."""
import io
import itertools
from collections import Counter
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from ops.demo import korfez
from ops.processes import wait_until

pytestmark = pytest.mark.stack

GROUPS = ["citizen", "muhtar", "city_council", "ngo", "chamber", "university", "public_institution",
          "private_sector"]
KINDS = ["request", "suggestion", "complaint", "strength", "weakness", "opportunity", "threat"]


def at(minutes):
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat()


def workshop(**overrides):
    """10 themes in 4 sessions, as at Burhaniye (BUBFA) on 12 June 2024."""
    start = datetime.now(timezone.utc)
    sessions = [{"theme": code, "starts_at": (start + timedelta(hours=slot)).isoformat(),
                 "facilitator": "Strateji Geliştirme Dairesi"}
                for code, slot in zip([t[0] for t in korfez.THEMES], [0, 0, 0, 1, 1, 1, 2, 2, 3, 3])]
    body = {"title": {"tr": "2025-2029 Körfez Bölgesi Stratejik Plan Bölge Toplantısı"}, "kind": "workshop",
            "themes": [t[0] for t in korfez.THEMES], "sessions": sessions, "opens_at": at(-1), "closes_at": at(60),
            "public": False, "location": "Burhaniye Uygulamalı Bilimler Fakültesi"}
    return {**body, **overrides}


def an_input(district, n, theme=None, kind=None, group=None):
    return {"stakeholder": {"name": f"{group or GROUPS[n % len(GROUPS)]} {district} {n}",
                            "group": group or GROUPS[n % len(GROUPS)], "municipality": district,
                            "contact": f"+90 266 000 {n:04d}"},
            "kind": kind or KINDS[n % len(KINDS)], "theme": theme or korfez.THEMES[n % 10][0],
            "text": {"tr": f"{district} için öneri {n}: sahil yolunun bakımı"}}


def test_the_korfez_workshop_replayed(draft, coordinator, token_for, listen, public):
    decided = listen("consultation", "input_decided")
    created = coordinator.post(f"/plans/{draft}/consultations", workshop(), expect=201)
    assert created["status"] == "open" and len(created["sessions"]) == 10
    cid = created["id"]

    sent = []
    counter = itertools.count()
    for district in korfez.DISTRICTS:
        planner = token_for("planner", district)
        for _ in range(6):
            body = an_input(district, next(counter))
            response = planner.request("POST", f"/consultations/{cid}/inputs", json=body)
            assert response.status_code == 201, response.text
            sent.append((response.json()["id"], body))
    ids = [iid for iid, _ in sent]

    # decisions of each kind, linking to objectives of several districts and to a goal
    accept = {ids[0]: [{"objective": "H1.1", "municipality": "ayvalik"}],
              ids[7]: [{"objective": "H5.1"}, {"goal": "A5"}],
              ids[13]: [{"objective": "H3.4", "municipality": "gomec"}]}
    for iid, links in accept.items():
        coordinator.post(f"/inputs/{iid}/decision", {"decision": "accepted", "links": links})
    coordinator.post(f"/inputs/{ids[1]}/decision", {"decision": "rejected", "reason": "Kapsam dışı"})
    coordinator.post(f"/inputs/{ids[2]}/decision", {"decision": "merged", "merged_into": ids[0]})
    bad = coordinator.request("POST", f"/inputs/{ids[3]}/decision", json={"decision": "rejected"})
    assert bad.status_code == 422 and "reason" in bad.json()["errors"]
    bad = coordinator.request("POST", f"/inputs/{ids[3]}/decision",
                              json={"decision": "accepted", "links": [{"objective": "H1.1", "municipality": "havran"}]})
    assert bad.status_code == 422 and "links[0].municipality" in bad.json()["errors"]
    assert token_for("planner", "edremit").request(
        "POST", f"/inputs/{ids[4]}/decision", json={"decision": "rejected", "reason": "x"}).status_code == 403

    summary = coordinator.get(f"/consultations/{cid}/summary")
    bodies = [body for _, body in sent]
    assert summary["total"] == 30
    assert summary["by_theme"] == dict(sorted(Counter(b["theme"] for b in bodies).items()))
    assert summary["by_kind"] == dict(sorted(Counter(b["kind"] for b in bodies).items()))
    assert summary["by_group"] == dict(sorted(Counter(b["stakeholder"]["group"] for b in bodies).items()))
    assert summary["by_municipality"] == {d: 6 for d in sorted(korfez.DISTRICTS)}
    assert summary["by_decision"] == {"accepted": 3, "merged": 1, "rejected": 1, "undecided": 25}
    assert summary["decided_share"] == round(5 / 30 * 100, 1)
    assert summary["accepted_by_link"]["objective H5.1 (edremit)"] == [ids[7]]

    workbook = openpyxl.load_workbook(io.BytesIO(coordinator.request(
        "GET", f"/consultations/{cid}/summary?format=xlsx", expect=200).content))
    rows = list(workbook["Inputs"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 30 and sorted(r[0] for r in rows) == sorted(ids)
    assert not any("+90 266" in str(cell) for row in rows for cell in row)  # no contacts in exports

    # the registry records where objectives came from
    event = decided.wait_for("input_decided", lambda b: b["payload"]["input_id"] == ids[13])
    assert event["payload"]["links"] == [{"objective": "H3.4", "municipality": "gomec", "goal": None}]

    def provenance():
        plan = coordinator.get(f"/plans/{draft}")
        objectives = {(m, o["code"]): o for m, c in plan["contributions"].items() for o in c["objectives"]}
        goals = {g["code"]: g for g in plan["frame"]["goals"]}
        return objectives, goals

    wait_until(lambda: [i["input_id"] for i in provenance()[0][("gomec", "H3.4")]["inputs"]] == [ids[13]], 15,
               what="provenance on H3.4")
    objectives, goals = provenance()
    assert [i["input_id"] for i in objectives[("ayvalik", "H1.1")]["inputs"]] == [ids[0]]
    assert [i["input_id"] for i in objectives[("edremit", "H5.1")]["inputs"]] == [ids[7]]
    assert [i["input_id"] for i in goals["A5"]["inputs"]] == [ids[7]]
    assert objectives[("havran", "H9.1")]["inputs"] == []
    source = objectives[("ayvalik", "H1.1")]["inputs"][0]
    assert source["consultation_id"] == cid and "stakeholder" not in source  # no names: group and municipality
    assert source["group"] == "citizen" and source["municipality"] == "ayvalik"
    assert "contact" not in str(source)

    # a changed mind: the rejection removes the link
    coordinator.post(f"/inputs/{ids[13]}/decision", {"decision": "rejected", "reason": "Bütçe yok"})
    wait_until(lambda: provenance()[0][("gomec", "H3.4")]["inputs"] == [], 15, what="provenance removed")

    # the stakeholder register: analysed entries with the guide's priority, plus who gave input
    register = coordinator.put(f"/plans/{draft}/stakeholders", {"stakeholders": [
        {"name": "Kent Konseyi", "group": "city_council", "influence": 4, "importance": 4},
        {"name": "Edremit Ziraat Odası", "group": "chamber", "municipality": "edremit", "influence": 2,
         "importance": 5}]})
    by_name = {s["name"]: s for s in register["stakeholders"]}
    assert by_name["Kent Konseyi"]["priority"] == "work_together"
    assert by_name["Edremit Ziraat Odası"]["priority"] == "consider"
    assert sum(1 for s in register["stakeholders"] if not s["analysed"]) == 30
    assert public.request("GET", f"/plans/{draft}/stakeholders").status_code == 404
    # one list seen from two sides: the register's analysed rows are the frame's stakeholder analysis
    frame = coordinator.get(f"/plans/{draft}")["frame"]
    assert [(s["name"], s["priority"]) for s in frame["situation"]["stakeholders"]] == [
        ("Kent Konseyi", "work_together"), ("Edremit Ziraat Odası", "consider")]
    coordinator.put(f"/plans/{draft}/frame", {**korfez.FRAME, "situation": {**korfez.FRAME["situation"], "stakeholders": [
        {"name": {"tr": "Kent Konseyi", "en": "City Council"}, "group": "city_council", "influence": 2,
         "importance": 2}]}})
    analysed = [s for s in coordinator.get(f"/plans/{draft}/stakeholders")["stakeholders"] if s["analysed"]]
    assert [(s["name"]["en"], s["priority"]) for s in analysed] == [("City Council", "watch")]
    refused = coordinator.request("PUT", f"/plans/{draft}/stakeholders", json={"stakeholders": [
        {"name": "İzmir Barosu", "group": "chamber", "municipality": "izmir", "influence": 1, "importance": 1}]})
    assert refused.status_code == 422 and "stakeholders[0].municipality" in refused.json()["errors"]
    assert [s["name"] for s in coordinator.get(f"/plans/{draft}")["frame"]["situation"]["stakeholders"]] == [
        {"tr": "Kent Konseyi", "en": "City Council"}]


def test_a_closed_consultation_refuses_inputs_and_stores_nothing(draft, coordinator, token_for, listen):
    lifecycle = listen("consultation", "consultation_opened", "consultation_closed")
    cid = coordinator.post(f"/plans/{draft}/consultations", workshop(), expect=201)["id"]
    opened = lifecycle.wait_for("consultation_opened", lambda b: b["payload"]["consultation"]["id"] == cid)
    assert opened["plan_id"] == draft
    closed = coordinator.post(f"/consultations/{cid}/close", {})
    assert closed["status"] == "closed"
    announced = lifecycle.wait_for("consultation_closed", lambda b: b["payload"]["consultation"]["id"] == cid)
    assert announced["payload"]["summary"]["total"] == 0
    response = token_for("planner", "havran").request("POST", f"/consultations/{cid}/inputs",
                                                      json=an_input("havran", 1))
    assert response.status_code == 409
    assert closed["closes_at"] in response.json()["detail"]
    assert coordinator.get(f"/consultations/{cid}/inputs") == []


def test_a_scheduled_consultation_says_when_it_opens(draft, coordinator, token_for):
    cid = coordinator.post(f"/plans/{draft}/consultations", workshop(opens_at=at(30), closes_at=at(90)),
                           expect=201)["id"]
    response = token_for("planner", "gomec").request("POST", f"/consultations/{cid}/inputs", json=an_input("gomec", 1))
    assert response.status_code == 409 and "opens at" in response.json()["detail"]
    assert coordinator.post(f"/consultations/{cid}/open", {})["status"] == "open"
    assert token_for("planner", "gomec").request("POST", f"/consultations/{cid}/inputs",
                                                 json=an_input("gomec", 1)).status_code == 201


def test_bad_inputs_are_refused_with_their_field(draft, coordinator, token_for):
    cid = coordinator.post(f"/plans/{draft}/consultations", workshop(themes=["T1", "T2"], sessions=[]),
                           expect=201)["id"]
    planner = token_for("planner", "ayvalik")
    response = planner.request("POST", f"/consultations/{cid}/inputs", json=an_input("ayvalik", 1, theme="T7"))
    assert response.status_code == 422 and "theme" in response.json()["errors"]
    response = planner.request("POST", f"/consultations/{cid}/inputs",
                               json={**an_input("ayvalik", 1, theme="T1"), "kind": "wish"})
    assert response.status_code == 422 and "kind" in response.json()["errors"]
    response = planner.request("POST", f"/consultations/{cid}/inputs",
                               json=an_input("ayvalik", 1, theme="T1") | {"text": "x" * 6000})
    assert response.status_code == 422 and "text" in response.json()["errors"]
    assert coordinator.get(f"/consultations/{cid}/inputs") == []
    response = coordinator.request("POST", f"/plans/{draft}/consultations", json=workshop(themes=["T99"]))
    assert response.status_code == 422 and "themes[0]" in response.json()["errors"]


def test_public_comment_hides_contacts_and_stores_a_repeat_once(draft, coordinator, public, stack):
    cid = coordinator.post(f"/plans/{draft}/consultations",
                           workshop(kind="public_comment", public=True, sessions=[]), expect=201)["id"]
    body = an_input("edremit", 3, group="citizen")
    first = public.request("POST", f"/consultations/{cid}/inputs", json=body)
    assert first.status_code == 201
    again = dict(body, text={"tr": "  " + body["text"]["tr"].upper() + " "})  # same words, other spacing/case
    second = public.request("POST", f"/consultations/{cid}/inputs", json=again)
    assert second.status_code == 200 and second.json() == {"id": first.json()["id"], "duplicate": True}
    seen_by_public = public.get(f"/consultations/{cid}/inputs")
    assert len(seen_by_public) == 1 and "contact" not in seen_by_public[0]["stakeholder"]
    assert "contact" not in str(public.get(f"/consultations/{cid}/summary"))
    assert coordinator.get(f"/consultations/{cid}/inputs")[0]["stakeholder"]["contact"] == "+90 266 000 0003"
    # a consultation for the plan's municipalities takes no anonymous input
    closed = coordinator.post(f"/plans/{draft}/consultations", workshop(), expect=201)["id"]
    assert public.request("POST", f"/consultations/{closed}/inputs", json=body).status_code == 401
    huge = public.request("POST", f"/consultations/{cid}/inputs", data=b'{"a": "' + b"x" * 70000 + b'"}',
                          headers={"Content-Type": "application/json"})
    assert huge.status_code == 413


def test_public_input_is_rate_limited_per_client(draft, coordinator, public):
    """Last in this module: it spends this client's allowance for the current minute."""
    cid = coordinator.post(f"/plans/{draft}/consultations",
                           workshop(kind="public_comment", public=True, sessions=[]), expect=201)["id"]
    statuses = []
    # the limit (30) counts in fixed minutes: posts that straddle a minute's end are counted in two,
    # so only 2 x 30 + 1 of them are sure to meet the refusal
    for n in range(2 * 30 + 1):
        response = public.request("POST", f"/consultations/{cid}/inputs", json=an_input("gomec", 100 + n))
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) > 0
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {201}
    assert len(coordinator.get(f"/consultations/{cid}/inputs")) == len(statuses) - 1
