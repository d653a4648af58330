"""The guide's rules for a joint plan, without RabbitMQ or a store."""
import copy
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.demo import korfez
from services.plan_registry import domain, schemas
from shared.errors import InvalidInput
from shared.validation import Problems, flatten, load

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
    assert errors["objectives[0].indicators[0].weight"] == ["Must be a number."]
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
