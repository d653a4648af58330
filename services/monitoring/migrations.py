"""Monitoring's data migrations (shared.migrations): numbered for ever, never edited once released."""
from shared.migrations import Step, backfill

from . import domain
from .models import Alert, Approval, Reading, Rollup, Slice, pack


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


def pack_the_figures(database):
    """A slice's indicators, objectives and brief and a roll-up's briefs stored packed (models.pack);
    what is packed already is left, so a run stopped half-way is finished by the next."""
    changed = {}
    for document in (Slice, Rollup):
        collection = database[document._meta["collection"]]
        count = 0
        for doc in collection.find({}, {f: 1 for f in document.PACKED}):
            packed = {f: pack(doc[f]) for f in document.PACKED if f in doc and not isinstance(doc[f], bytes)}
            if packed:
                collection.update_one({"_id": doc["_id"]}, {"$set": packed})
                count += 1
        changed[f"{collection.name}:packed"] = count
    return changed


STEPS = (
    # overdue alerts brought kinds; a query by kind (the episode count) misses an alert without one
    Step(1, "alerts have a kind and missing periods",
         backfill(Alert._meta["collection"], kind="below_threshold", periods=[])),
    # four eyes brought each reading's trail; readings.py reads a missing one as empty
    Step(2, "readings have a trail", backfill(Reading._meta["collection"], trail=[])),
    Step(3, "figures stored per municipality and period, with a roll-up", slice_the_figures),
    # big approvals are applied by the timer, which claims one with no claim or an expired one
    Step(4, "approvals have a claim", backfill(Approval._meta["collection"], claimed_until=0)),
    # a store that decodes documents value by value spent most of an approval on the figures
    Step(5, "figures stored packed", pack_the_figures),
)
