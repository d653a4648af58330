"""The guide's rules for a joint plan, without RabbitMQ or a store."""
import copy
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.demo import korfez
from services.plan_registry import domain, schemas
from shared.errors import InvalidInput
from shared.validation import NUMBER_RULE, Problems, flatten, load

MUNICIPALITIES = {mid: {"parent": None, **m} for mid, m in korfez.MUNICIPALITIES.items()}


def demo_plan(contributions=True):
    plan = domain.new_plan(load(schemas.PlanCreateSchema(), korfez.PLAN), "2024-06-12T00:00:00Z")
    plan["frame"] = domain.with_priorities(load(schemas.FrameSchema(), korfez.FRAME))
    if contributions:
        for municipality, body in korfez.CONTRIBUTIONS.items():
            loaded = load(schemas.ContributionSchema(), body)
            plan["contributions"][municipality] = domain.normalized_contribution(plan, municipality, loaded)
    return plan


def problems_of(plan, municipality, body):
    problems = Problems()
    domain.contribution_problems(plan, municipality, load(schemas.ContributionSchema(), body), problems)
    return problems.errors


def test_the_demo_plan_is_valid_and_ready_for_adoption():
    plan = demo_plan()
    for municipality, body in korfez.CONTRIBUTIONS.items():
        assert problems_of(plan, municipality, body) == {}
    problems = Problems()
    domain.adoption_problems(plan, problems)
    assert problems.errors == {}


@pytest.mark.parametrize("influence, importance, priority", [
    (1, 1, "watch"), (2, 5, "consider"), (5, 2, "inform"), (3, 3, "work_together"), (5, 5, "work_together"),
])
def test_stakeholder_priority_follows_the_guide(influence, importance, priority):
    assert domain.stakeholder_priority(influence, importance) == priority


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value="0.01", max_value="100", places=2), min_size=1, max_size=6))
def test_weights_are_accepted_exactly_when_they_total_100(weights):
    plan = demo_plan()
    body = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    template = body["objectives"][0]["indicators"][0]
    body["objectives"][0]["indicators"] = [
        {**copy.deepcopy(template), "code": f"X{i}", "weight": float(w)} for i, w in enumerate(weights)]
    errors = problems_of(plan, "edremit", body)
    total = sum(Decimal(str(float(w))) for w in weights)
    assert ("objectives[0].indicators[*].weight" in errors) == (total != 100)


@given(st.sets(st.sampled_from(korfez.YEARS), max_size=4), st.lists(st.sampled_from(["2024", "2030"]), max_size=2))
def test_targets_must_cover_exactly_the_plan_years(missing, extra):
    plan = demo_plan()
    body = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    indicator = body["objectives"][0]["indicators"][1]
    for year in missing:
        del indicator["targets"][year]
    for year in extra:
        indicator["targets"][year] = 70
    errors = problems_of(plan, "edremit", body)
    flagged = {path.rsplit(".", 1)[1] for path in errors if path.startswith("objectives[0].indicators[1].targets.")}
    assert flagged == set(missing) | set(extra)


@pytest.mark.parametrize("calculation, baseline, targets, ok", [
    ("increase", 10, [11, 12, 13, 14, 15], True),
    ("increase", 10, [9, 9, 9, 9, 9], False),
    ("decrease", 10, [9, 8, 7, 6, 5], True),
    ("decrease", 10, [11, 12, 13, 14, 15], False),
    ("maintain", 95, [95] * 5, True),
    ("maintain", 95, [95, 95, 96, 95, 95], False),
    ("cumulative", 0, [10, 20, 30, 40, 50], True),
    ("cumulative", 0, [10, 20, 15, 40, 50], False),
    ("yearly", 10, [3, 1, 4, 1, 5], True),
])
def test_targets_fit_the_calculation_type(calculation, baseline, targets, ok):
    plan = demo_plan()
    body = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    body["objectives"][0]["indicators"][1].update(
        calculation=calculation, baseline=baseline, targets=dict(zip(korfez.YEARS, targets)))
    assert ("objectives[0].indicators[1].targets" not in problems_of(plan, "edremit", body)) == ok


