"""The monitoring service's store: the small interface its service needs.

Sheets of readings, plan models and figures (large nested documents) are read and written raw:
mongoengine's DictField turns every nested value into its own objects and back, which cost most
of an approval's time. Everything else goes through mongoengine.
"""
import random
import secrets
import threading
import time
from types import SimpleNamespace

from cachetools import LRUCache

from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from shared import audit
from shared import config
from shared.clock import now_iso
from shared.errors import Conflict, NotFound
from shared.mongo import MongoStore, ServiceStore, indexable

from . import domain
from .models import (ALIAS, DOCUMENTS, OUTBOXES, Alert, Approval, Batch, Carry, CarryClaim, Counted, ModelIndex,
                     PlanModel, Publication, Rejection, Rollup, Sheet, Slice, pack, unpack, unpacked)
from .readings import FIGURES, merged, reading_id


# The adopted versions of the plans this process read last ({plan: {version: model}}): a model never
# changes once stored, and a plan's view is megabytes that every approval and read would decode.
# Bounded by the indicators the versions hold, not by plans: a national ingest works on several
# small regions at once, which a bound of a few plans made read each other's models again.
MODELS = LRUCache(maxsize=int(config.env("ORTAK_MODEL_CACHE_INDICATORS", "15000")),
                  getsizeof=lambda versions: max(1, sum(len(m.view["indicators"]) for m in versions.values())))
MODELS_LOCK = threading.Lock()
# The sheets of readings this process wrote last, as written ({sheet id: (rev, updated_at, readings)}):
# an approval reads back the sheet its batch was just spread into, and unpacking a thousand readings
# took a quarter of the approval. Their readings are never changed in place (a change replaces one).
SHEETS = LRUCache(maxsize=4000, getsizeof=lambda kept: max(1, len(kept[2])))
KEPT_LOCK = threading.Lock()   # of SHEETS and ROLLUPS
# Likewise the roll-ups it wrote last ({roll-up id: (rev, updated_at, record)}): the next approval of
# the period reads it back, a region's objective briefs, which took an eighth of its figuring to unpack.
ROLLUPS = LRUCache(maxsize=20_000, getsizeof=lambda kept: max(1, sum(len(b["objectives"]) for b in
                                                                     kept[2].briefs.values())))
# How long an approval being applied is left to the process applying it; after a crash, the timer
# of any process takes it over once this has passed. The timer applies 10,000 readings in seconds;
# an approval applied before its answer is done or timed out (the gateway waits 10 s) well within 15 s.
CLAIM_SECONDS = 60
ANSWERING_CLAIM_SECONDS = 15
# what the service reads of an open alert, and what an alert written before a field was kept says
ALERT_FIELDS = {"indicator": 1, "kind": 1, "periods": 1, "rev": 1, "outbox": 1, "municipality": 1, "objective": 1}
ALERT_DEFAULTS = {"kind": Alert.kind.default, "periods": [], "rev": 0, "outbox": [], "municipality": None,
                  "objective": None}
SHEET_ATTEMPTS = 20   # compare-and-set attempts at a sheet of readings that others keep writing


