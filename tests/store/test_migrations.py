"""python -m ops.migrate on documents written by older releases: brought to today's shape, once,
with a report; run again it changes nothing, and a run stopped half-way is finished by the next."""
import pymongo
import pytest

from ops import migrate
from services.monitoring import models as monitoring
from shared import config, migrations, mongo

OLD = {
    "plan_registry": {"municipalities": [
        {"_id": "edremit", "name": "Edremit", "kind": "district", "parent": "balikesir", "locale": "tr",
         "calendar": "gregorian", "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z"},
        {"_id": "korfez", "name": "Körfez", "kind": "cooperation", "parent": None, "locale": "tr",
         "calendar": "gregorian", "members": ["edremit"], "created_at": "2026-01-01T00:00:00.000Z",
         "updated_at": "2026-01-01T00:00:00.000Z"}],
        "tokens": [{"_id": "tok_old", "hash": "h1", "role": "viewer", "municipality": None, "label": "",
                    "created_at": "2026-01-01T00:00:00.000Z"},
                   {"_id": "tok_new", "hash": "h2", "role": "viewer", "municipality": None, "label": "",
                    "created_at": "2026-02-01T00:00:00.000Z", "outbox": [{"event_id": "e1", "type": "token_revoked"}],
                    "outbox_pending": 1, "rev": 3}]},
    "consultation": {"inputs": [
        {"_id": "i1", "consultation_id": "c1", "plan_id": "p", "fingerprint": "f1", "stakeholder": {"group": "ngo"},
         "kind": "need", "theme": "T1", "text": "su", "submitted_at": "2026-01-01T00:00:00.000Z"},
        {"_id": "i2", "consultation_id": "c1", "plan_id": "p", "fingerprint": "f2", "stakeholder": {"group": "ngo"},
         "kind": "need", "theme": "T1", "text": "yol", "submitted_at": "2026-01-01T00:00:00.000Z",
         "moderation": "hidden"}]},
    # marks of service-quality half-years came from queues this release retires (ops.topology.RETIRED)
    "requests": {
        "quality_plans": [{"_id": "q", "version": 1, "municipalities": ["yunusemre"], "view": {
            "id": "q", "calendar": "gregorian", "period": {"start": 2020, "end": 2021}, "indicators": [],
            "municipalities": ["yunusemre"]}}],
        "quality_due": [{"_id": "yunusemre:2021-H2", "municipality": "yunusemre", "period": "2021-H2", "dirty": 0,
                         "rev": 2, "due_from": "2022-01-01", "submitted": {"q": {"PGY.1": 3}}}]},
    "monitoring": {
        "alerts": [{"_id": "p|PG1|1", "plan_id": "p", "indicator": "PG1", "status": "closed", "period": "2025",
                    "realization": 40.0, "threshold": 70.0, "reason": "below", "opened_at": "2026-01-01T00:00:00.000Z"},
                   {"_id": "p|PG2|overdue|1", "plan_id": "p", "indicator": "PG2", "status": "open", "kind": "overdue",
                    "periods": ["2025"], "reason": "late", "opened_at": "2026-02-01T00:00:00.000Z"}],
        "readings": [{"_id": "r1", "plan_id": "p", "indicator": "PG1", "municipality": "edremit", "period": "2025",
                      "value": 4.0},
                     {"_id": "r2", "plan_id": "p", "indicator": "PG2", "municipality": "edremit", "period": "2025",
                      "value": 5.0, "trail": [{"action": "submitted", "at": "2026-01-01T00:00:00.000Z"}]}],
        # an approval a crash left half-applied, from before approvals were claimed
        "approvals": [{"_id": "apr_old", "plan_id": "p", "municipality": "edremit", "period": "2025",
                       "indicators": ["PG1"], "readings": ["r1"], "batches": ["b1"], "events": [], "applied": 0,
                       "at": "2026-01-01T00:00:00.000Z", "by": {}}],
        # later years left to be figured, named by the approved period alone
        "figures_carried": [{"_id": "p|e1", "plan_id": "p", "approved": "2025-H2", "indicators": ["PG1"], "at": 1.0},
                            # of a plan monitoring no longer holds: nothing to figure
                            {"_id": "gone|e1", "plan_id": "gone", "approved": "2025-H1", "indicators": ["X"],
                             "at": 2.0}],
        "plan_models": [{"_id": "p:000002", "plan_id": "p", "version": 2,
                         "view": {"calendar": "gregorian", "period": {"start": 2025, "end": 2027},
                                  "parent_plan": "metro"}}],
        # a batch's lines as a list
        "batches": [{"_id": "p:b1", "plan_id": "p", "readings": [{"indicator": "PG1", "municipality": "edremit",
                                                                 "period": "2025", "value": 4.0}], "applied": 1,
                     "answer": {"batch": "p:b1", "accepted": 1}, "at": "2026-01-01T00:00:00.000Z"}],
        # a period's figures as one document holding every indicator of the plan
        "progress": [{"_id": "p:2025", "plan_id": "p", "period": "2025", "model_version": 2, "rev": 4,
                      "updated_at": "2026-02-01T00:00:00.000Z", "figures": {
                          "indicators": [{"code": "PG1", "objective": "H1", "municipality": "edremit", "D": 40.0},
                                         {"code": "PG2", "objective": "H2", "municipality": "havran", "D": 90.0}],
                          "objectives": [{"code": "H1", "goal": "A1", "municipality": "edremit", "realization": 40.0},
                                         {"code": "H2", "goal": "A1", "municipality": "havran", "realization": 90.0}],
                          "goals": [{"code": "A1", "realization": 65.0}], "municipalities": [],
                          "plan": {"realization": 65.0}, "regional": []}}]},
}


