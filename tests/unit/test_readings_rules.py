"""A batch of readings is checked line by line: whatever JSON a client sends, the answer is a list
of problems by path, never an exception."""
from hypothesis import given, settings
from hypothesis import strategies as st

from services.monitoring import domain
from services.monitoring.readings import check_batch
from tests.unit.test_monitoring_domain import plan

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=8)
FIELD = st.sampled_from(["indicator", "municipality", "period", "value", "numerator", "denominator", "weight",
                         "note", "source", "$gt"])
LINE = st.dictionaries(FIELD, JSON | st.sampled_from(["inc", "d1", "2026-H1", 5]), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE | JSON, max_size=4))
def test_any_json_gives_problems_by_path_never_an_exception(lines):
    checked, problems, _ = check_batch(plan(), lines, lambda municipality: True)
    assert problems.errors or len(checked) == len(lines)
    assert all(path == "readings" or path.startswith("readings[") for path in problems.errors)


def test_operators_where_ids_go_are_named_as_bad_lines():
    line = {"indicator": {"$gt": ""}, "municipality": {"$ne": None}, "period": {"$gt": ""}, "value": {"$gt": 0}}
    _, problems, _ = check_batch(plan(), [line, line], lambda municipality: True)
    assert {"readings[0].indicator", "readings[0].period", "readings[0].value",
            "readings[1].indicator"} <= set(problems.errors)


def line(**fields):
    return {"indicator": "inc", "municipality": "d1", "period": "2026-H1", **fields}


def test_a_number_beyond_any_figure_is_refused_with_its_line():
    lines = [line(value=5), line(indicator="dec", value=1e308),
             line(indicator="ans0", numerator=1e308, denominator=1e-300),
             line(indicator="ans1", municipality="d2", numerator=1e15, denominator=1e-300)]
    _, problems, _ = check_batch(plan(), lines, lambda municipality: True)
    assert set(problems.errors) == {"readings[1].value", "readings[2].numerator", "readings[3].denominator"}
    assert "cannot be computed" in problems.errors["readings[3].denominator"][0]


def test_a_reading_that_overflows_against_a_target_near_its_baseline_is_refused():
    p = plan()
    p["indicators"][0].update(baseline=0, targets={"2026": 20, "2027": 1e-300})  # a hair above the baseline
    _, problems, _ = check_batch(p, [line(value=1e15)], lambda municipality: True)
    assert problems.errors["readings[0].value"][0].startswith("Indicator inc's realization cannot be computed")
    assert "2027" in problems.errors["readings[0].value"][0]


def test_a_ratio_without_a_declared_scale_is_refused_with_its_line():
    p = plan()
    del p["indicators"][3]["ratio_scale"]                   # ans1, in "%": the unit's text is not a scale
    _, problems, _ = check_batch(p, [line(indicator="ans1", municipality="d2", numerator=1, denominator=2)],
                                 lambda municipality: True)
    assert "declares no ratio_scale" in problems.errors["readings[0].numerator"][0]


def test_a_weighted_mean_regional_indicator_refuses_readings_without_a_weight():
    p = plan()
    p["regional_indicators"].append({"code": "R-w", "goal": "A1", "name": "w", "unit": "adet",
                                     "aggregation": "weighted_mean", "baseline": 1, "targets": {}})
    p["indicators"][0]["contributes_to"] = "R-w"
    _, problems, _ = check_batch(p, [line(value=3), line(indicator="dec", value=90),
                                     line(value=4, period="2026-H2", weight=1200)], lambda municipality: True)
    assert set(problems.errors) == {"readings[0].weight"}
    assert "R-w" in problems.errors["readings[0].weight"][0]


def test_a_period_that_has_not_begun_is_refused_and_persian_digits_are_understood():
    from datetime import date
    today = date(2026, 6, 30)
    checked, problems, _ = check_batch(plan(), [line(period="۲۰۲۶-H1", value=3), line(period="2026-H2", value=4),
                                                line(indicator="dec", period="2027", value=90)],
                                       lambda municipality: True, today)
    assert set(problems.errors) == {"readings[1].period", "readings[2].period"}
    assert "2026-H2 has not begun (it starts on 2026-07-01)" in problems.errors["readings[1].period"][0]
    assert checked[0]["period"] == "2026-H1"


