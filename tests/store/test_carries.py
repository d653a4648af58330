"""Later periods left to be figured together (carries): kept once per approval event, claimed by one
worker at a time, taken over once a claim runs out, and cleared only of what was figured."""
from services.monitoring.models import CarryClaim


def test_a_carry_is_kept_once_per_event_and_read_by_plan_oldest_first(monitoring_store):
    monitoring_store.carry("p", "e1", "2025-H1", {"I2", "I1"})
    monitoring_store.carry("p", "e1", "2025-H1", {"I2", "I1"})   # the same event delivered again
    monitoring_store.carry("p", "e2", "2026-H2", {"I3"})
    monitoring_store.carry("q", "e1", "2025-H2", {"I9"})          # the same event counted in another plan
    found = monitoring_store.carries("p")
    assert [(c.id, c.approved, c.indicators) for c in found] == [("p|e1", "2025-H1", ["I1", "I2"]),
                                                                 ("p|e2", "2026-H2", ["I3"])]
    assert {c.plan_id for c in monitoring_store.carries(fields={"plan_id": 1, "at": 1})} == {"p", "q"}

    monitoring_store.carry("p", "e3", "2027-H1", {"I1"})          # left while the first two were figured
    monitoring_store.carried(found)
    assert [c.id for c in monitoring_store.carries("p")] == ["p|e3"]
    assert [c.id for c in monitoring_store.carries("q")] == ["q|e1"]


def test_one_worker_at_a_time_claims_a_plans_carries_and_another_once_its_claim_runs_out(monitoring_store):
    assert monitoring_store.claim_carry("p", "w1", 60)
    assert not monitoring_store.claim_carry("p", "w2", 60)
    assert monitoring_store.claim_carry("q", "w2", 60)           # another plan's are free
    monitoring_store.release_carry("p", "w2")                     # not w2's to release
    assert not monitoring_store.claim_carry("p", "w2", 60)
    monitoring_store.release_carry("p", "w1")
    assert monitoring_store.claim_carry("p", "w2", 60)
    # w2 stopped without releasing it: once the claim has run out another takes it over
    CarryClaim._get_collection().update_one({"_id": "p"}, {"$set": {"until": 1.0}})
    assert monitoring_store.claim_carry("p", "w3", 60)
    assert not monitoring_store.claim_carry("p", "w1", 60)