@pytest.fixture
def deployment(store_uri, run_id):
    """A deployment's databases holding documents in the shapes older releases wrote."""
    prefix = f"ortak_{run_id}_migrations"
    client = pymongo.MongoClient(store_uri, serverSelectionTimeoutMS=5000)
    for service in config.SERVICES:
        client.drop_database(f"{prefix}_{service}")
    for service, collections in OLD.items():
        for name, documents in collections.items():
            client[f"{prefix}_{service}"][name].insert_many([dict(d) for d in documents])
    yield client, prefix
    for service in config.SERVICES:
        client.drop_database(f"{prefix}_{service}")
    client.close()


def everything(client, prefix):
    return {service: {name: sorted(client[f"{prefix}_{service}"][name].find(), key=lambda d: d["_id"])
                      for name in client[f"{prefix}_{service}"].list_collection_names()}
            for service in config.SERVICES}


def test_old_documents_are_brought_up_to_date_once(store_uri, deployment):
    client, prefix = deployment
    found = migrate.run(store_uri, prefix)
    assert {service: (before, after) for service, (before, after, _) in found.items()} == {
        "plan_registry": (0, 2), "consultation": (0, 1), "monitoring": (0, 9), "requests": (0, 1), "programme": (0, 0)}
    changed = {(service, step.number): what for service, (_, _, report) in found.items() for step, what, ran in report
               if ran}
    assert changed == {("plan_registry", 1): {"municipalities:members": 1},
                       ("plan_registry", 2): {"tokens:outbox": 1, "tokens:outbox_pending": 1, "tokens:rev": 1,
                                              "people:outbox": 0, "people:outbox_pending": 0, "people:rev": 0},
                       ("consultation", 1): {"inputs:moderation": 1},
                       ("monitoring", 1): {"alerts:kind": 1, "alerts:periods": 1},
                       ("monitoring", 2): {"readings:trail": 1},
                       ("monitoring", 3): {"progress:sliced": 1},
                       ("monitoring", 4): {"approvals:claimed_until": 1},
                       ("monitoring", 5): {"figure_slices:packed": 2, "progress:packed": 1},
                       ("monitoring", 6): {"reading_sheets:written": 1},
                       ("monitoring", 7): {"figures_carried:named": 2},
                       ("monitoring", 8): {"batches:packed": 1, "approvals:packed": 1},
                       ("monitoring", 9): {"plan_models:packed": 1},
                       ("requests", 1): {"quality_due:marked": 4}}
    db = {service: client[f"{prefix}_{service}"] for service in OLD}
    assert db["plan_registry"].municipalities.find_one({"_id": "edremit"})["members"] == []
    assert db["plan_registry"].municipalities.find_one({"_id": "korfez"})["members"] == ["edremit"]
    assert {d["_id"]: (d["outbox"], d["outbox_pending"], d["rev"]) for d in db["plan_registry"].tokens.find()} == {
        "tok_old": ([], 0, 0), "tok_new": ([{"event_id": "e1", "type": "token_revoked"}], 1, 3)}
    assert {d["_id"]: d["moderation"] for d in db["consultation"].inputs.find()} == {"i1": "pending", "i2": "hidden"}
    assert {d["_id"]: (d["kind"], d["periods"]) for d in db["monitoring"].alerts.find()} == {
        "p|PG1|1": ("below_threshold", []), "p|PG2|overdue|1": ("overdue", ["2025"])}
    # the readings: a sheet per municipality and period, the old collection gone (step 6)
    assert "readings" not in db["monitoring"].list_collection_names()
    sheet = monitoring.unpacked(db["monitoring"].reading_sheets.find_one({"_id": "p|edremit|2025"}),
                                monitoring.Sheet.PACKED)
    assert [(r["_id"], r["value"], len(r["trail"])) for r in sheet["readings"]] == [("r1", 4.0, 0), ("r2", 5.0, 1)]
    assert sheet["approved"] == {}
    # the figures: one slice per municipality, and the roll-up without the indicators
    old_figures = OLD["monitoring"]["progress"][0]["figures"]
    rollup = monitoring.unpacked(db["monitoring"].progress.find_one({"_id": "p:2025"}), monitoring.Rollup.PACKED)
    assert rollup["figures"] == {k: v for k, v in old_figures.items() if k not in ("indicators", "objectives")}
    assert rollup["rev"] == 5
    # stored packed (step 5): one binary value each
    raw = list(db["monitoring"].figure_slices.find())
    assert {type(d[f]) for d in raw for f in monitoring.Slice.PACKED} == {bytes}
    slices = {d["_id"]: monitoring.unpacked(d, monitoring.Slice.PACKED) for d in raw}
    assert sorted(slices) == ["p:2025:edremit", "p:2025:havran"]
    assert slices["p:2025:havran"]["indicators"] == [old_figures["indicators"][1]]
    assert slices["p:2025:havran"]["objectives"] == [old_figures["objectives"][1]]
    assert {s["model_version"] for s in slices.values()} == {2}
    # the plan model's view packed, its parent plan beside it (step 9)
    model = db["monitoring"].plan_models.find_one({"_id": "p:000002"})
    assert isinstance(model["view"], bytes) and model["parent_plan"] == "metro"
    assert monitoring.unpack(model["view"]) == OLD["monitoring"]["plan_models"][0]["view"]
    # the revisions of the slices it goes with, and what it needs of their objectives
    assert {m: b["rev"] for m, b in rollup["briefs"].items()} == {"edremit": 0, "havran": 0}
    assert rollup["briefs"]["havran"]["objectives"] == [
        {"code": "H2", "goal": "A1", "municipality": "havran", "goal_weight": None, "realization": 90.0,
         "missing_indicators": None}]
    # the carry names the periods it leaves to be figured: every one of the years after its own
    assert [c["_id"] for c in db["monitoring"].figures_carried.find()] == ["p|e1"]
    carry = db["monitoring"].figures_carried.find_one({"_id": "p|e1"})
    assert monitoring.unpacked(carry, monitoring.Carry.PACKED) == {
        "_id": "p|e1", "plan_id": "p", "indicators": ["PG1"], "at": 1.0,
        "periods": ["2026-H1", "2026-H2", "2026", "2027-H1", "2027-H2", "2027"]}
    # the timer finishes the half-applied approval: it claims one whose claim is 0 or past
    approval = db["monitoring"].approvals.find_one({"_id": "apr_old"})
    assert approval["claimed_until"] == 0
    # an approval's reading ids and a batch's lines stored packed (step 8)
    assert monitoring.unpacked(approval, monitoring.Approval.PACKED)["readings"] == ["r1"]
    batch = db["monitoring"].batches.find_one({"_id": "p:b1"})
    assert monitoring.unpack(batch["readings"]) == OLD["monitoring"]["batches"][0]["readings"]
    # the service's own query by kind (its next episode's number) now counts the old alert
    mongo.connect(monitoring.ALIAS, f"{prefix}_monitoring", store_uri)
    try:
        assert monitoring.Alert.objects(plan_id="p", indicator="PG1", kind="below_threshold").count() == 1
    finally:
        mongo.disconnect(monitoring.ALIAS)
    # every half-year of the plan marked due again, what was submitted kept to compare against
    assert {d["_id"]: (d["dirty"], d["due_from"], d["submitted"]) for d in db["requests"].quality_due.find()} == {
        "yunusemre:2020-H1": (1, "2020-07-01", {}), "yunusemre:2020-H2": (1, "2021-01-01", {}),
        "yunusemre:2021-H1": (1, "2021-07-01", {}), "yunusemre:2021-H2": (1, "2022-01-01", {"q": {"PGY.1": 3}})}
    text = "\n".join(migrate.lines(found))
    assert "monitoring: version 0 -> 9 (latest 9)" in text and "  2 readings have a trail: readings:trail 1" in text

    migrated = everything(client, prefix)
    again = migrate.run(store_uri, prefix)
    assert all(not ran for _, _, report in again.values() for _, _, ran in report)
    assert {service: after for service, (_, after, _) in again.items()} == {
        service: after for service, (_, after, _) in found.items()}
    assert everything(client, prefix) == migrated


