"""The guide's realization formula and roll-ups against hand-worked examples."""
import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.monitoring import domain
from shared.calendars import parse_period


def period(key, calendar="gregorian"):
    return parse_period(key, calendar)


def plan(**settings_):
    """Two districts, one goal with two objectives, and a ratio and a sum regional indicator."""
    years = {str(y): None for y in range(2025, 2030)}
    return {
        "id": "p", "calendar": "gregorian", "period": {"start": 2025, "end": 2029}, "coordinator": "metro",
        "members": ["d1", "d2"], "settings": {"cap_at_100": True, "goal_rollup": "mean", **settings_},
        "goals": [{"code": "A1", "theme": "T1"}],
        "objectives": [{"code": "H1.1", "goal": "A1", "municipality": "d1", "theme": "T1"},
                       {"code": "H1.2", "goal": "A1", "municipality": "d2", "theme": "T1"}],
        "indicators": [
            {"code": "inc", "objective": "H1.1", "goal": "A1", "municipality": "d1", "name": "n", "unit": "adet",
             "weight": 60, "baseline": 10, "targets": {**years, "2026": 20}, "calculation": "increase"},
            {"code": "dec", "objective": "H1.1", "goal": "A1", "municipality": "d1", "name": "n", "unit": "gün",
             "weight": 40, "baseline": 100, "targets": {**years, "2026": 80}, "calculation": "decrease"},
            {"code": "green1", "objective": "H1.2", "goal": "A1", "municipality": "d2", "name": "n", "unit": "m²",
             "weight": 50, "baseline": 0, "targets": {"2025": 8000, "2026": 16000, "2027": 24000, "2028": 32000,
                                                      "2029": 40000},
             "calculation": "cumulative", "contributes_to": None},
            {"code": "ans1", "objective": "H1.2", "goal": "A1", "municipality": "d2", "name": "n", "unit": "%",
             "weight": 50, "baseline": 95, "targets": {str(y): 95 for y in range(2025, 2030)},
             "calculation": "maintain", "contributes_to": "R-ans"},
            {"code": "ans0", "objective": "H1.1", "goal": "A1", "municipality": "d1", "name": "n", "unit": "%",
             "weight": 0.0001, "baseline": 0, "targets": {str(y): 1 for y in range(2025, 2030)},
             "calculation": "yearly", "contributes_to": "R-ans"},
        ],
        "regional_indicators": [
            {"code": "R-ans", "goal": "A1", "name": "answered", "unit": "%", "aggregation": "ratio", "baseline": 40,
             "targets": {str(y): 60 for y in range(2025, 2030)}, "calculation": "increase"},
        ],
    }


def test_increase_decrease_and_maintain():
    assert domain.realization(10, 20, 15) == 50
    assert domain.realization(100, 80, 90) == 50            # a decrease needs no special case
    assert domain.realization(95, 95, 90) == pytest.approx(94.7368, abs=1e-4)
    assert domain.realization(0, 0, 0) == 100 and domain.realization(0, 0, 3) == 0


def test_cumulative_adds_the_period_values_to_the_baseline():
    series = {"2025-H1": 3000, "2025-H2": 5000, "2026-H1": 4000}
    reached = lambda key: domain.value_reached("cumulative", 0, series, period(key), "gregorian", 2025)  # noqa: E731
    assert reached("2025-H1") == 3000
    assert reached("2025") == 8000
    assert reached("2026-H1") == 12000
    assert reached("2026-H2") is None                        # not reported: missing, not zero
    figure = domain.indicator_figure(plan()["indicators"][2], series, period("2026-H1"), plan())
    assert (figure["A"], figure["B"], figure["C"], figure["D"]) == (0, 16000, 12000, 75.0)


def test_a_year_reads_its_second_half_for_a_level():
    series = {"2026-H1": 12, "2026-H2": 18}
    assert domain.value_reached("increase", 10, series, period("2026"), "gregorian", 2025) == 18
    assert domain.value_reached("increase", 10, {"2026-H1": 12}, period("2026"), "gregorian", 2025) is None


def test_bands():
    assert [domain.band(x) for x in (120, 90, 70, 60, 50, 10, None)] == [
        "exceeding", "very_good", "good", "moderate", "weak", "very_weak", None]


