"""Every query and update shape the services use, against the store they run on.

The embedded store (nx-27017) has gaps (ARCHITECTURE.md): a datetime or a boolean written by
``$set`` comes back as a string or an integer, equality on an indexed array matches nothing,
``$push`` of an embedded document stores a string. The services route around them (ISO strings
for times, counters instead of flags, ``$in`` on arrays, whole-list ``$set``); this test pins the
shapes they do use, so a store that breaks one fails here first. Run it against a real MongoDB
with ORTAK_TEST_MONGODB_URI to check both agree.
"""
import pytest
from mongoengine.errors import NotUniqueError

from services.plan_registry.dependencies import Registry
from services.plan_registry.models import ALIAS, DOCUMENTS, Municipality, PlanHead, PlanVersion, Token
from shared import mongo, outbox

NESTED = {"title": {"tr": "Körfez", "fa": "خلیج"}, "frame": {"goals": [{"code": "A1", "theme": None}]},
          "contributions": {"edremit": {"objectives": [{"code": "H1.1", "indicators": [
              {"code": "PG1.1.1", "weight": 33.33, "targets": {"2025": 1, "2026": 2.5}}]}]}},
          "status": "draft", "coordinator": "balikesir", "members": ["ayvalik", "edremit"],
          "calendar": "gregorian", "period": {"start": 2025, "end": 2029}, "updated_at": "2026-01-01T00:00:00.000Z"}


@pytest.fixture(scope="module")
def registry(store_uri, run_id):
    mongo.connect(ALIAS, f"ortak_{run_id}_conformance", store_uri)
    for document in DOCUMENTS:
        document.drop_collection()
        document.ensure_indexes()
    yield Registry()
    mongo.disconnect(ALIAS)


def test_insert_and_read_back_nested_unicode(registry):
    registry.commit("p1", 1, NESTED, "created", "c", {"role": "admin"}, [])
    n, snapshot = registry.latest("p1")
    assert n == 1 and snapshot == NESTED


def test_a_second_writer_of_the_same_version_is_refused(registry):
    registry.commit("p2", 1, NESTED, "created", "c", None, [])
    with pytest.raises(NotUniqueError):
        PlanVersion(id=PlanVersion.key("p2", 1), plan_id="p2", n=1, kind="x", status="draft", summary="s",
                    at="t", snapshot={"a": 1}).save(force_insert=True)


def test_newest_version_first_and_headers_without_snapshots(registry):
    for n in (1, 2, 3):
        registry.commit("p3", n, {**NESTED, "status": f"s{n}"}, "frame", "c", None, [])
    assert registry.latest("p3")[0] == 3
    assert [v["version"] for v in registry.versions("p3")] == [1, 2, 3]
    assert registry.versions("p3")[2]["status"] == "s3"


def test_outbox_set_as_a_whole_list_reads_back_as_documents_and_is_cleared_by_compare_and_set(registry):
    events = [{"event_id": "e1", "type": "plan_created", "payload": {"nested": [{"a": 1}]}},
              {"event_id": "e2", "type": "frame_changed", "payload": {}}]
    registry.commit("p4", 1, NESTED, "created", "c", None, events)
    key = PlanVersion.key("p4", 1)
    [doc] = [d for d in outbox.pending(PlanVersion) if d.id == key]
    assert doc.outbox == events
    PlanVersion.objects(id=key).update_one(set__outbox=[events[1]], set__outbox_pending=1, inc__rev=1)
    moved = PlanVersion.objects.get(id=key)
    assert moved.outbox == [events[1]] and isinstance(moved.outbox[0], dict) and moved.outbox_pending == 1
    outbox.clear_published([doc])                    # read before the change: its clearing is refused
    assert PlanVersion.objects.get(id=key).outbox_pending == 1
    outbox.clear_published([moved])                  # one bulk write, by compare-and-set on the revision
    assert PlanVersion.objects(id=key, outbox_pending__gt=0).first() is None
    assert PlanVersion.objects.get(id=key).outbox == []


def test_compare_and_set_on_a_revision_counter(registry):
    registry.put_municipality("m1", {"name": "A", "kind": "metropolitan", "parent": None, "locale": "tr",
                                     "calendar": "gregorian"}, {"event_id": "x", "type": "t"})
    doc = Municipality.objects.get(id="m1")
    assert Municipality.objects(id="m1", rev=doc.rev).update_one(inc__rev=1, set__kind="provincial") == 1
    assert Municipality.objects(id="m1", rev=doc.rev).update_one(inc__rev=1, set__kind="town") == 0
    assert Municipality.objects.get(id="m1").kind == "provincial"
    assert registry.put_municipality("m1", {"name": {"en": "B"}, "kind": "metropolitan", "parent": None,
                                            "locale": "en", "calendar": "gregorian"}, {"event_id": "y"}) is False
    assert registry.municipality("m1")["name"] == {"en": "B"}
    assert [e["event_id"] for e in Municipality.objects.get(id="m1").outbox] == ["x", "y"]