def test_a_run_stopped_half_way_is_finished_by_the_next(store_uri, deployment, capsys):
    client, prefix = deployment
    readings = client[f"{prefix}_monitoring"].readings
    # step 1 recorded, steps 2 and 6 to run again when a reading is still kept alone
    migrate.run(store_uri, prefix, services=["monitoring"])
    client[f"{prefix}_monitoring"][migrations.COLLECTION].delete_many({"_id": {"$in": [2, 6]}})
    readings.insert_one({"_id": "r3", "plan_id": "p", "indicator": "PG3", "municipality": "edremit", "period": "2025",
                         "approved": {"value": 2.0}})
    assert migrate.main(["--uri", store_uri, "--prefix", prefix, "--status"]) == 0
    assert "monitoring: version 1 (latest 9)" in capsys.readouterr().out
    assert "trail" not in readings.find_one({"_id": "r3"})
    assert migrate.main(["--uri", store_uri, "--prefix", prefix, "--service", "monitoring"]) == 0
    out = capsys.readouterr().out
    assert "monitoring: version 1 -> 9 (latest 9)" in out and "readings:trail 1" in out
    assert "plan_registry" not in out
    # joined to the sheet written before: nothing lost, the new reading with its trail and approval
    sheet = monitoring.unpacked(client[f"{prefix}_monitoring"].reading_sheets.find_one({"_id": "p|edremit|2025"}),
                                monitoring.Sheet.PACKED)
    assert {r["_id"]: r["trail"] for r in sheet["readings"]} == {
        "r1": [], "r2": OLD["monitoring"]["readings"][1]["trail"], "r3": []}
    assert sheet["approved"] == {"PG3": {"value": 2.0}}
    assert migrate.run(store_uri, prefix, services=["plan_registry"])["plan_registry"][:2] == (0, 2)
