"""A synthetic region of any size, for the fault suite and the benchmarks.

A metropolitan municipality with ``districts`` districts on one 2020-2024 plan (every period of it
has begun, so every reading may be sent; readings are approved without four eyes); each district
contributes ``indicators`` cumulative indicators (five to an objective by default, weight 20 each, targets
2, 4, 6, 8, 10). Reading 1 every half-year meets every yearly target exactly, so the expected
figures are known without computing them: a year's realization is 100, the first half of its
k-th year (2k+1)/(2k+2) x 100.
"""
from datetime import date

START, END = 2020, 2024
YEARS = [str(y) for y in range(START, END + 1)]
GOALS = 10
PER_OBJECTIVE = 5


def municipalities(prefix, districts):
    metro = f"{prefix}-metro"
    found = {metro: {"name": f"{prefix} metropolitan", "kind": "metropolitan", "parent": None, "locale": "en",
                     "calendar": "gregorian"}}
    for n in range(1, districts + 1):
        found[f"{prefix}-d{n}"] = {"name": f"{prefix} district {n}", "kind": "district", "parent": metro,
                                   "locale": "en", "calendar": "gregorian"}
    return found


def plan(prefix, districts, plan_id=None):
    members = [f"{prefix}-d{n}" for n in range(1, districts + 1)]
    return {"id": plan_id or f"{prefix}-plan", "title": f"{prefix} joint plan", "coordinator": f"{prefix}-metro",
            "members": members, "period": {"start": START, "end": END}, "calendar": "gregorian",
            "themes": [{"code": f"T{g}", "name": f"Theme {g}"} for g in range(1, GOALS + 1)],
            "settings": {"cap_at_100": True, "goal_rollup": "mean", "off_track_threshold": 0,
                         "four_eyes": False}}


FRAME = {"mission": "Plan and measure together.", "vision": "A region that keeps its word.",
         "values": ["Participation"],
         "goals": [{"code": f"A{g}", "title": f"Goal {g}", "theme": f"T{g}"} for g in range(1, GOALS + 1)],
         "regional_indicators": []}


def indicator_codes(district_number, indicators):
    return [f"D{district_number}.{i}" for i in range(1, indicators + 1)]


def contribution(district_number, indicators, per_objective=PER_OBJECTIVE):
    """``per_objective`` indicators to an objective (a divisor of 100: their weights total 100)."""
    codes = indicator_codes(district_number, indicators)
    objectives = []
    for o in range(0, len(codes), per_objective):
        number = o // per_objective + 1
        objectives.append({
            "code": f"H{district_number}.{number}", "goal": f"A{(number - 1) % GOALS + 1}",
            "title": f"Objective {number} of district {district_number}", "responsible_unit": "Planning",
            "indicators": [{"code": code, "name": f"Indicator {code}", "unit": "count", "weight": 100 // per_objective,
                            "baseline": 0, "targets": {y: 2 * (i + 1) for i, y in enumerate(YEARS)},
                            "calculation": "cumulative"}
                           for code in codes[o:o + per_objective]]})
    return {"objectives": objectives}


def adoption():
    """Adopted today: no period that ended before is overdue."""
    return {"decision_no": "synthetic/1", "decision_date": date.today().isoformat()}


def readings(prefix, district_number, indicators, period, value=1):
    return [{"indicator": code, "municipality": f"{prefix}-d{district_number}", "period": period, "value": value}
            for code in indicator_codes(district_number, indicators)]


def expected_realization(period_key):
    """The plan's realization when every half-year's reading was 1."""
    year, _, half = period_key.partition("-")
    k = int(year) - START
    return 100.0 if half in ("", "H2") else (2 * k + 1) / (2 * k + 2) * 100


def half_years():
    return [f"{y}-H{h}" for y in YEARS for h in (1, 2)]


def create(client_for, admin, prefix, districts, indicators, plan_id=None, per_objective=PER_OBJECTIVE):
    """Register the region and adopt its plan through the public API; returns the plan id.
    ``client_for(role, municipality)`` gives an API client with such a token."""
    for mid, body in municipalities(prefix, districts).items():
        admin.put(f"/municipalities/{mid}", body)
    coordinator = client_for("coordinator", f"{prefix}-metro")
    body = plan(prefix, districts, plan_id)
    coordinator.post("/plans", body, expect=201)
    coordinator.put(f"/plans/{body['id']}/frame", FRAME)
    for n in range(1, districts + 1):
        coordinator.put(f"/plans/{body['id']}/contributions/{prefix}-d{n}", contribution(n, indicators, per_objective))
    coordinator.post(f"/plans/{body['id']}/adopt", adoption())
    return body["id"]
