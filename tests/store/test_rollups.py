"""A period's roll-up as a read takes it: the revisions of the slices it was figured from, without
their briefs; one written by the release before (briefs only) reads the same."""
from services.monitoring.models import Rollup, pack

BRIEFS = {"edremit": {"rev": 3, "objectives": [{"code": "H1", "realization": 80.0}]},
          "havran": {"rev": 0, "objectives": []}}


def test_a_read_takes_the_slices_revisions_without_the_briefs(monitoring_store):
    assert monitoring_store.rollup("p", "2026-H1") is None
    assert monitoring_store.save_rollup("p", "2026-H1", 2, {"plan": {"realization": 80.0}}, BRIEFS)
    read = monitoring_store.rollup("p", "2026-H1")
    assert (read.revs, read.figures, read.model_version, read.rev) == (
        {"edremit": 3, "havran": 0}, {"plan": {"realization": 80.0}}, 2, 0)
    assert not hasattr(read, "briefs")
    # a roll-up figured again keeps them with its briefs, by compare-and-set
    assert monitoring_store.save_rollup("p", "2026-H1", 2, {}, {**BRIEFS, "havran": {"rev": 1, "objectives": []}}, read)
    assert monitoring_store.rollup("p", "2026-H1").revs == {"edremit": 3, "havran": 1}
    # what a roll-up is figured from reads the briefs too
    assert monitoring_store.rollups("p", ["2026-H1"])["2026-H1"].briefs["havran"]["rev"] == 1


def test_a_roll_up_written_before_revisions_were_kept_reads_them_from_its_briefs(monitoring_store):
    Rollup._get_collection().insert_one({"_id": Rollup.key("p", "2026"), "plan_id": "p", "period": "2026",
                                         "model_version": 1, "rev": 4, "updated_at": "2026-12-01T00:00:00Z",
                                         "figures": pack({"plan": {}}), "briefs": pack(BRIEFS)})
    read = monitoring_store.rollup("p", "2026")
    assert (read.revs, read.rev, read.figures) == ({"edremit": 3, "havran": 0}, 4, {"plan": {}})
    Rollup._get_collection().insert_one({"_id": Rollup.key("p", "2025"), "plan_id": "p", "period": "2025",
                                         "model_version": 1, "rev": 0, "figures": pack({})})   # before briefs
    assert monitoring_store.rollup("p", "2025").revs == {}
