"""The guide's realization formula and roll-ups against hand-worked examples."""
import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.monitoring import domain
from shared.calendars import parse_period
from shared.guide import direction_of, year_value_of


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
             "ratio_scale": 100, "weight": 50, "baseline": 95, "targets": {str(y): 95 for y in range(2025, 2030)},
             "calculation": "maintain", "contributes_to": "R-ans"},
            {"code": "ans0", "objective": "H1.1", "goal": "A1", "municipality": "d1", "name": "n", "unit": "%",
             "ratio_scale": 100, "weight": 0.0001, "baseline": 0, "targets": {str(y): 1 for y in range(2025, 2030)},
             "calculation": "yearly", "contributes_to": "R-ans"},
        ],
        "regional_indicators": [
            {"code": "R-ans", "goal": "A1", "name": "answered", "unit": "%", "aggregation": "ratio", "ratio_scale": 100,
             "baseline": 40,
             "targets": {str(y): 60 for y in range(2025, 2030)}, "calculation": "increase"},
        ],
    }


def test_increase_decrease_and_maintain():
    assert domain.realization(10, 20, 15) == 50
    assert domain.realization(100, 80, 90, "lower") == 50   # a decrease needs no special case
    assert domain.realization(95, 95, 90) == pytest.approx(94.7368, abs=1e-4)


def reached(calculation, baseline, series, key, **indicator):
    return domain.value_reached({"calculation": calculation, "baseline": baseline, **indicator}, series,
                                period(key), 2025)


def test_cumulative_adds_the_period_values_to_the_baseline():
    series = {"2025-H1": 3000, "2025-H2": 5000, "2026-H1": 4000}
    assert reached("cumulative", 0, series, "2025-H1") == (3000, [])
    assert reached("cumulative", 0, series, "2025") == (8000, [])
    assert reached("cumulative", 0, series, "2026-H1") == (12000, [])
    assert reached("cumulative", 0, series, "2026-H2") == (None, ["2026-H2"])   # not reported: missing, not zero
    figure = domain.indicator_figure(plan()["indicators"][2], series, period("2026-H1"), plan())
    assert (figure["A"], figure["B"], figure["C"], figure["D"]) == (0, 16000, 12000, 75.0)


def test_a_cumulative_indicator_never_counts_a_missing_period_as_zero():
    # 2025-H2 never approved: 2026-H1 is incomplete and says so, instead of 0 + 3000 + 4000
    series = {"2025-H1": 3000, "2026-H1": 4000}
    assert reached("cumulative", 0, series, "2026-H1") == (None, ["2025-H2"])
    assert reached("cumulative", 0, series, "2026") == (None, ["2025-H2", "2026-H2"])
    figure = domain.indicator_figure(plan()["indicators"][2], series, period("2026-H1"), plan())
    assert figure["C"] is None and figure["D"] is None and figure["capped"] is None and figure["band"] is None
    assert figure["incomplete"] and figure["missing_periods"] == ["2025-H2"]
    assert figure["reason"] == "No approved reading for 2025-H2."
    # a year reported by its own reading (annual monitoring) counts whole; a missing one is named by its year
    yearly = {"monitoring_frequency": "annual"}
    assert reached("cumulative", 100, {"2025": 50, "2026": 30}, "2026", **yearly) == (180, [])
    assert reached("cumulative", 100, {"2026": 30}, "2026", **yearly) == (None, ["2025"])


def test_incomplete_objective_goal_and_plan_say_why():
    approved = readings(inc__2026_H1=15, dec__2026_H1=90, ans0__2026_H1={"numerator": 1, "denominator": 2},
                        green1__2025_H1=3000, green1__2026_H1=4000,
                        ans1__2026_H1={"numerator": 95, "denominator": 100})
    figures = domain.compute_period(plan(), approved, period("2026-H1"))
    objectives = {o["code"]: o for o in figures["objectives"]}
    assert objectives["H1.1"]["incomplete"] is False and objectives["H1.1"]["reason"] is None
    h12 = objectives["H1.2"]
    assert h12["realization"] is None and h12["incomplete"] and h12["missing_indicators"] == ["green1"]
    assert h12["missing_periods"] == {"green1": ["2025-H2"]}
    assert h12["reason"] == "green1: No approved reading for 2025-H2."
    goal = figures["goals"][0]
    assert goal["realization"] is None and goal["incomplete"] and goal["missing_objectives"] == ["H1.2"]
    assert goal["reason"] == "Incomplete objectives: H1.2." and goal["missing_indicators"] == ["green1"]
    total = figures["plan"]
    assert total["realization"] is None and total["incomplete"] and total["missing_goals"] == ["A1"]
    assert total["reason"] == "Incomplete goals: A1." and total["missing_indicators"] == ["green1"]
    d2 = {m["municipality"]: m for m in figures["municipalities"]}["d2"]
    assert d2["realization"] is None and d2["incomplete"] and d2["missing_objectives"] == ["H1.2"]


def test_a_year_reads_its_second_half_for_a_level():
    series = {"2026-H1": 12, "2026-H2": 18}
    assert reached("increase", 10, series, "2026") == (18, [])
    assert reached("increase", 10, {"2026-H1": 12}, "2026") == (None, ["2026-H2"])


