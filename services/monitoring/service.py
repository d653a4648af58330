"""monitoring: districts' readings, the guide's realization figures, alerts.

The adopted plan arrives only by the registry's events. An approval publishes
``readings_approved``; this service's own handler of that event updates the stored figures of
the affected indicators and their parents, so ``GET /progress`` only reads.
"""
import base64
import hashlib
import logging
import random
import secrets
import time
import zlib
from datetime import date

import orjson
from eventlet.semaphore import Semaphore
from marshmallow import ValidationError
from nameko.events import EventDispatcher
from nameko.timer import timer

from shared import clock, config, idempotency, priority
from shared import events as ev
from shared.calendars import PeriodKeyError, plan_periods
from shared.entrypoints import HealthCheck, event_handler, rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.privacy import mask_contacts
from shared.roles import is_participant, municipalities_of, speaks_for
from shared.text import check_plain
from shared.validation import Identifier, Problems

from . import domain, reports
from .dependencies import MonitoringStore
from .readings import TEXTS, check_batch, keyed_batch_id

log = logging.getLogger(__name__)

SERVICE = "monitoring"
CAS_RETRIES = 8
BELOW_THRESHOLD, OVERDUE = "below_threshold", "overdue"  # the two reasons an indicator is off track
SLICE_FIGURES = 20_000   # indicator figures an update holds at once: a district's every period, a few of a big one
APPROVE_AT_ONCE = 1000   # readings an approval marks before it answers; a bigger one answers 202 (API.md)
READ_ATTEMPTS = 20   # reads of the stored figures while an update is under way (about 2 s in all)
APPROVAL_WAIT = 1.0   # seconds a read of a period waits for an approval of it being figured
APPROVAL_POLL = 0.015   # seconds between looks at the store for one being figured in another process
FIGURING_SECONDS = 60   # an approval still figuring its period after this has crashed: anyone figures it
# The periods an approval changes besides its own (the rest of its year, later years) are figured
# together (a Carry): once a plan has had no approval for CARRY_QUIET seconds, or its oldest carry
# has waited CARRY_AT_MOST; a read of one of them figures that one first, so nobody sees them late.
# Under a stream of approvals each pass figures the later periods the next approval changes again:
# the fewer passes, the less work (a region's hundred approvals in a row take half a minute here).
CARRY_CHECK_SECONDS, CARRY_QUIET, CARRY_AT_MOST = 0.5, 1.0, 60.0
CARRY_CLAIM_SECONDS = 60   # a period of the biggest plan takes seconds; after a crash another takes over
CARRY_ROUNDS = 3
CARRY_FIELDS = {"periods": 1, "at": 1, "figuring": 1, "until": 1}   # what a carry says of who figures it
SUMMARY_OVER = 500   # indicators: a bigger plan read without a filter is answered in summary (API.md)
# Figuring a plan takes many store calls; a burst of adoptions or approvals would otherwise take every
# worker of the process, and reads and submissions (a few calls each) would queue behind them past
# the gateway's timeout. So at most this many workers figure at once; the others wait here, and the
# process keeps workers free for the rest (max_workers in deploy/nameko.yml is well above this).
FIGURING = Semaphore(int(config.env("ORTAK_FIGURE_WORKERS", "2")))