def test_heads_found_by_member_or_coordinator_and_never_moved_back(registry):
    registry.commit("p5", 1, NESTED, "created", "c", None, [])
    registry.commit("p5", 2, {**NESTED, "status": "adopted"}, "adoption", "c", None, [])
    registry.refresh_head(PlanVersion.objects.get(id=PlanVersion.key("p5", 1)))  # a late repair
    head = PlanHead.objects.get(id="p5")
    assert (head.version, head.status) == (2, "adopted")
    assert "p5" in [h["id"] for h in registry.heads(member="edremit")]
    assert "p5" in [h["id"] for h in registry.heads(member="balikesir")]
    assert "p5" not in [h["id"] for h in registry.heads(member="havran")]


def test_tokens_by_unique_hash_and_revocation(registry):
    value, token = registry.issue_token("viewer", None, "x", None)
    assert registry.authenticate(value)["token_id"] == token["id"]
    with pytest.raises(NotUniqueError):
        Token(id="other", hash=Token.objects.get(id=token["id"]).hash, role="viewer", created_at="t").save(
            force_insert=True)
    registry.revoke_token(token["id"])
    assert registry.authenticate(value) is None
    registry.ensure_token("boot", "secret-1", "admin")
    registry.ensure_token("boot", "secret-2", "admin")  # rotated from the environment
    assert registry.authenticate("secret-1") is None and registry.authenticate("secret-2")["role"] == "admin"


def test_times_as_iso_strings_compare_in_the_store(store_uri, run_id):
    """Consultation's timer asks the store for consultations whose opening time has passed."""
    from services.consultation.dependencies import Consultations
    from services.consultation.models import ALIAS as CONSULTATION, Consultation

    mongo.connect(CONSULTATION, f"ortak_{run_id}_conformance_consultation", store_uri)
    try:
        Consultation.drop_collection()
        store = Consultations()
        for n, opens in enumerate(["2026-06-12T07:00:00.000Z", "2026-06-12T09:30:00.000Z"]):
            store.create({"plan_id": "p", "title": f"c{n}", "kind": "workshop", "themes": ["T1"],
                          "opens_at": opens, "closes_at": "2026-06-12T16:00:00.000Z"})
        due = store.unannounced(1, "2026-06-12T08:00:00.000Z")
        assert [c.title for c in due] == ["c0"]
        assert store.unannounced(2, "2026-06-12T08:00:00.000Z") == []
        assert len(store.unannounced(1, "2026-06-12T09:30:00.000Z")) == 2
    finally:
        mongo.disconnect(CONSULTATION)


def test_service_requests_filed_listed_changed_and_imported_once(store_uri, run_id):
    """The requests service: a unique (municipality, fingerprint), times as strings in a range, ``$in``
    on ids and codes, newest first with a limit, compare-and-set of the history as a whole list."""
    from services.requests.dependencies import Requests
    from services.requests.models import ALIAS as REQUESTS, DOCUMENTS as REQUEST_DOCUMENTS, ServiceRequest

    mongo.connect(REQUESTS, f"ortak_{run_id}_conformance_requests", store_uri)
    try:
        for document in REQUEST_DOCUMENTS:
            document.drop_collection()
            document.ensure_indexes()
        store = Requests()
        assert store.put_service("m", "CUKUR", {"name": {"tr": "Çukur"}, "description": None, "group": "",
                                                "keywords": ["yol"], "target_days": 7, "responsible_unit": "Fen",
                                                "public": True}, {"at": "t1", "action": "service_put"})
        assert not store.put_service("m", "CUKUR", {"name": "Çukur", "description": None, "group": "", "keywords": [],
                                                    "target_days": 5, "responsible_unit": "Fen", "public": False},
                                     {"at": "t2", "action": "service_put"})
        assert store.service("m", "CUKUR")["target_days"] == 5 and store.service("m", "CUKUR")["public"] is False
        made = []
        for n, at in enumerate(["2026-01-01T09:00:00.000Z", "2026-02-01T09:00:00.000Z", "2026-03-01T09:00:00.000Z"]):
            row = {"municipality": "m", "service_code": "CUKUR" if n else "COP", "filed_by": "muhtar", "status": "open",
                   "requested_at": at, "updated_at": at, "requester": {"phone": "1"}, "lat": 38.5, "long": 27.1,
                   "history": [{"at": at, "action": "filed", "by": {"role": "planner"}}],
                   "fingerprint": f"import:{n}"}
            item, created = store.file(f"sr_{n}", row, [{"event_id": f"e{n}", "type": "t", "payload": {}}])
            assert created
            made.append(item.id)
        again, created = store.file("sr_x", {**row, "fingerprint": "import:2"}, [])
        assert not created and again.id == made[2]
        assert [r["id"] for r in store.requests("m")] == made[::-1]
        assert [r["id"] for r in store.requests("m", since="2026-01-15T00:00:00Z", until="2026-02-15T00:00:00Z")
                ] == [made[1]]
        assert {r["id"] for r in store.requests("m", codes=["CUKUR"])} == set(made[1:])
        assert {r["id"] for r in store.requests("m", ids=[made[0], made[2]])} == {made[0], made[2]}
        assert len(store.requests("m", limit=2)) == 2
        item = store.request(made[1])
        assert store.change(item, {"status": "assigned", "closed_at": None}, {"at": "t", "action": "status_changed"},
                            [{"event_id": "e", "type": "t", "payload": {}}])
        assert not store.change(item, {"status": "closed"}, {"at": "t"}, [])   # a stale revision
        changed = ServiceRequest.objects.get(id=made[1])
        assert changed.status == "assigned" and [h["action"] for h in changed.history] == ["filed", "status_changed"]
        assert isinstance(changed.history[1], dict) and changed.outbox_pending == 2
        assert [t["requested_at"] for t in store.timings("m", "2026-02-01T09:00:00.000Z")] == [
            "2026-01-01T09:00:00.000Z", "2026-02-01T09:00:00.000Z"]
    finally:
        mongo.disconnect(REQUESTS)