def test_a_contribution_unit_must_match_its_regional_indicator():
    plan = demo_plan()
    body = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    green = next(i for o in body["objectives"] for i in o["indicators"] if i.get("contributes_to") == "BG1")
    green["unit"] = "ha"
    errors = problems_of(plan, "edremit", body)
    assert any("measured in 'm²'" in m for msgs in errors.values() for m in msgs)


def test_a_frame_change_cannot_pull_a_goal_from_under_an_objective():
    plan = demo_plan()
    frame = load(schemas.FrameSchema(), korfez.FRAME)
    frame["goals"] = frame["goals"][1:]
    problems = Problems()
    domain.frame_problems(plan, frame, problems)
    assert "goals" in problems.errors and "regional_indicators[0].goal" in problems.errors


@pytest.mark.parametrize("mid, body, field", [
    ("x", {"kind": "district", "parent": None}, "parent"),
    ("x", {"kind": "district", "parent": "ayvalik"}, "parent"),
    ("x", {"kind": "metropolitan", "parent": "balikesir"}, "parent"),
    ("balikesir", {"kind": "district", "parent": "ayvalik"}, "kind"),
    ("x", {"kind": "town", "parent": "ayvalik"}, None),
])
def test_municipality_hierarchy(mid, body, field):
    problems = Problems()
    domain.municipality_problems(mid, body, MUNICIPALITIES, problems)
    assert (field in problems.errors) if field else problems.errors == {}


def test_a_cycle_is_refused():
    municipalities = {"a": {"kind": "district", "parent": "b"}, "b": {"kind": "district", "parent": "a"}}
    problems = Problems()
    domain.municipality_problems("c", {"kind": "town", "parent": "a"}, municipalities, problems)
    assert any("cycle" in m for m in problems.errors["parent"])


def test_diff_names_what_changed():
    old = demo_plan()
    new = copy.deepcopy(old)
    new["contributions"]["havran"]["objectives"][0]["indicators"][0]["targets"]["2029"] = 1
    new["contributions"]["havran"]["objectives"].pop()
    new["status"] = "adopted"
    result = domain.diff(old, new)
    assert result["status"] == {"from": "draft", "to": "adopted"}
    assert result["objectives"]["removed"] == [{"code": "H3.5", "municipality": "havran"}]
    assert result["targets"] == [{"indicator": "PG9.1.1", "year": "2029", "from": 35, "to": 1}]


def test_shape_errors_come_with_flat_field_paths():
    with pytest.raises(InvalidInput) as caught:
        load(schemas.ContributionSchema(), {"objectives": [{"code": "H 1", "indicators": [{"weight": "50"}]}]})
    errors = caught.value.errors
    assert "objectives[0].code" in errors
    assert errors["objectives[0].indicators[0].weight"] == [NUMBER_RULE]
    assert "objectives[0].responsible_unit" in errors


def test_flatten_keeps_map_keys_and_list_positions_apart():
    assert flatten({"targets": {"2026": ["x"]}, "objectives": {0: {"code": ["y"]}}}) == {
        "targets.2026": ["x"], "objectives[0].code": ["y"]}


def test_text_rejects_nul_and_bidi_overrides():
    for bad in ("a\x00b", "abc\u202edcba"):
        with pytest.raises(InvalidInput):
            load(schemas.MunicipalitySchema(), {"name": bad, "kind": "metropolitan"})
    loaded = load(schemas.MunicipalitySchema(), {"name": {"fa": "شهرداری تهران"}, "kind": "metropolitan"})
    assert loaded["name"] == {"fa": "شهرداری تهران"}


def test_direction_fits_the_calculation_and_higher_is_better_never_keeps_a_zero_baseline():
    plan = demo_plan()
    body = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    works, satisfaction = body["objectives"][0]["indicators"]
    works.update(calculation="decrease", baseline=10, targets=dict(zip(korfez.YEARS, [10, 9, 8, 7, 6])),
                 direction="higher")
    satisfaction.update(calculation="yearly", baseline=0, targets=dict(zip(korfez.YEARS, [0, 1, 0, 1, 2])))
    errors = problems_of(plan, "edremit", body)
    assert "objectives[0].indicators[0].direction" in errors
    assert {"objectives[0].indicators[1].targets.2025", "objectives[0].indicators[1].targets.2027"} <= set(errors)
    assert "B = A = 0" in errors["objectives[0].indicators[1].targets.2025"][0]
    # lower-is-better may keep 0 (D is 100 at 0, else 0); a decrease is lower-is-better undeclared
    del works["direction"]
    satisfaction["direction"] = "lower"
    assert problems_of(plan, "edremit", body) == {}
    works.update(calculation="cumulative", baseline=0, targets=dict(zip(korfez.YEARS, [1, 2, 3, 4, 5])),
                 year_value="last")
    assert "objectives[0].indicators[0].year_value" in problems_of(plan, "edremit", body)


