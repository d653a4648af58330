"""What a monitoring process wrote last (a sheet of readings, a roll-up) it reads back as it wrote
it, without unpacking it again, only while the store still holds that write: another process's
write since is read from the store."""
from services.monitoring import dependencies
from services.monitoring.models import Rollup, Sheet, pack

BRIEFS = {"edremit": {"rev": 0, "objectives": [{"code": "H1", "realization": 80.0}]}}


def _spread(store, readings):
    def change(sheet):
        sheet.update(readings)
        return len(readings)
    store._rewrite("p", "d", "2026-H1", change)


def test_a_sheet_written_here_is_read_back_as_written_until_another_writes_it(monitoring_store):
    _spread(monitoring_store, {"r1": {"_id": "r1", "indicator": "I1", "status": "submitted", "value": 1.0}})
    key = Sheet.key("p", "d", "2026-H1")
    assert key in dependencies.SHEETS
    kept = dependencies.SHEETS[key][2]
    read = monitoring_store.sheet("p", "d", "2026-H1")
    assert read == {"rev": 0, "readings": {"r1": {"_id": "r1", "indicator": "I1", "status": "submitted", "value": 1.0}}}
    assert read["readings"]["r1"] is kept["r1"] and read["readings"] is not kept   # a copy the caller may change
    read["readings"]["r2"] = {}
    assert "r2" not in monitoring_store.sheet("p", "d", "2026-H1")["readings"]
    # another process corrects the reading: its write is what is read
    Sheet._get_collection().update_one({"_id": key}, {"$set": {"readings": pack([{"_id": "r1", "value": 2.0}]),
                                                               "updated_at": "2026-12-07T10:00:00.000Z"},
                                                      "$inc": {"rev": 1}})
    assert monitoring_store.sheet("p", "d", "2026-H1") == {"rev": 1, "readings": {"r1": {"_id": "r1", "value": 2.0}}}


def test_a_roll_up_written_here_is_read_back_as_written_until_another_writes_it(monitoring_store):
    assert monitoring_store.save_rollup("p", "2026-H1", 2, {"plan": {"realization": 80.0}}, BRIEFS)
    kept = monitoring_store.rollups("p", ["2026-H1", "2026-H2"])
    assert list(kept) == ["2026-H1"]
    read = kept["2026-H1"]
    assert (read.figures, read.briefs, read.revs, read.rev, read.model_version) == (
        {"plan": {"realization": 80.0}}, BRIEFS, {"edremit": 0}, 0, 2)
    read.rev = 99   # the caller's record, not the kept one
    assert monitoring_store.rollups("p", ["2026-H1"])["2026-H1"].rev == 0
    # written again by compare-and-set on what was read
    assert monitoring_store.save_rollup("p", "2026-H1", 2, {"plan": {"realization": 90.0}}, BRIEFS,
                                        monitoring_store.rollups("p", ["2026-H1"])["2026-H1"])
    assert monitoring_store.rollups("p", ["2026-H1"])["2026-H1"].figures == {"plan": {"realization": 90.0}}
    # another process writes it: the store's is read
    Rollup._get_collection().update_one({"_id": Rollup.key("p", "2026-H1")}, {
        "$set": {"figures": pack({"plan": {"realization": 10.0}}), "updated_at": "2026-12-07T10:00:00.000Z"},
        "$inc": {"rev": 1}})
    read = monitoring_store.rollups("p", ["2026-H1"])["2026-H1"]
    assert (read.figures, read.rev) == ({"plan": {"realization": 10.0}}, 2)


def test_a_sheet_bigger_than_what_is_kept_is_written_and_read_from_the_store(monitoring_store):
    small = {"r0": {"_id": "r0", "indicator": "I0", "status": "submitted"}}
    _spread(monitoring_store, small)
    key = Sheet.key("p", "d", "2026-H1")
    assert key in dependencies.SHEETS
    big = {f"r{i}": {"_id": f"r{i}", "indicator": f"I{i}", "status": "submitted"}
           for i in range(dependencies.SHEETS.maxsize + 1)}
    _spread(monitoring_store, big)   # a 10,000-reading approval's sheet: written all the same
    assert key not in dependencies.SHEETS   # what was kept of it before is not taken for it
    assert len(monitoring_store.sheet("p", "d", "2026-H1")["readings"]) == len(big)


def test_a_roll_up_bigger_than_what_is_kept_is_written_and_read_from_the_store(monitoring_store):
    many = {"edremit": {"rev": 0, "objectives": [{"code": f"H{i}"} for i in range(dependencies.ROLLUPS.maxsize + 1)]}}
    assert monitoring_store.save_rollup("p", "2026", 1, {"plan": {}}, many)
    assert Rollup.key("p", "2026") not in dependencies.ROLLUPS
    assert len(monitoring_store.rollups("p", ["2026"])["2026"].briefs["edremit"]["objectives"]) == len(many["edremit"]["objectives"])