class MonitoringService(HealthCheck):
    name = SERVICE

    store = MonitoringStore()
    dispatch = EventDispatcher()

    @timer(interval=1)
    def tick(self):
        """Finish batches and approvals a crash left half-applied, and relay the outbox."""
        for batch in self.store.unapplied_batches():
            self.store.apply_batch(batch)
        while approval := self.store.claim_approval():
            self.store.apply_approval(approval)
        self.store.relay(self.dispatch)

    # -- the adopted plan, from the registry's events --------------------------------------------
    @event_handler("plan_registry", ev.PLAN_ADOPTED)
    def on_plan_adopted(self, body):
        with FIGURING:
            self.store.handle_once(f"{SERVICE}.plan_model", body, self._keep_model)

    @event_handler("plan_registry", ev.PLAN_REVISED)
    def on_plan_revised(self, body):
        with FIGURING:
            self.store.handle_once(f"{SERVICE}.plan_model", body, self._keep_model)

    def _keep_model(self, envelope):
        payload = envelope["payload"]
        adoption = payload.get("adoption") or {}
        self.store.keep_model(payload["plan"], payload["version"], adoption.get("effective_from"))
        self._recompute(payload["plan"]["id"])  # new targets apply: every period is figured again
        self._overdue(payload["plan"]["id"])

    # -- readings --------------------------------------------------------------------------------
    @rpc
    def submit_readings(self, actor, plan_id, body, idempotency_key=None):
        plan = self._plan(actor, plan_id)
        request = idempotency.fingerprint(body)
        if idempotency.checked(idempotency_key) is not None:
            batch_id = keyed_batch_id(plan_id, actor, idempotency_key)
            earlier = self.store.batch(batch_id)
            if earlier is not None:
                return _replay(earlier, body)
        else:
            batch_id = f"{plan_id}:{secrets.token_hex(8)}"
        lines = body.get("readings") if isinstance(body, dict) else None
        checked, problems, forbidden = check_batch(plan, lines, lambda m: speaks_for(actor, plan, m),
                                                   clock.utcnow().date())
        if forbidden and not problems:
            raise Forbidden(f"Readings of {', '.join(sorted(forbidden))} are reported by its planner or the "
                            "plan's coordinator; nothing was stored.")
        problems.raise_if_any(f"{len(problems.errors)} problems in the batch; nothing was stored.")
        answer = {"batch": batch_id, "accepted": len(checked)}
        event = ev.envelope(ev.READINGS_SUBMITTED, SERVICE, {
            "batch": batch_id, "count": len(checked),
            "municipalities": sorted({r["municipality"] for r in checked}),
            "periods": sorted({r["period"] for r in checked})}, plan_id=plan_id, actor=actor)
        batch, created = self.store.save_batch(batch_id, plan_id, checked, answer, actor, [event], request)
        if not created:
            return _replay(batch, body)  # a concurrent repeat of the same key came first
        self.store.apply_batch(batch, checked)
        self.store.relay(self.dispatch, now=True, written=[batch])   # its own event: others are the timer's
        return answer

    @rpc
    def list_readings(self, actor, plan_id, municipality=None, period=None):
        plan = self._plan(actor, plan_id, participants_only=True)
        if period is not None:
            period = self._period(plan, period)   # Persian digits read as the key they are
        return [{k: v for k, v in r.items() if k != "_id"} | {"id": r["_id"]}
                for r in self.store.readings(plan_id, municipality=municipality, period=period)]

    @rpc
    def audit(self, actor, plan_id):
        """Readings submitted and approved: who, when, what, from which request. The registry
        decides who may read a plan's trail; a plan never adopted has no readings to show."""
        try:
            self._plan(actor, plan_id, participants_only=True)
        except NotFound:
            return []
        return self.store.audit(plan_id)

    def _scope(self, plan, plan_id, body):
        """(municipality, period key, indicators or None) of an approval or a rejection, checked."""
        body = body if isinstance(body, dict) else {}
        municipality, period, indicators = body.get("municipality"), body.get("period"), body.get("indicators")
        problems = Problems()
        if municipality not in municipalities_of(plan):
            problems.add("municipality", f"{municipality!r} is not a member of plan {plan_id}.")
        try:
            period = self._period(plan, period)
        except InvalidInput as exc:
            problems.errors.update(exc.errors)
        if indicators is not None and (not isinstance(indicators, list) or not indicators
                                       or not all(isinstance(i, str) for i in indicators)):
            problems.add("indicators", "A non-empty list of indicator codes, or leave it out for every one.")
            indicators = None
        elif indicators is not None:
            known = {i["code"] for i in plan["indicators"] if i["municipality"] == municipality}
            for n, code in enumerate(indicators):
                if code not in known:
                    problems.add(f"indicators[{n}]", f"{code!r} is not an indicator of {municipality!r}.")
        return municipality, period, indicators, problems

    @rpc
    def approve(self, actor, plan_id, body):
        """Approve a municipality's submitted readings of a period (or of some indicators). With four
        eyes (the plan's default) nobody approves readings they submitted themselves."""
        models = self._models(actor, plan_id)
        plan = models[-1].view
        municipality, period, indicators, problems = self._scope(plan, plan_id, body)
        problems.raise_if_any("The approval cannot be made as sent.")
        if not speaks_for(actor, plan, municipality):
            raise Forbidden(f"Readings of {municipality} are approved by its planner or the plan's coordinator.")
        for batch in self.store.unapplied_batches(plan_id):
            self.store.apply_batch(batch)  # a batch answered 202 is approved with the rest, crash or not
        pending, sheet = self.store.pending(plan_id, municipality, period, indicators)
        own = domain.own_submissions(pending, actor, plan["settings"].get("four_eyes", True))
        if own:
            submitter = "token" if (actor or {}).get("token_id") else "person"
            raise InvalidInput(
                "Four eyes: readings are approved by someone other than who submitted them; nothing was approved.",
                {"indicators": [f"This {submitter} submitted {', '.join(own)} of {municipality} for {period}: another "
                                "person of the municipality, or the plan's coordinator, approves them."]})

        codes = sorted({r["indicator"] for r in pending})
        events = [ev.envelope(ev.READINGS_APPROVED, SERVICE, {
            "municipality": municipality, "period": period, "count": len(pending), "indicators": codes},
            plan_id=plan_id, municipality=municipality, actor=actor)] if pending else []
        now = len(pending) <= APPROVE_AT_ONCE
        approval = self.store.approve(plan_id, municipality, period, actor, events, pending, now=now, sheet=sheet)
        if now and events:   # from its answer on, a read of the period (in any process) waits for its figures
            self._leave(plan_id, events[0]["event_id"], models, period, set(codes))
        if now:   # its own event: others are the timer's
            self.store.relay(self.dispatch, now=True, written=[self.store.outbox_of(approval)])
        return self._approval_answer(approval)

    @rpc
    def approval(self, actor, plan_id, approval_id):
        """An approval and whether its readings are approved yet (``status`` applying or applied)."""
        self._plan(actor, plan_id, participants_only=True)
        approval = self.store.approval(plan_id, approval_id)
        if approval is None:
            raise NotFound(f"Plan {plan_id} has no approval {approval_id}.")
        return self._approval_answer(approval)

    @staticmethod
    def _approval_answer(approval):
        return {"approved": len(approval.readings), "municipality": approval.municipality, "period": approval.period,
                "approval": approval.id, "status": "applied" if approval.applied else "applying"}

    @rpc
    def reject(self, actor, plan_id, body):
        """Send a municipality's submitted readings of a period (or of some indicators) back to their
        submitter with a reason; the figures approved before keep counting."""
        plan = self._plan(actor, plan_id)
        municipality, period, indicators, problems = self._scope(plan, plan_id, body)
        reason = body.get("reason") if isinstance(body, dict) else None
        if not isinstance(reason, str) or not reason.strip():
            problems.add("reason", "Say why the readings are rejected: the submitter reads it.")
        else:
            try:
                reason = check_plain(reason.strip(), 2000)
            except ValidationError as exc:
                problems.add("reason", " ".join(exc.messages))
        problems.raise_if_any("The rejection cannot be made as sent.")
        if not speaks_for(actor, plan, municipality):
            raise Forbidden(f"Readings of {municipality} are rejected by its planner or the plan's coordinator.")
        for batch in self.store.unapplied_batches(plan_id):
            self.store.apply_batch(batch)
        pending, _ = self.store.pending(plan_id, municipality, period, indicators)
        count, codes = self.store.reject(plan_id, municipality, period, actor, reason, pending)
        return {"rejected": count, "municipality": municipality, "period": period, "indicators": codes,
                "reason": reason}

    @event_handler(SERVICE, ev.READINGS_APPROVED)
    def on_readings_approved(self, body):
        """Update the figures the approval touches: its indicators, their parents, later periods."""
        def effect(envelope):
            payload, plan_id = envelope["payload"], envelope["plan_id"]
            models = self.store.models(plan_id)
            self._update(plan_id, payload["period"], set(payload["indicators"]), models, envelope["event_id"])
            priority.give_way()
            self._overdue(plan_id, set(payload["indicators"]), models)
            for other in self.store.counting(plan_id):   # the plans that count these indicators too
                models = self.store.models(other)
                codes = set(payload["indicators"]) & domain.borrowed(models[-1].view).get(plan_id, set())
                if codes and domain.within(models[-1].view, payload["period"]):
                    self._update(other, payload["period"], codes, models, envelope["event_id"])
                    self._overdue(other, codes, models)
        with FIGURING:
            self.store.handle_once(f"{SERVICE}.progress", body, effect)

    def _update(self, plan_id, approved_key, affected, models, event_id):
        """Figure the approved period now, with what carries left of it; leave the other periods the
        approval changes (the rest of its year, and the later years of the indicators that carry
        forward) to a Carry: figured when one of them is read, or once the plan's approvals pause
        (``carry_forward``). ``models``: the plan's adopted versions, loaded once for every period below.
        A read of the approved period meanwhile waits for it (``_stored``): in this process for the
        figuring itself, in another for the approval's carry of the period to go."""
        with priority.under_way((plan_id, approved_key)):
            self._figure_approval(plan_id, approved_key, affected, models, event_id)

    def _leave(self, plan_id, event_id, models, approved_key, affected, known=()):
        """Leave what an approval changes to be figured (a Carry, once per event; ``known``: the
        carry ids read, store.carry): its own period, which it figures at once (a read of it waits
        for that), the rest of its year, and the later years of the indicators that carry forward.
        Returns (the periods left besides its own, the carry of its own)."""
        view = models[-1].view
        year = [p.key for p in domain.affected_periods(view, approved_key, later=False) if p.key != approved_key]
        carried = set().union(*(domain.carrying(model.view, affected) for model in models))
        later = [p.key for p in domain.carried_periods(view, [approved_key])] if carried else []
        own = self.store.carry(plan_id, event_id, [(affected, [approved_key, *year]), (carried, later)],
                               figuring=approved_key, seconds=FIGURING_SECONDS, known=known)
        return year + later, own

    def _figure_approval(self, plan_id, approved_key, affected, models, event_id):
        view = models[-1].view
        # read before the readings: what their approvals approved is in the figures below. Only the
        # carries of the municipalities figured here (this approval's among them): another's waits for
        # its own approval of this period, a read or the timer (two approvals at once would both
        # figure every municipality)
        mine = domain.reporting(view, affected)
        left = [c for c in self.store.carries(plan_id, period=approved_key)
                if domain.reported_by(view, c.indicators, mine)]
        # this approval's own carry: left as it answered, unless it answered 202 (or counts in another plan)
        known = {c.id for c in left}
        others, own = self._leave(plan_id, event_id, models, approved_key, affected, known)
        left += [c for c in own if c.id not in known]
        codes = affected.union(*(c.indicators for c in left))
        period = [domain.period_of(view, approved_key)]
        written = self._slices(plan_id, models, period, codes, keep=approved_key)
        if approved_key in written:   # alerts first: once the roll-up shows the approval, they are raised
            view = self.store.choose(models, approved_key).view
            indicators = [e for _, part in written[approved_key].values() for e in part["indicators"]]
            self._alerts(plan_id, view, indicators, approved_key, affected)
        rollups = self._rollups(plan_id, models, period, codes, written)
        self.store.carried(left, approved_key)
        # with the periods carried: the gateways forget what they served of them, and a read figures them first
        self._figures_updated(plan_id, rollups + others)

    @timer(interval=CARRY_CHECK_SECONDS)
    def carry_forward(self):
        """Figure the periods that approvals left, a plan at a time: once no approval of it came for
        CARRY_QUIET seconds, or the oldest has waited CARRY_AT_MOST."""
        now, plans = time.time(), {}
        for carry in self.store.carries(fields={"plan_id": 1, "at": 1}):
            plans.setdefault(carry.plan_id, []).append(carry.at)
        for plan_id, times in plans.items():
            if now - max(times) >= CARRY_QUIET or now - min(times) >= CARRY_AT_MOST:
                with FIGURING:
                    self._carry(plan_id)

    def _carry(self, plan_id, only=None):
        """Figure the periods the carries of ``plan_id`` left so far (period ``only``, when given), a
        period at a time, each by one worker; again for those left meanwhile (a few rounds: the timer
        comes back for more). False when another worker is figuring one of them."""
        for _ in range(CARRY_ROUNDS):
            carries, now = self.store.carries(plan_id, fields=CARRY_FIELDS, period=only), time.time()
            left = {key for c in carries for key in c.periods
                    if only in (None, key) and not domain.being_figured(c, key, now)}
            if not left:
                break
            models, stored, free = self.store.models(plan_id), [], True
            periods = domain.periods_among(models[-1].view, left)
            self._taken(carries, left - {p.key for p in periods})   # no longer periods of the plan: nothing to figure
            for period in periods:
                figured = self._carry_period(plan_id, models, period)
                free = free and figured is not None
                stored += figured or []
            self._figures_updated(plan_id, stored)
            if not free:
                return False
        return True

    def _carry_period(self, plan_id, models, period):
        """Figure what the carries left of ``period``, and of its twin when they left no more of the
        twin than of it (a year and its second half are figured in one pass, mostly alike): the
        period keys stored, None when another worker is at ``period``."""
        by, claims, left = secrets.token_hex(8), [], {}
        try:
            for each in filter(None, [period, domain.twin(period)]):
                claim = f"{plan_id}|{each.key}"
                if not self.store.claim_carry(claim, by, CARRY_CLAIM_SECONDS):
                    if each is period:
                        return None
                    continue
                claims.append(claim)
                # read before the readings: what their approvals approved is in the figures
                left[each] = domain.left_to_figure(self.store.carries(plan_id, period=each.key), each.key, time.time())
                if not left[period]:
                    return []
            affected = set().union(*(c.indicators for c in left[period]))
            for twin in [p for p in left if p is not period]:
                if not left[twin] or not set().union(*(c.indicators for c in left[twin])) <= affected:
                    del left[twin]   # nothing left of it, or more than of the period: figured on its own
            with priority.holding():   # a read of these periods waits for the claim
                written = self._slices(plan_id, models, list(left), affected)
                stored = self._rollups(plan_id, models, list(left), affected, written)
            for each, carries in left.items():
                self.store.carried(carries, each.key)
            return stored
        finally:
            for claim in claims:
                self.store.release_carry(claim, by)

    def _taken(self, carries, keys):
        """Take the periods ``keys`` from the ``carries`` that name them: figured, or nothing to figure."""
        for key in sorted(keys):
            self.store.carried([c for c in carries if key in c.periods], key)

    def _carried(self, model, key):
        """Whether the stored figures of period ``key`` count every approval handled so far: what
        carries left of it is figured first, by this worker or by the one already at it; an
        approval of it that another process is figuring is waited for, APPROVAL_WAIT at most."""
        deadline = time.monotonic() + APPROVAL_WAIT
        for attempt in range(READ_ATTEMPTS):
            if not self._left_of(model.plan_id, key, deadline):
                return True
            try:
                if self._carry(model.plan_id, only=key):
                    continue
            except Conflict:   # others kept writing the same figures: read them again
                pass
            time.sleep(0.01 * (attempt + 1))
        return False

    def _left_of(self, plan_id, key, deadline):
        """The carries of period ``key`` left to figure, once no approval of it is being figured (or
        at the monotonic ``deadline``, when what those approvals figure is not waited for)."""
        while True:
            carries = self.store.carries(plan_id, fields=CARRY_FIELDS, period=key)
            left = domain.left_to_figure(carries, key, time.time())
            if len(left) == len(carries) or time.monotonic() >= deadline:
                return left
            priority.pause(APPROVAL_POLL)

    def _figures_updated(self, plan_id, periods):
        """Say that stored figures changed (the gateways drop what they served of them): after the
        write, so a read that follows the event finds the new figures."""
        if not periods:
            return
        try:
            self.dispatch(ev.FIGURES_UPDATED, ev.envelope(ev.FIGURES_UPDATED, SERVICE, {"periods": sorted(set(periods))},
                                                          plan_id=plan_id))
        except Exception:  # the gateways' caches also expire on their own (a safety net)
            log.warning("figures_updated of %s not published", plan_id, exc_info=True)

    # Each stored slice and roll-up is written by compare-and-set on its revision, and is read before
    # the readings (or the slices) it is figured from: an approval that lands meanwhile either is in
    # what was read, or its own update comes after ours and fails our compare-and-set, so it is
    # figured again and nothing goes stale, however many processes figure at once.
    def _slices(self, plan_id, models, periods, affected=None, municipalities=None, keep=None):
        """Figure and store the slices of ``periods``: of ``municipalities``, else of those with an
        ``affected`` indicator, else (``affected`` None) of every municipality, from scratch. Only the
        affected indicators are figured again in a slice of the same plan version (the regional
        indicators they feed are the roll-up's). Returns {period key: {municipality: (the slice's revision, {"objectives":
        their brief, "indicators": the figures of period ``keep``, else none})}}: a few periods at a time,
        so a big municipality's slices are not all in memory at once."""
        planned = []   # (period, its municipalities to figure, how many indicators they have)
        for period in periods:
            view = self.store.choose(models, period.key).view
            plan = domain.index(view)
            names = municipalities or (plan.figured if affected is None else domain.reporting(view, affected))
            planned.append((period, sorted(names), sum(len(plan.indicators_of.get(m, ())) for m in names)))
        written = {}
        for group in domain.batches(planned, lambda p: p[2], SLICE_FIGURES):
            work = [(period, m) for period, names, _ in group for m in names]
            self._until_stored(plan_id, work, lambda pending: self._slice_attempt(
                pending, plan_id, models, affected, keep, written))
        return written

    def _slice_attempt(self, pending, plan_id, models, affected, keep, written):
        """One attempt of _slices at the ``pending`` (period, municipality) slices: answers those another
        process wrote meanwhile."""
        whole, reported, wanted_parts = set(), {}, {}
        for key in dict.fromkeys(p.key for p, _ in pending):
            names = frozenset(m for p, m in pending if p.key == key)
            model = self.store.choose(models, key)
            if (model.version, names) not in reported:
                of = domain.index(model.view).indicators_of
                reported[model.version, names] = {i["code"] for m in names for i in of.get(m, ())}
            # an approval of every indicator of these municipalities figures each again: the stored are not read
            if affected is not None and reported[model.version, names] <= affected:
                whole.add(key)
            wanted_parts.setdefault("rev" if key in whole else "indicators", []).extend((key, m) for m in names)
        stored = {}
        for part, pairs in wanted_parts.items():
            stored.update(self.store.slices_of(plan_id, pairs, part))
        figured, codes = [], set(affected or ())
        for period, m in pending:
            model, previous = self.store.choose(models, period.key), stored.get((period.key, m))
            same = affected is not None and previous is not None and previous.model_version == model.version
            kept = {"indicators": previous.indicators} if same and period.key not in whole else None
            figured.append((period, m, model, previous, kept))
            if not same:   # figured from scratch: every indicator of the municipality
                codes |= {i["code"] for i in domain.index(model.view).indicators_of.get(m, ())}
        wanted = None if affected is None else codes
        readings = domain.by_indicator(self._approved(plan_id, models[-1].view, wanted))
        # a year and its second half figured from scratch alike are figured once (figured_alike)
        alike, from_scratch = domain.figured_alike(list(dict.fromkeys(p for p, _ in pending)), readings), {}
        conflicts = []
        for period, m, model, previous, current in figured:
            twin = alike.get(period.key)
            version, figures, briefs, parts = from_scratch.pop((twin, m), (None, None, None, None))
            if current is not None or version != model.version:
                figures = domain.slice_figures(model.view, readings, period, m, current, affected)
                briefs = [domain.brief(o) for o in figures["objectives"]]
                parts = self.store.slice_parts(figures, briefs)
                if current is None and twin is not None:   # kept until its twin is figured
                    from_scratch[period.key, m] = (model.version, figures, briefs, parts)
            if self.store.save_slice(plan_id, period.key, m, model.version, parts, previous):
                written.setdefault(period.key, {})[m] = (0 if previous is None else previous.rev + 1, {
                    "objectives": briefs, "indicators": figures["indicators"] if period.key == keep else []})
            else:
                conflicts.append((period, m))
        return conflicts

    def _rollups(self, plan_id, models, periods, affected=None, written=None):
        """Figure and store each period's roll-up, and the regional indicators the ``affected``
        indicators feed (every one when None). A roll-up keeps the brief of each slice's objectives
        with the slice's revision: the slices just ``written`` (from _slices) replace older briefs of
        theirs, so an approval reads no slice again; a roll-up of another plan version is made from
        the stored slices (figuring first any that is missing). Returns the period keys stored."""
        stored_keys = []

        def attempt(pending):
            stored = self.store.rollups(plan_id, [p.key for p in pending])
            figured, codes = [], set()
            for period in pending:
                model, previous = self.store.choose(models, period.key), stored.get(period.key)
                view = model.view
                members = set(domain.figured_municipalities(view))
                same = affected is not None and previous is not None and previous.model_version == model.version
                briefs = dict(getattr(previous, "briefs", None) or {}) if same else {}
                for m, (rev, part) in (written or {}).get(period.key, {}).items():
                    if m not in briefs or briefs[m]["rev"] < rev:   # another process may have written a newer one
                        briefs[m] = {"rev": rev, "objectives": part["objectives"]}
                if not members <= set(briefs):
                    briefs = self._briefs(plan_id, models, period, model.version, members)
                regional = domain.fed_by(view, affected) if same else {r["code"] for r in view["regional_indicators"]}
                codes |= domain.regional_inputs(view, regional)
                figured.append((period, model, previous, previous.figures if same else None,
                                {m: b for m, b in briefs.items() if m in members}))
            readings = domain.by_indicator(self._approved(plan_id, models[-1].view, codes)) if codes else {}
            conflicts = []
            for period, model, previous, current, briefs in figured:
                objectives = [o for b in briefs.values() for o in b["objectives"]]
                figures = domain.rollup_figures(model.view, objectives, readings, period, current, affected)
                if self.store.save_rollup(plan_id, period.key, model.version, figures, briefs, previous):
                    stored_keys.append(period.key)
                else:
                    conflicts.append(period)
            return conflicts
        self._until_stored(plan_id, list(periods), attempt)
        return stored_keys

    def _briefs(self, plan_id, models, period, version, members):
        """{municipality: {"rev", "objectives"}} of the stored slices of the plan version's ``members``,
        figuring first those missing or of another version."""
        def current():
            return {m: {"rev": s.rev, "objectives": s.brief} for m, s in
                    self.store.slices(plan_id, period.key, members, part="brief").items() if s.model_version == version}
        found = current()
        if len(found) < len(members):
            self._slices(plan_id, models, [period], municipalities=members - set(found))
            found = current()
        return found

    @staticmethod
    def _until_stored(plan_id, pending, attempt):
        """Run ``attempt(pending)`` (which answers what it could not store) until everything is stored."""
        for n in range(CAS_RETRIES):
            if n:   # another process wrote meanwhile: let it finish before reading again
                time.sleep(random.uniform(0, 0.05 * n))
            priority.give_way()
            pending = attempt(pending)
            if not pending:
                return
        raise Conflict(f"Progress of {plan_id} kept changing; the event is retried.")

    def _alerts(self, plan_id, view, indicators, period_key, affected):
        """Open or close below-threshold alerts from the ``indicators`` figured of ``period_key``."""
        threshold = view["settings"].get("off_track_threshold", 70)
        open_alerts = self.store.open_alerts(plan_id, BELOW_THRESHOLD)
        changes = domain.threshold_alerts(indicators, affected, open_alerts, threshold, period_key)
        for change, figure, reason in changes:
            payload = {"kind": BELOW_THRESHOLD, "indicator": figure["code"], "municipality": figure["municipality"],
                       "objective": figure["objective"], "period": period_key,
                       "realization": domain.alert_realization(figure), "threshold": threshold}
            if change == "open":
                self.store.open_alert(plan_id, BELOW_THRESHOLD, figure, period_key, reason, [ev.envelope(
                    ev.INDICATOR_OFF_TRACK, SERVICE, {**payload, "reason": reason}, plan_id=plan_id,
                    municipality=figure["municipality"])], realization=payload["realization"], threshold=threshold)
            else:
                self.store.close_alert(open_alerts[figure["code"]], [ev.envelope(
                    ev.INDICATOR_RECOVERED, SERVICE, payload, plan_id=plan_id, municipality=figure["municipality"])])
        if changes:
            self.store.relay(self.dispatch, now=True)

    @timer(interval=float(config.env("ORTAK_DUE_CHECK_SECONDS", "600")))
    def check_due(self):
        """Periods end while nobody writes: look for readings past their due date now and then."""
        for plan_id in self.store.plan_ids():
            with FIGURING:   # plan by plan: adoptions and approvals take their turns in between
                self._overdue(plan_id)

    def _overdue(self, plan_id, codes=None, models=None):
        """Raise an ``overdue`` alert (once) for each indicator (of ``codes``, or all) whose readings of
        an ended period are not approved by the plan's due date; restate it as periods come and go;
        close it when none is missing any more. ``models``: the plan's adopted versions, if loaded."""
        models = models or self.store.models(plan_id)
        plan = view = models[-1].view
        if codes is not None:
            view = {**view, "indicators": domain.indicators_among(plan, codes)}
        # readings are due from the plan's first adoption on: an update's adoption moves no due date
        decided = (models[0].view.get("adoption") or {}).get("decision_date")
        due = domain.due_periods(plan, clock.utcnow().date(), plan["settings"].get("readings_due_days", 30),
                                 date.fromisoformat(decided) if decided else None)
        read = domain.answering_periods(due)   # only the sheets of periods due: an approval's are mostly not
        late = domain.overdue(view, set(self._approved(plan_id, plan, codes, read)) if read else set(), due)
        open_alerts = self.store.open_alerts(plan_id, OVERDUE)
        changes = domain.overdue_alerts(view["indicators"], late, {c: a.periods for c, a in open_alerts.items()},
                                        whole_plan=codes is None)
        for change, subject, periods in changes:
            if change == "open":
                reason = domain.overdue_reason(periods)
                self.store.open_alert(plan_id, OVERDUE, subject, periods[-1], reason, [ev.envelope(
                    ev.INDICATOR_OFF_TRACK, SERVICE, {"kind": OVERDUE, "indicator": subject["code"], "periods": periods,
                                                      "municipality": subject["municipality"],
                                                      "objective": subject["objective"], "reason": reason},
                    plan_id=plan_id, municipality=subject["municipality"])], periods=periods)
            elif change == "restate":
                self.store.restate_alert(open_alerts[subject], periods, domain.overdue_reason(periods))
            else:
                self._close_overdue(plan_id, open_alerts[subject])
        if changes:   # an alert opened or closed holds its event
            self.store.relay(self.dispatch, now=True)

    def _close_overdue(self, plan_id, alert):
        self.store.close_alert(alert, [ev.envelope(
            ev.INDICATOR_RECOVERED, SERVICE, {"kind": OVERDUE, "indicator": alert.indicator,
                                              "municipality": alert.municipality, "objective": alert.objective},
            plan_id=plan_id, municipality=alert.municipality)])

    def _approved(self, plan_id, view, indicators=None, periods=None):
        """The approved readings that count in the plan (``view``): its own, and those of the
        indicators it counts from the plan they are reported in (of ``periods``, when given)."""
        municipalities = None if indicators is None else domain.reporting(view, indicators)
        return self.store.approved(plan_id, indicators, domain.borrowed(view), municipalities, periods)

    # -- reads -----------------------------------------------------------------------------------
    @rpc
    def progress(self, actor, plan_id, period, municipality=None, theme=None, include=None, with_revision=False,
                 level="indicators", goal=None, encoded=False, gzip_over=None):
        """The figures; ``with_revision``: {"progress": figures, "revision": the stored figures'
        revision (the plan version and the figures document's rev), or None when they were figured
        on the spot or roll children up} -- what the gateway's ETag and its cache are made of; with
        ``encoded`` too, the figures as JSON text where they have one ({"encoded", "revision"}): the
        gateway sends them as they are, where parsing a region's 3.7 MB of figures and writing them
        again cost it 40 ms. With ``gzip_over`` too, a text of at least that many bytes comes
        gzipped, in base64 ({"gzipped", "revision"}): as the gateway keeps and sends a big answer,
        and a tenth of the bytes to carry through the broker, whose JSON escaped every quote of it.
        ``level`` "summary" stops at objectives, "indicators" goes down to them, and "auto" (what the
        public API asks when its caller does not say) is summary for a plan of more than SUMMARY_OVER
        indicators read without a filter."""
        models = self._models(actor, plan_id)
        key = self._period(models[-1].view, period)
        if level not in ("auto", "summary", "indicators"):
            raise InvalidInput("Unknown level.", {"level": ["Use level=summary or level=indicators."]})
        if include not in (None, "children"):
            raise InvalidInput("Unknown include.", {"include": ["Use include=children."]})
        if level == "auto":
            unfiltered = municipality is None and theme is None and goal is None
            level = "summary" if unfiltered and len(models[-1].view["indicators"]) > SUMMARY_OVER else "indicators"
        indicators = level == "indicators"
        revision = []
        # the whole plan's figures sent as JSON text: its slices' text joined, never parsed
        text = encoded and with_revision and (municipality, theme, goal) == (None, None, None)
        if include is None:
            figures = self._progress(models, key, municipality, theme, goal, revision=revision, indicators=indicators,
                                     text=text)
        else:
            figures = self._with_children(models, key, {plan_id}, indicators)
            view = self.store.choose(models, key).view
            figures = {**figures, **_filtered(view, figures, municipality, theme, goal)}
        if level == "summary":
            figures = domain.summary(figures)
        if not with_revision:
            return figures
        revision = revision[0] if revision and include is None else None
        if encoded:
            try:
                written = orjson.dumps(figures, option=orjson.OPT_NON_STR_KEYS)
                if gzip_over is not None and len(written) > gzip_over:   # with the newline that ends every answer
                    packer = zlib.compressobj(1, zlib.DEFLATED, 31)   # gzip, the fastest level: 3.7 MB in 6 ms
                    packed = packer.compress(written) + packer.compress(b"\n") + packer.flush()   # the text not copied
                    return {"gzipped": base64.b64encode(packed).decode(), "revision": revision}
                return {"encoded": written.decode(), "revision": revision}
            except TypeError:   # a value JSON has no plain form for: sent as figures, written by the gateway
                log.warning("progress of %s %s sent unencoded", plan_id, key, exc_info=True)
                if text:
                    return self.progress(actor, plan_id, period, include=include, with_revision=True, level=level)
        return {"progress": figures, "revision": revision}

    @rpc
    def series(self, actor, plan_id, start=None, end=None, municipality=None):
        """The plan's, each goal's and each municipality's realization period by period, from ``start``
        to ``end`` (both half-years or both years; by default every half-year of the plan); with
        ``municipality`` its own. Answers {"series", "revision"}: revision None when any period was
        figured on the spot."""
        models = self._models(actor, plan_id)
        view = models[-1].view
        self._member(view, municipality)
        try:
            periods = domain.periods_between(view, start and self._period(view, start, "from"),
                                             end and self._period(view, end, "to"))
        except ValueError as exc:
            raise InvalidInput(str(exc), {"from": [str(exc)]}) from None
        revisions = []
        points = [domain.series_point(self._progress(models, p.key, municipality, revision=revisions, indicators=False))
                  for p in periods]
        return {"series": {"plan_id": plan_id, "municipality": municipality, "periods": points},
                "revision": _combined(revisions) if len(revisions) == len(points) else None}

    @rpc
    def matrix(self, actor, plan_id, period):
        """Goals x municipalities of a period: each municipality's own goal figures."""
        models = self._models(actor, plan_id)
        key = self._period(models[-1].view, period)
        revision = []
        figures = self._progress(models, key, revision=revision, indicators=False)
        answer = {"plan_id": plan_id, "period": figures["period"]["key"],
                  **domain.matrix(self.store.choose(models, key).view, figures)}
        return {"matrix": answer, "revision": revision[0] if revision else None}

    def _with_children(self, models, key, seen, indicators=True):
        """The figures of ``key`` with every adopted child plan rolled up, through any depth."""
        plan_id = models[-1].plan_id
        figures = self._progress(models, key, indicators=indicators)
        children = []
        for child_id in self.store.child_plans(plan_id):
            if child_id in seen:
                continue  # the registry refuses cycles; a store repaired by hand is not trusted blindly
            child_models = self.store.models(child_id)
            try:
                domain.period_of(child_models[-1].view, key)
            except PeriodKeyError:
                continue  # the child's period does not cover this one
            children.append({"plan": self.store.choose(child_models, key).view,
                             "figures": self._with_children(child_models, key, seen | {child_id}, indicators)})
        return domain.with_children(self.store.choose(models, key).view, figures, children)

    def _progress(self, models, key, municipality=None, theme=None, goal=None, revision=None, indicators=True,
                  text=False):
        """The stored figures of a period (figured on the spot if none are stored for its targets),
        with the indicators (of ``municipality`` when given) only if ``indicators``; the stored
        figures' revision is appended to ``revision`` when one is given. With ``text``, the
        indicators and objectives of stored figures may come as their JSON text (orjson.Fragment):
        for an answer written with orjson, not for reading."""
        model = self.store.choose(models, key)
        plan_id, period = model.plan_id, domain.period_of(model.view, key)
        figures = self._stored(model, key, municipality, indicators, revision, text)
        if figures is None:
            figures = domain.compute_period(model.view, self._approved(plan_id, models[-1].view), period)
        return {"plan_id": plan_id, "version": model.version, "period": period.as_dict(),
                "settings": model.view["settings"], **_filtered(model.view, figures, municipality, theme, goal)}

    def _stored(self, model, key, municipality, indicators, revision, text=False):
        """The figures stored for the plan version ``model``: the roll-up, and the slices of
        ``municipality`` or of all (without their indicators unless ``indicators``); None when they
        are not all of that version.
        A slice written after the roll-up read with it is an update under way: read again shortly,
        so the indicators and the roll-up shown together are always of the same approvals."""
        members = domain.figured_municipalities(model.view) if municipality is None else {municipality}
        # an approval of this period being figured here: shown, as to whoever approved and reads at once
        priority.wait_for((model.plan_id, key), APPROVAL_WAIT)
        if not self._carried(model, key):
            return None   # still being figured: figured on the spot
        for attempt in range(READ_ATTEMPTS):
            rollup = self.store.rollup(model.plan_id, key)
            if rollup is None or rollup.model_version != model.version:
                return None
            slices = self.store.slices(model.plan_id, key, members, part=None if indicators else "objectives",
                                       parse=not text)
            if any(s.model_version != model.version for s in slices.values()):
                return None
            recorded = rollup.revs   # the slices' revisions the roll-up was figured from
            if not recorded or all(recorded.get(m) == s.rev for m, s in slices.items()):
                break
            time.sleep(0.01 * (attempt + 1))
        else:
            return None   # still changing: figured on the spot
        if revision is not None:
            revision.append(_revision(model.version, rollup, slices.values()))
        if not text:
            return domain.assemble(model.view, rollup.figures, [vars(s) for s in slices.values()])
        # a region's 5,000 indicators: 3.7 MB of JSON, which parsing and writing again took 60 ms
        joined = domain.assemble_text(model.view, rollup.figures, {m: vars(s) for m, s in slices.items()})
        if joined is not None:
            return {**joined, **{kind: orjson.Fragment(joined[kind]) for kind in ("indicators", "objectives")}}
        return domain.assemble(model.view, rollup.figures, [
            {**vars(s), **{kind: orjson.loads(getattr(s, kind)) for kind in ("indicators", "objectives")
                           if hasattr(s, kind)}} for s in slices.values()])

    @rpc
    def report(self, actor, plan_id, kind, key, fmt="json", municipality=None):
        """The six-monthly monitoring report (a half-year) or the yearly evaluation report (a year),
        for the plan or one municipality, as json, xlsx or pdf; ``report_published`` is sent."""
        models = self._models(actor, plan_id)
        plan = models[-1].view
        if fmt not in ("json", "xlsx", "pdf"):
            raise InvalidInput("Unknown format.", {"format": ["Use json, xlsx or pdf."]})
        key = self._period(plan, key)
        half = domain.period_of(plan, key).half
        if (kind == "monitoring") != (half is not None):
            field = "period" if kind == "monitoring" else "year"
            raise InvalidInput(f"A {kind} report covers a {'half-year' if kind == 'monitoring' else 'year'}.",
                               {field: ["e.g. 2026-H1 or 1405-H1" if kind == "monitoring" else "e.g. 2026 or 1405"]})
        self._member(plan, municipality)
        progress = self._progress(models, key, municipality)
        halves, periods = [], {key: progress}
        if kind == "evaluation":
            for h in ("H1", "H2"):
                figures = self._progress(models, f"{key}-{h}", municipality)
                periods[figures["period"]["key"]] = figures
                halves.append({"period": figures["period"]["key"], "plan": figures["plan"], "goals": figures["goals"]})
            for year in range(plan["period"]["start"], int(key)):   # the cumulative table's earlier years
                periods[str(year)] = self._progress(models, str(year), municipality)
        participant = is_participant(actor, plan)
        alerts = self.store.alerts(plan_id) if participant else []
        covered = {key, *(h["period"] for h in halves)}
        alerts = [a for a in alerts if (municipality is None or a["municipality"] == municipality)
                  and (a["period"] in covered or covered & set(a["periods"]))]
        notes = {(r["indicator"], r["period"]): _texts(r, participant)
                 for r in self.store.readings(plan_id, municipality=municipality)
                 if r["period"] in covered and r.get("approved")}
        view = self.store.choose(models, key).view
        evaluation = (domain.evaluation_rows(view, int(key), periods, notes) if kind == "evaluation" else None)
        document = reports.document(kind, view, progress, municipality, halves, alerts, notes, evaluation)
        rid = "rep_" + secrets.token_hex(8)
        self.store.published(rid, plan_id, kind, key, fmt, municipality, [ev.envelope(
            ev.REPORT_PUBLISHED, SERVICE, {"report": rid, "kind": kind, "period": key, "format": fmt,
                                           "municipality": municipality}, plan_id=plan_id, actor=actor)])
        self.store.relay(self.dispatch, now=True)
        if fmt == "json":
            return document
        content = reports.xlsx(document) if fmt == "xlsx" else reports.pdf(document)
        suffix = f"-{municipality}" if municipality else ""
        return {"content_base64": base64.b64encode(content).decode(), "filename": f"{plan_id}-{kind}-{key}{suffix}.{fmt}"}

    @rpc
    def deviations(self, actor, plan_id, year, municipality=None):
        """What the approved readings of ``year`` and its half-years say of each indicator's
        deviation and of the measures taken (for the programme service's activity report)."""
        models = self._models(actor, plan_id)
        plan = models[-1].view
        key = self._period(plan, str(year))
        self._member(plan, municipality)
        keys = [f"{key}-H1", f"{key}-H2", key]
        participant = is_participant(actor, plan)
        notes = {(r["indicator"], r["period"]): _texts(r, participant)
                 for r in self.store.readings(plan_id, municipality=municipality)
                 if r["period"] in keys and r.get("approved")}
        return domain.said_in(notes, keys)

    @rpc
    def alerts(self, actor, plan_id, include_closed=False, kind=None):
        self._plan(actor, plan_id)  # public, as the progress they are read from
        if kind not in (None, BELOW_THRESHOLD, OVERDUE):
            raise InvalidInput("Unknown kind of alert.", {"kind": [f"Use {BELOW_THRESHOLD} or {OVERDUE}."]})
        return self.store.alerts(plan_id, include_closed, kind)

    @rpc
    def recompute(self, plan_id):
        """Repair: every period figured again from the approved readings (same numbers as the
        incremental updates)."""
        with FIGURING:
            return {"plan_id": plan_id, "periods": self._recompute(plan_id)}

    def _recompute(self, plan_id):
        models = self.store.models(plan_id)
        latest = models[-1].view
        periods = plan_periods(latest["calendar"], latest["period"]["start"], latest["period"]["end"])
        carries = self.store.carries(plan_id)   # read before the readings: what they carry is in the figures below
        self._slices(plan_id, models, periods)
        stored = self._rollups(plan_id, models, periods)
        self._taken(carries, {key for c in carries for key in c.periods})   # the timer has none of it left to figure
        self._figures_updated(plan_id, stored)
        return len(stored)

    # -- helpers ---------------------------------------------------------------------------------
    def _models(self, actor, plan_id, participants_only=False):
        """The plan's adopted versions, oldest first, if this caller may read them."""
        if not Identifier.FORM.fullmatch(plan_id or ""):
            raise NotFound(f"No adopted plan {plan_id!r}.")
        models = self.store.models(plan_id)
        if participants_only and not is_participant(actor, models[-1].view):
            raise NotFound(f"No readings of plan {plan_id!r} for this caller.")
        return models

    def _plan(self, actor, plan_id, participants_only=False):
        """The newest adopted version's plan, if this caller may read it."""
        return self._models(actor, plan_id, participants_only)[-1].view

    @staticmethod
    def _member(plan, municipality):
        if municipality is not None and municipality not in municipalities_of(plan):
            raise InvalidInput("Unknown municipality.", {"municipality": [f"Not a member of plan {plan['id']}."]})

    @staticmethod
    def _period(plan, key, field="period"):
        try:
            return domain.period_of(plan, key).key
        except PeriodKeyError as exc:
            raise InvalidInput(f"Bad period: {exc}.", {field: [str(exc)]}) from None