def test_year_value_sum_last_and_mean_make_the_year_and_its_second_half():
    series = {"2026-H1": 30, "2026-H2": 50}
    for how, year in (("sum", 80), ("last", 50), ("mean", 40)):
        assert reached("yearly", 0, series, "2026", year_value=how) == (year, [])
        assert reached("yearly", 0, series, "2026-H2", year_value=how) == (year, [])   # the year to date
        assert reached("yearly", 0, series, "2026-H1", year_value=how) == (30, [])
    assert reached("yearly", 0, {"2026-H2": 50}, "2026", year_value="sum") == (None, ["2026-H1"])
    assert reached("yearly", 0, {"2026-H2": 50}, "2026", year_value="last") == (50, [])
    assert reached("yearly", 0, {**series, "2026": 70}, "2026", year_value="sum") == (70, [])   # its own reading
    # defaults: cumulative sums its halves, every other calculation takes the year's end
    assert year_value_of({"calculation": "cumulative"}) == "sum"
    assert year_value_of({"calculation": "increase"}) == "last"
    assert year_value_of({"calculation": "cumulative", "year_value": "sum"}) == "sum"


def test_a_year_lacking_its_halves_names_them_or_the_year_by_how_it_is_monitored():
    assert domain.year_end({}, 2026, "sum", True) == (None, ["2026-H1", "2026-H2"])
    assert domain.year_end({}, 2026, "last", True) == (None, ["2026-H2"])
    assert domain.year_end({}, 2026, "sum", False) == (None, ["2026"])
    assert domain.year_end({"2026-H1": 3}, 2026, "mean", True) == (None, ["2026-H2"])
    # the second half's year to date: the year's own reading only once its halves cannot make it
    assert domain.year_end({"2026": 5, "2026-H1": 3, "2026-H2": 4}, 2026, "sum", True, prefer_year=False) == (7, [])
    assert domain.year_end({"2026": 7, "2026-H1": 3}, 2026, "sum", True, prefer_year=False) == (7, [])


def test_direction_never_flips_when_a_year_keeps_the_baseline():
    # B != A: the formula as it is, for either direction
    assert domain.realization(10, 20, 15, "higher") == 50
    assert domain.realization(100, 80, 90, "lower") == 50
    # B = A, higher is better: C / B x 100
    assert domain.realization(95, 95, 90, "higher") == pytest.approx(94.7368, abs=1e-4)
    # B = A, lower is better: B / C x 100 -- getting worse (110 days against 100) scores below 100
    assert domain.realization(100, 100, 110, "lower") == pytest.approx(90.9091, abs=1e-4)
    assert domain.realization(100, 100, 80, "lower") == 125
    assert domain.realization(100, 100, 0, "lower") == 100       # nothing left meets a target to keep
    # B = A = 0, lower is better: 0 is 100, anything above is 0
    assert domain.realization(0, 0, 0, "lower") == 100 and domain.realization(0, 0, 3, "lower") == 0
    # B = A = 0, higher is better: no answer (the registry refuses such targets)
    assert domain.realization(0, 0, 3, "higher") is None
    # undeclared, a decrease is lower-is-better and the rest higher-is-better
    assert direction_of({"calculation": "decrease"}) == "lower"
    assert direction_of({"calculation": "maintain"}) == "higher"
    assert direction_of({"calculation": "maintain", "direction": "lower"}) == "lower"


def test_a_decrease_whose_year_target_equals_its_baseline_scores_worse_below_100():
    p = plan()
    dec = p["indicators"][1]
    dec["targets"]["2026"] = 100                                  # 2026 keeps the baseline of 100 days
    worse = domain.indicator_figure(dec, {"2026-H1": 120}, period("2026-H1"), p)
    assert worse["direction"] == "lower" and worse["D"] == pytest.approx(83.3333, abs=1e-4)  # 100 / 120
    better = domain.indicator_figure(dec, {"2026-H1": 80}, period("2026-H1"), p)
    assert better["D"] == 125 and better["capped"] == 100
    lower_maintain = {**p["indicators"][3], "direction": "lower", "baseline": 5, "targets": {"2026": 5}}
    assert domain.indicator_figure(lower_maintain, {"2026-H1": 10}, period("2026-H1"), p)["D"] == 50


def test_a_ratio_uses_the_declared_scale_never_the_units_text():
    indicator = {"unit": "%"}
    reading = {"numerator": 45, "denominator": 50}
    assert domain.reading_value(reading, indicator) is None          # "%" alone says nothing
    assert domain.reading_value(reading, {**indicator, "ratio_scale": 100}) == 90
    assert domain.reading_value(reading, {"unit": "‰", "ratio_scale": 1000}) == 900
    assert domain.reading_value(reading, {"unit": "oran", "ratio_scale": 1}) == 0.9
    assert domain.reading_value({"value": 7}, indicator) == 7
    # the regional ratio uses the same scale: (45 + 30) / (50 + 100) x 1000
    p = plan()
    for code in ("ans1", "ans0"):
        next(i for i in p["indicators"] if i["code"] == code)["ratio_scale"] = 1000
    p["regional_indicators"][0].update(ratio_scale=1000, baseline=400, targets={str(y): 600 for y in range(2025, 2030)})
    approved = readings(ans1__2026_H1={"numerator": 45, "denominator": 50},
                        ans0__2026_H1={"numerator": 30, "denominator": 100})
    regional = domain.compute_period(p, approved, period("2026-H1"))["regional"][0]
    assert regional["C"] == 500 and regional["D"] == 50
    del p["regional_indicators"][0]["ratio_scale"]                  # undeclared: its contributors' common scale
    assert domain.compute_period(p, approved, period("2026-H1"))["regional"][0]["C"] == 500


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