def test_service_quality_plans_and_due_half_years(store_uri, run_id):
    """The requests service's quality consumer: a plan view upserted only by a newer version (an
    older one meets the unique _id), found by ``$in`` on its indexed municipalities; a due mark
    counted up with an upsert ``$inc`` and settled by compare-and-set on its revision."""
    from services.requests.dependencies import Requests
    from services.requests.models import ALIAS as REQUESTS, DOCUMENTS as REQUEST_DOCUMENTS, QualityDue

    mongo.connect(REQUESTS, f"ortak_{run_id}_conformance_quality", store_uri)
    try:
        for document in REQUEST_DOCUMENTS:
            document.drop_collection()
            document.ensure_indexes()
        store = Requests()
        view = {"id": "p", "calendar": "gregorian", "municipalities": ["a", "b"], "indicators": [{"code": "X"}]}
        store.keep_quality_plan("p", 2, view)
        store.keep_quality_plan("p", 1, {**view, "municipalities": ["c"]})    # older: kept as it was
        assert [v["municipalities"] for v in store.quality_plans("a")] == [["a", "b"]]
        assert store.quality_plans("c") == []
        store.keep_quality_plan("p", 3, {**view, "municipalities": ["c"]})
        assert store.quality_plans("a") == [] and len(store.quality_plans("c")) == 1
        store.keep_quality_plan("p", 4, None)                                 # no figure named any more
        assert store.quality_plans("c") == []
        store.mark_quality_due("a", "2026-H1", "2026-07-01")
        store.mark_quality_due("a", "2026-H1", "2026-07-01")
        assert store.quality_due("2026-06-30T23:59:59.999Z") == []            # not over yet: waits
        [due] = store.quality_due("2026-07-01T00:00:00.000Z")
        assert (due["_id"], due["dirty"], due["submitted"]) == ("a:2026-H1", 2, {})
        store.mark_quality_due("a", "2026-H1", "2026-07-01")                  # a change after the read
        assert not store.settle_quality_due(due, {"p": {"X": 1.0}})
        [again] = store.quality_due("2026-07-01")
        assert store.settle_quality_due(again, {"p": {"X": 1.0}})
        assert store.quality_due("2026-07-01") == []
        store.mark_quality_due("a", "2026-H1", "2026-07-01")
        assert store.quality_due("2026-07-01")[0]["submitted"] == {"p": {"X": 1.0}}
        # a submission that failed is tried again later, unless a change marks it meanwhile
        store.retry_quality_due(store.quality_due("2026-07-01")[0], "2026-07-01T00:05:00.000Z")
        assert store.quality_due("2026-07-01T00:04:00.000Z") == []
        [retried] = store.quality_due("2026-07-01T00:05:00.000Z")
        store.mark_quality_due("a", "2026-H1", "2026-07-01")
        store.retry_quality_due(retried, "2026-07-01T00:10:00.000Z")          # read before the change: refused
        assert store.quality_due("2026-07-01T00:06:00.000Z")[0]["due_from"] == "2026-07-01"
        store.settle_quality_due(store.quality_due("2026-07-01T00:06:00.000Z")[0], {})
        # a mark stored before marks said when they are due is due at once
        QualityDue._get_collection().insert_one({"_id": "b:2025-H2", "municipality": "b", "period": "2025-H2",
                                                 "dirty": 1, "rev": 1, "submitted": {}})
        assert {d["_id"] for d in store.quality_due("2026-01-05")} == {"b:2025-H2"}
    finally:
        mongo.disconnect(REQUESTS)