def _combined(revisions):
    """One revision for an answer made of several stored figures."""
    return hashlib.sha256("|".join(revisions).encode()).hexdigest()[:20]


def _revision(model_version, rollup, slices):
    """Names the stored figures read: changes whenever one of them is written (rev), and differs
    between two stores that happen to reach the same revs (the time of each write)."""
    written = "|".join(f"{d.id}|{d.rev}|{d.updated_at}" for d in [rollup, *slices])
    return f"{model_version}.{rollup.rev}.{hashlib.sha256(written.encode()).hexdigest()[:12]}"


def _replay(batch, body):
    """The first answer to an Idempotency-Key, for a retry of the same request."""
    return idempotency.replay(batch.fingerprint, body, {**batch.answer, "replayed": True}, "batch of readings")


def _texts(reading, participant):
    """A reading's note, source and reason for deviation as a report prints them: for the public
    with contact details masked."""
    texts = {k: reading.get(k) for k in TEXTS}
    return texts if participant else {k: mask_contacts(v) if v else v for k, v in texts.items()}


def _filtered(plan, figures, municipality, theme, goal=None):
    """The figures of one municipality (its goals and realization from its own objectives only),
    of one theme or of one goal (the plan-wide roll-up stays as stored)."""
    if municipality is not None:
        figures = domain.for_municipality(plan, figures, municipality)
    if theme is None and goal is None:
        return figures
    objectives = [o for o in figures["objectives"]
                  if (theme is None or o["theme"] == theme) and (goal is None or o["goal"] == goal)]
    codes = {o["code"] for o in objectives}
    goals = {o["goal"] for o in objectives}
    return {**figures, "objectives": objectives,
            "indicators": [i for i in figures["indicators"] if i["objective"] in codes],
            "goals": [g for g in figures["goals"] if g["code"] in goals],
            "regional": [r for r in figures["regional"] if r["goal"] in goals]}