def test_a_contributor_to_a_ratio_uses_the_regional_scale():
    plan = demo_plan()
    body = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    answered = next(i for o in body["objectives"] for i in o["indicators"] if i.get("contributes_to") == "BG2")
    answered["ratio_scale"] = 1000
    errors = problems_of(plan, "edremit", body)
    assert any(path.endswith(".ratio_scale") for path in errors)
    answered["ratio_scale"] = 7
    assert any(path.endswith(".ratio_scale") for path in flatten_errors(body))


def flatten_errors(body):
    with pytest.raises(InvalidInput) as raised:
        load(schemas.ContributionSchema(), body)
    return raised.value.errors


def test_a_weighted_goal_rollup_needs_goal_weights_totalling_100_in_each_goal():
    plan = demo_plan()
    plan["settings"]["goal_rollup"] = "weighted"
    problems = Problems()
    domain.adoption_problems(plan, problems)
    assert "contributions.ayvalik.objectives[0].goal_weight" in problems.errors
    assert "objectives[0].goal_weight" in problems_of(plan, "ayvalik", korfez.CONTRIBUTIONS["ayvalik"])
    # A1 and A3 are served by all five districts, the others by one
    weights = {1: [30, 20, 20, 20, 10], 3: [20, 20, 20, 20, 15]}
    for municipality, contribution in plan["contributions"].items():
        for objective in contribution["objectives"]:
            goal = int(objective["goal"][1:])
            objective["goal_weight"] = weights[goal].pop(0) if goal in weights else 100
    problems = Problems()
    domain.adoption_problems(plan, problems)
    assert set(problems.errors) == {"goals.A3.goal_weight"}
    assert "total 95" in problems.errors["goals.A3.goal_weight"][0]


# -- every shape of cooperation --------------------------------------------------------------

SHAPES = {**MUNICIPALITIES,
          "bilecik": {"kind": "provincial", "parent": None},
          "tehran": {"kind": "metropolitan", "parent": None},
          "r1": {"kind": "district", "parent": "tehran"},
          "n1": {"kind": "sub_district", "parent": "r1"},
          "n2": {"kind": "sub_district", "parent": "r1"},
          "alborz": {"kind": "cooperation_body", "parent": None, "members": ["karaj", "nazarabad"]},
          "karaj": {"kind": "metropolitan", "parent": None},
          "nazarabad": {"kind": "town", "parent": None}}


def plan_body(coordinator, members):
    return {"id": "p", "coordinator": coordinator, "members": members, "calendar": "gregorian",
            "period": {"start": 2020, "end": 2024}, "themes": []}


@pytest.mark.parametrize("coordinator, members, errors", [
    ("bilecik", [], {}),                                    # a municipality alone (Bilecik 2020-2024)
    ("edremit", [], {}),                                    # a district's own statutory plan
    ("balikesir", ["ayvalik", "edremit"], {}),               # a metropolitan and its districts
    ("r1", ["n1", "n2"], {}),                                # a Tehran region and its sub-districts
    ("r1", ["edremit"], {"members[0]"}),                     # not one of the region's sub-units
    ("alborz", ["karaj", "nazarabad"], {}),                  # a body and its members, not children
    ("alborz", ["karaj", "edremit"], {"members[1]"}),        # not a member of the body
    ("nowhere", [], {"coordinator"}),
])
def test_who_may_coordinate_whom(coordinator, members, errors):
    problems = Problems()
    domain.plan_problems(plan_body(coordinator, members), SHAPES, problems)
    assert set(problems.errors) == set(errors)


