"""consultation: workshops, surveys, meetings and public comment on a plan; stakeholders' inputs
and the coordinator's decisions that link them to goals and objectives.

It keeps its own read model of each plan (goals, objectives, themes, members) from the
registry's events, and asks the registry by RPC only for a plan it has not heard of yet.
"""
import base64
import secrets

from nameko.events import EventDispatcher
from nameko.rpc import RpcProxy
from nameko.timer import timer

from shared import config, idempotency, ratelimit
from shared import events as ev
from shared.clock import iso, now_iso, utcnow
from shared.entrypoints import HealthCheck, event_handler, rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from shared.privacy import mask_contacts
from shared.roles import can_read_plan, is_coordinator, is_participant, may_write, role, speaks_for, who
from shared.validation import Problems, load

from . import domain, report, schemas
from .dependencies import ConsultationStore

SERVICE = "consultation"
PLAN_EVENTS = (ev.PLAN_CREATED, ev.FRAME_CHANGED, ev.CONTRIBUTION_SUBMITTED, ev.PLAN_STATUS_CHANGED,
               ev.PLAN_ADOPTED, ev.REVISION_STARTED, ev.PLAN_REVISED, ev.PLAN_RENEWED)
RATE_WINDOW = 60
PLAN_VIEW = ("id", "status", "coordinator", "members", "themes", "goals", "objectives", "coordinator_kind",
             "parent_plan")


# what an Idempotency-Key may create here: (id prefix, its name in a refusal)
KEYED = {"consultation": ("c_", "consultation"), "bank": ("bnk_", "bank record")}


