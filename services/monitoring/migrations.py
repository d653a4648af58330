"""Monitoring's data migrations (shared.migrations): numbered for ever, never edited once released."""
from shared.migrations import Step, backfill

from . import domain
from .models import Alert, Approval, Batch, Carry, PlanModel, Rollup, Sheet, Slice, pack, unpack


def slice_the_figures(database):
    """A period's figures were one document holding every indicator of the plan: keep its
    indicators and objectives as one slice per municipality and the rest as the period's roll-up
    (a goal's and the plan's missing indicators stay as they were until ``ops.recompute``).
    The slices are written before the roll-up loses its indicators, so a run stopped in between is
    redone by the next."""
    rollups, slices = database[Rollup._meta["collection"]], database[Slice._meta["collection"]]
    changed = 0
    for doc in rollups.find({"figures.indicators": {"$exists": True}}):
        rollup, parts = domain.split(doc["figures"])
        briefs = {m: {"rev": 0, "objectives": [domain.brief(o) for o in part["objectives"]]}
                  for m, part in parts.items()}
        for municipality, part in parts.items():
            key = Slice.key(doc["plan_id"], doc["period"], municipality)
            slices.replace_one({"_id": key}, {
                "_id": key, "plan_id": doc["plan_id"], "period": doc["period"], "municipality": municipality,
                "model_version": doc["model_version"], **part, "brief": briefs[municipality]["objectives"],
                "rev": 0, "updated_at": doc.get("updated_at")},
                upsert=True)
        rollups.update_one({"_id": doc["_id"]}, {"$set": {"figures": rollup, "briefs": briefs}, "$inc": {"rev": 1}})
        changed += 1
    return {f"{Rollup._meta['collection']}:sliced": changed}


def packing(*documents):
    """A step that stores the ``PACKED`` fields of ``documents`` packed (models.pack); what is packed
    already is left, so a run stopped half-way is finished by the next."""
    def pack_them(database):
        changed = {}
        for document in documents:
            collection = database[document._meta["collection"]]
            count = 0
            for doc in collection.find({}, {f: 1 for f in document.PACKED}):
                packed = {f: pack(doc[f]) for f in document.PACKED if f in doc and not isinstance(doc[f], bytes)}
                if packed:
                    collection.update_one({"_id": doc["_id"]}, {"$set": packed})
                    count += 1
            changed[f"{collection.name}:packed"] = count
        return changed
    return pack_them


READINGS = "readings"   # one document per reading, until step 6


def sheet_the_readings(database):
    """A document per reading becomes a sheet per municipality and period (models.Sheet), joined to
    the sheet's readings if it has one. The old collection is dropped once every sheet is written,
    so a run stopped before is redone whole."""
    readings, sheets = database[READINGS], database[Sheet._meta["collection"]]
    groups = {}
    for doc in readings.find({}):
        groups.setdefault((doc["plan_id"], doc["municipality"], doc["period"]), {})[doc["_id"]] = doc
    for (plan_id, municipality, period), docs in groups.items():
        key = Sheet.key(plan_id, municipality, period)
        sheet = sheets.find_one({"_id": key}) or {"rev": 0, "updated_at": None}
        joined = {r["_id"]: r for r in unpack(sheet.get("readings")) or ()} | docs
        ordered = [joined[rid] for rid in sorted(joined)]
        # $set, not a replacement: the embedded store refuses to replace a document with a binary value
        sheets.update_one({"_id": key}, {"$set": {
            "plan_id": plan_id, "municipality": municipality, "period": period, "rev": sheet["rev"] + 1,
            "updated_at": sheet["updated_at"], "readings": pack(ordered),
            "approved": pack({r["indicator"]: r["approved"] for r in ordered if r.get("approved")})}}, upsert=True)
    readings.drop()
    return {f"{Sheet._meta['collection']}:written": len(groups)}


def pack_the_plan_models(database):
    """A plan model holds its view packed, and the view's parent plan beside it (child_plans)."""
    models = database[PlanModel._meta["collection"]]
    changed = 0
    for doc in models.find({}, {"view": 1}):
        if not isinstance(doc["view"], bytes):
            models.update_one({"_id": doc["_id"]}, {"$set": {"view": pack(doc["view"]),
                                                             "parent_plan": doc["view"].get("parent_plan")}})
            changed += 1
    return {f"{PlanModel._meta['collection']}:packed": changed}


def name_the_carried_periods(database):
    """A carry named its approved period, and every year after it was to be figured: it names the
    periods themselves (the later periods of the plan's last adopted version), and holds its
    indicators packed."""
    carries, models = database[Carry._meta["collection"]], database[PlanModel._meta["collection"]]
    changed = 0
    for doc in carries.find({"periods": {"$exists": False}}):
        found = sorted(models.find({"plan_id": doc["plan_id"]}, {"version": 1, "view": 1}), key=lambda m: m["version"])
        later = [p.key for p in domain.carried_periods(found[-1]["view"], [doc["approved"]])] if found else []
        changed += 1
        if not later:   # nothing after its year to figure (or no plan to figure it in)
            carries.delete_one({"_id": doc["_id"]})
            continue
        carries.update_one({"_id": doc["_id"]}, {"$set": {"periods": later, "indicators": pack(doc["indicators"])},
                                                 "$unset": {"approved": ""}})
    return {f"{Carry._meta['collection']}:named": changed}


STEPS = (
    # overdue alerts brought kinds; a query by kind (the episode count) misses an alert without one
    Step(1, "alerts have a kind and missing periods",
         backfill(Alert._meta["collection"], kind="below_threshold", periods=[])),
    # four eyes brought each reading's trail; readings.py reads a missing one as empty
    Step(2, "readings have a trail", backfill(READINGS, trail=[])),
    Step(3, "figures stored per municipality and period, with a roll-up", slice_the_figures),
    # big approvals are applied by the timer, which claims one with no claim or an expired one
    Step(4, "approvals have a claim", backfill(Approval._meta["collection"], claimed_until=0)),
    # a store that decodes documents value by value spent most of an approval on the figures
    Step(5, "figures stored packed", packing(Slice, Rollup)),
    # an approval rewrote a thousand reading documents, and a submission as many before it
    Step(6, "readings kept in a sheet per municipality and period", sheet_the_readings),
    # an approval figures its own period and leaves the others to a carry, which names them
    Step(7, "carries name their periods", name_the_carried_periods),
    # the store wrote a batch's thousand lines (an approval's reading ids) value by value, three times
    Step(8, "batches and approvals hold their lines packed", packing(Batch, Approval)),
    # the embedded store decoded a region's plan model value by value: a fifth of a second a read
    Step(9, "plan models hold their view packed", pack_the_plan_models),
)