def readings(**values):
    """(indicator, period) -> approved reading."""
    out = {}
    for name, value in values.items():
        code, key = name.rsplit("__", 1)
        out[(code, key.replace("_", "-"))] = value if isinstance(value, dict) else {"value": value}
    return out


def test_objective_goal_and_plan_roll_up_with_the_cap():
    p = plan()
    approved = readings(inc__2026_H1=22, dec__2026_H1=90, green1__2026_H1=4000, green1__2025_H2=5000,
                        green1__2025_H1=3000, ans1__2026_H1={"numerator": 90, "denominator": 100},
                        ans0__2026_H1={"numerator": 45, "denominator": 50})
    figures = domain.compute_period(p, approved, period("2026-H1"))
    ind = {f["code"]: f for f in figures["indicators"]}
    assert ind["inc"]["D"] == 120 and ind["inc"]["capped"] == 100 and ind["inc"]["band"] == "exceeding"
    assert ind["dec"]["D"] == 50
    assert ind["ans1"]["C"] == 90 and ind["ans1"]["D"] == pytest.approx(94.7368, abs=1e-4)
    obj = {o["code"]: o for o in figures["objectives"]}
    # H1.1: 100 x 0.6 + 50 x 0.4 + capped(ans0) x 0.000001
    assert obj["H1.1"]["realization"] == pytest.approx(60 + 20 + 100 * 0.0001 / 100, abs=1e-4)
    assert obj["H1.2"]["realization"] == pytest.approx(75 * 0.5 + 94.7368 * 0.5, abs=1e-3)
    goal = figures["goals"][0]["realization"]
    assert goal == pytest.approx((obj["H1.1"]["realization"] + obj["H1.2"]["realization"]) / 2, abs=1e-4)
    assert figures["plan"]["realization"] == goal
    uncapped = domain.compute_period(plan(cap_at_100=False), approved, period("2026-H1"))
    assert {o["code"]: o for o in uncapped["objectives"]}["H1.1"]["realization"] > obj["H1.1"]["realization"]


def test_a_weighted_goal_weighs_objectives_by_their_cost_for_the_year():
    p = plan(goal_rollup="weighted")
    p["objectives"][0]["costs"] = {"2026": "300000.00"}     # H1.1
    p["objectives"][1]["costs"] = {"2026": "100000.00"}     # H1.2
    approved = readings(inc__2026_H1=15, dec__2026_H1=90, ans0__2026_H1={"numerator": 1, "denominator": 1},
                        green1__2026_H1=16000, ans1__2026_H1={"numerator": 95, "denominator": 100})
    figures = domain.compute_period(p, approved, period("2026-H1"))
    obj = {o["code"]: o["realization"] for o in figures["objectives"]}
    assert figures["goals"][0]["realization"] == pytest.approx((obj["H1.1"] * 3 + obj["H1.2"]) / 4, abs=1e-4)
    assert obj["H1.1"] != obj["H1.2"]                          # so the weighting shows
    del p["objectives"][0]["costs"], p["objectives"][1]["costs"]
    mean = domain.compute_period(p, approved, period("2026-H1"))["goals"][0]["realization"]
    assert mean == pytest.approx((obj["H1.1"] + obj["H1.2"]) / 2, abs=1e-4)   # no costs: the mean


def test_a_ratio_regional_indicator_is_sum_over_sum_never_the_mean_of_percentages():
    p = plan()
    approved = readings(ans1__2026_H1={"numerator": 45, "denominator": 50},     # 90 %
                        ans0__2026_H1={"numerator": 30, "denominator": 100})    # 30 %
    regional = domain.compute_period(p, approved, period("2026-H1"))["regional"][0]
    assert regional["C"] == 50.0                      # 75 / 150, not (90 + 30) / 2 = 60
    assert regional["D"] == 50.0                      # (50 - 40) / (60 - 40)
    assert regional["missing_municipalities"] == []