def test_a_weighted_goal_weighs_objectives_by_their_declared_goal_weight_never_by_cost():
    p = plan(goal_rollup="weighted")
    p["objectives"][0].update(goal_weight=75, costs={"2026": "100000.00"})     # H1.1
    p["objectives"][1].update(goal_weight=25, costs={"2026": "900000.00"})     # H1.2: the cost is ignored
    approved = readings(inc__2026_H1=15, dec__2026_H1=90, ans0__2026_H1={"numerator": 1, "denominator": 1},
                        green1__2026_H1=16000, green1__2025_H1=0, green1__2025_H2=0,
                        ans1__2026_H1={"numerator": 95, "denominator": 100})
    figures = domain.compute_period(p, approved, period("2026-H1"))
    obj = {o["code"]: o["realization"] for o in figures["objectives"]}
    # H1.1 = 50 x 0.6 + 50 x 0.4 + 100 x 0.000001 = 50.0001; H1.2 = 100 x 0.5 + 100 x 0.5 = 100
    assert obj["H1.1"] == pytest.approx(50.0001, abs=1e-4) and obj["H1.2"] == 100
    assert figures["goals"][0]["realization"] == pytest.approx(50.0001 * 0.75 + 100 * 0.25, abs=1e-4)  # 62.5
    p["objectives"][1]["goal_weight"] = None                        # an undeclared weight: incomplete, and why
    goal = domain.compute_period(p, approved, period("2026-H1"))["goals"][0]
    assert goal["realization"] is None and goal["reason"] == "No goal_weight declared for H1.2."
    mean = domain.compute_period(plan(), approved, period("2026-H1"))["goals"][0]["realization"]
    assert mean == pytest.approx((50.0001 + 100) / 2, abs=1e-4)    # the default: the mean


def test_a_municipality_is_figured_from_its_own_objectives_only():
    p = plan()
    p["objectives"].append({"code": "H1.3", "goal": "A1", "municipality": "d1", "theme": "T1"})
    p["indicators"].append({"code": "own", "objective": "H1.3", "goal": "A1", "municipality": "d1", "name": "n",
                            "unit": "adet", "weight": 100, "baseline": 0, "targets": {"2026": 10},
                            "calculation": "increase"})
    approved = readings(inc__2026_H1=15, dec__2026_H1=90, ans0__2026_H1={"numerator": 1, "denominator": 1},
                        own__2026_H1=4, green1__2025_H1=0, green1__2025_H2=0, green1__2026_H1=16000,
                        ans1__2026_H1={"numerator": 95, "denominator": 100})
    figures = domain.compute_period(p, approved, period("2026-H1"))
    d1 = domain.for_municipality(p, figures, "d1")
    # d1: H1.1 = 50.0001, H1.3 = 40; its goal A1 is their mean, not the region's (which has H1.2 = 100)
    assert [o["code"] for o in d1["objectives"]] == ["H1.1", "H1.3"]
    assert {i["municipality"] for i in d1["indicators"]} == {"d1"}
    assert d1["goals"][0]["realization"] == pytest.approx((50.0001 + 40) / 2, abs=1e-4)
    assert d1["plan"]["realization"] == d1["goals"][0]["realization"]
    assert figures["goals"][0]["realization"] == pytest.approx((50.0001 + 100 + 40) / 3, abs=1e-4)
    assert d1["municipalities"] == [m for m in figures["municipalities"] if m["municipality"] == "d1"]
    assert d1["municipalities"][0]["realization"] == d1["plan"]["realization"]


def test_an_alert_at_a_half_year_compares_with_the_mid_year_expectation():
    p = plan()
    inc = {**p["indicators"][0], "baseline": 10, "targets": {"2025": 15, "2026": 20}}
    # 2026-H1, C = 16: 60 % of the year's target, but the plan expects 15 + 0.5 x (20 - 15) = 17.5 by
    # mid-year: (16 - 10) / (17.5 - 10) = 80 %, on track at the threshold of 70
    figure = domain.indicator_figure(inc, {"2026-H1": 16}, period("2026-H1"), p)
    assert figure["D"] == 60 and figure["D_midyear"] == 80
    assert domain.alert_realization(figure) == 80 and not domain.off_track(figure, 70)
    # the first year starts from the baseline: expected 10 + 0.5 x 5 = 12.5; C = 11 -> 40 %
    first = domain.indicator_figure(inc, {"2025-H1": 11}, period("2025-H1"), p)
    assert first["D_midyear"] == 40 and domain.off_track(first, 70)
    # the plan's own share: 0.4 -> expected 17; C = 16 -> 6 / 7
    shared = domain.indicator_figure(inc, {"2026-H1": 16}, period("2026-H1"), plan(midyear_share=0.4))
    assert shared["D_midyear"] == pytest.approx(85.7143, abs=1e-4)
    # a flow summed over the year: H1 is compared as half the year's flow (55 / 0.5 = 110 of 100 -> 120)
    flow = {**inc, "calculation": "yearly", "year_value": "sum", "baseline": 100, "targets": {"2026": 120}}
    assert domain.indicator_figure(flow, {"2026-H1": 55}, period("2026-H1"), p)["D_midyear"] == 50
    # the second half-year and the year compare with the year's target
    h2 = domain.indicator_figure(inc, {"2026-H2": 16}, period("2026-H2"), p)
    assert "D_midyear" not in h2 and domain.alert_realization(h2) == 60 and domain.off_track(h2, 70)


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
    assert domain.aggregate("weighted_mean", [(10, None, None, 1000), (20, None, None, None)]) is None


KEYS = [f"{y}{h}" for y in range(2025, 2028) for h in ("-H1", "-H2", "")]


