"""monitoring: districts' readings, the guide's realization figures, alerts.

The adopted plan arrives only by the registry's events. An approval publishes
``readings_approved``; this service's own handler of that event updates the stored figures of
the affected indicators and their parents, so ``GET /progress`` only reads.
"""
import base64
import secrets
from datetime import date

from nameko.events import EventDispatcher
from nameko.timer import timer

from shared import clock, config
from shared import events as ev
from shared.calendars import PeriodKeyError, plan_periods
from shared.entrypoints import HealthCheck, event_handler, rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.roles import is_participant, speaks_for
from shared.validation import Identifier, Problems

from . import domain, reports
from .dependencies import MonitoringStore
from .readings import check_batch

SERVICE = "monitoring"
CAS_RETRIES = 8
BELOW_THRESHOLD, OVERDUE = "below_threshold", "overdue"  # the two reasons an indicator is off track


class MonitoringService(HealthCheck):
    name = SERVICE

    store = MonitoringStore()
    dispatch = EventDispatcher()

    @timer(interval=1)
    def tick(self):
        """Finish batches and approvals a crash left half-applied, and relay the outbox."""
        for batch in self.store.unapplied_batches():
            self.store.apply_batch(batch)
        for approval in self.store.unapplied_approvals():
            self.store.apply_approval(approval)
        self.store.relay(self.dispatch)

    # -- the adopted plan, from the registry's events --------------------------------------------
    @event_handler("plan_registry", ev.PLAN_ADOPTED)
    def on_plan_adopted(self, body):
        self.store.handle_once(f"{SERVICE}.plan_model", body, self._keep_model)

    @event_handler("plan_registry", ev.PLAN_REVISED)
    def on_plan_revised(self, body):
        self.store.handle_once(f"{SERVICE}.plan_model", body, self._keep_model)

    def _keep_model(self, envelope):
        payload = envelope["payload"]
        if "indicators" not in payload.get("plan", {}):
            return  # a renewal: the old plan closes, the new one arrives when it is adopted
        adoption = payload.get("adoption") or {}
        self.store.keep_model(payload["plan"], payload["version"], adoption.get("effective_from"))
        self._recompute(payload["plan"]["id"])  # new targets apply: every period is figured again
        self._overdue(payload["plan"]["id"])

    # -- readings --------------------------------------------------------------------------------
    @rpc
    def submit_readings(self, actor, plan_id, body, idempotency_key=None):
        plan = self._plan(actor, plan_id)
        if idempotency_key is not None:
            if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= 200:
                raise InvalidInput("Bad Idempotency-Key.", {"Idempotency-Key": ["1-200 characters."]})
            batch_id = f"{plan_id}:key:{idempotency_key}"
            earlier = self.store.batch(batch_id)
            if earlier is not None:
                return {**earlier.answer, "replayed": True}
        else:
            batch_id = f"{plan_id}:{secrets.token_hex(8)}"
        lines = body.get("readings") if isinstance(body, dict) else None
        checked, problems, forbidden = check_batch(plan, lines, lambda m: speaks_for(actor, plan, m))
        if forbidden and not problems:
            raise Forbidden(f"Readings of {', '.join(sorted(forbidden))} are reported by its planner or the "
                            "plan's coordinator; nothing was stored.")
        problems.raise_if_any(f"{len(problems.errors)} problems in the batch; nothing was stored.")
        answer = {"batch": batch_id, "accepted": len(checked)}
        event = ev.envelope(ev.READINGS_SUBMITTED, SERVICE, {
            "batch": batch_id, "count": len(checked),
            "municipalities": sorted({r["municipality"] for r in checked}),
            "periods": sorted({r["period"] for r in checked})}, plan_id=plan_id, actor=actor)
        batch, created = self.store.save_batch(batch_id, plan_id, checked, answer, actor, [event])
        if not created:
            return {**batch.answer, "replayed": True}  # a concurrent repeat of the same key came first
        self.store.apply_batch(batch)
        self.store.relay(self.dispatch, now=True)
        return answer

    @rpc
    def list_readings(self, actor, plan_id, municipality=None, period=None):
        plan = self._plan(actor, plan_id, participants_only=True)
        if period is not None:
            self._period(plan, period)
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

    @rpc
    def approve(self, actor, plan_id, body):
        plan = self._plan(actor, plan_id)
        body = body if isinstance(body, dict) else {}
        municipality, period = body.get("municipality"), body.get("period")
        problems = Problems()
        if municipality not in [plan["coordinator"], *plan["members"]]:
            problems.add("municipality", f"{municipality!r} is not a member of plan {plan_id}.")
        try:
            period = self._period(plan, period)
        except InvalidInput as exc:
            problems.errors.update(exc.errors)
        problems.raise_if_any("The approval cannot be made as sent.")
        if not speaks_for(actor, plan, municipality):
            raise Forbidden(f"Readings of {municipality} are approved by its planner or the plan's coordinator.")
        for batch in self.store.unapplied_batches(plan_id):
            self.store.apply_batch(batch)  # a batch answered 202 is approved with the rest, crash or not

        def events(count, indicators):
            return [ev.envelope(ev.READINGS_APPROVED, SERVICE, {
                "municipality": municipality, "period": period, "count": count, "indicators": indicators},
                plan_id=plan_id, municipality=municipality, actor=actor)] if count else []

        count, _ = self.store.approve(plan_id, municipality, period, actor, events)
        self.store.relay(self.dispatch, now=True)
        return {"approved": count, "municipality": municipality, "period": period}

    @event_handler(SERVICE, ev.READINGS_APPROVED)
    def on_readings_approved(self, body):
        """Update the figures the approval touches: its indicators, their parents, later periods."""
        def effect(envelope):
            payload = envelope["payload"]
            self._update(envelope["plan_id"], payload["period"], set(payload["indicators"]))
            self._overdue(envelope["plan_id"], set(payload["indicators"]))
        self.store.handle_once(f"{SERVICE}.progress", body, effect)

    def _update(self, plan_id, approved_key, affected):
        models = self.store.models(plan_id)  # loaded once for every period below
        # the approved indicators and the other contributors of the regional indicators they feed
        needed = set(affected)
        for model in models:
            indicators = model.view["indicators"]
            regional = {i.get("contributes_to") for i in indicators if i["code"] in affected} - {None}
            needed |= {i["code"] for i in indicators if i.get("contributes_to") in regional}
        periods = domain.affected_periods(models[-1].view, approved_key)
        for period, figures in self._figure(plan_id, models, periods, affected, needed):
            if period.key == approved_key:
                self._alerts(plan_id, self.store.choose(models, period.key).view, figures, period.key, affected)

    def _figure(self, plan_id, models, periods, affected=None, needed=None):
        """Store the figures of ``periods``: only the ``affected`` indicators and their parents when
        the stored figures are of the same plan version, else everything. Yields (period, figures).

        Compare-and-set on each period, and the stored figures are read before the readings: an
        approval that lands meanwhile either is in the readings read here, or its own update comes
        after ours and fails our compare-and-set, so it is figured again and nothing goes stale."""
        pending = list(periods)
        for _ in range(CAS_RETRIES):
            stored = {p.key: self.store.progress(plan_id, p.key) for p in pending}
            approved = self.store.approved(plan_id, needed) if affected is not None else None
            everything = None
            conflicts = []
            for period in pending:
                model, previous = self.store.choose(models, period.key), stored[period.key]
                if affected is None or previous is None or previous.model_version != model.version:
                    if everything is None:
                        everything = self.store.approved(plan_id)
                    figures = domain.compute_period(model.view, everything, period)
                else:
                    figures = domain.update_period(previous.figures, model.view, approved, period, affected)
                if self.store.save_progress(plan_id, period.key, model.version, figures, previous):
                    yield period, figures
                else:
                    conflicts.append(period)  # another approval landed meanwhile: figure it again
            pending = conflicts
            if not pending:
                return
        raise Conflict(f"Progress of {plan_id} kept changing; the event is retried.")

    def _alerts(self, plan_id, view, figures, period_key, affected):
        threshold = view["settings"].get("off_track_threshold", 70)
        open_alerts = self.store.open_alerts(plan_id, BELOW_THRESHOLD)
        for figure in figures["indicators"]:
            if figure["code"] not in affected or figure["D"] is None:
                continue
            payload = {"kind": BELOW_THRESHOLD, "indicator": figure["code"], "municipality": figure["municipality"],
                       "objective": figure["objective"], "period": period_key, "realization": figure["D"],
                       "threshold": threshold}
            if domain.off_track(figure, threshold) and figure["code"] not in open_alerts:
                reason = f"Realization {figure['D']:.1f} % in {period_key} is below the plan's threshold {threshold} %."
                self.store.open_alert(plan_id, BELOW_THRESHOLD, figure, period_key, reason, [ev.envelope(
                    ev.INDICATOR_OFF_TRACK, SERVICE, {**payload, "reason": reason}, plan_id=plan_id,
                    municipality=figure["municipality"])], realization=figure["D"], threshold=threshold)
            elif not domain.off_track(figure, threshold) and figure["code"] in open_alerts:
                self.store.close_alert(open_alerts[figure["code"]], [ev.envelope(
                    ev.INDICATOR_RECOVERED, SERVICE, payload, plan_id=plan_id, municipality=figure["municipality"])])
        self.store.relay(self.dispatch, now=True)

    @timer(interval=float(config.env("ORTAK_DUE_CHECK_SECONDS", "600")))
    def check_due(self):
        """Periods end while nobody writes: look for readings past their due date now and then."""
        for plan_id in self.store.plan_ids():
            self._overdue(plan_id)

    def _overdue(self, plan_id, codes=None):
        """Raise an ``overdue`` alert (once) for each indicator (of ``codes``, or all) whose readings of
        an ended period are not approved by the plan's due date; restate it as periods come and go;
        close it when none is missing any more."""
        view = self.store.models(plan_id)[-1].view
        if codes is not None:
            view = {**view, "indicators": [i for i in view["indicators"] if i["code"] in codes]}
        decided = (view.get("adoption") or {}).get("decision_date")
        late = domain.overdue(view, set(self.store.approved(plan_id, codes)), clock.utcnow().date(),
                              view["settings"].get("readings_due_days", 30),
                              date.fromisoformat(decided) if decided else None)
        open_alerts = self.store.open_alerts(plan_id, OVERDUE)
        for indicator in view["indicators"]:
            code, periods, alert = indicator["code"], late.get(indicator["code"]), open_alerts.get(indicator["code"])
            if periods and alert is None:
                reason = f"No approved reading for {', '.join(periods)} after the due date."
                self.store.open_alert(plan_id, OVERDUE, indicator, periods[-1], reason, [ev.envelope(
                    ev.INDICATOR_OFF_TRACK, SERVICE, {"kind": OVERDUE, "indicator": code, "periods": periods,
                                                      "municipality": indicator["municipality"],
                                                      "objective": indicator["objective"], "reason": reason},
                    plan_id=plan_id, municipality=indicator["municipality"])], periods=periods)
            elif periods and list(alert.periods) != periods:
                self.store.restate_alert(alert, periods, f"No approved reading for {', '.join(periods)} "
                                                         "after the due date.")
            elif not periods and alert is not None:
                self.store.close_alert(alert, [ev.envelope(
                    ev.INDICATOR_RECOVERED, SERVICE, {"kind": OVERDUE, "indicator": code,
                                                      "municipality": indicator["municipality"],
                                                      "objective": indicator["objective"]},
                    plan_id=plan_id, municipality=indicator["municipality"])])
        self.store.relay(self.dispatch, now=True)

    # -- reads -----------------------------------------------------------------------------------
    @rpc
    def progress(self, actor, plan_id, period, municipality=None, theme=None):
        models = self._models(actor, plan_id)
        return self._progress(models, self._period(models[-1].view, period), municipality, theme)

    def _progress(self, models, key, municipality=None, theme=None):
        """The stored figures of a period (figured on the spot if none are stored for its targets)."""
        model = self.store.choose(models, key)
        plan_id = model.plan_id
        stored = self.store.progress(plan_id, key)
        if stored is None or stored.model_version != model.version:
            figures = domain.compute_period(model.view, self.store.approved(plan_id), domain.period_of(model.view, key))
        else:
            figures = stored.figures
        return {"plan_id": plan_id, "version": model.version, "period": domain.period_of(model.view, key).as_dict(),
                "settings": model.view["settings"], **_filtered(figures, municipality, theme)}

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
        if municipality is not None and municipality not in [plan["coordinator"], *plan["members"]]:
            raise InvalidInput("Unknown municipality.", {"municipality": [f"Not a member of plan {plan_id}."]})
        progress = self._progress(models, key, municipality)
        halves = []
        if kind == "evaluation":
            for h in ("H1", "H2"):
                figures = self._progress(models, f"{key}-{h}", municipality)
                halves.append({"period": figures["period"]["key"], "plan": figures["plan"], "goals": figures["goals"]})
        alerts = self.store.alerts(plan_id) if is_participant(actor, plan) else []
        covered = {key, *(h["period"] for h in halves)}
        alerts = [a for a in alerts if (municipality is None or a["municipality"] == municipality)
                  and (a["period"] in covered or covered & set(a["periods"]))]
        document = reports.document(kind, self.store.choose(models, key).view, progress, municipality, halves,
                                    alerts)
        self.store.published(plan_id, kind, key, fmt, municipality, lambda rid: [ev.envelope(
            ev.REPORT_PUBLISHED, SERVICE, {"report": rid, "kind": kind, "period": key, "format": fmt,
                                           "municipality": municipality}, plan_id=plan_id, actor=actor)])
        self.store.relay(self.dispatch, now=True)
        if fmt == "json":
            return document
        content = reports.xlsx(document) if fmt == "xlsx" else reports.pdf(document)
        suffix = f"-{municipality}" if municipality else ""
        return {"content_base64": base64.b64encode(content).decode(), "filename": f"{plan_id}-{kind}-{key}{suffix}.{fmt}"}

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
        return {"plan_id": plan_id, "periods": self._recompute(plan_id)}

    def _recompute(self, plan_id):
        models = self.store.models(plan_id)
        latest = models[-1].view
        periods = plan_periods(latest["calendar"], latest["period"]["start"], latest["period"]["end"])
        return sum(1 for _ in self._figure(plan_id, models, periods))

    # -- helpers ---------------------------------------------------------------------------------
    def _models(self, actor, plan_id, participants_only=False):
        """The plan's adopted versions, oldest first, if this caller may read them."""
        if not Identifier.FORM.match(plan_id or ""):
            raise NotFound(f"No adopted plan {plan_id!r}.")
        models = self.store.models(plan_id)
        if participants_only and not is_participant(actor, models[-1].view):
            raise NotFound(f"No readings of plan {plan_id!r} for this caller.")
        return models

    def _plan(self, actor, plan_id, participants_only=False):
        """The newest adopted version's plan, if this caller may read it."""
        return self._models(actor, plan_id, participants_only)[-1].view

    @staticmethod
    def _period(plan, key):
        try:
            return domain.period_of(plan, key).key
        except PeriodKeyError as exc:
            raise InvalidInput(f"Bad period: {exc}.", {"period": [str(exc)]}) from None


def _filtered(figures, municipality, theme):
    """The figures of one municipality or theme (the plan-wide roll-up stays as stored)."""
    if municipality is None and theme is None:
        return figures
    objectives = [o for o in figures["objectives"]
                  if (municipality is None or o["municipality"] == municipality) and (theme is None or o["theme"] == theme)]
    codes = {o["code"] for o in objectives}
    goals = {o["goal"] for o in objectives}
    return {**figures, "objectives": objectives,
            "indicators": [i for i in figures["indicators"] if i["objective"] in codes],
            "goals": [g for g in figures["goals"] if g["code"] in goals],
            "municipalities": [m for m in figures["municipalities"]
                               if municipality is None or m["municipality"] == municipality],
            "regional": [r for r in figures["regional"] if r["goal"] in goals]}