def test_a_plan_without_members_is_adopted_on_the_coordinators_own_objectives():
    plan = demo_plan(contributions=False)
    plan["members"] = []
    loaded = load(schemas.ContributionSchema(), korfez.CONTRIBUTIONS["edremit"])
    for objective in loaded["objectives"]:
        objective["collaborators"] = []
    plan["contributions"]["balikesir"] = domain.normalized_contribution(plan, "balikesir", loaded)
    plan["frame"]["goals"] = [g for g in plan["frame"]["goals"] if g["code"] in ("A1", "A3", "A5", "A6")]
    plan["frame"]["regional_indicators"] = []
    for objective in plan["contributions"]["balikesir"]["objectives"]:
        for indicator in objective["indicators"]:
            indicator["contributes_to"] = None
    problems = Problems()
    domain.adoption_problems(plan, problems)
    assert problems.errors == {}
    assert load(schemas.PlanCreateSchema(), {**korfez.PLAN, "members": []})["members"] == []


@pytest.mark.parametrize("mid, body, field", [
    ("alborz", {"kind": "cooperation_body", "parent": None, "members": ["karaj", "edremit"]}, None),  # across provinces
    ("alborz", {"kind": "cooperation_body", "parent": None, "members": ["karaj", "alborz"]}, "members[1]"),
    ("alborz", {"kind": "cooperation_body", "parent": None, "members": ["karaj", "nowhere"]}, "members[1]"),
    ("alborz", {"kind": "cooperation_body", "parent": None, "members": ["karaj", "karaj"]}, "members[1]"),
    ("alborz", {"kind": "cooperation_body", "parent": "karaj", "members": []}, "parent"),
    ("karaj", {"kind": "metropolitan", "parent": None, "members": ["fardis"]}, "members"),
    ("n3", {"kind": "sub_district", "parent": "r1"}, None),
    ("n3", {"kind": "sub_district", "parent": None}, "parent"),
    ("n3", {"kind": "sub_district", "parent": "tehran"}, "parent"),
])
def test_cooperation_bodies_have_members_and_sub_districts_a_district(mid, body, field):
    problems = Problems()
    domain.municipality_problems(mid, {"members": None, **body}, SHAPES, problems)
    assert set(problems.errors) == ({field} if field else set())


def alborz_plan():
    from ops.demo import alborz
    plan = domain.new_plan(load(schemas.PlanCreateSchema(), alborz.PLAN), "2024-05-01T00:00:00Z")
    plan["frame"] = domain.with_priorities(load(schemas.FrameSchema(), alborz.FRAME))
    return plan


def test_a_plan_of_goals_and_strategies_is_adopted_on_its_frame_alone():
    plan = alborz_plan()
    assert [len(g["strategies"]) for g in plan["frame"]["goals"]] == [1, 0, 1, 1, 3, 1, 2]   # nine
    assert plan["frame"]["goals"][4]["strategies"][1]["code"] == "S5.2"
    problems = Problems()
    domain.adoption_problems(plan, problems)
    assert problems.errors == {}
    # a member's contribution is optional, and its objectives may have no indicator
    body = {"objectives": [{"code": "K1", "goal": "A2", "title": "GIS", "responsible_unit": "IT",
                            "indicators": []}]}
    assert problems_of(plan, "karaj", body) == {}
    # with indicators required (the default) the same plan is not ready
    plan["settings"]["indicators_required"] = True
    problems = Problems()
    domain.adoption_problems(plan, problems)
    assert "goals.A1" in problems.errors and "contributions.karaj" in problems.errors
    assert "objectives[0].indicators" in problems_of(plan, "karaj", body)


def test_a_strategy_code_is_used_once_in_a_frame():
    from ops.demo import alborz
    plan = alborz_plan()
    frame = load(schemas.FrameSchema(), alborz.FRAME)
    frame["goals"][1]["strategies"] = [{"code": "S1.1", "text": "again"}]
    problems = Problems()
    domain.frame_problems(plan, frame, problems)
    assert set(problems.errors) == {"goals[1].strategies[0].code"}