class ConsultationService(HealthCheck):
    name = SERVICE

    store = ConsultationStore()
    dispatch = EventDispatcher()
    registry = RpcProxy("plan_registry")
    requests = RpcProxy("requests")

    # -- the plan read model ---------------------------------------------------------------------
    def _keep(self, body):
        self.store.handle_once(f"{SERVICE}.plan_view", body, lambda envelope: self._keep_view(
            envelope["payload"]["plan"], envelope["payload"]["version"]))

    def _keep_view(self, plan, version):
        """Of the registry's plan, what consultation links to: goals, objectives, themes, members."""
        self.store.keep_plan({k: plan.get(k) for k in PLAN_VIEW}, version)

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

    @event_handler("plan_registry", ev.PLAN_RENEWED)
    def on_plan_renewed(self, body):
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
    def create_consultation(self, actor, plan_id, body, idempotency_key=None):
        """A consultation of the plan (its coordinator); an Idempotency-Key makes a retry after a
        lost answer find the consultation the first attempt created."""
        plan = self._plan(plan_id)
        if not is_coordinator(actor, plan):
            raise Forbidden(f"Only the coordinator of plan {plan_id} ({plan['coordinator']}) opens consultations.")
        cid, request, earlier = self._keyed("consultation", actor, plan_id, idempotency_key, body)
        if earlier is not None:
            return self._with_status(earlier)
        data = load(schemas.ConsultationSchema(), body)
        problems = Problems()
        domain.consultation_problems(plan, data, problems)
        problems.raise_if_any("The consultation cannot be created as sent.")
        data.update(opens_at=iso(data["opens_at"]), closes_at=iso(data["closes_at"]),
                    sessions=[{**s, "starts_at": iso(s["starts_at"]), "ends_at": s["ends_at"] and iso(s["ends_at"])}
                              for s in data["sessions"]])
        consultation, created = self.store.create({**data, "plan_id": plan_id, "created_by": who(actor)}, cid, request)
        if not created:   # a concurrent retry of the same key came first
            consultation = idempotency.replay(consultation.pop("fingerprint"), body, consultation, KEYED["consultation"][1])
        return self._with_status(consultation)

    def _keyed(self, kind, actor, plan_id, key, body):
        """(the id a key gives, the request's fingerprint, what the key created already or None); a
        key sent again with another body is refused."""
        if idempotency.checked(key) is None:
            return None, None, None
        prefix, what = KEYED[kind]
        kid, request = idempotency.keyed_id(prefix, actor, key, scope=plan_id), idempotency.fingerprint(body)
        earlier = self.store.keyed(kind, kid)
        if earlier is not None:
            earlier = idempotency.replay(earlier.pop("fingerprint"), body, earlier, what)
        return kid, request, earlier

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
        consultation, plan = self._readable(actor, cid)
        return self._with_status(domain.consultation_view(consultation, is_participant(actor, plan)))

    @rpc
    def list_consultations(self, actor, plan_id):
        plan = self._plan(plan_id)
        participant = is_participant(actor, plan)
        visible = [self._with_status(domain.consultation_view(c, participant)) for c in self.store.consultations(plan_id)
                   if c["public"] or participant]
        if not visible and not can_read_plan(actor, plan):
            raise NotFound(f"No plan {plan_id!r}.")  # as the registry answers: a draft's existence is not public
        return visible

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
        if role(actor) == "viewer":
            raise Forbidden("A viewer token reads only; send inputs with a planner's or coordinator's token, "
                            "or without a token to a public consultation.")
        if not may_write(actor, plan):
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

        iid, stakeholder = "i_" + secrets.token_hex(6), data["stakeholder"]
        events = [ev.envelope(ev.INPUT_SUBMITTED, SERVICE, {
            "input_id": iid, "consultation_id": cid, "kind": data["kind"], "theme": data["theme"],
            "group": stakeholder["group"], "municipality": stakeholder["municipality"]},
            plan_id=plan["id"], municipality=stakeholder["municipality"], actor=actor)]
        item, created = self.store.add_input(consultation, iid, data, fingerprint, who(actor), events)
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
        reader = domain.reader(actor, plan)
        return [domain.public_view(i, reader) for i in items]

    @rpc
    def moderate(self, actor, iid, body):
        """Publish an input's free text to the public, or hide it (the coordinator); until then
        the public sees only its group, municipality, kind and theme."""
        item = self.store.input(iid)
        plan = self._plan(item.plan_id)
        self._require_coordinator(actor, plan)
        data = load(schemas.ModerationSchema(), body)
        self.store.moderate(iid, domain.MODERATIONS[data["action"]])
        return domain.public_view(self.store.input(iid).as_dict(), domain.COORDINATOR)

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
                    "decided_at": now_iso(), "decided_by": who(actor)}

        seq, stakeholder = item.decision_seq + 1, item.stakeholder
        # no names in events: the plan's readers learn the group and municipality, and the text
        # (masked) is for its participants; the public reads it here once published
        source = {"consultation_id": consultation["id"], "consultation": consultation["title"],
                  "kind": item.kind, "theme": item.theme, "group": stakeholder["group"],
                  "municipality": stakeholder["municipality"], "text": mask_contacts(item.text)}
        events = [ev.envelope(ev.INPUT_DECIDED, SERVICE, {
            "input_id": item.id, "seq": seq, "decision": data["decision"], "links": decision["links"],
            "reason": data["reason"], "merged_into": data["merged_into"], "input": source},
            plan_id=plan["id"], municipality=stakeholder["municipality"], actor=actor)]
        updated = self.store.decide(item, decision, seq, events)
        if not updated:
            raise Conflict("The input was decided by someone else at the same moment; read it and decide again.")
        self.store.relay(self.dispatch, now=True)
        return domain.public_view({**item.as_dict(), "decision": decision}, domain.COORDINATOR)

    # -- the bank of needs, capacities and opportunities -----------------------------------------
    @rpc
    def add_bank_record(self, actor, plan_id, body, idempotency_key=None):
        """A need, capacity or opportunity of one of the plan's municipalities: written by that
        municipality's planner, or the plan's coordinator (a cooperation body's coordinator for the
        body alone); from a consultation input with its provenance."""
        plan = self._plan(plan_id)
        if not can_read_plan(actor, plan) and not is_participant(actor, plan):
            raise NotFound(f"No plan {plan_id!r}.")
        if not may_write(actor, plan):
            raise Forbidden(f"The bank of plan {plan_id} is written by its municipalities.")
        rid, request, earlier = self._keyed("bank", actor, plan_id, idempotency_key, body)
        if earlier is not None:
            return earlier
        data = load(schemas.BankRecordSchema(), body)
        source = finding = None
        named = data["source"] or {}
        if named.get("input") is not None:
            try:
                source = self.store.input(named["input"]).as_dict()
            except NotFound:
                source = None
        if named.get("finding") is not None:
            finding = self._finding(named["finding"])
        problems = Problems()
        domain.bank_problems(plan, data, source, problems, finding)
        problems.raise_if_any("The record breaks the rules listed in 'errors'.")
        record = domain.bank_record(data, source, source and self.store.consultation(source["consultation_id"])["title"],
                                    finding)
        if not speaks_for(actor, plan, record["municipality"]):
            raise Forbidden(f"Records of {record['municipality']} are written by its planner or the plan's coordinator.")
        added, created = self.store.add_bank_record(plan_id, record, who(actor), rid, request)
        return added if created else idempotency.replay(added.pop("fingerprint"), body, added, KEYED["bank"][1])

    def _finding(self, named):
        """The row of the requests' findings a record names, as the requests service figures it."""
        try:
            return self.requests.finding(named["municipality"], named["period"], named["neighbourhood"],
                                         named["service_code"])
        except (NotFound, InvalidInput):
            return None

    @rpc
    def bank(self, actor, plan_id, filters=None):
        """The bank, filtered by kind, municipality and theme; as JSON or an XLSX workbook."""
        plan = self._plan(plan_id)
        if not can_read_plan(actor, plan):
            raise NotFound(f"No plan {plan_id!r}.")
        query = load(schemas.BankFilterSchema(), filters or {}, detail="Bad filter.")
        fmt = query.pop("format")
        records = domain.bank_filtered(self.store.bank(plan_id), **query)
        if fmt == "xlsx":
            return {"content_base64": base64.b64encode(report.bank_workbook(plan_id, records)).decode(),
                    "filename": f"{plan_id}-bank.xlsx"}
        return records

    @rpc
    def bank_records(self, plan_id):
        """For the registry checking the records an objective links to: id -> {kind, municipality,
        title} (the store only: never asks the registry back)."""
        return {r["id"]: {k: r[k] for k in ("kind", "municipality", "title")} for r in self.store.bank(plan_id)}

    @rpc
    def situation(self, actor, plan_id, fmt="json"):
        """The regional table of needs and opportunities: the situation analyses of the plan and of
        its municipalities (from the registry, which decides who may read them) with the bank's
        records beside them, per municipality and theme; as JSON or an XLSX workbook."""
        if fmt not in ("json", "xlsx"):
            raise InvalidInput("Bad format.", {"format": ["Use json or xlsx."]})
        view = self.registry.situation(actor, plan_id)   # NotFound travels back as NotFound
        table = domain.regional_table(view, self.store.bank(plan_id))
        if fmt == "xlsx":
            return {"content_base64": base64.b64encode(report.situation_workbook(table)).decode(),
                    "filename": f"{plan_id}-situation.xlsx"}
        return table

    # -- stakeholders and summary ----------------------------------------------------------------
    @rpc
    def get_register(self, actor, plan_id):
        """The stakeholder register: the frame's stakeholder analysis (the registry holds the one
        list, PUT /plans/{id}/stakeholders) beside everyone who gave input, for participants."""
        plan = self._plan(plan_id)
        if not is_participant(actor, plan):
            raise NotFound(f"No stakeholder register for plan {plan_id!r}.")
        analysed = self.registry.stakeholders(actor, plan_id)
        return {"plan_id": plan_id, "version": analysed["version"],
                "stakeholders": domain.register(analysed["stakeholders"], self.store.inputs(plan_id=plan_id),
                                                domain.reader(actor, plan))}

    @rpc
    def summary(self, actor, cid, fmt="json"):
        consultation, plan = self._readable(actor, cid)
        items = self.store.inputs(consultation_id=cid)
        summary = domain.summary(consultation, items)
        if fmt == "xlsx":
            reader = domain.reader(actor, plan)
            content = report.workbook(self._with_status(consultation), summary,
                                      [domain.public_view(i, reader) for i in items])
            return {"content_base64": base64.b64encode(content).decode(), "filename": f"{cid}-summary.xlsx"}
        return summary