class Monitoring(ServiceStore):
    alias = ALIAS
    outboxes = OUTBOXES

    # -- adopted plans ---------------------------------------------------------------------------
    def keep_model(self, view, version, effective_from):
        for source in domain.borrowed(domain.View(view)):   # its index goes with it, not kept for plain plans
            Counted(id=f"{source}|{view['id']}", source=source, plan_id=view["id"]).save()   # an upsert
        try:
            PlanModel._get_collection().insert_one({
                "_id": PlanModel.key(view["id"], version), "plan_id": view["id"], "version": version,
                "effective_from": effective_from, "view": pack(view), "parent_plan": view.get("parent_plan")})
        except DuplicateKeyError:
            pass  # the same adoption delivered again: its index entry may be what was missing
        ModelIndex._get_collection().update_one({"_id": view["id"]}, {"$addToSet": {"versions": version}}, upsert=True)

    def models(self, plan_id):
        """The plan's adopted versions, oldest first (read from the store only when new to this process)."""
        index = ModelIndex._get_collection().find_one({"_id": plan_id})
        if index is None:   # models stored before the index was kept: index them now
            found = _models({"plan_id": plan_id})
            for model in found:
                ModelIndex._get_collection().update_one({"_id": plan_id}, {"$addToSet": {"versions": model.version}},
                                                        upsert=True)
        else:
            with MODELS_LOCK:
                known = dict(MODELS.get(plan_id) or {})
            missing = [PlanModel.key(plan_id, v) for v in index["versions"] if v not in known]
            if missing:
                known.update({m.version: m for m in _models({"_id": {"$in": missing}})})
            found = [known[v] for v in sorted(index["versions"]) if v in known]
        if not found:
            raise NotFound(f"No adopted plan {plan_id!r}.")
        with MODELS_LOCK:
            try:
                MODELS[plan_id] = {m.version: m for m in found}
            except ValueError:   # a plan bigger than the whole cache is read each time
                MODELS.pop(plan_id, None)
        return found

    def counting(self, plan_id):
        """The adopted plans that count indicators of ``plan_id`` (reported there) too."""
        return sorted({c.plan_id for c in Counted.objects(source=plan_id)})

    def child_plans(self, plan_id):
        """The adopted plans that cascade from ``plan_id`` (their newest version says so)."""
        found = {}
        # $eq: a view's parent is one id, and the store's index answers only that form (shared.mongo.indexable)
        for doc in PlanModel._get_collection().find({"parent_plan": {"$eq": plan_id}}, {"plan_id": 1, "version": 1}):
            found[doc["plan_id"]] = True
        return sorted(found)

    @staticmethod
    def choose(models, period_key):
        """Of the loaded ``models``, the adopted version whose targets apply to ``period_key``."""
        chosen = models[0]
        period = domain.period_of(models[-1].view, period_key)
        for model in models[1:]:
            start = domain.period_of(model.view, model.effective_from) if model.effective_from else None
            if start is None or start.first_day <= period.first_day:
                chosen = model
        return chosen

    # -- batches and readings --------------------------------------------------------------------
    def batch(self, batch_id):
        return Batch.objects(id=batch_id).first()

    def save_batch(self, batch_id, plan_id, lines, answer, actor, events, fingerprint=None):
        """One document holds the whole batch: it is stored entirely or not at all. Returns
        (batch, created); a batch id taken already (the same Idempotency-Key) gives the stored one."""
        batch = Batch(id=batch_id, plan_id=plan_id, readings=pack(lines), answer=answer, fingerprint=fingerprint,
                      submitted_by=actor or {},
                      municipalities=sorted({r["municipality"] for r in lines}),
                      periods=sorted({r["period"] for r in lines}),
                      at=now_iso(), outbox=events, outbox_pending=len(events))
        try:
            batch.save(force_insert=True)
            return batch, True
        except NotUniqueError:
            return self.batch(batch_id), False

    def apply_batch(self, batch, lines=None):
        """Spread a stored batch into the sheets of its municipalities and periods; repeatable, so a
        crash half-way is redone. ``lines``: its readings, when the caller has them unpacked."""
        now = now_iso()
        by = domain.who(batch.submitted_by)
        groups = {}
        for line in unpack(batch.readings) if lines is None else lines:
            groups.setdefault((line["municipality"], line["period"]), []).append(line)

        def spread(lines):
            def change(readings):
                changed = 0
                for line in lines:
                    rid = reading_id(batch.plan_id, line)
                    previous = readings.get(rid)
                    if previous is None or previous.get("batch") != batch.id:   # else applied before a crash
                        readings[rid] = merged(batch.plan_id, previous, line, batch.id, now, by)
                        changed += 1
                return changed
            return change
        for (municipality, period), lines in groups.items():
            self._rewrite(batch.plan_id, municipality, period, spread(lines))
        Batch.objects(id=batch.id).update_one(set__applied=1)

    def unapplied_batches(self, plan_id=None):
        query = Batch.objects(applied=0) if plan_id is None else Batch.objects(plan_id=plan_id, applied=0)
        return list(query.limit(10))

    def sheet(self, plan_id, municipality, period):
        """A municipality's readings of a period as stored: {"rev", "readings": {id: reading}}, or None.
        One this process wrote last is taken as it was written when the store still holds that write."""
        key = Sheet.key(plan_id, municipality, period)
        kept = _still_kept(SHEETS, Sheet, [key]).get(key)
        if kept is not None:
            return {"rev": kept[0], "readings": dict(kept[2])}
        doc = Sheet._get_collection().find_one({"_id": key}, {"readings": 1, "rev": 1})
        return None if doc is None else {"rev": doc["rev"], "readings": {r["_id"]: r for r in unpack(doc["readings"])}}

    def _rewrite(self, plan_id, municipality, period, change, read=None):
        """Apply ``change({reading id: reading})`` (which changes them in place and answers how many it
        changed) to a sheet, by compare-and-set: read again and redone when another writer came
        first. Answers what ``change`` answered. ``read``: the sheet as the caller read it (``sheet``),
        tried first."""
        key = Sheet.key(plan_id, municipality, period)
        for attempt in range(SHEET_ATTEMPTS):
            doc = self.sheet(plan_id, municipality, period) if read is None or attempt else read
            readings = doc["readings"] if doc else {}
            changed = change(readings)
            if not changed:
                return changed
            ordered = [readings[rid] for rid in sorted(readings)]
            previous = SimpleNamespace(id=key, rev=doc["rev"]) if doc else None
            written = _compare_and_set(Sheet, previous, {"_id": key, "plan_id": plan_id, "municipality": municipality,
                                                         "period": period},
                                       readings=pack(ordered),
                                       approved=pack({r["indicator"]: r["approved"] for r in ordered if r.get("approved")}))
            if written:
                _keep(SHEETS, key, (*written, readings))
                return changed
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise Conflict(f"The readings of {municipality} for {period} kept changing; try again.")

    def readings(self, plan_id, municipality=None, period=None, indicators=None, ordered=True):
        """The readings of a plan (of a municipality, a period, some indicators), by id if ``ordered``."""
        query = {"plan_id": plan_id}
        if municipality:
            query["municipality"] = municipality
        if period:
            query["period"] = period
        wanted = None if indicators is None else set(indicators)
        found = [r for doc in Sheet._get_collection().find(indexable(Sheet, query), {"readings": 1})
                 for r in unpack(doc["readings"]) if wanted is None or r["indicator"] in wanted]
        return sorted(found, key=lambda r: r["_id"]) if ordered else found

    def approved(self, plan_id, indicators=None, borrowed=None, municipalities=None, periods=None):
        """(indicator, period) -> approved figures: the only readings that count; of the sheets of
        ``municipalities`` when given (those the ``indicators`` are reported by), and of ``periods``.
        ``borrowed`` ({plan: codes}, domain.borrowed): indicators whose readings are those of the
        plan they are reported in."""
        query = {"plan_id": plan_id}
        if municipalities is not None:
            query["municipality"] = {"$in": sorted(municipalities)}
        if periods is not None:
            query["period"] = {"$in": sorted(periods)}
        wanted = None if indicators is None else set(indicators)
        found = {(code, doc["period"]): figures
                 for doc in Sheet._get_collection().find(indexable(Sheet, query), {"period": 1, "approved": 1})
                 for code, figures in (unpack(doc.get("approved")) or {}).items()
                 if wanted is None or code in wanted}
        for source, codes in (borrowed or {}).items():
            borrowed_codes = codes if wanted is None else codes & wanted
            if borrowed_codes:
                found.update(self.approved(source, borrowed_codes, periods=periods))
        return found

    def pending(self, plan_id, municipality, period, indicators=None):
        """(readings, sheet): the submitted (not yet approved or rejected) readings of a municipality
        and period, but those an approval not yet applied names (nobody approves or rejects them
        again meanwhile); and their sheet as read, for ``approve`` to write to."""
        busy = self.being_approved(plan_id, municipality, period)   # first: an approval applied after is in the sheet
        sheet = self.sheet(plan_id, municipality, period)
        found = (sheet or {}).get("readings", {})
        wanted = None if indicators is None else set(indicators)
        return [found[rid] for rid in sorted(found) if found[rid]["status"] == "submitted" and rid not in busy
                and (wanted is None or found[rid]["indicator"] in wanted)], sheet

    def approve(self, plan_id, municipality, period, actor, events, pending, now=True, sheet=None):
        """Approve the ``pending`` readings of a municipality and period (as the caller checked them),
        with the ``events`` that say so, at once or (``now`` False) by the timer; returns the approval.

        The approval is written first, naming its readings and holding its event; applying it marks
        the readings approved and releases the event in one write, so a crash in between is
        finished by the timer and the figures never miss an approval. A reading corrected since it
        was checked (another batch) is not approved: its new figures wait for their own approval."""
        fields = dict(plan_id=plan_id, municipality=municipality, period=period,
                      indicators=sorted({r["indicator"] for r in pending}), readings=[r["_id"] for r in pending],
                      batches=[r.get("batch") or "" for r in pending], events=events, applied=0,
                      claimed_until=time.time() + ANSWERING_CLAIM_SECONDS if now else 0, at=now_iso(), by=actor or {},
                      outbox=[], outbox_pending=0, rev=0)
        approval = SimpleNamespace(id="apr_" + secrets.token_hex(8), **fields)
        # written as it is (every field, defaults too: the outbox's compare-and-set reads rev):
        # checking 10,000 reading ids field by field took longer than the write
        Approval._get_collection().insert_one({"_id": approval.id, **fields,
                                               **{f: pack(fields[f]) for f in Approval.PACKED}})
        if now:
            self.apply_approval(approval, sheet)
            approval.applied = 1
        return approval

    @staticmethod
    def outbox_of(approval):
        """An approval just applied, as the relay of its own events takes it."""
        return Approval(id=approval.id, rev=approval.rev, outbox=approval.events)

    def approval(self, plan_id, approval_id):
        found = Approval._get_collection().find_one({"_id": approval_id, "plan_id": plan_id},
                                                    {"events": 0, "outbox": 0, "batches": 0})
        return None if found is None else _record(unpacked(found, Approval.PACKED))

    def being_approved(self, plan_id, municipality, period):
        """The ids of readings that an approval not yet applied names."""
        return {rid for a in Approval.objects(plan_id=plan_id, municipality=municipality, period=period, applied=0)
                .only("readings") for rid in unpack(a.readings)}

    def claim_approval(self):
        """An approval to apply that no process is applying (a big one answered 202, or one a crash
        left half-applied), claimed for CLAIM_SECONDS; None when there is none."""
        now = time.time()
        # few approvals are unapplied at any time: read by the indexed field, their claims compared here
        for found in Approval._get_collection().find(indexable(Approval, {"applied": 0}), {"claimed_until": 1}):
            if found.get("claimed_until", 0) <= now and Approval.objects(
                    id=found["_id"], applied=0, claimed_until=found.get("claimed_until", 0)).update_one(
                    set__claimed_until=now + CLAIM_SECONDS):
                return Approval.objects(id=found["_id"]).first()
        return None

    def apply_approval(self, approval, sheet=None):
        """Repeatable: readings approved before a crash are not approved twice. ``sheet``: the
        approval's sheet as read to find its readings."""
        now = now_iso()
        by = domain.who(approval.by)
        ids, batches = unpack(approval.readings), unpack(approval.batches)
        checked = dict(zip(ids, batches)) if batches else {}

        def change(readings):
            changed = 0
            for rid in ids:
                r = readings.get(rid)
                if r is not None and r["status"] == "submitted" and (not checked or checked[rid] == r.get("batch")):
                    readings[rid] = {
                        **r, "status": "approved", "approved_at": now, "approved_by": by, "rejected": None,
                        "approved": {f: r.get(f) for f in FIGURES},
                        "trail": [*r.get("trail", []), {"action": "approved", "by": by, "at": now,
                                                        "approval": approval.id}]}
                    changed += 1
            return changed
        self._rewrite(approval.plan_id, approval.municipality, approval.period, change, sheet)
        Approval.objects(id=approval.id, applied=0).update_one(
            set__applied=1, set__outbox=approval.events, set__outbox_pending=len(approval.events))

    def reject(self, plan_id, municipality, period, actor, reason, pending):
        """Send the ``pending`` readings back to their submitter with ``reason``: they stop waiting
        for approval, and the figures approved before (if any) keep counting."""
        now = now_iso()
        by = domain.who(actor)
        rejection = Rejection(id="rej_" + secrets.token_hex(8), plan_id=plan_id, municipality=municipality,
                              period=period, indicators=sorted({r["indicator"] for r in pending}),
                              readings=[r["_id"] for r in pending], reason=reason, at=now, by=actor or {})
        rejection.save(force_insert=True)
        batches = {r["_id"]: r.get("batch") for r in pending}
        note = {"by": by, "at": now, "reason": reason}

        def change(readings):
            changed = 0
            for rid, batch in batches.items():
                r = readings.get(rid)
                if r is not None and r["status"] == "submitted" and r.get("batch") == batch:
                    readings[rid] = {**r, "status": "rejected", "rejected": note,
                                     "trail": [*r.get("trail", []), {"action": "rejected", **note,
                                                                     "rejection": rejection.id}]}
                    changed += 1
            return changed
        return self._rewrite(plan_id, municipality, period, change), rejection.indicators

    def audit(self, plan_id):
        """Each batch submitted, each approval that changed readings and each rejection, without
        their lines."""
        batches = [audit.entry(b.at, "readings.submitted", b.submitted_by, batch=b.id,
                               count=b.answer.get("accepted"), municipalities=b.municipalities, periods=b.periods)
                   for b in Batch.objects(plan_id=plan_id).exclude("readings", "outbox")]
        approvals = [audit.entry(a.at, "readings.approved", a.by, municipality=a.municipality, period=a.period,
                                 count=len(unpack(a.readings)))
                     for a in Approval.objects(plan_id=plan_id).exclude("events", "outbox", "batches")
                     if unpack(a.readings)]
        rejections = [audit.entry(r.at, "readings.rejected", r.by, municipality=r.municipality, period=r.period,
                                  count=len(r.readings), reason=r.reason)
                      for r in Rejection.objects(plan_id=plan_id) if r.readings]
        return batches + approvals + rejections

    # -- figures: a slice per municipality and a roll-up per period -------------------------------
    def rollup(self, plan_id, period):
        """A period's stored roll-up as a read takes it: with the revisions of its slices' briefs
        (``revs``, {municipality: rev}), not the briefs (a region's thousand objectives)."""
        found = Rollup._get_collection().find_one({"_id": Rollup.key(plan_id, period)}, {"briefs": 0})
        if found is not None and "revs" not in found:   # written by a release before: read from its briefs
            briefs = Rollup._get_collection().find_one({"_id": found["_id"]}, {"briefs": 1}).get("briefs")
            found["revs"] = _revs(unpack(briefs) or {})
        return None if found is None else _record(unpacked(found, Rollup.PACKED))

    def rollups(self, plan_id, periods):
        """{period: its stored roll-up} of those ``periods`` that have one, in one read (and one of
        the revisions of those this process wrote last, taken as written while the store holds them)."""
        ids = [Rollup.key(plan_id, p) for p in periods]
        found = {i: SimpleNamespace(**vars(kept[2])) for i, kept in _still_kept(ROLLUPS, Rollup, ids).items()}
        rest = [i for i in ids if i not in found]
        if rest:
            found.update((doc["_id"], _record(unpacked(doc, Rollup.PACKED)))
                         for doc in Rollup._get_collection().find({"_id": {"$in": rest}}))
        return {r.period: r for r in found.values()}

    def slices(self, plan_id, period, municipalities, part=None, parse=True):
        """{municipality: its stored slice} of a period, of those ``municipalities`` that have one; with
        ``part`` ("indicators", "objectives", or "brief": what a roll-up reads) that part alone, or
        ("rev") none of them; without ``parse``, the parts as JSON text."""
        return {m: s for (_, m), s in self.slices_of(plan_id, [(period, m) for m in municipalities], part,
                                                     parse).items()}

    def slices_of(self, plan_id, pairs, part=None, parse=True):
        """{(period, municipality): its stored slice} of those (period, municipality) ``pairs`` that have
        one, in one read; ``part`` and ``parse`` as in ``slices``. By id: the embedded store answered a
        filter by plan, period and municipalities by decoding every slice it holds."""
        ids = sorted({Slice.key(plan_id, period, m) for period, m in pairs})
        fields = None if part is None else {"municipality": 1, "period": 1, "model_version": 1, "rev": 1,
                                            "updated_at": 1, part: 1}
        found = Slice._get_collection().find({"_id": {"$in": ids}}, fields)
        return {(doc["period"], doc["municipality"]): _record(unpacked(doc, Slice.PACKED, parse)) for doc in found}

    def save_rollup(self, plan_id, period, model_version, figures, briefs, previous=None):
        """Compare-and-set on ``rev``: (rev, updated_at) as written, None when someone else updated it
        meanwhile. ``briefs``: {municipality: {"rev", "objectives"}} of the slices it was figured from."""
        key = Rollup.key(plan_id, period)
        written = _compare_and_set(Rollup, previous, {"_id": key, "plan_id": plan_id, "period": period},
                                   model_version=model_version, figures=pack(figures), briefs=pack(briefs),
                                   revs=pack(_revs(briefs)))
        if written:
            record = SimpleNamespace(id=key, plan_id=plan_id, period=period, model_version=model_version,
                                     figures=figures, briefs=briefs, revs=_revs(briefs), rev=written[0],
                                     updated_at=written[1])
            _keep(ROLLUPS, key, (*written, record))
        return written

    @staticmethod
    def slice_parts(figures, briefs):
        """A slice's figures and its objectives' ``briefs`` as they are stored (packed): made once
        for figures stored twice."""
        return {"indicators": pack(figures["indicators"]), "objectives": pack(figures["objectives"]),
                "brief": pack(briefs)}

    def save_slice(self, plan_id, period, municipality, model_version, parts, previous=None):
        """Compare-and-set on ``rev``, as ``save_rollup``; ``parts``: ``slice_parts``."""
        return _compare_and_set(Slice, previous, {"_id": Slice.key(plan_id, period, municipality), "plan_id": plan_id,
                                                  "period": period, "municipality": municipality},
                                model_version=model_version, **parts)

    # -- periods carried, figured later -----------------------------------------------------------
    def carry(self, plan_id, event_id, parts, figuring=None, seconds=0, known=()):
        """Leave periods an approval changes to be figured: ``parts``, (indicator codes, period keys).
        ``figuring``: the period the approval figures itself, for ``seconds`` at most: a read of it
        in any process waits for that (``domain.left_to_figure``). The part naming it is written
        last, so once it is kept every part is: nothing is written when it is among the carry ids
        ``known`` (as the caller read them). Returns that part as read (none without ``figuring``)."""
        now = time.time()
        docs = [{"_id": f"{plan_id}|{event_id}|{n}", "plan_id": plan_id, "indicators": sorted(indicators),
                 "periods": list(keys), "at": now,
                 **({"figuring": figuring, "until": now + seconds} if figuring in keys else {})}
                for n, (indicators, keys) in enumerate(parts) if indicators and keys]
        marked = [doc for doc in docs if "figuring" in doc]
        if not any(doc["_id"] in known for doc in marked):
            for doc in sorted(docs, key=lambda d: "figuring" in d):
                try:
                    Carry._get_collection().insert_one({**doc, "indicators": pack(doc["indicators"])})
                except DuplicateKeyError:
                    pass   # the same event delivered again
        return [_record(dict(doc)) for doc in marked]

    def carries(self, plan_id=None, fields=None, period=None):
        """The carries left (of ``plan_id``, or of every plan; naming ``period``, when given), oldest
        first. One an earlier release wrote (its approved period alone, ``approved``) names the
        periods after that period's year."""
        query = {"plan_id": plan_id} if plan_id else {}
        if period is not None:   # the store picks them: an approval or a read does not unpack every carry of the plan
            query["$or"] = [{"periods": period}, {"periods": {"$exists": False}}]
        if fields and ("periods" in fields or period is not None):
            fields = {**fields, "periods": 1, "approved": 1, "plan_id": 1}
        found = [unpacked(doc, Carry.PACKED) for doc in Carry._get_collection().find(indexable(Carry, query), fields)]
        for doc in found:
            if "approved" in doc and "periods" not in doc:   # named now, as migration step 7 names them
                try:
                    models = self.models(doc["plan_id"])
                except NotFound:
                    models = []
                doc["periods"] = [p.key for p in domain.carried_periods(models[-1].view, [doc["approved"]])
                                  ] if models else []
                if doc["periods"]:
                    Carry._get_collection().update_one({"_id": doc["_id"], "periods": {"$exists": False}},
                                                       {"$set": {"periods": doc["periods"]}})
                else:   # nothing after its year to figure (or no plan to figure it in), as step 7 does
                    Carry._get_collection().delete_one({"_id": doc["_id"]})
        return sorted((_record(doc) for doc in found if doc.get("periods", True)
                       and (period is None or period in doc["periods"])), key=lambda c: c.at)

    def carried(self, carries, period):
        """``period`` figured for ``carries``: taken from them, and a carry left with none goes."""
        if carries:
            ids = [c.id for c in carries]
            Carry._get_collection().update_many({"_id": {"$in": ids}}, {"$pull": {"periods": period}})
            Carry._get_collection().delete_many({"_id": {"$in": ids}, "periods": {"$size": 0}})

    def claim_carry(self, claim, by, seconds):
        """Whether ``by`` now figures what carries left of a period (``claim``: ``plan|period``) for
        ``seconds``: no other worker does."""
        now = time.time()
        claims = CarryClaim._get_collection()
        if claims.update_one({"_id": claim, "until": {"$lte": now}},
                             {"$set": {"until": now + seconds, "by": by}}).modified_count == 1:
            return True
        try:
            claims.insert_one({"_id": claim, "until": now + seconds, "by": by})
            return True
        except DuplicateKeyError:
            return False   # another holds it

    def release_carry(self, claim, by):
        CarryClaim._get_collection().update_one({"_id": claim, "by": by}, {"$set": {"until": 0}})

    # -- alerts ----------------------------------------------------------------------------------
    def open_alerts(self, plan_id, kind):
        """{indicator: its open alert of ``kind``} (id, rev, periods, outbox, municipality, objective):
        read raw, as every approval reads them twice and a plan may have thousands open, each of which
        mongoengine made a document of."""
        found = Alert._get_collection().find(indexable(Alert, {"plan_id": plan_id, "status": "open"}), ALERT_FIELDS)
        return {doc["indicator"]: _record({**ALERT_DEFAULTS, **doc}) for doc in found
                if doc.get("kind", ALERT_DEFAULTS["kind"]) == kind}

    def alerts(self, plan_id, include_closed=False, kind=None):
        query = Alert.objects(plan_id=plan_id) if include_closed else Alert.objects(plan_id=plan_id, status="open")
        return [a.as_dict() for a in query.order_by("opened_at") if kind is None or a.kind == kind]

    def open_alert(self, plan_id, kind, indicator, period, reason, events, realization=None, threshold=None,
                   periods=()):
        """Raise an alert once: a concurrent raise of the same episode finds its id taken."""
        # the earlier episodes' ids, read rather than counted: the embedded store's count scans every alert
        episode = len(list(Alert._get_collection().find(indexable(Alert, {
            "plan_id": plan_id, "indicator": indicator["code"], "kind": kind}), {"_id": 1}))) + 1
        try:
            Alert(id=f"{plan_id}|{indicator['code']}|{kind}|{episode}", plan_id=plan_id, indicator=indicator["code"],
                  municipality=indicator.get("municipality"), objective=indicator.get("objective"), status="open",
                  kind=kind, period=period, periods=list(periods), realization=realization, threshold=threshold,
                  reason=reason, opened_at=now_iso(), outbox=events, outbox_pending=len(events)).save(force_insert=True)
        except NotUniqueError:
            pass

    def restate_alert(self, alert, periods, reason):
        """An open overdue alert whose missing periods changed: no new event, it is the same episode."""
        Alert.objects(id=alert.id, status="open").update_one(set__periods=list(periods), set__reason=reason)

    def close_alert(self, alert, events):
        pending = alert.outbox + events
        Alert.objects(id=alert.id, rev=alert.rev, status="open").update_one(
            set__status="closed", set__closed_at=now_iso(), set__outbox=pending, set__outbox_pending=len(pending),
            inc__rev=1)

    def plan_ids(self):
        return sorted({m.plan_id for m in PlanModel.objects.only("plan_id")})

    def published(self, pid, plan_id, kind, period, fmt, municipality, events):
        Publication(id=pid, plan_id=plan_id, kind=kind, period=period, format=fmt, municipality=municipality,
                    at=now_iso(), outbox=events, outbox_pending=len(events)).save(force_insert=True)


