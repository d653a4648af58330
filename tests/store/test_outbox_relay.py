"""A write's own relay does not move the revision its caller's next change compares: the relay of
a write runs right after its answer, while that change may be on its way."""
from services.monitoring.models import Alert


def test_a_change_read_before_the_relay_is_still_written(monitoring_store):
    indicator = {"code": "I1", "municipality": "m", "objective": "H1"}
    monitoring_store.open_alert("p", "overdue", indicator, "2026-H1", "late",
                                [{"event_id": "e1", "type": "indicator_off_track"}], periods=["2026-H1"])
    read = monitoring_store.open_alerts("p", "overdue")["I1"]   # a change on its way has read the alert
    published = []
    monitoring_store.relay(lambda event_type, envelope: published.append(envelope["event_id"]), now=True)
    assert published == ["e1"] and Alert.objects(id=read.id).first().outbox == []
    monitoring_store.close_alert(read, [{"event_id": "e2", "type": "indicator_recovered"}])
    closed = Alert.objects(id=read.id).first()
    assert closed.status == "closed"
    # what it read of the outbox goes out again with its own event: consumers deduplicate e1
    monitoring_store.relay(lambda event_type, envelope: published.append(envelope["event_id"]))
    assert published == ["e1", "e1", "e2"] and Alert.objects(id=read.id).first().outbox_pending == 0


def test_the_timers_pass_relays_every_pending_event_a_page_at_a_time(monitoring_store):
    from shared import outbox
    for n in range(outbox.PAGE * 2 + 50):
        indicator = {"code": f"P{n}", "municipality": "m", "objective": "H1"}
        monitoring_store.open_alert("paged", "overdue", indicator, "2026-H1", "late",
                                    [{"event_id": f"p{n}", "type": "indicator_off_track"}], periods=["2026-H1"])
    published = []
    monitoring_store.relay(lambda event_type, envelope: published.append(envelope["event_id"]))
    assert sorted(published) == sorted(f"p{n}" for n in range(outbox.PAGE * 2 + 50))
    assert Alert.objects(outbox_pending__gt=0).first() is None
