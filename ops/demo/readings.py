"""Demo readings of the Körfez plan: three half-years (2025-H1 to 2026-H1) of every indicator,
deterministic, some on track and some behind, so the public pages have progress to show.

    readings(plan) -> the body of POST /plans/{id}/readings
"""
import random

PERIODS = (("2025-H1", "2025"), ("2025-H2", "2025"), ("2026-H1", "2026"))


def readings(plan, periods=PERIODS, seed=2025):
    chance = random.Random(seed)
    ratio_fed = {r["code"] for r in (plan.get("frame") or {}).get("regional_indicators", [])
                 if r.get("aggregation") == "ratio"}
    out = []
    for municipality, contribution in sorted(plan["contributions"].items()):
        for objective in contribution["objectives"]:
            for indicator in objective["indicators"]:
                # each indicator has its own pace: from well behind to slightly ahead
                pace = chance.uniform(0.35, 1.1)
                for period, year in periods:
                    baseline, target = indicator["baseline"], indicator["targets"][year]
                    share = pace * (0.5 if period.endswith("H1") else 1.0)
                    value = round(baseline + (target - baseline) * share, 1)
                    reading = {"indicator": indicator["code"], "municipality": municipality, "period": period}
                    if indicator.get("contributes_to") in ratio_fed:
                        reading.update(numerator=round(value * 4), denominator=400)
                    else:
                        reading["value"] = value
                    out.append(reading)
    return {"readings": out}


def publish(admin, coordinator, plan_id, wait_until, municipalities=True):
    """A Körfez plan under ``plan_id``, adopted, with the readings above approved and figured (for
    the public pages' tests and benchmarks). ``admin`` registers the region when asked and submits
    the readings; the coordinator approves them (four eyes: not who submitted them)."""
    import copy

    from . import korfez

    if municipalities:
        for mid, body in korfez.MUNICIPALITIES.items():
            admin.put(f"/municipalities/{mid}", body)
    coordinator.post("/plans", {**copy.deepcopy(korfez.PLAN), "id": plan_id}, expect=201)
    coordinator.put(f"/plans/{plan_id}/frame", korfez.FRAME)
    for district, contribution in korfez.CONTRIBUTIONS.items():
        coordinator.put(f"/plans/{plan_id}/contributions/{district}", contribution)
    coordinator.post(f"/plans/{plan_id}/adopt", korfez.ADOPTION)
    wait_until(lambda: coordinator.request("GET", f"/plans/{plan_id}/progress?period=2026").status_code == 200,
               60, what="monitoring knows the adopted plan")
    plan = coordinator.get(f"/plans/{plan_id}")
    admin.request("POST", f"/plans/{plan_id}/readings", json=readings(plan), expect=202)
    for municipality in plan["contributions"]:
        for period, _ in PERIODS:
            coordinator.post(f"/plans/{plan_id}/readings/approve", {"municipality": municipality, "period": period})
    last = PERIODS[-1][0]
    wait_until(lambda: coordinator.get(f"/plans/{plan_id}/progress?period={last}")["plan"]["realization"] is not None,
               20, what=f"the figures of {last}")
    return plan