def plan_of_every_kind(goal_rollup):
    """The fixture plan with indicators of both directions, a year that keeps the baseline, every
    year_value and a weighted mean regional indicator, so incremental figures meet them all."""
    p = plan(goal_rollup=goal_rollup)
    p["objectives"][0]["goal_weight"], p["objectives"][1]["goal_weight"] = 70, 30
    p["indicators"][1]["targets"]["2026"] = 100                      # dec: 2026 keeps its baseline
    p["indicators"] += [
        {"code": "low", "objective": "H1.2", "goal": "A1", "municipality": "d2", "name": "n", "unit": "adet",
         "weight": 0.0001, "baseline": 5, "targets": {str(y): 5 for y in range(2025, 2030)}, "calculation": "maintain",
         "direction": "lower", "year_value": "mean", "contributes_to": "R-score"},
        {"code": "zero", "objective": "H1.1", "goal": "A1", "municipality": "d1", "name": "n", "unit": "adet",
         "weight": 0.0001, "baseline": 0, "targets": {str(y): 0 for y in range(2025, 2030)}, "calculation": "maintain",
         "direction": "lower", "year_value": "sum", "contributes_to": "R-score"},
    ]
    p["regional_indicators"].append(
        {"code": "R-score", "goal": "A1", "name": "score", "unit": "adet", "aggregation": "weighted_mean",
         "baseline": 3, "targets": {str(y): 2 for y in range(2025, 2030)}, "calculation": "decrease"})
    # a cumulative regional sum of a district's yearly flow: its readings count in later years too
    p["indicators"][0]["contributes_to"] = "R-flow"
    p["regional_indicators"].append(
        {"code": "R-flow", "goal": "A1", "name": "flow", "unit": "adet", "aggregation": "sum", "baseline": 0,
         "targets": {str(y): 100 * (y - 2024) for y in range(2025, 2030)}, "calculation": "cumulative"})
    return p


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["inc", "dec", "green1", "ans1", "ans0", "low", "zero"]),
                          st.sampled_from(KEYS), st.integers(0, 200)), max_size=25),
       st.sampled_from(KEYS), st.data())
def test_incremental_figures_equal_a_full_recompute(batches, key, data):
    """Apply readings one approval at a time with update_period; the result equals compute_period,
    incomplete figures (missing periods, weights) and both directions included."""
    p = plan_of_every_kind(data.draw(st.sampled_from(["mean", "weighted"])))
    target = period(key)
    approved = {}
    figures = domain.compute_period(p, approved, target)
    for code, reading_key, value in batches:
        if code.startswith("ans"):
            reading = {"numerator": value, "denominator": value + data.draw(st.integers(1, 50))}
        else:
            reading = {"value": value, "weight": data.draw(st.sampled_from([None, 1, 3]))}
        approved[(code, reading_key)] = reading
        if target in domain.affected_periods(p, reading_key, bool(domain.carrying(p, {code}))):
            figures = domain.update_period(figures, p, copy.deepcopy(approved), target, {code})
    assert figures == domain.compute_period(p, approved, target)
    # the service figures a roll-up from each slice's objectives in brief: the same roll-up
    rollup, _ = domain.split(figures)
    briefs = [domain.brief(o) for o in figures["objectives"]]
    assert domain.rollup_figures(p, briefs, domain.by_indicator(approved), target) == rollup


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["inc", "dec", "green1", "ans1", "ans0", "low", "zero"]),
                          st.sampled_from(KEYS), st.integers(0, 200)), max_size=25),
       st.sampled_from(["2025", "2026", "2027"]), st.data())
def test_a_year_is_figured_as_its_second_half_unless_a_reading_names_the_year(batches, year, data):
    """The service figures a year and its second half once where figured_alike says so: their
    figures are equal then, every kind of indicator and the roll-up included; a reading of the
    year itself (which the year prefers to its halves) makes them two."""
    p = plan_of_every_kind(data.draw(st.sampled_from(["mean", "weighted"])))
    approved = {}
    for code, reading_key, value in batches:
        approved[(code, reading_key)] = ({"numerator": value, "denominator": value + 1} if code.startswith("ans")
                                         else {"value": value, "weight": 2})
    second, whole = period(f"{year}-H2"), period(year)
    alike = domain.figured_alike([second, whole, period(f"{year}-H1")], domain.by_indicator(approved))
    if any(key == year for _, key in approved):
        assert alike == {}
    else:
        assert alike == {second.key: year, year: second.key}
        assert domain.compute_period(p, approved, second) == domain.compute_period(p, approved, whole)


def test_the_twin_of_a_year_is_its_second_half_and_a_first_half_has_none():
    assert domain.twin(period("2026")) == period("2026-H2")
    assert domain.twin(period("1403-H2", "solar_hijri")) == period("1403", "solar_hijri")
    assert domain.twin(period("2026-H1")) is None
    # only twins both asked for are figured alike
    assert domain.figured_alike([period("2026-H2"), period("2027")], {}) == {}


# -- readings due ------------------------------------------------------------------------------
def due_plan(frequency="semiannual", calendar="gregorian", start=2025):
    return {"calendar": calendar, "period": {"start": start, "end": start + 4},
            "indicators": [{"code": "x", "monitoring_frequency": frequency}]}


def late(plan, approved, today, due_days, since=None):
    return domain.overdue(plan, approved, domain.due_periods(plan, today, due_days, since))