def test_a_missing_reading_is_named_not_taken_as_zero():
    p = plan()
    figures = domain.compute_period(p, readings(inc__2026_H1=15, ans0__2026_H1={"numerator": 1, "denominator": 2}),
                                    period("2026-H1"))
    obj = {o["code"]: o for o in figures["objectives"]}
    assert obj["H1.1"]["realization"] is None and obj["H1.1"]["missing_indicators"] == ["dec"]
    assert figures["goals"][0]["realization"] is None and figures["plan"]["realization"] is None
    regional = figures["regional"][0]
    assert regional["C"] is None and regional["missing_municipalities"] == ["d2"]


def test_other_aggregations():
    values = [(10, None, None, 1000), (20, None, None, 3000)]
    assert domain.aggregate("sum", values) == 30
    assert domain.aggregate("mean", values) == 15
    assert domain.aggregate("weighted_mean", values) == 17.5


KEYS = [f"{y}{h}" for y in range(2025, 2028) for h in ("-H1", "-H2", "")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["inc", "dec", "green1", "ans1", "ans0"]), st.sampled_from(KEYS),
                          st.integers(1, 200)), max_size=25),
       st.sampled_from(KEYS), st.data())
def test_incremental_figures_equal_a_full_recompute(batches, key, data):
    """Apply readings one approval at a time with update_period; the result equals compute_period."""
    p = plan(goal_rollup=data.draw(st.sampled_from(["mean", "weighted"])))
    for objective, cost in zip(p["objectives"], ("300000.00", "100000.00")):
        objective["costs"] = {"2025": cost, "2026": cost, "2027": cost}
    target = period(key)
    approved = {}
    figures = domain.compute_period(p, approved, target)
    for code, reading_key, value in batches:
        reading = ({"numerator": value, "denominator": value + data.draw(st.integers(0, 50))}
                   if code.startswith("ans") else {"value": value})
        approved[(code, reading_key)] = reading
        if target in domain.affected_periods(p, reading_key):
            figures = domain.update_period(figures, p, copy.deepcopy(approved), target, {code})
    assert figures == domain.compute_period(p, approved, target)


# -- readings due ------------------------------------------------------------------------------
def due_plan(frequency="semiannual", calendar="gregorian", start=2025):
    return {"calendar": calendar, "period": {"start": start, "end": start + 4},
            "indicators": [{"code": "x", "monitoring_frequency": frequency}]}


def test_a_half_year_is_overdue_the_day_after_its_due_date():
    from datetime import date
    plan = due_plan()
    # 2025-H1 ends 30 June; due 30 days later, 30 July
    assert domain.overdue(plan, set(), date(2025, 7, 30), 30) == {}
    assert domain.overdue(plan, set(), date(2025, 7, 31), 30) == {"x": ["2025-H1"]}
    assert domain.overdue(plan, set(), date(2026, 8, 1), 30) == {"x": ["2025-H1", "2025-H2", "2026-H1"]}
    # an approved reading answers its period; only the others stay overdue
    assert domain.overdue(plan, {("x", "2025-H2")}, date(2026, 8, 1), 30) == {"x": ["2025-H1", "2026-H1"]}
    # periods that ended before the plan was adopted are not due
    assert domain.overdue(plan, set(), date(2026, 8, 1), 30, since=date(2025, 9, 1)) == {"x": ["2025-H2", "2026-H1"]}


def test_a_yearly_indicator_is_due_once_a_year_and_its_second_half_answers_it():
    from datetime import date
    plan = due_plan("annual")
    assert domain.overdue(plan, set(), date(2026, 1, 30), 30) == {}     # due 30 January
    assert domain.overdue(plan, set(), date(2026, 1, 31), 30) == {"x": ["2025"]}
    assert domain.overdue(plan, {("x", "2025-H2")}, date(2026, 1, 31), 30) == {}
    assert domain.overdue(plan, {("x", "2025")}, date(2026, 1, 31), 30) == {}


def test_solar_hijri_half_years_fall_due_after_31_shahrivar():
    from datetime import date
    plan = due_plan(calendar="solar_hijri", start=1401)
    # 1402-H1 ends 31 Shahrivar 1402 = 2023-09-22; with no grace it is due the next day
    late = domain.overdue(plan, {(("x", k)) for k in ("1401-H1", "1401-H2")}, date(2023, 9, 23), 0)
    assert late == {"x": ["1402-H1"]}
    assert domain.overdue(plan, {("x", "1401-H1"), ("x", "1401-H2")}, date(2023, 9, 22), 0) == {}
