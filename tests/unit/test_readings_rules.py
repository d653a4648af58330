"""A batch of readings is checked line by line: whatever JSON a client sends, the answer is a list
of problems by path, never an exception."""
from hypothesis import given, settings
from hypothesis import strategies as st

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
