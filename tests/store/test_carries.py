"""Periods left to be figured together (carries): kept once per approval event, claimed by one
worker at a time, taken over once a claim runs out, and cleared only of what was figured."""
from services.monitoring.models import Carry, CarryClaim


def test_a_carry_is_kept_once_per_event_and_read_by_plan_oldest_first(monitoring_store):
    monitoring_store.carry("p", "e1", [({"I2", "I1"}, ["2025-H2", "2025"]), ({"I1"}, ["2026-H1"])])
    monitoring_store.carry("p", "e1", [({"I2", "I1"}, ["2025-H2", "2025"]), ({"I1"}, ["2026-H1"])])   # again
    monitoring_store.carry("p", "e2", [({"I3"}, ["2026"]), (set(), ["2027"]), ({"I3"}, [])])   # nothing left: none
    monitoring_store.carry("q", "e1", [({"I9"}, ["2025"])])          # the same event counted in another plan
    found = monitoring_store.carries("p")
    assert [(c.id, c.indicators, c.periods) for c in found] == [
        ("p|e1|0", ["I1", "I2"], ["2025-H2", "2025"]), ("p|e1|1", ["I1"], ["2026-H1"]), ("p|e2|0", ["I3"], ["2026"])]
    assert {c.plan_id for c in monitoring_store.carries(fields={"plan_id": 1, "at": 1})} == {"p", "q"}
    # those naming one period, as an approval and a read ask for them
    assert [c.id for c in monitoring_store.carries("p", period="2025")] == ["p|e1|0"]
    assert [c.id for c in monitoring_store.carries("p", fields={"at": 1}, period="2026")] == ["p|e2|0"]
    assert monitoring_store.carries("p", period="2027") == [] and monitoring_store.carries("q", period="2026") == []

    # one period figured: taken from the carries that reach it, and a carry with none left goes
    monitoring_store.carried(found[:2], "2025-H2")
    monitoring_store.carried(found[1:2], "2026-H1")
    assert [(c.id, c.periods) for c in monitoring_store.carries("p")] == [("p|e1|0", ["2025"]), ("p|e2|0", ["2026"])]

    monitoring_store.carry("p", "e3", [({"I1"}, ["2026"])])          # left while the others were figured
    monitoring_store.carried(monitoring_store.carries("p")[:2], "2026")
    assert [(c.id, c.periods) for c in monitoring_store.carries("p")] == [("p|e1|0", ["2025"]), ("p|e3|0", ["2026"])]
    assert [c.id for c in monitoring_store.carries("q")] == ["q|e1|0"]
    monitoring_store.carried([], "2025")


def test_an_approvals_carry_of_the_period_it_figures_says_so_until_its_time_runs_out(monitoring_store):
    import time
    from services.monitoring import domain
    from services.monitoring.service import CARRY_FIELDS
    [own] = monitoring_store.carry("p", "e1", [({"I1"}, ["2025-H1", "2025-H2", "2025"]), ({"I1"}, ["2026"])],
                                   figuring="2025-H1", seconds=60)
    marked, later = sorted(monitoring_store.carries("p", fields=CARRY_FIELDS), key=lambda c: c.id)
    assert (own.id, own.indicators, own.periods, own.until) == (marked.id, ["I1"], marked.periods, marked.until)
    # kept with every part once the marked one is: known to the caller, nothing is written again
    Carry._get_collection().delete_one({"_id": later.id})
    monitoring_store.carry("p", "e1", [({"I1"}, ["2025-H1"]), ({"I1"}, ["2026"])], figuring="2025-H1", seconds=60,
                           known={own.id})
    assert [c.id for c in monitoring_store.carries("p")] == [own.id]
    monitoring_store.carry("p", "e1", [({"I1"}, ["2025-H1"]), ({"I1"}, ["2026"])], figuring="2025-H1", seconds=60)
    assert sorted(c.id for c in monitoring_store.carries("p")) == [own.id, later.id]   # not known: the missing part kept
    assert (marked.figuring, later.periods) == ("2025-H1", ["2026"]) and not hasattr(later, "figuring")
    assert time.time() + 55 < marked.until <= time.time() + 60
    now = time.time()
    assert domain.left_to_figure([marked], "2025-H1", now) == []            # its approval's to figure
    assert domain.left_to_figure([marked], "2025-H2", now) == [marked]      # the rest of its year: anyone's
    assert domain.left_to_figure([marked], "2025-H1", marked.until) == [marked]   # run out: a crash


def test_a_carry_an_earlier_release_wrote_names_the_periods_after_its_approved_year(monitoring_store):
    monitoring_store.keep_model({"id": "p", "calendar": "gregorian", "period": {"start": 2025, "end": 2026},
                                "indicators": [], "objectives": []}, 1, None)
    Carry._get_collection().insert_one({"_id": "p|e0", "plan_id": "p", "approved": "2025-H1", "indicators": ["I1"],
                                        "at": 1.0})   # written by a process of the release before
    assert monitoring_store.carries("p", fields={"at": 1}, period="2025-H2") == []
    assert [c.id for c in monitoring_store.carries("p", fields={"at": 1}, period="2026-H2")] == ["p|e0"]
    assert [(c.id, c.indicators, c.periods) for c in monitoring_store.carries("p")] == [
        ("p|e0", ["I1"], ["2026-H1", "2026-H2", "2026"])]
    assert [c.periods for c in monitoring_store.carries("p", fields={"periods": 1, "at": 1})] == [
        ["2026-H1", "2026-H2", "2026"]]
    # and so named in the store: figuring its periods takes them from it, and then it goes
    for key in ("2026-H1", "2026-H2", "2026"):
        monitoring_store.carried(monitoring_store.carries("p"), key)
    assert monitoring_store.carries("p") == []
    # of a plan monitoring does not hold: nothing to figure, so it goes
    Carry._get_collection().insert_one({"_id": "gone|e0", "plan_id": "gone", "approved": "2025-H1",
                                        "indicators": ["I1"], "at": 1.0})
    assert monitoring_store.carries("gone") == [] and not list(Carry._get_collection().find({"_id": "gone|e0"}))


def test_one_worker_at_a_time_claims_a_periods_carries_and_another_once_its_claim_runs_out(monitoring_store):
    assert monitoring_store.claim_carry("p|2025", "w1", 60)
    assert not monitoring_store.claim_carry("p|2025", "w2", 60)
    assert monitoring_store.claim_carry("p|2026", "w2", 60)      # another period's are free
    monitoring_store.release_carry("p|2025", "w2")                # not w2's to release
    assert not monitoring_store.claim_carry("p|2025", "w2", 60)
    monitoring_store.release_carry("p|2025", "w1")
    assert monitoring_store.claim_carry("p|2025", "w2", 60)
    # w2 stopped without releasing it: once the claim has run out another takes it over
    CarryClaim._get_collection().update_one({"_id": "p|2025"}, {"$set": {"until": 1.0}})
    assert monitoring_store.claim_carry("p|2025", "w3", 60)
    assert not monitoring_store.claim_carry("p|2025", "w1", 60)