def test_a_half_year_is_overdue_the_day_after_its_due_date():
    from datetime import date
    plan = due_plan()
    # 2025-H1 ends 30 June; due 30 days later, 30 July
    assert late(plan, set(), date(2025, 7, 30), 30) == {}
    assert late(plan, set(), date(2025, 7, 31), 30) == {"x": ["2025-H1"]}
    assert late(plan, set(), date(2026, 8, 1), 30) == {"x": ["2025-H1", "2025-H2", "2026-H1"]}
    # an approved reading answers its period; only the others stay overdue
    assert late(plan, {("x", "2025-H2")}, date(2026, 8, 1), 30) == {"x": ["2025-H1", "2026-H1"]}
    # periods that ended before the plan was adopted are not due
    assert late(plan, set(), date(2026, 8, 1), 30, since=date(2025, 9, 1)) == {"x": ["2025-H2", "2026-H1"]}


def test_a_yearly_indicator_is_due_once_a_year_and_its_second_half_answers_it():
    from datetime import date
    plan = due_plan("annual")
    assert late(plan, set(), date(2026, 1, 30), 30) == {}     # due 30 January
    assert late(plan, set(), date(2026, 1, 31), 30) == {"x": ["2025"]}
    assert late(plan, {("x", "2025-H2")}, date(2026, 1, 31), 30) == {}
    assert late(plan, {("x", "2025")}, date(2026, 1, 31), 30) == {}


def test_only_the_sheets_of_due_periods_and_of_the_halves_of_due_years_are_read():
    from datetime import date
    due = domain.due_periods(due_plan(), date(2026, 1, 31), 30)
    assert [p.key for p in due[True]] == ["2025-H1", "2025-H2"] and [p.key for p in due[False]] == ["2025"]
    assert domain.answering_periods(due) == {"2025-H1", "2025-H2", "2025"}
    # a year due whose first half ended before the adoption: that half still answers the year
    due = domain.due_periods(due_plan(), date(2026, 1, 31), 30, since=date(2025, 9, 1))
    assert [p.key for p in due[True]] == ["2025-H2"] and domain.answering_periods(due) == {"2025-H1", "2025-H2", "2025"}
    assert domain.answering_periods(domain.due_periods(due_plan(), date(2025, 7, 30), 30)) == set()


def test_the_indicators_among_codes_come_in_the_plans_order():
    plan = {"indicators": [{"code": c, "municipality": "m"} for c in ("b", "a", "c")], "objectives": []}
    assert [i["code"] for i in domain.indicators_among(plan, {"c", "b", "zz"})] == ["b", "c"]


def test_solar_hijri_half_years_fall_due_after_31_shahrivar():
    from datetime import date
    plan = due_plan(calendar="solar_hijri", start=1401)
    # 1402-H1 ends 31 Shahrivar 1402 = 2023-09-22; with no grace it is due the next day
    found = late(plan, {(("x", k)) for k in ("1401-H1", "1401-H2")}, date(2023, 9, 23), 0)
    assert found == {"x": ["1402-H1"]}
    assert late(plan, {("x", "1401-H1"), ("x", "1401-H2")}, date(2023, 9, 22), 0) == {}


def test_a_stored_reading_out_of_range_makes_no_figure_and_blocks_no_other():
    """Readings stored before bounds existed (or written by hand) never make a non-finite figure:
    theirs is missing, every other figure is computed, and the whole document is finite JSON."""
    import json
    approved = readings(inc__2026_H1=1e308, dec__2026_H1=90,
                        ans1__2026_H1={"numerator": 1e308, "denominator": 1e-300},
                        ans0__2026_H1={"numerator": 30, "denominator": 100})
    figures = domain.compute_period(plan(), approved, period("2026-H1"))
    by_code = {f["code"]: f for f in figures["indicators"]}
    assert by_code["inc"]["D"] is None and by_code["ans1"]["C"] is None and by_code["ans1"]["missing"]
    assert by_code["dec"]["D"] == 50.0 and by_code["ans0"]["C"] == 30.0
    assert figures["regional"][0]["C"] is None        # a contributor's value is not computable
    json.dumps(figures, allow_nan=False)              # raises on inf or NaN


def test_four_eyes_names_the_readings_the_approver_submitted_itself():
    pending = [{"indicator": "inc", "submitted_by": {"token_id": "tok_a"}},
               {"indicator": "dec", "submitted_by": {"token_id": "tok_b"}},
               {"indicator": "ans0", "submitted_by": None}]                  # stored before submitters were kept
    assert domain.own_submissions(pending, {"token_id": "tok_a", "role": "planner"}) == ["inc"]
    assert domain.own_submissions(pending, {"token_id": "tok_c", "role": "coordinator"}) == []
    assert domain.own_submissions(pending, {"token_id": "tok_a"}, four_eyes=False) == []


def test_four_eyes_holds_for_people_who_log_in_too():
    submitter = {"token_id": None, "person_id": "usr_a", "username": "ayse", "role": "planner", "municipality": "edremit"}
    pending = [{"indicator": "inc", "submitted_by": domain.who(submitter)},
               {"indicator": "dec", "submitted_by": {"token_id": "tok_b"}}]
    assert domain.who(submitter)["username"] == "ayse"
    assert domain.own_submissions(pending, submitter) == ["inc"]
    other = {"token_id": None, "person_id": "usr_b", "username": "mehmet", "role": "planner", "municipality": "edremit"}
    assert domain.own_submissions(pending, other) == []


# -- cascades ------------------------------------------------------------------------------------

