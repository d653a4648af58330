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
    pending, _ = monitoring_store.pending("p", "d", "2026-H1")
    events = [{"event_id": "e1", "type": "readings_approved"}]
    approval = monitoring_store.approve("p", "d", "2026-H1", {"role": "coordinator"}, events, pending, now=False)
    assert approval.applied == 0 and monitoring_store.being_approved("p", "d", "2026-H1") == {r["_id"] for r in pending}
    assert monitoring_store.pending("p", "d", "2026-H1")[0] == []   # nobody approves or rejects them again meanwhile

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
    pending, _ = monitoring_store.pending("p", "d", "2026-H1")
    approval = monitoring_store.approve("p", "d", "2026-H1", {}, [{"event_id": "e2", "type": "readings_approved"}],
                                        pending)
    published = []
    # its own relay, as the service's approve makes it: the timer's pass after it finds nothing left
    monitoring_store.relay(lambda event_type, envelope: published.append(envelope["event_id"]), now=True,
                           written=[monitoring_store.outbox_of(approval)])
    monitoring_store.relay(lambda event_type, envelope: published.append(envelope["event_id"]))
    assert published == ["e2"] and Approval.objects(id=approval.id).first().outbox_pending == 0


def test_an_approval_made_at_once_is_not_claimed_by_a_timer_meanwhile(monitoring_store):
    _submitted(2)
    pending, _ = monitoring_store.pending("p", "d", "2026-H1")
    approval = Approval(id="apr_inline", plan_id="p", municipality="d", period="2026-H1",
                        indicators=pack(["I0", "I1"]), readings=pack([r["_id"] for r in pending]),
                        batches=pack(["b1", "b1"]), events=[], at="2026-07-01",
                        claimed_until=time.time() + dependencies.ANSWERING_CLAIM_SECONDS)
    approval.save(force_insert=True)   # as approve(now=True) writes it, before it applies it
    assert monitoring_store.claim_approval() is None


def test_an_approval_written_to_a_sheet_that_changed_since_it_was_read_reads_it_again(monitoring_store):
    _submitted(2)
    pending, sheet = monitoring_store.pending("p", "d", "2026-H1")
    # meanwhile a correction of I1 is stored (another batch): the sheet read above is stale
    monitoring_store._rewrite("p", "d", "2026-H1", lambda readings: readings.update(
        {"p|I1|d|2026-H1": {**readings["p|I1|d|2026-H1"], "value": 9.0, "batch": "b2"}}) or 1)
    monitoring_store.approve("p", "d", "2026-H1", {}, [{"event_id": "e3", "type": "readings_approved"}], pending,
                             sheet=sheet)
    stored = {r["indicator"]: r for r in monitoring_store.readings("p")}
    # I0 approved; the corrected I1 is not (what was checked is not what is stored), and kept as corrected
    assert (stored["I0"]["status"], stored["I1"]["status"], stored["I1"]["value"]) == ("approved", "submitted", 9.0)
