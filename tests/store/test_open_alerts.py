"""The open alerts an approval reads (twice: below the threshold, overdue), read raw: each of its kind
with what closing or restating it takes; one written before alerts had kinds is below the threshold."""
from services.monitoring.models import Alert

INDICATOR = {"code": "G1.1", "municipality": "edremit", "objective": "A1.1"}


def test_open_alerts_of_a_kind_are_read_with_what_closing_them_takes(monitoring_store):
    event = {"event_id": "e1", "type": "indicator_off_track"}
    monitoring_store.open_alert("p", "below_threshold", INDICATOR, "2026-H1", "below", [event], realization=40.0,
                                threshold=70)
    monitoring_store.open_alert("p", "overdue", {**INDICATOR, "code": "G1.2"}, "2026-H1", "late", [],
                                periods=["2025-H2", "2026-H1"])
    Alert._get_collection().insert_one({"_id": "p|G1.3|old", "plan_id": "p", "indicator": "G1.3", "status": "open"})
    Alert._get_collection().insert_one({"_id": "p|G1.4|closed", "plan_id": "p", "indicator": "G1.4",
                                        "status": "closed", "kind": "below_threshold"})

    below = monitoring_store.open_alerts("p", "below_threshold")
    assert sorted(below) == ["G1.1", "G1.3"]
    assert (below["G1.1"].municipality, below["G1.1"].rev, below["G1.1"].outbox) == ("edremit", 0, [event])
    assert (below["G1.3"].periods, below["G1.3"].outbox, below["G1.3"].objective) == ([], [], None)
    overdue = monitoring_store.open_alerts("p", "overdue")
    assert list(overdue) == ["G1.2"] and overdue["G1.2"].periods == ["2025-H2", "2026-H1"]
    assert monitoring_store.open_alerts("q", "overdue") == {}

    monitoring_store.close_alert(below["G1.1"], [{"event_id": "e2", "type": "indicator_recovered"}])
    closed = Alert.objects(id=below["G1.1"].id).first()
    assert (closed.status, [e["event_id"] for e in closed.outbox]) == ("closed", ["e1", "e2"])
    monitoring_store.restate_alert(overdue["G1.2"], ["2026-H1"], "late for 2026-H1")
    assert list(monitoring_store.open_alerts("p", "overdue")["G1.2"].periods) == ["2026-H1"]