def test_a_readings_trail_names_who_submitted_and_a_rejected_value_sent_again_waits_again():
    from services.monitoring.readings import merged
    a, b = {"token_id": "tok_a", "role": "planner", "municipality": "d1"}, {"token_id": "tok_b"}
    first = merged("p", None, {**line(value=5), "numerator": None, "denominator": None, "weight": None}, "b1", "t1", a)
    assert first["status"] == "submitted" and first["submitted_by"] == a
    assert first["trail"] == [{"action": "submitted", "by": a, "at": "t1", "batch": "b1", "value": 5,
                               "numerator": None, "denominator": None, "weight": None}]
    rejected = {**first, "status": "rejected", "rejected": {"by": b, "at": "t2", "reason": "unit"},
                "trail": [*first["trail"], {"action": "rejected", "by": b, "at": "t2", "reason": "unit"}]}
    again = merged("p", rejected, {**line(value=5), "numerator": None, "denominator": None, "weight": None},
                   "b2", "t3", a)
    assert again["status"] == "submitted" and again["rejected"] is None
    assert [t["action"] for t in again["trail"]] == ["submitted", "rejected", "submitted"]
    assert again["history"][0]["rejected"]["reason"] == "unit"


def test_a_reading_outside_its_indicators_declared_range_is_refused_with_its_line():
    p = plan()
    by_code = {i["code"]: i for i in p["indicators"]}
    by_code["inc"]["range"] = {"min": 0, "max": 50}
    by_code["ans1"]["range"] = {"min": 0, "max": 100}          # a share: numerator / denominator x 100
    lines = [line(value=50), line(indicator="inc", municipality="d1", period="2025-H2", value=51),
             line(indicator="ans1", municipality="d2", numerator=120, denominator=100),
             line(indicator="ans1", municipality="d2", period="2025-H2", numerator=95, denominator=100),
             line(indicator="dec", value=-7)]                # no range declared: only computability counts
    checked, problems, _ = check_batch(p, lines, lambda municipality: True)
    assert set(problems.errors) == {"readings[1].value", "readings[2].numerator"}
    assert "takes values in 0 … 50" in problems.errors["readings[1].value"][0]
    assert "not 120" in problems.errors["readings[2].numerator"][0]
    by_code["inc"]["range"] = {"min": 10, "max": None}        # an open end
    _, problems, _ = check_batch(p, [line(value=9), line(period="2025-H2", value=1e6)], lambda m: True)
    assert list(problems.errors) == ["readings[0].value"] and "10 … ∞" in problems.errors["readings[0].value"][0]


NUMBERS = st.floats(-1e15, 1e15) | st.sampled_from([0.0, 1e-300, -1e-300, 5e-281, 1e-280, 1e15, -1e15])


@settings(max_examples=500, deadline=None)
@given(baseline=NUMBERS, targets=st.lists(st.none() | NUMBERS, min_size=1, max_size=5),
       direction=st.sampled_from(["higher", "lower"]), value=NUMBERS)
def test_an_indicator_always_computable_computes_every_reading_within_range(baseline, targets, direction, value):
    """The batch check skips figuring the years of such an indicator: none of them may overflow."""
    indicator = {"baseline": baseline, "direction": direction,
                 "targets": {str(2025 + n): t for n, t in enumerate(targets)}}
    if domain.always_computable(indicator):
        assert domain.uncomputable_years(indicator, {"value": value}) == []


def test_an_indicator_that_keeps_its_baseline_or_comes_within_a_hair_of_it_is_checked_reading_by_reading():
    assert domain.always_computable({"baseline": 0, "targets": {"2026": 20, "2027": None}})
    assert not domain.always_computable({"baseline": 5, "targets": {"2026": 5}})   # lower-is-better: B / C
    assert not domain.always_computable({"baseline": 0, "targets": {"2026": 1e-300}})
    p = plan()
    p["indicators"][1].update(baseline=5, targets={"2026": 5, "2027": 5})   # dec, lower is better: B / C x 100
    _, problems, _ = check_batch(p, [line(indicator="dec", value=1e-310)], lambda municipality: True)
    assert "cannot be computed" in problems.errors["readings[0].value"][0]
