"""plan_registry: municipalities, tokens, joint plans and their immutable versions.

Each entrypoint checks access, loads its input through schemas.py, applies domain.py, commits
a new version with its events in the same write, and relays the events.
"""
import base64
import copy
from datetime import date

from nameko.events import EventDispatcher
from nameko.timer import timer

from shared import config, ratelimit
from shared import events as ev
from shared.calendars import period_containing
from shared.clock import now_iso
from shared.entrypoints import HealthCheck, event_handler, rpc
from shared.errors import Conflict, InvalidInput, NotFound, StaleVersion
from shared.roles import is_participant
from shared.text import LANGUAGES
from shared.validation import Problems, is_identifier, load

from . import access, domain, schemas, target_cards
from .dependencies import RegistryStore

SERVICE = "plan_registry"
EDITABLE = ("draft", "consultation", "revising")
FAILURE_WINDOW = 60  # seconds over which bad tokens are counted per client


class PlanRegistry(HealthCheck):
    name = SERVICE

    store = RegistryStore()
    dispatch = EventDispatcher()

    @timer(interval=1)
    def relay_outbox(self):
        """Publish events whose write committed but whose publish was not confirmed (crash, broker
        down), and forget rate windows that have passed."""
        self.store.relay(self.dispatch)
        self.store.forget_old_windows(FAILURE_WINDOW)

    def _relay_now(self):
        self.store.relay(self.dispatch, now=True)

    # -- tokens -------------------------------------------------------------------------------
    @rpc
    def authenticate(self, token, client=None):
        """The actor of a token, or None. A client that keeps sending bad tokens is refused for
        the rest of the minute (429), good token or not, so tokens cannot be guessed."""
        limit = int(config.env("ORTAK_TOKEN_FAILURE_LIMIT", "10"))
        key = ratelimit.client_key(client, "token-failures")
        what = f"More than {limit} bad tokens a minute from this client"
        ratelimit.refuse_over(self.store.rate_count(key, FAILURE_WINDOW), limit, FAILURE_WINDOW, what)
        actor = self.store.authenticate(token) if isinstance(token, str) and 0 < len(token) <= 200 else None
        if actor is None:
            ratelimit.refuse_over(self.store.hit(key, FAILURE_WINDOW), limit, FAILURE_WINDOW, what)
        return actor

    @rpc
    def issue_token(self, actor, body):
        access.require_admin(actor)
        data = load(schemas.TokenRequestSchema(), body)
        if data["role"] != "admin" and data["municipality"] is None and data["role"] != "viewer":
            raise InvalidInput("A coordinator or planner token is bound to one municipality.",
                               {"municipality": ["Required for this role."]})
        if data["role"] == "admin" and data["municipality"] is not None:
            raise InvalidInput("An admin token is bound to no municipality.",
                               {"municipality": ["Must be null for an admin token."]})
        if data["municipality"] is not None:
            self.store.municipality(data["municipality"])
        value, token = self.store.issue_token(data["role"], data["municipality"], data["label"], actor["token_id"])
        return {"token": value, **token}

    @rpc
    def revoke_token(self, actor, token_id):
        access.require_admin(actor)
        self.store.revoke_token(token_id)

    @rpc
    def list_tokens(self, actor):
        access.require_admin(actor)
        return self.store.tokens()

    # -- municipalities -----------------------------------------------------------------------
    @rpc
    def put_municipality(self, actor, mid, body):
        access.require_admin(actor)
        if not is_identifier(mid):
            raise InvalidInput("Bad municipality id.", {"id": ["Ids are 1-64 lowercase ASCII letters, digits, '-' or '_'."]})
        data = load(schemas.MunicipalitySchema(), body)
        problems = Problems()
        domain.municipality_problems(mid, data, self.store.municipalities(), problems)
        problems.raise_if_any("The municipality does not fit the hierarchy.")
        event = ev.envelope(ev.MUNICIPALITY_REGISTERED, SERVICE, {"id": mid, **data}, municipality=mid,
                            actor=actor)
        created = self.store.put_municipality(mid, data, event)
        self._relay_now()
        return {"created": created, "municipality": self.store.municipality(mid)}

    @rpc
    def list_municipalities(self, actor):
        return list(self.store.municipalities().values())

    @rpc
    def get_municipality(self, actor, mid):
        if not is_identifier(mid):
            raise NotFound(f"No municipality {mid!r}.")
        return self.store.municipality(mid)

    # -- plans: reads ----------------------------------------------------------------------------
    def _readable(self, actor, plan_id):
        if not is_identifier(plan_id):
            raise NotFound(f"No plan {plan_id!r}.")
        n, plan = self.store.latest(plan_id)
        if not access.can_read_plan(actor, plan):
            raise NotFound(f"No plan {plan_id!r}.")  # not 403: a draft's existence is not public
        return n, plan

    @rpc
    def get_plan(self, actor, plan_id):
        n, plan = self._readable(actor, plan_id)
        return {**domain.with_provenance(plan, self.store.provenance(plan_id)), "version": n}

    @rpc
    def target_cards(self, actor, plan_id, fmt="json", municipality=None, language=None):
        """Every objective's target card (hedef kartı), or one municipality's, as json, xlsx or pdf."""
        n, plan = self._readable(actor, plan_id)
        problems = Problems()
        if fmt not in ("json", "xlsx", "pdf"):
            problems.add("format", "Use json, xlsx or pdf.")
        if municipality is not None and municipality not in domain.contributors(plan):
            problems.add("municipality", f"Not a member of plan {plan_id}.")
        if language is not None and language not in LANGUAGES:
            problems.add("lang", f"Use one of {', '.join(LANGUAGES)}.")
        problems.raise_if_any("The target cards cannot be made as asked.")
        language = language or self.store.municipality(plan["coordinator"])["locale"]
        document = target_cards.document(plan, n, language, municipality)
        if fmt == "json":
            return document
        content = target_cards.xlsx(document) if fmt == "xlsx" else target_cards.pdf(document)
        suffix = f"-{municipality}" if municipality else ""
        return {"content_base64": base64.b64encode(content).decode(),
                "filename": f"{plan_id}-target-cards{suffix}.{fmt}"}

    @rpc
    def linking_view(self, plan_id):
        """For a service that has not yet seen the plan's events (consultation's read model)."""
        n, plan = self._readable({"role": "admin"}, plan_id)
        return {**domain.linking_view(plan), "version": n}

    @event_handler("consultation", ev.INPUT_DECIDED)
    def on_input_decided(self, body):
        """Record on each linked goal or objective the stakeholder input it came from."""
        self.store.handle_once("plan_registry.on_input_decided", body, self.store.record_decision)

    @rpc
    def list_plans(self, actor, member=None):
        heads = self.store.heads(member=member)
        visible = []
        for head in heads:
            if access.can_read_plan(actor, {"id": head["id"], **head}):
                visible.append(head)
        return visible

    @rpc
    def list_versions(self, actor, plan_id):
        self._readable(actor, plan_id)
        return self.store.versions(plan_id)

    @rpc
    def audit(self, actor, plan_id):
        """Every change to the plan: who, when, what and from which request (its participants)."""
        _, plan = self.store.latest(plan_id)
        if not is_participant(actor, plan):
            raise NotFound(f"No audit trail of plan {plan_id!r} for this caller.")
        return self.store.audit(plan_id)

    @rpc
    def get_version(self, actor, plan_id, n):
        self._readable(actor, plan_id)
        version = self.store.version(plan_id, n)
        return {**version.header(), "plan": {**version.snapshot, "version": version.n}}

    @rpc
    def diff(self, actor, plan_id, n_from, n_to):
        self._readable(actor, plan_id)
        old, new = self.store.version(plan_id, n_from), self.store.version(plan_id, n_to)
        return {"plan": plan_id, "from": n_from, "to": n_to, **domain.diff(old.snapshot, new.snapshot)}

    @rpc
    def monitoring_view(self, plan_id):
        """For a service rebuilding its read model; in normal running the events carry this."""
        n, plan = self.store.latest(plan_id)
        if plan["adoption"] is None:
            raise Conflict(f"Plan {plan_id} has not been adopted.")
        return {**domain.monitoring_view(plan), "version": n}

    # -- plans: writes ---------------------------------------------------------------------------
    @rpc
    def create_plan(self, actor, body):
        data = load(schemas.PlanCreateSchema(), body)
        access.require_plan_creator(actor, data["coordinator"])
        problems = Problems()
        domain.plan_problems(data, self.store.municipalities(), problems)
        problems.raise_if_any("The plan cannot be created as sent.")
        if self.store.exists(data["id"]):
            raise Conflict(f"A plan with id {data['id']!r} exists already.")
        plan = domain.new_plan(data, now_iso())
        return self._commit(actor, plan, 1, "created", [ev.PLAN_CREATED])

    @rpc
    def put_frame(self, actor, plan_id, body, expected_version=None):
        n, plan = self._writable(actor, plan_id, expected_version, access.require_coordinator)
        frame = load(schemas.FrameSchema(), body)
        problems = Problems()
        domain.frame_problems(plan, frame, problems)
        problems.raise_if_any("The frame breaks the rules listed in 'errors'.")
        plan["frame"] = domain.with_priorities(frame)
        return self._commit(actor, plan, n + 1, "frame", [ev.FRAME_CHANGED])

    @rpc
    def put_contribution(self, actor, plan_id, municipality, body, expected_version=None):
        n, plan = self._writable(actor, plan_id, expected_version,
                                 lambda a, p: access.require_contributor(a, p, municipality))
        contribution = load(schemas.ContributionSchema(), body)
        problems = Problems()
        domain.contribution_problems(plan, municipality, contribution, problems)
        problems.raise_if_any(f"The contribution of {municipality} breaks the rules listed in 'errors'.")
        contribution = domain.normalized_contribution(plan, municipality, contribution)
        contribution.update(submitted_at=now_iso(), submitted_by=(actor or {}).get("token_id"))
        plan["contributions"][municipality] = contribution
        return self._commit(actor, plan, n + 1, "contribution", [ev.CONTRIBUTION_SUBMITTED],
                            municipality=municipality)

    @rpc
    def set_status(self, actor, plan_id, body, expected_version=None):
        n, plan = self._writable(actor, plan_id, expected_version, access.require_coordinator,
                                 ("draft", "consultation"))
        data = load(schemas.StatusChangeSchema(), body)
        plan["status"] = data["status"]
        return self._commit(actor, plan, n + 1, "status", [ev.PLAN_STATUS_CHANGED])

    @rpc
    def adopt(self, actor, plan_id, body, expected_version=None):
        n, plan = self._writable(actor, plan_id, expected_version, access.require_coordinator)
        data = load(schemas.AdoptionSchema(), body)
        problems = Problems()
        domain.adoption_problems(plan, problems)
        problems.raise_if_any(f"Plan {plan_id} is not ready for adoption.")
        revision = plan["revision"]
        plan["adoption"] = {"decision_no": data["decision_no"], "decision_date": data["decision_date"].isoformat(),
                            "adopted_at": now_iso(), "version": n + 1,
                            "effective_from": revision["effective_from"] if revision else None}
        event = ev.PLAN_ADOPTED
        if revision:
            plan["revisions"].append({k: v for k, v in revision.items() if k != "adopted_frame"}
                                     | {"adopted_version": n + 1})
            plan["revision"] = None
            event = ev.PLAN_REVISED
        plan["status"] = "adopted"
        return self._commit(actor, plan, n + 1, "adoption", [event])

    @rpc
    def start_revision(self, actor, plan_id, body, expected_version=None):
        n, plan = self._writable(actor, plan_id, expected_version, access.require_coordinator, ("adopted",))
        data = load(schemas.RevisionSchema(), body)
        if data["kind"] == "renewal":
            return self._renew(actor, n, plan, data)
        problems = Problems()
        effective = data["effective_from"] or self._current_period(plan)
        effective = domain.check_effective_from(plan, effective, problems)
        problems.raise_if_any("The revision cannot start as sent.")
        plan["status"] = "revising"
        plan["revision"] = {"kind": "update", "reason": data["reason"], "effective_from": effective,
                            "started_at": now_iso(), "from_version": n, "adopted_frame": plan["frame"]}
        return self._commit(actor, plan, n + 1, "revision", [ev.REVISION_STARTED])

    def _renew(self, actor, n, plan, data):
        """A renewal is a new plan: the old one is closed as renewed and points to it."""
        length = plan["period"]["end"] - plan["period"]["start"]
        period = data["period"] or {"start": plan["period"]["end"] + 1, "end": plan["period"]["end"] + 1 + length}
        new_id = data["new_plan_id"] or f"{plan['id']}-{period['start']}"
        if self.store.exists(new_id):
            raise Conflict(f"A plan with id {new_id!r} exists already.")
        successor = domain.new_plan({k: plan[k] for k in ("title", "coordinator", "members", "calendar",
                                                          "themes", "settings")}
                                    | {"id": new_id, "period": period}, now_iso())
        successor["renewal_of"] = plan["id"]
        problems = Problems()
        domain.plan_problems(successor, self.store.municipalities(), problems)
        problems.raise_if_any("The renewed plan cannot be created.")
        self._commit(actor, successor, 1, "created", [ev.PLAN_CREATED])
        plan["status"] = "renewed"
        plan["revisions"].append({"kind": "renewal", "reason": data["reason"], "started_at": now_iso(),
                                  "from_version": n, "renewed_by": new_id})
        result = self._commit(actor, plan, n + 1, "revision", [ev.PLAN_REVISED])
        return {**result, "renewed_by": new_id}

    @staticmethod
    def _current_period(plan):
        today = period_containing(plan["calendar"], date.today())
        start, end = plan["period"]["start"], plan["period"]["end"]
        year = min(max(today.year, start), end)
        return f"{year}-H{today.half}" if year == today.year else str(year)

    # -- helpers ----------------------------------------------------------------------------------
    def _writable(self, actor, plan_id, expected_version, check, statuses=EDITABLE):
        n, plan = self._readable(actor, plan_id)
        check(actor, plan)
        if expected_version is not None and expected_version != n:
            raise StaleVersion(f"Plan {plan_id} is at version {n}, not {expected_version}; "
                               "read it again and reapply your change.", extra={"version": n})
        if plan["status"] not in statuses:
            if plan["status"] == "renewed":
                raise Conflict(f"Plan {plan_id} was renewed as {plan['revisions'][-1].get('renewed_by')}; "
                               "it takes no more changes.")
            if plan["status"] == "adopted":
                raise Conflict(f"Plan {plan_id} is adopted; start an update (POST /plans/{plan_id}/revisions) "
                               "to change it.")
            raise Conflict(f"Plan {plan_id} is {plan['status']}; this needs it to be {' or '.join(statuses)}.")
        return n, copy.deepcopy(plan)

    def _commit(self, actor, plan, n, kind, event_types, municipality=None):
        plan["updated_at"] = now_iso()
        payload = self._event_payload(plan, n, kind, municipality)
        envelopes = [ev.envelope(t, SERVICE, payload, plan_id=plan["id"],
                                 municipality=municipality or plan["coordinator"], actor=actor)
                     for t in event_types]
        summary = domain.summary_text(kind, plan, municipality)
        self.store.commit(plan["id"], n, plan, kind, summary, actor, envelopes)
        self._relay_now()
        return {"id": plan["id"], "status": plan["status"], "version": n}

    def _event_payload(self, plan, n, kind, municipality):
        payload = {"version": n, "status": plan["status"], "plan": domain.linking_view(plan)}
        if kind == "contribution":
            payload["municipality"] = municipality
        if kind == "adoption":
            payload["adoption"] = plan["adoption"]
            payload["plan"] = {**payload["plan"], **domain.monitoring_view(plan),
                               # reports speak the coordinator's language (Persian plans read right to left)
                               "locale": self.store.municipality(plan["coordinator"])["locale"]}
        if kind == "revision":
            payload["revision"] = plan["revision"] or plan["revisions"][-1]
            payload["revision"] = {k: v for k, v in payload["revision"].items() if k != "adopted_frame"}
        return payload