def test_a_cooperation_bodys_coordinator_speaks_for_the_body_alone():
    from shared.roles import is_participant, speaks_for
    plan = {"id": "p", "coordinator": "alborz", "members": ["karaj"], "coordinator_kind": "cooperation_body"}
    body, karaj = {"role": "coordinator", "municipality": "alborz"}, {"role": "planner", "municipality": "karaj"}
    assert is_participant(body, plan) and speaks_for(body, plan, "alborz")
    assert not speaks_for(body, plan, "karaj")                    # reads the member's part, never writes it
    assert speaks_for(karaj, plan, "karaj") and not speaks_for(karaj, plan, "alborz")
    metropolitan = {**plan, "coordinator_kind": "metropolitan"}
    assert speaks_for({"role": "coordinator", "municipality": "alborz"}, metropolitan, "karaj")


def test_each_members_council_decision_is_recorded_once():
    import datetime
    plan = demo_plan()
    decisions = [{"municipality": "edremit", "decision_no": "2024/88", "decision_date": datetime.date(2024, 11, 20)},
                 {"municipality": "balikesir", "decision_no": "x", "decision_date": datetime.date(2024, 11, 1)},
                 {"municipality": "edremit", "decision_no": "y", "decision_date": datetime.date(2024, 11, 1)},
                 {"municipality": "bornova", "decision_no": "z", "decision_date": datetime.date(2024, 11, 1)}]
    problems = Problems()
    domain.council_problems(plan, decisions, problems)
    assert set(problems.errors) == {"members[1].municipality", "members[2].municipality", "members[3].municipality"}
    plan = domain.record_councils(plan, [{**decisions[0], "municipality": "balikesir", "decision_no": "2024/512"},
                                         decisions[0]], "2024-11-21T00:00:00Z")
    seen = domain.adopted_by(plan)
    assert [d["municipality"] for d in seen["adopted_by"]] == ["balikesir", "edremit"]
    assert seen["adopted_by"][1] == {"municipality": "edremit", "decision_no": "2024/88",
                                     "decision_date": "2024-11-20", "recorded_at": "2024-11-21T00:00:00Z"}
    assert seen["awaiting"] == ["ayvalik", "burhaniye", "gomec", "havran"]


CITY = {"id": "city", "status": "adopted", "calendar": "solar_hijri", "coordinator": "tehran", "members": [],
        "parent_plan": None}


@pytest.mark.parametrize("changes, parent, lineage, fields", [
    ({}, CITY, [], set()),
    ({"coordinator": "n1"}, CITY, [], set()),                          # a sub-district of a region of the city
    ({"parent_plan": "r1-plan"}, CITY, [], {"parent_plan"}),            # its own parent
    ({}, CITY | {"parent_plan": "r1-plan"}, [], set()),
    ({}, CITY, ["r1-plan"], {"parent_plan"}),                           # its own ancestor: a cycle
    ({}, None, [], {"parent_plan"}),                                    # unknown
    ({}, CITY | {"status": "draft"}, [], {"parent_plan"}),              # not adopted
    ({"calendar": "gregorian"}, CITY, [], {"calendar"}),                # another calendar
    ({"coordinator": "edremit"}, CITY, [], {"coordinator"}),            # not in the city's plan
])
def test_a_plan_cascades_from_an_adopted_plan_of_the_same_calendar(changes, parent, lineage, fields):
    data = {"id": "r1-plan", "coordinator": "r1", "members": [], "calendar": "solar_hijri",
            "parent_plan": "city", **changes}
    problems = Problems()
    domain.cascade_problems(data, parent, lineage, SHAPES, problems)
    assert set(problems.errors) == fields


def test_a_goal_serves_a_goal_of_the_parent_plan():
    frame = {"goals": [{"code": "B1", "serves": "A1"}, {"code": "B2", "serves": "A9"}, {"code": "B3", "serves": None}]}
    problems = Problems()
    domain.serves_problems({"parent_plan": "city"}, frame, ["A1", "A2"], problems)
    assert set(problems.errors) == {"goals[1].serves"}
    problems = Problems()
    domain.serves_problems({"parent_plan": None}, frame, None, problems)
    assert set(problems.errors) == {"goals[0].serves", "goals[1].serves"}