def _tehran_view(body, frame, contributions):
    from services.plan_registry import domain as registry, schemas
    from shared.validation import load
    plan = registry.new_plan(load(schemas.PlanCreateSchema(), body), "2022-01-01T00:00:00Z")
    plan["frame"] = registry.with_priorities(load(schemas.FrameSchema(), frame))
    for municipality, contribution in contributions.items():
        plan["contributions"][municipality] = registry.normalized_contribution(
            plan, municipality, load(schemas.ContributionSchema(), contribution))
    plan["adoption"] = {"decision_no": "1", "decision_date": "2022-06-01"}
    return registry.monitoring_view(plan)


def _tehran_figures(view, key="1402-H1"):
    from ops.demo import tehran
    readings = {(code, key): {"value": value} for values in tehran.READINGS.values()
                for code, value in values.items()}
    return domain.compute_period(view, readings, domain.period_of(view, key))


def test_a_city_plan_rolls_up_its_region_plans_by_the_rules_of_a_joint_plan():
    """Hand-worked in ops/demo/tehran.py: the city alone 90, region 1 60, region 2 30, the city
    with its regions A1 65, A2 66.6667 and 65.8333."""
    from ops.demo import tehran
    city = _tehran_view(tehran.CITY_PLAN, tehran.CITY_FRAME, tehran.CITY_CONTRIBUTIONS)
    r1, r2 = (_tehran_view(tehran.REGION_PLANS[r], tehran.REGION_FRAMES[r], tehran.REGION_CONTRIBUTIONS[r])
              for r in tehran.REGIONS)
    alone = _tehran_figures(city)
    assert alone["plan"]["realization"] == pytest.approx(90)
    r1_rolled = domain.with_children(r1, _tehran_figures(r1), [])
    assert r1_rolled["plan"]["realization"] == pytest.approx(60)
    rolled = domain.with_children(city, alone, [{"plan": r1, "figures": r1_rolled},
                                                {"plan": r2, "figures": domain.with_children(r2, _tehran_figures(r2),
                                                                                            [])}])
    goals = {g["code"]: g["realization"] for g in rolled["goals"]}
    assert goals == {"A1": pytest.approx(65), "A2": pytest.approx(66.6667, abs=1e-4)}
    assert rolled["plan"]["realization"] == pytest.approx(65.8333, abs=1e-4)
    assert {(o["plan"], o["code"], o["goal"], o.get("own_goal")) for o in rolled["objectives"]} >= {
        ("tehran-r1-1401-1404", "N1.1", "A1", "B1"), ("tehran-r2-1401-1404", "R1.1", "A2", "C1")}
    assert [(c["plan_id"], c["plan"]["realization"]) for c in rolled["children"]] == [
        ("tehran-r1-1401-1404", pytest.approx(60)), ("tehran-r2-1401-1404", pytest.approx(30))]
    assert {m["municipality"] for m in rolled["municipalities"]} == {"tehran", "tehran-r1-n1", "tehran-r1-n2",
                                                                      "tehran-r2"}
    # through any depth: region 1 under a district-level parent rolls up the same way one level higher
    nested = domain.with_children(city, alone, [{"plan": r1, "figures": domain.with_children(
        r1, _tehran_figures(r1), [])}])
    assert {g["code"]: g["realization"] for g in nested["goals"]} == {"A1": pytest.approx(65),
                                                                      "A2": pytest.approx(85)}
    # an incomplete child makes the goal it serves incomplete, as an incomplete district does
    missing = domain.compute_period(r2, {}, domain.period_of(r2, "1402-H1"))
    partial = domain.with_children(city, alone, [{"plan": r2, "figures": domain.with_children(r2, missing, [])}])
    assert partial["goals"][1]["realization"] is None and partial["plan"]["incomplete"]


def test_the_matrix_series_and_summary_read_the_same_figures():
    p = plan(goal_rollup="weighted")
    p["objectives"][0]["goal_weight"] = p["objectives"][1]["goal_weight"] = 100
    readings = {("inc", "2026-H1"): {"value": 18}, ("dec", "2026-H1"): {"value": 90},
                ("ans0", "2026-H1"): {"numerator": 1, "denominator": 100},
                ("green1", "2025-H1"): {"value": 3000}, ("green1", "2025-H2"): {"value": 5000},
                ("green1", "2026-H1"): {"value": 4000}, ("ans1", "2026-H1"): {"numerator": 95, "denominator": 100}}
    figures = {"period": period("2026-H1").as_dict(), **domain.compute_period(p, readings, period("2026-H1"))}
    by_objective = {o["code"]: o for o in figures["objectives"]}
    # each municipality's own goal figure: d1 has H1.1 only, d2 H1.2 only, by the plan's goal rule
    matrix = domain.matrix(p, figures)
    cells = {(c["goal"], c["municipality"]): c for c in matrix["cells"]}
    assert matrix["goals"] == ["A1"] and matrix["municipalities"] == ["d1", "d2"]
    assert cells[("A1", "d1")]["realization"] == by_objective["H1.1"]["realization"]
    assert cells[("A1", "d2")]["realization"] == by_objective["H1.2"]["realization"]
    assert cells[("A1", "d1")]["objectives"] == 1
    point = domain.series_point(figures)
    assert point["period"] == "2026-H1" and point["plan"]["realization"] == figures["plan"]["realization"]
    assert [g["code"] for g in point["goals"]] == ["A1"]
    assert {m["municipality"] for m in point["municipalities"]} == {"d1", "d2"}
    summary = domain.summary(figures)
    assert "indicators" not in summary and summary["objectives"] == figures["objectives"]
    assert summary["plan"] == figures["plan"]


