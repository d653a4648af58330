"""A plan that follows others, in a real browser: Ayvalık's own plan counts its objectives of the
Körfez plan; when Körfez adopts versions that change them, Ayvalık's coordinator reads each change
on the dashboard, takes one into the plan and marks another as read."""
import copy
import secrets

from ops.demo import bilecik, korfez
from ops.processes import wait_until
from tests.stack import new_plan_id
from tests.web.test_workspace import log_in, make_person, serious, shot


def update(coordinator, plan_id, objective, year, target):
    """Körfez adopts an update that changes one target of one of Ayvalık's objectives."""
    coordinator.post(f"/plans/{plan_id}/revisions", {"kind": "update", "reason": "Targets revised"}, expect=201)
    current = coordinator.get(f"/plans/{plan_id}")["contributions"]["ayvalik"]["objectives"]
    body = {"objectives": [{k: v for k, v in o.items() if k not in ("inputs", "also_in")} for o in current]}
    found = next(o for o in body["objectives"] if o["code"] == objective)
    found["indicators"][0]["targets"][year] = target
    coordinator.put(f"/plans/{plan_id}/contributions/ayvalik", body)
    return coordinator.post(f"/plans/{plan_id}/adopt", korfez.ADOPTION)["version"]


def test_the_changes_of_a_followed_plan_are_read_taken_or_marked_as_read(page, region, admin, token_for):
    joint, joint_id = token_for("coordinator", korfez.COORDINATOR), new_plan_id()
    joint.post("/plans", {**copy.deepcopy(korfez.PLAN), "id": joint_id}, expect=201)
    joint.put(f"/plans/{joint_id}/frame", korfez.FRAME)
    for district, contribution in korfez.CONTRIBUTIONS.items():
        joint.put(f"/plans/{joint_id}/contributions/{district}", contribution)
    joint.post(f"/plans/{joint_id}/adopt", korfez.ADOPTION)
    own, own_id = token_for("coordinator", "ayvalik"), f"ayvalik-own-{secrets.token_hex(3)}"
    own.post("/plans", {**copy.deepcopy(bilecik.PLAN), "id": own_id, "coordinator": "ayvalik",
                        "title": {"tr": "Ayvalık Belediyesi 2025-2029 Stratejik Planı",
                                  "en": "Ayvalık Municipality Strategic Plan 2025-2029"},
                        "period": korfez.PLAN["period"]}, expect=201)
    own.put(f"/plans/{own_id}/frame", bilecik.FRAME)
    own.put(f"/plans/{own_id}/contributions/ayvalik", {"objectives": [], "references": [
        {"plan": joint_id, "objective": code, "goal": goal} for code, goal in
        (("H1.1", "A1"), ("H2.1", "A2"), ("H3.1", "A3"))]})

    def flags():
        return own.get(f"/plans/{own_id}").get("parent_changes") or []
    first = update(joint, joint_id, "H1.1", "2029", 45000)
    wait_until(lambda: len(flags()) == 1, 20, what="the first update flagged")

    chief = make_person(admin, "coordinator", "ayvalik")
    log_in(page, chief, expect=r"/workspace")
    page.goto(f"/workspace/plans/{own_id}?lang=en")
    section = page.locator("#changes").inner_text()
    assert f"version {first}" in section and "Objective H1.1 was changed." in section
    assert "It counts in this plan under goal A1." in section
    shot(page, "workspace-followed-changes-en")
    assert not serious(page)
    with page.expect_navigation():
        page.click("#take-changes")
    assert "now as those plans have them" in page.locator(".confirmation").inner_text()
    assert page.locator("#changes").count() == 0
    plan = own.get(f"/plans/{own_id}")
    [h11] = [o for o in plan["contributions"]["ayvalik"]["objectives"] if o["code"] == "H1.1"]
    assert h11["reported_in"]["version"] == first and h11["indicators"][0]["targets"]["2029"] == 45000
    assert plan.get("parent_changes") == []

    second = update(joint, joint_id, "H2.1", "2028", 99)
    wait_until(lambda: len(flags()) == 1, 20, what="the second update flagged")
    page.goto(f"/workspace/plans/{own_id}?lang=en")
    assert "Objective H2.1 was changed." in page.locator("#changes").inner_text()
    [flag] = flags()
    with page.expect_navigation():
        page.click(f"#acknowledge-{flag['n']}")
    assert "marked as read" in page.locator(".confirmation").inner_text()
    assert flags() == []
    # marked as read, not taken: Ayvalık's plan still counts H2.1 as it was
    [h21] = [o for o in own.get(f"/plans/{own_id}")["contributions"]["ayvalik"]["objectives"] if o["code"] == "H2.1"]
    assert h21["reported_in"]["version"] == first and h21["reported_in"]["version"] < second

    # both public pages say where the objective counts (once Ayvalık's plan is adopted)
    own.post(f"/plans/{own_id}/adopt", bilecik.ADOPTION)
    page.goto(f"/plans/{own_id}?lang=en")
    counted = page.locator("#objective-ayvalik-H1\\.1 .counts").inner_text()
    assert "Written and measured in" in counted and "entered there and count here too" in counted
    page.goto(f"/plans/{joint_id}?lang=en")
    assert "Also counts in" in page.locator("#objective-ayvalik-H1\\.1 .counts").inner_text()
    shot(page, "plan-also-counts-en")