def test_a_declared_range_holds_the_baseline_and_targets_of_a_level():
    plan = demo_plan()
    body = copy.deepcopy(korfez.CONTRIBUTIONS["edremit"])
    level = next(i for o in body["objectives"] for i in o["indicators"] if i["calculation"] != "cumulative")
    level["range"] = {"min": level["baseline"], "max": level["targets"]["2028"]}
    errors = problems_of(plan, "edremit", body)
    paths = [p for p in errors if p.endswith(".targets.2029")]
    assert len(paths) == 1 and "outside the indicator's range" in errors[paths[0]][0]
    level["range"] = {"min": None, "max": max(level["targets"].values())}
    assert problems_of(plan, "edremit", body) == {}
    level["range"] = {"min": 5, "max": 1}
    assert any(path.endswith(".range.max") for path in flatten_errors(body))
    # a cumulative indicator's range bounds each period's amount, not the running total
    flow = next(i for o in body["objectives"] for i in o["indicators"] if i["calculation"] == "cumulative")
    level["range"] = None
    flow["range"] = {"min": 0, "max": 1}       # PG1.3.1: targets of 16,000 m² and more, readings of a period
    assert problems_of(plan, "edremit", body) == {}


def _tehran(plan, frame, contributions):
    plan = {**copy.deepcopy(plan), "status": "adopted", "frame": copy.deepcopy(frame),
            "contributions": copy.deepcopy(contributions), "revisions": []}
    plan["frame"].setdefault("regional_indicators", [])
    return plan


def test_a_parent_version_that_moves_a_served_goal_is_flagged_to_the_child():
    from ops.demo import tehran
    city = _tehran(tehran.CITY_PLAN, tehran.CITY_FRAME, tehran.CITY_CONTRIBUTIONS)
    r1 = _tehran(tehran.REGION_PLANS["tehran-r1"], tehran.REGION_FRAMES["tehran-r1"], {})
    r2 = _tehran(tehran.REGION_PLANS["tehran-r2"], tehran.REGION_FRAMES["tehran-r2"], {})
    assert domain.parent_change_flags(city, copy.deepcopy(city), r1, 4, 9) == []
    updated = copy.deepcopy(city)
    updated["contributions"]["tehran"]["objectives"][1]["indicators"][0]["targets"]["1403"] = 35   # H2 serves A2
    flags = domain.parent_change_flags(city, updated, r1, 4, 9)
    assert flags == [{"parent_plan": tehran.CITY_PLAN_ID, "parent_goal": "A2", "served_by": ["B2"],
                      "from_version": 4, "to_version": 9, "change": "changed",
                      "what": {"objectives": {"added": [], "removed": [], "changed": ["H2"]},
                               "targets": [{"indicator": "T2", "year": "1403", "from": 30, "to": 35}]}}]
    assert [f["served_by"] for f in domain.parent_change_flags(city, updated, r2, 4, 9)] == [["C1"]]
    removed = copy.deepcopy(updated)
    removed["frame"]["goals"] = removed["frame"]["goals"][:1]
    assert [(f["parent_goal"], f["change"]) for f in domain.parent_change_flags(city, removed, r1, 4, 9)] == [
        ("A2", "removed")]
    retitled = copy.deepcopy(city)
    retitled["frame"]["goals"][0]["title"] = {"fa": "خدمات", "en": "Services"}
    assert [(f["parent_goal"], f["what"]) for f in domain.parent_change_flags(city, retitled, r1, 4, 9)] == [
        ("A1", {"goal": ["title"]})]