def test_equalities_sent_as_eq_answer_as_before_and_arrays_keep_their_containment(store_uri, run_id):
    """shared.mongo.indexable writes ``field: value`` as ``field: {"$eq": value}`` for fields that hold
    one value, and leaves array fields (where equality means "holds it") as they are."""
    from services.monitoring.models import ALIAS as MONITORING, Alert, Sheet, pack, unpack

    mongo.connect(MONITORING, f"ortak_{run_id}_conformance_monitoring", store_uri)
    try:
        for document in (Alert, Sheet):
            document.drop_collection()
            document.ensure_indexes()
        Alert(id="a1", plan_id="p", indicator="I1", status="open", kind="overdue", periods=["2025", "2026"]).save()
        Alert(id="a2", plan_id="p", indicator="I2", status="closed", kind="overdue", periods=["2026"]).save()
        Alert(id="a3", plan_id="q", indicator="I1", status="open", kind="below_threshold").save()
        query = Alert.objects(plan_id="p", status="open", periods="2025")
        assert query._query == {"plan_id": {"$eq": "p"}, "status": {"$eq": "open"}, "periods": "2025"}
        assert [a.id for a in query] == ["a1"]
        assert sorted(a.id for a in Alert.objects(periods="2026")) == ["a1", "a2"]
        assert Alert.objects(plan_id="p", status="open").count() == 1
        assert Alert.objects(id="a1", status="open").update_one(set__status="closed") == 1
        assert sorted(a.id for a in Alert.objects(status="closed")) == ["a1", "a2"]

        sheets = Sheet._get_collection()
        sheets.insert_many([{"_id": Sheet.key(plan, f"m{n}", period), "plan_id": plan, "municipality": f"m{n}",
                             "period": period, "rev": 0, "readings": pack([{"_id": f"{plan}|I{n}|m{n}|{period}"}]),
                             "approved": pack({f"I{n}": {"value": n}})}
                            for plan in ("p", "q") for n in range(3) for period in ("2025", "2025-H1")])
        for bare in ({"plan_id": "p", "municipality": "m1", "period": "2025"},
                     {"plan_id": "p", "municipality": {"$in": ["m0", "m2"]}},
                     {"plan_id": "q"}):
            sent = mongo.indexable(Sheet, bare)
            assert sent != bare
            assert sorted(d["_id"] for d in sheets.find(sent)) == sorted(d["_id"] for d in sheets.find(bare)) != []
        # a sheet's packed parts come back as they were written, alone when asked alone
        found = sheets.find_one({"_id": Sheet.key("p", "m2", "2025")}, {"period": 1, "approved": 1})
        assert set(found) == {"_id", "period", "approved"} and unpack(found["approved"]) == {"I2": {"value": 2}}
        assert sheets.update_one({"_id": Sheet.key("p", "m2", "2025"), "rev": 0}, {
            "$set": {"readings": pack([])}, "$inc": {"rev": 1}}).modified_count == 1
        assert sheets.update_one({"_id": Sheet.key("p", "m2", "2025"), "rev": 0}, {
            "$set": {"readings": pack([])}, "$inc": {"rev": 1}}).modified_count == 0   # the compare-and-set
    finally:
        mongo.disconnect(MONITORING)


def test_the_embedded_store_answers_an_eq_filter_from_its_index(tmp_path):
    """Why indexable exists: nx-27017 (through neosqlite) turns a bare equality into SQL no index
    can serve. The form the services send must search the declared index, not scan the table."""
    import neosqlite

    connection = neosqlite.Connection(str(tmp_path / "store.db"))
    sheets = connection["reading_sheets"]
    sheets.create_index([("plan_id", 1), ("municipality", 1), ("period", 1)])
    sheets.insert_many([{"_id": f"s{n}", "plan_id": f"p{n % 3}", "municipality": f"m{n % 5}", "period": "2025"}
                        for n in range(30)])
    statements = []
    connection.db.set_trace_callback(statements.append)
    from services.monitoring.models import Sheet
    for bare in ({"plan_id": "p1", "municipality": "m1", "period": "2025"},
                 {"plan_id": "p1", "municipality": {"$in": ["m1", "m4"]}}):
        statements.clear()
        found = list(sheets.find(mongo.indexable(Sheet, bare)))
        assert found and all(d["plan_id"] == "p1" for d in found)
        select = [s for s in statements if s.startswith("SELECT") and " FROM reading_sheets" in s][-1]
        plan = " ".join(row[-1] for row in connection.db.execute("EXPLAIN QUERY PLAN " + select))
        assert "USING INDEX idx_reading_sheets_plan_id" in plan, plan
