"""Approvals applied by the timer (a big one answered 202, one a crash left half-applied): one
process claims each, and another takes it over only once the claim has run out."""
import time

from services.monitoring import dependencies
from services.monitoring.models import Approval, Sheet, pack


def _submitted(n):
    """A sheet of ``n`` readings submitted by batch b1."""
    readings = [{"_id": f"p|I{i}|d|2026-H1", "plan_id": "p", "municipality": "d", "period": "2026-H1",
                 "indicator": f"I{i}", "value": float(i), "status": "submitted", "batch": "b1", "trail": []}
                for i in range(n)]
    Sheet._get_collection().insert_one({"_id": Sheet.key("p", "d", "2026-H1"), "plan_id": "p", "municipality": "d",
                                        "period": "2026-H1", "rev": 0, "readings": pack(readings),
                                        "approved": pack({})})


def test_an_approval_left_to_the_timer_is_claimed_once_and_taken_over_after_its_claim_runs_out(monitoring_store):
    _submitted(3)
    pending = monitoring_store.pending("p", "d", "2026-H1")
    events = [{"event_id": "e1", "type": "readings_approved"}]
    approval = monitoring_store.approve("p", "d", "2026-H1", {"role": "coordinator"}, events, pending, now=False)
    assert approval.applied == 0 and monitoring_store.being_approved("p", "d", "2026-H1") == {r["_id"] for r in pending}
    assert monitoring_store.pending("p", "d", "2026-H1") == []   # nobody approves or rejects them again meanwhile

    claimed = monitoring_store.claim_approval()
    assert claimed.id == approval.id
    assert monitoring_store.claim_approval() is None   # another process's timer leaves it alone
    # that process stopped before applying it: once the claim runs out, the next timer takes it over
    Approval.objects(id=approval.id).update_one(set__claimed_until=time.time() - 1)
    again = monitoring_store.claim_approval()
    assert again.id == approval.id
    monitoring_store.apply_approval(again)
    stored = monitoring_store.readings("p")
    assert [(r["status"], [t["action"] for t in r["trail"]]) for r in stored] == [("approved", ["approved"])] * 3
    assert monitoring_store.claim_approval() is None and monitoring_store.being_approved("p", "d", "2026-H1") == set()
    assert monitoring_store.approval("p", approval.id).applied == 1
    # its event leaves once applied, and once only
    published = []
    monitoring_store.relay(lambda event_type, envelope: published.append(envelope["event_id"]))
    monitoring_store.relay(lambda event_type, envelope: published.append(envelope["event_id"]))
    assert published == ["e1"] and Approval.objects(id=approval.id).first().outbox_pending == 0


def test_an_approval_made_at_once_releases_its_event_once(monitoring_store):
    _submitted(1)
    pending = monitoring_store.pending("p", "d", "2026-H1")
    monitoring_store.approve("p", "d", "2026-H1", {}, [{"event_id": "e2", "type": "readings_approved"}], pending)
    published = []
    for _ in range(2):
        monitoring_store.relay(lambda event_type, envelope: published.append(envelope["event_id"]), now=True)
    assert published == ["e2"]


def test_an_approval_made_at_once_is_not_claimed_by_a_timer_meanwhile(monitoring_store):
    _submitted(2)
    pending = monitoring_store.pending("p", "d", "2026-H1")
    approval = Approval(id="apr_inline", plan_id="p", municipality="d", period="2026-H1",
                        indicators=pack(["I0", "I1"]), readings=pack([r["_id"] for r in pending]),
                        batches=pack(["b1", "b1"]), events=[], at="2026-07-01",
                        claimed_until=time.time() + dependencies.ANSWERING_CLAIM_SECONDS)
    approval.save(force_insert=True)   # as approve(now=True) writes it, before it applies it
    assert monitoring_store.claim_approval() is None
