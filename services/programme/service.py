"""programme: activities and projects (faaliyet ve projeler) and the yearly documents.

A project belongs to a municipality of an adopted plan and serves one of its objectives, goals or
strategies; the municipality's planner or the plan's coordinator registers, changes and reports it,
and the public reads it. Every change makes a new version, is audited on the project and is
published as an event through the outbox. The adopted plan arrives by the registry's events
(``plan_adopted``, ``plan_revised``) and is kept here as a read model. An overdue milestone raises
an alert once (the timer looks every ``ORTAK_MILESTONE_SWEEP_SECONDS``) and clears when it is done.
The performance programme and the activity report of a year are read from the plan, the projects
and monitoring's figures.
"""
import base64
import secrets

from nameko.events import EventDispatcher
from nameko.rpc import RpcProxy
from nameko.timer import timer

from shared import audit, config, idempotency
from shared import events as ev
from shared.clock import now_iso, utcnow
from shared.entrypoints import HealthCheck, event_handler, rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion, Unauthenticated
from shared.roles import is_participant, role, speaks_for
from shared.validation import Problems, is_identifier, load

from . import domain, printed, schemas
from .dependencies import ProgrammeStore

SERVICE = "programme"
SWEEP_SECONDS = float(config.env("ORTAK_MILESTONE_SWEEP_SECONDS", "30"))
FORMATS = ("json", "xlsx", "pdf")