def test_periods_between_are_of_one_kind_and_in_order():
    p = plan()
    assert [x.key for x in domain.periods_between(p, "2025-H2", "2026-H2")] == ["2025-H2", "2026-H1", "2026-H2"]
    assert [x.key for x in domain.periods_between(p, "2027", "2028")] == ["2027", "2028"]
    assert len(domain.periods_between(p)) == 10                         # every half-year of 2025-2029
    assert domain.periods_between(p, None, "2025-H2")[0].key == "2025-H1"
    for start, end in (("2026", "2026-H2"), ("2027-H1", "2026-H1")):
        with pytest.raises(ValueError):
            domain.periods_between(p, start, end)


def test_what_the_readings_of_a_year_say_of_deviations_and_measures_in_period_order():
    notes = {("PG1", "2026-H2"): {"deviation_reason": "Geç ihale", "measures": None},
             ("PG1", "2026-H1"): {"deviation_reason": "Yağış", "measures": "İkinci vardiya"},
             ("PG2", "2026-H1"): {"deviation_reason": None, "measures": None}}
    said = domain.said_in(notes, ["2026-H1", "2026-H2", "2026"])
    assert said == {"PG1": {"deviation_reasons": ["Yağış", "Geç ihale"], "measures": ["İkinci vardiya"]},
                    "PG2": {"deviation_reasons": [], "measures": []}}


# -- alerts open, restate and close by the rules, with no store ----------------------------------
def _figure(code, d, midyear=None):
    figure = {"code": code, "municipality": "edremit", "objective": "H1.1", "D": d}
    if midyear is not None:
        figure["D_midyear"] = midyear
    return figure


def test_threshold_alerts_open_once_close_on_recovery_and_ignore_what_is_not_figured():
    figures = [_figure("A", 50.0), _figure("B", 90.0), _figure("C", None), _figure("D", 40.0),
               _figure("E", 95.0, midyear=60.0), _figure("F", 10.0)]
    changes = domain.threshold_alerts(figures, affected={"A", "B", "C", "D", "E"}, open_codes={"B": 1, "D": 1},
                                      threshold=70, period_key="2026-H1")
    # A falls below (opens); B recovered (closes); C has no D; D is below and open already (nothing);
    # E is judged at mid-year against 60 (opens); F is not among the affected
    assert [(c, f["code"]) for c, f, _ in changes] == [("open", "A"), ("close", "B"), ("open", "E")]
    assert changes[0][2] == "Realization 50.0 % in 2026-H1 is below the plan's threshold 70 %."
    assert changes[2][2] == ("Realization 60.0 % of what the plan expects by mid-year in 2026-H1 is below the "
                             "plan's threshold 70 %.")


def test_overdue_alerts_open_restate_and_close_and_a_removed_indicator_owes_nothing():
    indicators = [{"code": c, "municipality": "edremit", "objective": "H1.1"} for c in ("A", "B", "C", "D")]
    late = {"A": ["2026-H1"], "B": ["2025-H2", "2026-H1"], "D": ["2026-H1"]}
    open_periods = {"B": ["2025-H2"], "C": ["2025-H2"], "D": ["2026-H1"], "X": ["2025-H2"]}
    changes = domain.overdue_alerts(indicators, late, open_periods, whole_plan=True)
    assert [(c, s if isinstance(s, str) else s["code"], p) for c, s, p in changes] == [
        ("close", "X", None),                          # left the plan in an update
        ("open", "A", ["2026-H1"]),
        ("restate", "B", ["2025-H2", "2026-H1"]),
        ("close", "C", None)]                          # D: late for what its alert says already
    # checking some indicators only (after an approval) never closes another's alert
    assert ("close", "X", None) not in domain.overdue_alerts(indicators, late, open_periods, whole_plan=False)
    assert domain.overdue_reason(["2025-H2", "2026-H1"]) == "No approved reading for 2025-H2, 2026-H1 after the due date."


def test_indicators_counted_from_another_plan_are_borrowed_from_it():
    plan = {"calendar": "gregorian", "period": {"start": 2025, "end": 2029}, "indicators": [
        {"code": "PG1.1.1", "municipality": "edremit", "reported_in": "korfez"},
        {"code": "PG1.1.2", "municipality": "edremit", "reported_in": "korfez"},
        {"code": "X1", "municipality": "edremit", "reported_in": None}]}
    assert domain.borrowed(plan) == {"korfez": {"PG1.1.1", "PG1.1.2"}}
    assert domain.within(plan, "2025-H1") and domain.within(plan, "2024") and domain.within(plan, "2029-H2")
    assert not domain.within(plan, "2030-H1")


def test_batches_keep_the_order_and_hold_at_most_their_weight():
    weights = [3, 4, 2, 9, 1, 1]
    found = list(domain.batches(weights, lambda w: w, 7))
    assert found == [[3, 4], [2], [9], [1, 1]]   # 9 alone: heavier than a batch may be
    assert [w for batch in found for w in batch] == weights
    assert list(domain.batches([], lambda w: w, 7)) == []