def test_a_flag_stays_open_until_acknowledged_or_a_new_version_is_adopted():
    from ops.demo import tehran
    city = _tehran(tehran.CITY_PLAN, tehran.CITY_FRAME, tehran.CITY_CONTRIBUTIONS)
    r1 = _tehran(tehran.REGION_PLANS["tehran-r1"], tehran.REGION_FRAMES["tehran-r1"], {})
    removed = copy.deepcopy(city)
    removed["frame"]["goals"] = []
    flags = domain.parent_change_flags(city, removed, r1, 4, 9)
    plan, added = domain.with_parent_changes(r1, flags, "2026-01-01T00:00:00Z")
    assert [(f["n"], f["parent_goal"], f["open"]) for f in added] == [(1, "A1", True), (2, "A2", True)]
    assert domain.with_parent_changes(plan, flags, "2026-01-02T00:00:00Z") is None     # a redelivered event
    assert "goal A1 of parent plan tehran-1401-1404 removed (version 4 to 9), served by B1" in \
        domain.parent_change_text(added)
    assert domain.parent_change_problem(plan, 3)[0] == "missing"
    assert domain.parent_change_problem(plan, 1) is None
    plan = domain.closed_parent_changes(plan, {1}, {"by": "acknowledged", "version": 12})
    assert domain.parent_change_problem(plan, 1)[0] == "closed"
    assert [f["n"] for f in domain.for_reader(plan, True)["parent_changes"]] == [2]
    assert "parent_changes" not in domain.for_reader(plan, False)
    plan = domain.closed_parent_changes(plan, None, {"by": "adoption", "version": 13})
    assert domain.for_reader(plan, True)["parent_changes"] == []
    assert [f["closed"]["by"] for f in plan["parent_changes"]] == ["acknowledged", "adoption"]


def test_the_situation_analysis_of_a_plan_and_its_municipalities_is_one_list():
    plan = demo_plan()
    plan["contributions"]["edremit"]["objectives"][0].update(needs=["Soğuk hava deposu"], theme="T6")
    own = {**copy.deepcopy(plan), "id": "edremit-own", "coordinator": "edremit", "members": [], "contributions": {}}
    own["frame"]["situation"] = {"needs": ["Kıyı yolu"], "swot": {"opportunities": ["AB hibe çağrısı"]},
                                 "pestle": [{"factor": "economic", "text": "Turizm", "effect": "opportunity"}]}
    items = domain.situation_items(plan, [own])
    mine = [(i["municipality"], i["theme"], i["kind"], i["text"]) for i in items if i["source"]["plan"] == "edremit-own"]
    assert mine == [("edremit", None, "need", "Kıyı yolu"), ("edremit", None, "opportunity", "AB hibe çağrısı"),
                    ("edremit", None, "opportunity", "Turizm")]
    objective = [i for i in items if i["source"].get("objective")]
    assert [(i["municipality"], i["theme"], i["kind"]) for i in objective] == [("edremit", "T6", "need")]
    frame = [i for i in items if i["source"] == {"plan": plan["id"], "part": "situation.swot.strengths"}]
    assert [i["municipality"] for i in frame] == [plan["coordinator"]] and frame[0]["kind"] == "strength"


def test_an_objective_links_records_of_the_plans_bank_each_once():
    contribution = {"objectives": [{"bank": ["b1", "b2", "b1"]}, {"bank": []}, {}]}
    problems = Problems()
    domain.bank_link_problems(contribution, {"b1": {"kind": "need"}}, problems)
    assert set(problems.errors) == {"objectives[0].bank[1]", "objectives[0].bank[2]"}


# -- a district's objectives counted in its own plan ---------------------------------------------------

def own_plan():
    """Ayvalık's own plan (ops/demo/korfez.py), its frame written, nothing contributed yet."""
    plan = domain.new_plan(load(schemas.PlanCreateSchema(), korfez.OWN_PLAN), "2024-12-01T00:00:00Z")
    plan["frame"] = domain.with_priorities(load(schemas.FrameSchema(), korfez.OWN_FRAME))
    return plan


def counted(plan, joint, body, version=4):
    loaded = load(schemas.ContributionSchema(), body)
    problems = Problems()
    domain.contribution_problems(plan, "ayvalik", loaded, problems)
    domain.reference_problems(plan, "ayvalik", loaded, {joint["id"]: joint}, problems)
    if problems.errors:
        return problems.errors
    loaded = domain.normalized_contribution(plan, "ayvalik", loaded)
    return domain.with_references(plan, "ayvalik", loaded, {joint["id"]: (version, joint)})