class ProgrammeService(HealthCheck):
    name = SERVICE

    store = ProgrammeStore()
    dispatch = EventDispatcher()
    registry = RpcProxy("plan_registry")
    monitoring = RpcProxy("monitoring")
    consultation = RpcProxy("consultation")   # the bank of needs, capacities and opportunities

    @timer(interval=1)
    def tick(self):
        self.store.relay(self.dispatch)

    @timer(interval=SWEEP_SECONDS)
    def sweep(self):
        """Raise the alert of every milestone that became overdue since the last look (once)."""
        for item in self.store.all_projects():
            self._reconcile(item)
        self.store.relay(self.dispatch)

    # -- the adopted plan, from the registry's events ----------------------------------------------
    @event_handler("plan_registry", ev.PLAN_ADOPTED)
    def on_plan_adopted(self, body):
        self.store.handle_once(f"{SERVICE}.plan_view", body, self._keep_plan)

    @event_handler("plan_registry", ev.PLAN_REVISED)
    def on_plan_revised(self, body):
        self.store.handle_once(f"{SERVICE}.plan_view", body, self._keep_plan)

    def _keep_plan(self, envelope):
        payload = envelope["payload"]
        self.store.keep_plan(payload["plan"], payload["version"])

    def _plan(self, plan_id):
        """The adopted plan; asked of the registry once if its events came before this service."""
        if not is_identifier(plan_id):
            raise NotFound(f"No adopted plan {plan_id!r}.")
        plan = self.store.plan(plan_id)
        if plan is None:
            try:
                view = self.registry.monitoring_view(plan_id)
            except (NotFound, Conflict):
                raise NotFound(f"No adopted plan {plan_id!r}.") from None
            self.store.keep_plan({k: v for k, v in view.items() if k != "version"}, view["version"])
            plan = self.store.plan(plan_id)
        return plan

    # -- who writes --------------------------------------------------------------------------------
    @staticmethod
    def _require_writer(actor, plan, *municipalities):
        if role(actor) == "public":
            raise Unauthenticated("Send a token of the project's municipality's planner or the plan's coordinator.")
        for municipality in municipalities:
            if not speaks_for(actor, plan, municipality):
                raise Forbidden(f"Projects of {municipality} are written by its planner or the plan's coordinator.")

    # -- projects ------------------------------------------------------------------------------------
    @rpc
    def register_project(self, actor, plan_id, body, idempotency_key=None):
        """A new project; an Idempotency-Key makes a retry after a lost answer find the project the
        first attempt registered (the key sent again with another body is refused)."""
        plan = self._plan(plan_id)
        pid = request = None
        if idempotency.checked(idempotency_key) is not None:
            pid = idempotency.keyed_id("pj_", actor, idempotency_key, scope=plan_id)
            request = idempotency.fingerprint(body)
            earlier = self.store.keyed(pid)
            if earlier is not None:
                return self._replay(actor, plan, earlier, body)
        data = schemas.as_stored(load(schemas.ProjectSchema(), body,
                                      detail="The project cannot be registered as sent."))
        if data["municipality"] in domain.members(plan):
            self._require_writer(actor, plan, data["municipality"])
        else:
            self._require_writer(actor, plan, plan["coordinator"])
        problems = self._bank(actor, plan_id, data, domain.project_problems(data, plan, Problems()))
        problems.raise_if_any("The project does not fit the plan; nothing was stored.")
        now, today = now_iso(), utcnow().date()
        alerts, missed, _ = domain.reconcile_alerts([], data["milestones"], today, now)
        fields = {"version": 1, "reports": [], "alerts": alerts, "open_alerts": _open(alerts),
                  "created_at": now, "updated_at": now, "fingerprint": request}
        entry = audit.entry(now, "registered", actor, version=1, data=data)

        keyed, pid = pid is not None, pid or "pj_" + secrets.token_hex(6)
        events = [self._event(ev.PROJECT_REGISTERED, pid, plan_id, data, actor, {"version": 1}),
                  *[self._missed(pid, plan_id, data, m) for m in missed]]
        item, created = self.store.register(plan_id, pid, data, fields, entry, events, keyed)
        if not created:
            return self._replay(actor, plan, item, body)
        self.store.relay(self.dispatch, now=True)
        return self._answer(actor, plan, item.as_dict(), item.history)

    def _replay(self, actor, plan, item, body):
        idempotency.replay(item.fingerprint, body, None, "project")
        return self._answer(actor, plan, item.as_dict(), item.history)

    @rpc
    def get_project(self, actor, pid):
        item = self.store.project(pid)
        return self._answer(actor, self._plan(item.plan_id), item.as_dict(), item.history)

    @rpc
    def change_project(self, actor, pid, body, expected_version=None):
        item = self.store.project(pid)
        plan = self._plan(item.plan_id)
        self._require_writer(actor, plan, item.municipality)
        data = schemas.as_stored(load(schemas.ProjectSchema(), body, detail="The project cannot be changed as sent."))
        if data["municipality"] != item.municipality:
            self._require_writer(actor, plan, data["municipality"])
        if expected_version is not None and expected_version != item.version:
            raise StaleVersion(f"The project is at version {item.version}, not {expected_version}.",
                               extra={"version": item.version})
        problems = self._bank(actor, item.plan_id, data, domain.project_problems(data, plan, Problems()))
        if data["code"] != item.code and self.store.code_taken(item.plan_id, data["code"], item.id):
            problems.add("code", f"Plan {item.plan_id} has a project {data['code']!r} already.")
        problems.raise_if_any("The change does not fit the plan; nothing was stored.")
        now, today = now_iso(), utcnow().date()
        alerts, missed, met = domain.reconcile_alerts(item.alerts, data["milestones"], today, now)
        met_titles = {m["title"] for m in met}
        met += [m for m in domain.newly_done(item.data["milestones"], data["milestones"])
                if m["title"] not in met_titles]
        version = item.version + 1
        events = [self._event(ev.PROJECT_CHANGED, item.id, item.plan_id, data, actor, {"version": version}),
                  *[self._missed(item.id, item.plan_id, data, m) for m in missed],
                  *[self._met(item.id, item.plan_id, data, m, actor) for m in met]]
        fields = {"data": data, "code": data["code"], "municipality": data["municipality"], "version": version,
                  "alerts": alerts, "open_alerts": _open(alerts), "updated_at": now}
        entry = audit.entry(now, "changed", actor, version=version, data=data)
        if not self.store.change(item, fields, entry, events):
            raise Conflict("The project was changed by someone else at the same moment; read it and try again.")
        self.store.relay(self.dispatch, now=True)
        item = self.store.project(pid)
        return self._answer(actor, plan, item.as_dict(), item.history)

    @rpc
    def report_progress(self, actor, pid, body):
        """A progress report of a period (percent done, spending, a note); a period reported again
        replaces its earlier report, which stays in the history."""
        item = self.store.project(pid)
        plan = self._plan(item.plan_id)
        self._require_writer(actor, plan, item.municipality)
        report = load(schemas.ReportSchema(), body, detail="The progress report cannot be stored as sent.")
        problems = Problems()
        period = domain.report_problems(plan, item.data, report, utcnow().date(), problems)
        problems.raise_if_any("The progress report breaks a rule; nothing was stored.")
        now = now_iso()
        report = {**report, "period": period.key, "at": now}
        reports = domain.with_report(item.reports, report)
        version = item.version + 1
        event = self._event(ev.PROJECT_PROGRESSED, item.id, item.plan_id, item.data, actor, {
            "version": version, "period": period.key, "percent": report["percent"], "spent": report["spent"],
            "status": domain.status({**item.data, "reports": reports}, utcnow().date())})
        entry = audit.entry(now, "progress_reported", actor, version=version, report=report)
        if not self.store.change(item, {"reports": reports, "version": version, "updated_at": now}, entry, [event]):
            raise Conflict("The project was changed by someone else at the same moment; read it and try again.")
        self.store.relay(self.dispatch, now=True)
        item = self.store.project(pid)
        return self._answer(actor, plan, item.as_dict(), item.history)

    @rpc
    def portfolio(self, actor, plan_id, filters=None):
        """The plan's projects ranked by horizon, then priority; filters horizon, municipality, status,
        theme and goal (the one served, through the objective or strategy)."""
        plan = self._plan(plan_id)
        filters = filters or {}
        problems = Problems()
        for name, allowed in (("horizon", domain.HORIZONS), ("status", domain.STATUSES)):
            if filters.get(name) is not None and filters[name] not in allowed:
                problems.add(name, f"Use one of {', '.join(allowed)}.")
        if filters.get("municipality") is not None and filters["municipality"] not in domain.members(plan):
            problems.add("municipality", f"Not a member of plan {plan_id}.")
        domain.filter_problems(plan, filters, problems).raise_if_any("Bad filter.")
        today = utcnow().date()
        items = [self._public(p.as_dict(), today) for p in self.store.projects(plan_id, filters.get("municipality"))]
        return domain.ranked([p for p in items if domain.in_portfolio(plan, p, filters)])

    @rpc
    def budget(self, actor, plan_id, municipality=None):
        """Budget by year against the objectives' cost estimates, with the mismatch shown."""
        plan = self._plan(plan_id)
        self._member(plan, municipality)
        projects = [p.as_dict() for p in self.store.projects(plan_id)]
        return {"plan_id": plan_id, "municipality": municipality,
                **domain.budget_by_year(plan, projects, municipality)}

    # -- the yearly documents ----------------------------------------------------------------------
    @rpc
    def programme(self, actor, plan_id, year, municipality=None, fmt="json"):
        plan, year, fmt = self._document_args(plan_id, year, municipality, fmt)
        projects = [p.as_dict() for p in self.store.projects(plan_id)]
        document = domain.programme(plan, projects, year, municipality, utcnow().date())
        document["adoption"] = self.store.adoption(plan_id, year, municipality)
        return self._render(document, "performance-programme", fmt)

    @rpc
    def activity_report(self, actor, plan_id, year, municipality=None, fmt="json"):
        plan, year, fmt = self._document_args(plan_id, year, municipality, fmt)
        projects = [p.as_dict() for p in self.store.projects(plan_id)]
        progress = self.monitoring.progress(actor, plan_id, str(year), municipality)
        said = self.monitoring.deviations(actor, plan_id, str(year), municipality)
        document = domain.activity_report(plan, projects, year, municipality, progress, utcnow().date(), said)
        document["adoption"] = self.store.adoption(plan_id, year, municipality)   # the programme's
        return self._render(document, "activity-report", fmt)

    @rpc
    def adopt_programme(self, actor, plan_id, year, body):
        """The council decision adopting the performance programme of ``year``: the plan's by its
        coordinator, one municipality's by its planner; a later decision replaces it (both kept)."""
        self._require_writer(actor, self._plan(plan_id))   # a token first, then the body
        decision = load(schemas.AdoptionSchema(), body, detail="The adoption cannot be recorded as sent.")
        municipality = decision.pop("municipality")
        plan, year, _ = self._document_args(plan_id, year, municipality, "json")
        self._require_writer(actor, plan, municipality or plan["coordinator"])
        domain.adoption_problems(plan, year, decision, utcnow().date(), Problems()).raise_if_any(
            "The adoption breaks a rule; nothing was stored.")
        now = now_iso()
        stored = {"decision_no": decision["decision_no"], "decision_date": decision["decision_date"].isoformat(),
                  "adopted_at": now}
        event = ev.envelope(ev.PROGRAMME_ADOPTED, SERVICE, {"year": year, "decision_no": stored["decision_no"],
                                                            "decision_date": stored["decision_date"]},
                            plan_id=plan_id, municipality=municipality, actor=actor)
        self.store.adopt(plan_id, year, municipality, stored, audit.entry(now, "adopted", actor, **stored), event)
        self.store.relay(self.dispatch, now=True)
        return {"plan_id": plan_id, "year": year, "municipality": municipality, **stored}

    def _document_args(self, plan_id, year, municipality, fmt):
        plan = self._plan(plan_id)
        problems = Problems()
        years = domain.plan_years(plan)
        if str(year) not in years:
            problems.add("year", f"Give a year of the plan, {years[0]}-{years[-1]}.")
        if fmt not in FORMATS:
            problems.add("format", f"Use one of {', '.join(FORMATS)}.")
        problems.raise_if_any("Bad query.")
        self._member(plan, municipality)
        return plan, str(year), fmt

    @staticmethod
    def _member(plan, municipality):
        if municipality is not None and municipality not in domain.members(plan):
            raise InvalidInput("Unknown municipality.", {"municipality": [f"Not a member of plan {plan['id']}."]})

    @staticmethod
    def _render(document, kind, fmt):
        if fmt == "json":
            return document
        scope = document["municipality"] or "plan"
        content = printed.xlsx(document, kind) if fmt == "xlsx" else printed.pdf(document, kind)
        return {"filename": f"{document['plan_id']}-{kind}-{document['year']}-{scope}.{fmt}",
                "content_base64": base64.b64encode(content).decode("ascii")}

    # -- milestones ------------------------------------------------------------------------------
    def _reconcile(self, item):
        alerts, missed, met = domain.reconcile_alerts(item.alerts, item.data["milestones"], utcnow().date(), now_iso())
        if not missed and not met and alerts == list(item.alerts):
            return
        events = [*[self._missed(item.id, item.plan_id, item.data, m) for m in missed],
                  *[self._met(item.id, item.plan_id, item.data, m, None) for m in met]]
        self.store.change(item, {"alerts": alerts, "open_alerts": _open(alerts)}, None, events)  # lost race: next sweep

    def _bank(self, actor, plan_id, data, problems):
        """The links to the bank checked against the consultation service's bank of the plan."""
        if data["bank"]:
            domain.bank_problems(data, self.consultation.bank(actor, plan_id), problems)
        return problems

    # -- answers and events ----------------------------------------------------------------------
    def _answer(self, actor, plan, project, history):
        answer = self._public(project, utcnow().date())
        if is_participant(actor, plan):
            answer["history"] = list(history)
        return answer

    @staticmethod
    def _public(project, today):
        return {**project, "status": domain.status(project, today)}

    @staticmethod
    def _event(kind, pid, plan_id, data, actor, extra):
        return ev.envelope(kind, SERVICE, {"project_id": pid, "code": data["code"], "kind": data["kind"],
                                           "objective": data.get("objective"), "horizon": data["horizon"],
                                           "priority": data["priority"], **extra},
                           plan_id=plan_id, municipality=data["municipality"], actor=actor)

    @staticmethod
    def _missed(pid, plan_id, data, milestone):
        return ev.envelope(ev.MILESTONE_MISSED, SERVICE, {"project_id": pid, "code": data["code"],
                                                          "milestone": milestone["title"], "due": milestone["due"]},
                           plan_id=plan_id, municipality=data["municipality"])

    @staticmethod
    def _met(pid, plan_id, data, milestone, actor):
        return ev.envelope(ev.MILESTONE_MET, SERVICE, {"project_id": pid, "code": data["code"],
                                                       "milestone": milestone["title"], "due": milestone["due"],
                                                       "done_on": milestone["done_on"]},
                           plan_id=plan_id, municipality=data["municipality"], actor=actor)


def _open(alerts):
    return sum(1 for a in alerts if a["status"] == "open")