def test_a_plans_index_answers_as_a_scan_of_it_and_follows_a_plan_changed_in_shape():
    p = plan()
    found = domain.index(p)
    assert domain.index(p) is found                                   # made once per plan
    assert [i["code"] for i in found.indicators_of["d1"]] == ["inc", "dec", "ans0"]
    assert [o["code"] for o in found.objectives_of["d2"]] == ["H1.2"]
    assert domain.figured_municipalities(p) == ["d1", "d2"]
    assert domain.fed_by(p, {"ans1", "inc"}) == {"R-ans"}
    # looked up from the fewer: the codes or the indicators that feed one
    assert domain.fed_by(p, {"ans1", "inc", "dec", "unknown"}) == {"R-ans"} == domain.fed_by(p, ["inc", "ans0"])
    assert domain.fed_by(p, {"inc", "dec", "unknown"}) == set() == domain.fed_by(p, ())
    assert domain.regional_inputs(p, {"R-ans"}) == {"ans1", "ans0"}
    p["indicators"].append({**p["indicators"][0], "code": "inc3", "municipality": "d3", "objective": "H1.1"})
    assert domain.figured_municipalities(p) == ["d1", "d2", "d3"]    # an indicator more: indexed again
    same = copy.deepcopy(p)
    assert domain.index(same) is not domain.index(p)                 # another plan: an index of its own


def test_totals_group_the_objectives_once_and_figure_as_before():
    p = plan()
    objectives = [{"code": "H1.1", "goal": "A1", "municipality": "d1", "realization": 80.0, "goal_weight": None,
                   "missing_indicators": []},
                  {"code": "H1.2", "goal": "A1", "municipality": "d2", "realization": 40.0, "goal_weight": None,
                   "missing_indicators": []}]
    found = domain.totals(p, objectives)
    assert found["plan"]["realization"] == 60.0 and found["goals"][0]["realization"] == 60.0
    assert [(m["municipality"], m["realization"]) for m in found["municipalities"]] == [("d1", 80.0), ("d2", 40.0)]


def test_readings_carried_forward_reach_the_periods_after_their_year():
    p = plan()
    assert [x.key for x in domain.carried_periods(p, ["2027-H1"])] == ["2028-H1", "2028-H2", "2028", "2029-H1",
                                                                        "2029-H2", "2029"]
    assert [x.key for x in domain.carried_periods(p, ["2028", "2027-H2"])] == [
        x.key for x in domain.carried_periods(p, ["2027-H1"])]   # the earliest year decides
    assert domain.carried_periods(p, ["2029-H1"]) == []
    assert [x.key for x in domain.periods_among(p, {"2029", "2027-H1", "2031"})] == ["2027-H1", "2029"]


def test_only_cumulative_indicators_and_those_feeding_a_cumulative_regional_one_carry_forward():
    p = plan_of_every_kind("mean")
    kinds = {i["code"]: (i["calculation"], i.get("contributes_to")) for i in p["indicators"]}
    cumulative_regional = {r["code"] for r in p["regional_indicators"] if r["calculation"] == "cumulative"}
    carried = domain.carrying(p, set(kinds) | {"unknown"})
    assert carried == {c for c, (calculation, fed) in kinds.items()
                       if calculation == "cumulative" or fed in cumulative_regional}
    assert carried and carried != set(kinds)          # the plan has both kinds
    assert domain.carrying(p, set(kinds) - carried) == set()


def test_the_municipalities_that_report_indicators():
    p = plan()
    of = {i["code"]: i["municipality"] for i in p["indicators"]}
    one = next(iter(of))
    mine = {c for c in of if of[c] == of[one]}
    assert domain.reporting(p, {one, "unknown"}) == {of[one]}
    assert domain.reporting(p, set(of)) == set(of.values()) and len(set(of.values())) > 1
    assert domain.reported_by(p, mine | {"unknown"}, {of[one]})
    assert not domain.reported_by(p, set(of), {of[one]})
    assert domain.reported_by(p, {"unknown"}, set())


def test_a_kept_view_carries_its_index_and_plain_plans_share_a_few():
    kept = domain.View(plan())
    assert domain.index(kept) is kept.index and domain.index(kept) is domain.index(kept)
    plains = [plan() for _ in range(domain._INDEXES_KEPT + 3)]
    for p in plains:
        domain.index(p)
    assert len(domain._INDEXES) == domain._INDEXES_KEPT            # no more plain plans held than a few
    assert all(id(p) in domain._INDEXES for p in plains[-domain._INDEXES_KEPT:])


def test_figures_read_as_text_join_their_slices_in_the_plans_order_where_it_lists_each_district_together():
    import orjson
    interleaved = plan_of_every_kind("mean")   # its last two indicators: d2's, then d1's again
    grouped = copy.deepcopy(interleaved)
    grouped["indicators"].sort(key=lambda i: i["municipality"] == "d2")   # d1's first, then d2's
    approved = readings(inc__2026_H1=15, dec__2026_H1=90, low__2026_H1=4, zero__2026_H1=1)
    for p, joins in ((grouped, True), (interleaved, False)):
        figures = domain.compute_period(p, approved, period("2026-H1"))
        rollup, parts = domain.split(figures)
        stored = {m: {kind: orjson.dumps(part[kind]) for kind in part} for m, part in parts.items()}
        joined = domain.assemble_text(p, rollup, stored)
        if joins:
            assert orjson.loads(orjson.dumps({**joined, **{k: orjson.Fragment(joined[k]) for k in parts["d1"]}})) \
                == figures
        else:
            assert joined is None
    assert domain.index(grouped).runs == {"indicators": ["d1", "d2"], "objectives": ["d1", "d2"]}
    assert domain.index(interleaved).runs["indicators"] is None
    # a slice read without its indicators (level=summary) joins none
    figures = domain.compute_period(grouped, approved, period("2026-H1"))
    rollup, parts = domain.split(figures)
    joined = domain.assemble_text(grouped, rollup, {m: {"objectives": orjson.dumps(part["objectives"])}
                                                    for m, part in parts.items()})
    assert joined["indicators"] == b"[]" and orjson.loads(joined["objectives"]) == figures["objectives"]