def test_a_referenced_objective_is_the_joint_plans_under_the_own_plans_goal():
    joint, plan = {**demo_plan(), "title": {"en": "Körfez"}}, own_plan()
    contribution = counted(plan, joint, korfez.OWN_CONTRIBUTION)
    h11 = contribution["objectives"][0]
    source = joint["contributions"]["ayvalik"]["objectives"][0]
    assert (h11["code"], h11["goal"], h11["theme"]) == ("H1.1", "A1", "T1")
    assert h11["title"] == source["title"] and h11["reported_in"] == {"plan": joint["id"], "version": 4,
                                                                      "title": {"en": "Körfez"}, "goal": "A1"}
    # its indicators feed the joint plan's regional indicators, not the own plan's
    assert source["indicators"][0]["contributes_to"] == "BG1" and h11["indicators"][0]["contributes_to"] is None
    assert [r["version"] for r in contribution["references"]] == [4, 4, 4]
    plan["contributions"]["ayvalik"] = contribution
    plan["counts_from"] = domain.sources_of(plan)
    assert plan["counts_from"] == [joint["id"]]
    problems = Problems()
    domain.adoption_problems(plan, problems)       # every goal served by a referenced objective
    assert problems.errors == {}
    view = domain.monitoring_view(plan)
    assert {i["reported_in"] for i in view["indicators"]} == {joint["id"]}
    # as written: the references again, never the copies (a workbook or a read sent back)
    written = domain.written_here(contribution)
    assert written["objectives"] == [] and [r["objective"] for r in written["references"]] == ["H1.1", "H2.1", "H3.1"]
    sent_back = load(schemas.ContributionSchema(), {"objectives": contribution["objectives"]})
    assert sent_back["objectives"] == [] and sent_back["references"] == korfez.OWN_CONTRIBUTION["references"]


def test_bad_references_are_named_at_their_field():
    joint, plan = demo_plan(), own_plan()
    own = {"code": "H1.1", "goal": "A1", "title": "Own", "responsible_unit": "Fen İşleri",
           "indicators": [{"code": "X1", "name": "x", "unit": "adet", "weight": 100, "baseline": 0,
                           "targets": {y: 1 for y in ("2025", "2026", "2027", "2028", "2029")},
                           "calculation": "increase", "class": "output"}]}
    errors = counted(plan, joint, {"objectives": [own], "references": [
        {"plan": joint["id"], "objective": "H1.1", "goal": "A1"},     # its code is this contribution's own
        {"plan": joint["id"], "objective": "H4.1", "goal": "A1"},     # Burhaniye's
        {"plan": joint["id"], "objective": "H2.1", "goal": "A7"},     # no goal A7 here
        {"plan": "elsewhere", "objective": "H2.1", "goal": "A2"}]})  # not an adopted plan
    assert set(errors) == {"references[0].code", "references[1].objective", "references[2].goal",
                           "references[3].plan"}
    persian = {**joint, "calendar": "solar_hijri"}
    assert set(counted(plan, persian, korfez.OWN_CONTRIBUTION)) == {"references[0].plan", "references[1].plan",
                                                                   "references[2].plan"}


def test_a_changed_referenced_objective_is_flagged_and_closed_when_taken():
    old, plan = demo_plan(), own_plan()
    plan["contributions"]["ayvalik"] = counted(plan, {**old, "title": "K"}, korfez.OWN_CONTRIBUTION, version=4)
    new = copy.deepcopy(old)
    new["contributions"]["ayvalik"]["objectives"][1]["indicators"][0]["targets"]["2029"] = 99
    del new["contributions"]["ayvalik"]["objectives"][2]
    flags = domain.reference_changes(old, new, plan, 4, 6)
    assert [(f["objective"], f["change"], f["served_by"]) for f in flags] == [("H2.1", "changed", ["A2"]),
                                                                             ("H3.1", "removed", ["A3"])]
    flagged, added = domain.with_parent_changes(plan, flags, "now")
    assert [f["n"] for f in added] == [1, 2]
    assert domain.with_parent_changes(flagged, flags, "later") is None          # a redelivery adds nothing
    assert "objective H2.1 of plan" in domain.parent_change_text(added)
    # taking the newer version closes its flag; the removed one stays open until read
    retaken = copy.deepcopy(flagged)
    retaken["contributions"]["ayvalik"]["references"][1]["version"] = 6
    closed = domain.taken_references(retaken, "then")
    assert [(f["n"], f["open"]) for f in closed["parent_changes"]] == [(1, False), (2, True)]
