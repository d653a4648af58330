"""consultation: workshops, surveys, meetings and public comment on a plan; stakeholders' inputs
and the coordinator's decisions that link them to goals and objectives.

It keeps its own read model of each plan (goals, objectives, themes, members) from the
registry's events, and asks the registry by RPC only for a plan it has not heard of yet.
"""
import base64

from nameko.events import EventDispatcher
from nameko.rpc import RpcProxy
from nameko.timer import timer

from shared import config, ratelimit
from shared import events as ev
from shared.clock import iso, now_iso, utcnow
from shared.entrypoints import HealthCheck, event_handler, rpc
from shared.errors import Conflict, Forbidden, NotFound, Unauthenticated
from shared.roles import is_coordinator, is_participant, role
from shared.validation import Problems, load

from . import domain, report, schemas
from .dependencies import ConsultationStore

SERVICE = "consultation"
PLAN_EVENTS = (ev.PLAN_CREATED, ev.FRAME_CHANGED, ev.CONTRIBUTION_SUBMITTED, ev.PLAN_STATUS_CHANGED,
               ev.PLAN_ADOPTED, ev.REVISION_STARTED, ev.PLAN_REVISED)
RATE_WINDOW = 60
PLAN_VIEW = ("id", "status", "coordinator", "members", "themes", "goals", "objectives")