def _models(query):
    """Plan models as records, oldest version first. Shared by the workers of a process: read only."""
    return sorted((_record({"effective_from": None, **doc, "view": domain.View(unpack(doc["view"]))})
                   for doc in PlanModel._get_collection().find(indexable(PlanModel, query))),
                  key=lambda m: m.version)


def _compare_and_set(document, previous, identity, **fields):
    """Insert the document (``previous`` None) or update it if its ``rev`` is still the one read:
    (rev, updated_at) as written, or None when another writer came first."""
    collection, now = document._get_collection(), now_iso()
    if previous is None:
        try:
            collection.insert_one({**identity, **fields, "rev": 0, "updated_at": now})
            return 0, now
        except DuplicateKeyError:
            return None
    if collection.update_one({"_id": previous.id, "rev": previous.rev}, {
            "$set": {**fields, "updated_at": now}, "$inc": {"rev": 1}}).modified_count == 1:
        return previous.rev + 1, now
    return None


def _keep(cache, key, kept):
    """Keep what was just written in ``cache`` (SHEETS, ROLLUPS); one bigger than the whole cache is
    not kept (and what was kept of it before goes): it is read from the store."""
    with KEPT_LOCK:
        try:
            cache[key] = kept
        except ValueError:
            cache.pop(key, None)


def _still_kept(cache, document, ids):
    """{id: (rev, updated_at, what was kept)} of those ``ids`` whose write this process kept in
    ``cache`` (SHEETS, ROLLUPS) is still the stored one: one read of their revisions."""
    with KEPT_LOCK:
        kept = {i: cache[i] for i in ids if i in cache}
    if not kept:
        return {}
    return {doc["_id"]: kept[doc["_id"]] for doc in document._get_collection().find(
        {"_id": {"$in": sorted(kept)}}, {"rev": 1, "updated_at": 1})
        if (doc["rev"], doc.get("updated_at")) == kept[doc["_id"]][:2]}


def _revs(briefs):
    """{municipality: rev} of a roll-up's ``briefs``: the slice revisions a read compares."""
    return {m: brief["rev"] for m, brief in briefs.items()}


def _record(doc):
    """A raw document read as attributes (``id`` for ``_id``), as the service reads documents."""
    return SimpleNamespace(id=doc.pop("_id"), **doc)


class MonitoringStore(MongoStore):
    alias = ALIAS
    documents = DOCUMENTS

    def make_dependency(self):
        return Monitoring()