class ConsultationService(HealthCheck):
    name = SERVICE

    store = ConsultationStore()
    dispatch = EventDispatcher()
    registry = RpcProxy("plan_registry")

    # -- the plan read model ---------------------------------------------------------------------
    def _keep(self, body):
        self.store.handle_once(f"{SERVICE}.plan_view", body, lambda envelope: self._keep_view(
            envelope["payload"]["plan"], envelope["payload"]["version"]))

    def _keep_view(self, plan, version):
        """Of the registry's plan, what consultation links to: goals, objectives, themes, members."""
        self.store.keep_plan({k: plan[k] for k in PLAN_VIEW}, version)

    # nameko gives each (event type, handler) its own queue, so every plan event is one handler here
    @event_handler("plan_registry", ev.PLAN_CREATED)
    def on_plan_created(self, body):
        self._keep(body)

    @event_handler("plan_registry", ev.FRAME_CHANGED)
    def on_frame_changed(self, body):
        self._keep(body)

    @event_handler("plan_registry", ev.CONTRIBUTION_SUBMITTED)
    def on_contribution_submitted(self, body):
        self._keep(body)

    @event_handler("plan_registry", ev.PLAN_STATUS_CHANGED)
    def on_plan_status_changed(self, body):
        self._keep(body)

    @event_handler("plan_registry", ev.PLAN_ADOPTED)
    def on_plan_adopted(self, body):
        self._keep(body)

    @event_handler("plan_registry", ev.REVISION_STARTED)
    def on_revision_started(self, body):
        self._keep(body)

    @event_handler("plan_registry", ev.PLAN_REVISED)
    def on_plan_revised(self, body):
        self._keep(body)

    def _plan(self, plan_id, fresh=False):
        """The read model; the registry is asked only for a plan not seen yet, or when the read
        model may lag behind what a caller just did (``fresh``)."""
        plan = self.store.plan(plan_id)
        if plan is None or fresh:
            view = self.registry.linking_view(plan_id)  # NotFound travels back as NotFound
            self._keep_view(view, view["version"])
            plan = self.store.plan(plan_id)
        return plan

    # -- timers ----------------------------------------------------------------------------------
    @timer(interval=1)
    def tick(self):
        """Announce consultations that opened or closed by their times, and relay the outbox."""
        now = now_iso()
        for stage, event_type in ((1, ev.CONSULTATION_OPENED), (2, ev.CONSULTATION_CLOSED)):
            for consultation in self.store.unannounced(stage, now):
                data = consultation.as_dict()
                payload = {"consultation": data}
                if stage == 2:
                    payload["summary"] = domain.summary(data, self.store.inputs(consultation_id=data["id"]))
                self.store.announce(consultation, stage, [ev.envelope(event_type, SERVICE, payload,
                                                                      plan_id=data["plan_id"])])
        self.store.relay(self.dispatch)
        self.store.forget_old_windows(RATE_WINDOW)

    # -- consultations ---------------------------------------------------------------------------
    @rpc
    def create_consultation(self, actor, plan_id, body):
        plan = self._plan(plan_id)
        if not is_coordinator(actor, plan):
            raise Forbidden(f"Only the coordinator of plan {plan_id} ({plan['coordinator']}) opens consultations.")
        data = load(schemas.ConsultationSchema(), body)
        problems = Problems()
        domain.consultation_problems(plan, data, problems)
        problems.raise_if_any("The consultation cannot be created as sent.")
        data.update(opens_at=iso(data["opens_at"]), closes_at=iso(data["closes_at"]),
                    sessions=[{**s, "starts_at": iso(s["starts_at"]), "ends_at": s["ends_at"] and iso(s["ends_at"])}
                              for s in data["sessions"]])
        consultation = self.store.create({**data, "plan_id": plan_id, "created_by": actor.get("token_id")})
        return self._with_status(consultation)

    def _with_status(self, consultation):
        return {**consultation, "status": domain.status(consultation, utcnow())}

    def _readable(self, actor, cid):
        consultation = self.store.consultation(cid)
        plan = self._plan(consultation["plan_id"])
        if not (consultation["public"] or is_participant(actor, plan)):
            raise NotFound(f"No consultation {cid!r}.")
        return consultation, plan

    @rpc
    def get_consultation(self, actor, cid):
        return self._with_status(self._readable(actor, cid)[0])

    @rpc
    def list_consultations(self, actor, plan_id):
        plan = self._plan(plan_id)
        return [self._with_status(c) for c in self.store.consultations(plan_id)
                if c["public"] or is_participant(actor, plan)]

    @rpc
    def open_now(self, actor, cid):
        """Open a scheduled consultation at once (the coordinator), keeping its closing time."""
        consultation, plan = self._readable(actor, cid)
        self._require_coordinator(actor, plan)
        if domain.status(consultation, utcnow()) == domain.SCHEDULED:
            self.store.set_times(cid, opens_at=now_iso())
        return self.get_consultation(actor, cid)

    @rpc
    def close_now(self, actor, cid):
        consultation, plan = self._readable(actor, cid)
        self._require_coordinator(actor, plan)
        if domain.status(consultation, utcnow()) != domain.CLOSED:
            now = now_iso()
            self.store.set_times(cid, closes_at=now, **({"opens_at": now} if consultation["opens_at"] > now else {}))
        return self.get_consultation(actor, cid)

    @staticmethod
    def _require_coordinator(actor, plan):
        if not is_coordinator(actor, plan):
            raise Forbidden(f"Only the coordinator of plan {plan['id']} ({plan['coordinator']}) may do this.")

    # -- inputs ----------------------------------------------------------------------------------
    @rpc
    def submit_input(self, actor, cid, body, client=None):
        consultation = self.store.consultation(cid)
        plan = self._plan(consultation["plan_id"])
        if not is_participant(actor, plan):
            # an open call takes anyone's word, under the public rate limit, token or not
            if consultation["public"]:
                self._rate_limit(client)
            elif role(actor) == "public":
                raise Unauthenticated("This consultation takes inputs from the plan's municipalities: send a token.")
            else:
                raise Forbidden(f"This consultation takes inputs from the municipalities of plan {plan['id']}.")
        data = load(schemas.InputSchema(), body)
        problems = Problems()
        domain.input_problems(plan, consultation, data, problems)
        problems.raise_if_any("The input breaks the rules listed in 'errors'.")
        domain.require_open(consultation, utcnow())
        fingerprint = domain.fingerprint(cid, data)

        def events(iid):
            stakeholder = data["stakeholder"]
            return [ev.envelope(ev.INPUT_SUBMITTED, SERVICE, {
                "input_id": iid, "consultation_id": cid, "kind": data["kind"], "theme": data["theme"],
                "group": stakeholder["group"], "municipality": stakeholder["municipality"]},
                plan_id=plan["id"], municipality=stakeholder["municipality"], actor=actor)]

        item, created = self.store.add_input(consultation, data, fingerprint, (actor or {}).get("token_id"), events)
        if created:
            self.store.relay(self.dispatch, now=True)
        return {"id": item["id"], "created": created}

    def _rate_limit(self, client):
        limit = int(config.env("ORTAK_PUBLIC_INPUT_LIMIT", "30"))
        counted = self.store.hit(ratelimit.client_key(client, "public-input"), RATE_WINDOW)
        ratelimit.refuse_over(counted, limit, RATE_WINDOW, f"At most {limit} public inputs a minute from one client")

    @rpc
    def list_inputs(self, actor, cid, filters=None):
        consultation, plan = self._readable(actor, cid)
        query = load(schemas.InputFilterSchema(), filters or {}, detail="Bad filter.")
        decision = query.pop("decision")
        municipality = query.pop("municipality")
        items = self.store.inputs(consultation_id=cid, **query)
        if decision:
            items = [i for i in items if (i["decision"] or {}).get("decision", "undecided") == decision]
        if municipality:
            items = [i for i in items if i["stakeholder"]["municipality"] == municipality]
        with_contact = is_coordinator(actor, plan)
        return [domain.public_view(i, with_contact) for i in items]

    @rpc
    def decide(self, actor, iid, body):
        item = self.store.input(iid)
        consultation = self.store.consultation(item.consultation_id)
        plan = self._plan(consultation["plan_id"])
        self._require_coordinator(actor, plan)
        data = load(schemas.DecisionSchema(), body)
        target = None
        if data["merged_into"]:
            try:
                target = self.store.input(data["merged_into"])
                target = target.as_dict() if target.consultation_id == consultation["id"] else None
            except NotFound:
                target = None
        problems = Problems()
        domain.decision_problems(plan, item.as_dict(), data, problems, target)
        if any(path.startswith("links") for path in problems.errors):
            # an objective submitted a moment ago may not have reached the read model yet
            plan = self._plan(plan["id"], fresh=True)
            problems = Problems()
            domain.decision_problems(plan, item.as_dict(), data, problems, target)
        problems.raise_if_any("The decision breaks the rules listed in 'errors'.")
        decision = {"decision": data["decision"], "reason": data["reason"],
                    "links": domain.resolved_links(plan, data["links"]), "merged_into": data["merged_into"],
                    "decided_at": now_iso(), "decided_by": actor.get("token_id")}

        def events(seq):
            stakeholder = item.stakeholder
            source = {"consultation_id": consultation["id"], "consultation": consultation["title"],
                      "kind": item.kind, "theme": item.theme, "group": stakeholder["group"],
                      "municipality": stakeholder["municipality"], "text": item.text,
                      # a citizen's name is personal data; organisations are named
                      "stakeholder": None if stakeholder["group"] == "citizen" else stakeholder["name"]}
            return [ev.envelope(ev.INPUT_DECIDED, SERVICE, {
                "input_id": item.id, "seq": seq, "decision": data["decision"], "links": decision["links"],
                "reason": data["reason"], "merged_into": data["merged_into"], "input": source},
                plan_id=plan["id"], municipality=stakeholder["municipality"], actor=actor)]

        updated, _ = self.store.decide(item, decision, events)
        if not updated:
            raise Conflict("The input was decided by someone else at the same moment; read it and decide again.")
        self.store.relay(self.dispatch, now=True)
        return domain.public_view({**item.as_dict(), "decision": decision}, True)

    # -- stakeholders and summary ----------------------------------------------------------------
    @rpc
    def put_register(self, actor, plan_id, body):
        plan = self._plan(plan_id)
        self._require_coordinator(actor, plan)
        data = load(schemas.RegisterSchema(), body)
        problems = Problems()
        for i, entry in enumerate(data["stakeholders"]):
            if entry["municipality"] not in (None, plan["coordinator"], *plan["members"]):
                problems.add(f"stakeholders[{i}].municipality", f"{entry['municipality']} is not in plan {plan_id}.")
        problems.raise_if_any("The register breaks the rules listed in 'errors'.")
        self.store.put_register(plan_id, data["stakeholders"])
        return self.get_register(actor, plan_id)

    @rpc
    def get_register(self, actor, plan_id):
        plan = self._plan(plan_id)
        if not is_participant(actor, plan):
            raise NotFound(f"No stakeholder register for plan {plan_id!r}.")
        return {"plan_id": plan_id,
                "stakeholders": domain.register(self.store.register(plan_id), self.store.inputs(plan_id=plan_id))}

    @rpc
    def summary(self, actor, cid, fmt="json"):
        consultation, plan = self._readable(actor, cid)
        items = self.store.inputs(consultation_id=cid)
        summary = domain.summary(consultation, items)
        if fmt == "xlsx":
            content = report.workbook(self._with_status(consultation), summary,
                                      [domain.public_view(i, False) for i in items])
            return {"content_base64": base64.b64encode(content).decode(), "filename": f"{cid}-summary.xlsx"}
        return summary
