"""plan_registry: municipalities, tokens, joint plans and their immutable versions.

Each entrypoint checks access, loads its input through schemas.py, applies domain.py, commits
a new version with its events in the same write, and relays the events.
"""
import base64
import copy
from datetime import date

from nameko.events import EventDispatcher
from nameko.rpc import RpcProxy
from nameko.timer import timer

from shared import config
from shared import events as ev
from shared.calendars import period_containing
from shared.clock import iso, now_iso, utcnow
from shared.entrypoints import HealthCheck, event_handler, rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, StaleVersion, Unauthenticated
from shared.roles import is_participant, role, speaks_for, who
from shared.text import LANGUAGES
from shared.validation import Problems, is_identifier, load

from . import access, domain, people, schemas, target_cards
from .dependencies import RegistryStore

SERVICE = "plan_registry"
EDITABLE = ("draft", "consultation", "revising")


class PlanRegistry(HealthCheck):
    name = SERVICE

    store = RegistryStore()
    dispatch = EventDispatcher()
    consultation = RpcProxy("consultation")   # the bank an objective links to (consultation never waits on this)

    @timer(interval=1)
    def relay_outbox(self):
        """Publish events whose write committed but whose publish was not confirmed (crash, broker
        down), and forget rate windows that have passed."""
        self.store.relay(self.dispatch)
        self.store.forget_old_windows(domain.BAD_TOKEN_WINDOW)
        self.store.forget_expired_sessions()

    def _relay_now(self):
        self.store.relay(self.dispatch, now=True)

    # -- tokens -------------------------------------------------------------------------------
    @rpc
    def authenticate(self, token, client=None):
        """The actor of a token, or None; a client that keeps sending bad tokens gets 429."""
        actor = self.store.authenticate(token) if domain.presented(token) else None
        if actor is None:
            failures = self.store.hit(domain.bad_token_key(client), domain.BAD_TOKEN_WINDOW)
            domain.refuse_token_guessing(failures, int(config.env("ORTAK_TOKEN_FAILURE_LIMIT", domain.BAD_TOKEN_LIMIT)))
        return actor

    @rpc
    def issue_token(self, actor, body):
        access.require_admin(actor)
        data = load(schemas.TokenRequestSchema(), body)
        domain.check_role_and_municipality(data["role"], data["municipality"])
        self._known_municipality(data["municipality"])
        value, token = self.store.issue_token(data["role"], data["municipality"], data["label"], who(actor))
        return {"token": value, **token}

    @rpc
    def revoke_token(self, actor, token_id):
        access.require_admin(actor)
        self.store.revoke_token(token_id, actor)
        self._relay_now()  # every gateway forgets the token it had checked

    @rpc
    def list_tokens(self, actor):
        access.require_admin(actor)
        return self.store.tokens()

    # -- people and sessions ------------------------------------------------------------------
    @rpc
    def create_user(self, actor, body):
        """A person with a role and a municipality; without a password, a one-time setup link."""
        if role(actor) not in ("admin", "coordinator"):
            raise Forbidden("Only operations (admin) or a coordinator may add people.")
        data = load(schemas.UserSchema(), body)
        coordinated = self.store.coordinated(actor.get("municipality"))
        if not people.may_manage(actor, data["municipality"], data["role"], coordinated):
            raise Forbidden("Only operations (admin), or a coordinator for people of its own plans' "
                            "municipalities, may add people.")
        domain.check_role_and_municipality(data["role"], data["municipality"])
        self._known_municipality(data["municipality"])
        password = data.pop("password")
        if password is not None:
            self._check_password(password, data["username"])
        person, setup = self.store.add_person(data, who(actor), password and people.hash_password(password))
        answer = {k: person[k] for k in ("id", "username", "display_name", "role", "municipality")}
        return {**answer, "setup_token": setup} if setup else answer

    @rpc
    def list_users(self, actor):
        if role(actor) == "admin":
            return self.store.people()
        if role(actor) == "coordinator":
            return self.store.people(self.store.coordinated(actor["municipality"]))
        raise Forbidden("Only operations (admin) or a coordinator may list people.")

    @rpc
    def disable_user(self, actor, uid):
        person = self.store.person(uid=uid) if isinstance(uid, str) else None
        if person is None:
            raise NotFound(f"No user {uid!r}.")
        coordinated = self.store.coordinated(actor.get("municipality")) if actor else set()
        if not people.may_manage(actor, person.municipality, person.role, coordinated):
            raise Forbidden("Only operations (admin), or the coordinator of this person's municipality, may do this.")
        self.store.disable_person(uid)
        self._relay_now()

    @rpc
    def set_password(self, body):
        """The one-time setup link: sets the password and spends the link."""
        data = load(schemas.PasswordSetupSchema(), body)
        person = self.store.person_by_setup(data["token"])
        if person is None:
            raise NotFound("This link is unknown, used or expired; ask your coordinator for a new one.")
        self._check_password(data["password"], person.username)
        self.store.set_password(person, people.hash_password(data["password"]))
        self._relay_now()
        return {"username": person.username}

    @rpc
    def login(self, body):
        """A session for a username and password; 5 failures in 15 minutes lock the login for 15 minutes."""
        data = load(schemas.LoginSchema(), body)
        person = self.store.person(username=data["username"].strip().lower())
        now = utcnow()
        until = people.locked_until(person.failures, now) if person else None
        if until is not None:
            wait = int((until - now).total_seconds()) + 1
            raise RateLimited(f"Too many failed logins: this login is locked; try again in {wait} s.",
                              extra={"retry_after": wait})
        if not people.password_matches(person and person.password_hash, data["password"]) or person.disabled_at:
            if person is not None:
                self.store.set_failures(person, [*people.recent_failures(person.failures, now), iso(now)])
            raise Unauthenticated("Wrong username or password.")
        if person.failures:
            self.store.set_failures(person, [])
        secret, expires = self.store.open_session(person)
        return {"session": secret, "expires_at": expires, "user": person.as_dict()}

    @rpc
    def authenticate_session(self, secret):
        """The actor of a live session, or None."""
        person = self.store.session_person(secret) if domain.presented(secret) else None
        return people.actor_of(person) if person else None

    @rpc
    def logout(self, secret):
        if domain.presented(secret):
            self.store.close_session(secret)
            self._relay_now()

    def _known_municipality(self, mid):
        if mid is not None:
            self.store.municipality(mid)  # NotFound for one not registered

    @staticmethod
    def _check_password(password, username):
        problem = people.password_problems(password, username)
        if problem:
            raise InvalidInput("The password cannot be used.", {"password": [problem]})

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
        data["members"] = data["members"] or []
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
        if plan["status"] == "revising" and not is_participant(actor, plan):
            # an update under way is a draft: the public reads the adopted version until it is adopted
            n = plan["revision"]["from_version"]
            plan = self.store.version(plan_id, n).snapshot
        return n, plan

    def _adopted(self, plan_id):
        """(n, snapshot) of the plan's newest adopted version, or None."""
        if not is_identifier(plan_id) or not self.store.exists(plan_id):
            return None
        n, plan = self.store.latest(plan_id)
        if plan["status"] == "revising":
            n = plan["revision"]["from_version"]
            return n, self.store.version(plan_id, n).snapshot
        return (n, plan) if plan["status"] == "adopted" else None

    def _visible_version(self, actor, plan_id, n):
        """The plan as this caller reads it, if version ``n`` is one it may read."""
        visible, plan = self._readable(actor, plan_id)
        if n > visible:
            raise NotFound(f"Plan {plan_id!r} has no version {n}.")
        return plan

    @rpc
    def get_plan(self, actor, plan_id):
        n, plan = self._readable(actor, plan_id)
        participant = is_participant(actor, plan)
        inputs = domain.provenance_view(self.store.provenance(plan_id), participant)
        counting = [other for other in (self._try_readable(actor, i) for i in self.store.counting(plan_id)) if other]
        plan = domain.also_counted(domain.for_reader(plan, participant), counting)
        return {**domain.with_provenance(plan, inputs), **domain.adopted_by(plan), "version": n}

    def _try_readable(self, actor, plan_id):
        try:
            return self._readable(actor, plan_id)[1]
        except NotFound:
            return None

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
    def situation(self, actor, plan_id):
        """The situation analysis of the plan and of its members' own adopted plans (those they
        coordinate: public once adopted), as items (the regional table of needs, strengths,
        weaknesses, opportunities and threats)."""
        n, plan = self._readable(actor, plan_id)
        own = []
        for municipality in plan["members"]:   # the coordinator's analysis is the plan's own frame
            for head in self.store.heads(coordinator=municipality):
                if head["id"] != plan_id and head["status"] == "adopted":
                    own.append(self._readable(actor, head["id"])[1])
        return {"plan": plan_id, "version": n, "coordinator": plan["coordinator"], "members": plan["members"],
                "themes": plan["themes"], "items": domain.situation_items(plan, own)}

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
        n, plan = self._readable(actor, plan_id)
        participant = is_participant(actor, plan)
        return [{**v, "author": domain.author_view(v["author"], participant)}
                for v in self.store.versions(plan_id) if v["version"] <= n]

    @rpc
    def audit(self, actor, plan_id):
        """Every change to the plan: who, when, what and from which request (its participants)."""
        _, plan = self.store.latest(plan_id)
        if not is_participant(actor, plan):
            raise NotFound(f"No audit trail of plan {plan_id!r} for this caller.")
        return self.store.audit(plan_id)

    @rpc
    def get_version(self, actor, plan_id, n):
        participant = is_participant(actor, self._visible_version(actor, plan_id, n))
        version = self.store.version(plan_id, n)
        return {**version.header(), "author": domain.author_view(version.author, participant),
                "plan": {**domain.for_reader(version.snapshot, participant), "version": version.n}}

    @rpc
    def diff(self, actor, plan_id, n_from, n_to):
        self._visible_version(actor, plan_id, max(n_from, n_to))
        old, new = self.store.version(plan_id, n_from), self.store.version(plan_id, n_to)
        return {"plan": plan_id, "from": n_from, "to": n_to, **domain.diff(old.snapshot, new.snapshot)}

    @rpc
    def monitoring_view(self, plan_id):
        """For a service rebuilding its read model; in normal running the events carry this."""
        n, plan = self.store.latest(plan_id)
        if plan["adoption"] is None:
            raise Conflict(f"Plan {plan_id} has not been adopted.")
        # the language of the plan's documents, as plan_adopted carries it
        return {**domain.monitoring_view(plan), "version": n,
                "locale": self.store.municipality(plan["coordinator"])["locale"]}

    # -- plans: writes ---------------------------------------------------------------------------
    @rpc
    def create_plan(self, actor, body):
        data = load(schemas.PlanCreateSchema(), body)
        access.require_plan_creator(actor, data["coordinator"])
        problems = Problems()
        municipalities = self.store.municipalities()
        domain.plan_problems(data, municipalities, problems)
        parent, lineage = self._lineage(data["parent_plan"])
        domain.cascade_problems(data, parent, lineage, municipalities, problems)
        problems.raise_if_any("The plan cannot be created as sent.")
        if self.store.exists(data["id"]):
            raise Conflict(f"A plan with id {data['id']!r} exists already.")
        plan = domain.new_plan({**data, "coordinator_kind": municipalities[data["coordinator"]]["kind"]}, now_iso())
        return self._commit(actor, plan, 1, "created", [ev.PLAN_CREATED])

    def _lineage(self, parent_id, depth=50):
        """(the parent plan's snapshot or None, the ids of its own ancestors nearest first)."""
        if parent_id is None:
            return None, []
        try:
            parent = self.store.latest(parent_id)[1]
        except NotFound:
            return None, []
        lineage, cursor = [], parent.get("parent_plan")
        while cursor is not None and cursor not in lineage and len(lineage) < depth:
            lineage.append(cursor)
            try:
                cursor = self.store.latest(cursor)[1].get("parent_plan")
            except NotFound:
                break
        return parent, lineage

    @rpc
    def put_frame(self, actor, plan_id, body, expected_version=None):
        n, plan = self._writable(actor, plan_id, expected_version, access.require_coordinator)
        frame = load(schemas.FrameSchema(), body)
        problems = Problems()
        domain.frame_problems(plan, frame, problems)
        parent = self._lineage(plan.get("parent_plan"))[0]
        domain.serves_problems(plan, frame, None if parent is None else
                               [g["code"] for g in (parent["frame"] or {}).get("goals", [])], problems)
        problems.raise_if_any("The frame breaks the rules listed in 'errors'.")
        plan["frame"] = domain.with_priorities(frame)
        return self._commit(actor, plan, n + 1, "frame", [ev.FRAME_CHANGED])

    @rpc
    def put_stakeholders(self, actor, plan_id, body, expected_version=None):
        """The frame's stakeholder analysis on its own: the one list the consultation's register
        shows beside everyone who gave input."""
        n, plan = self._writable(actor, plan_id, expected_version, access.require_coordinator)
        stakeholders = load(schemas.StakeholdersSchema(), body)["stakeholders"]
        if not plan.get("frame"):
            raise Conflict(f"Plan {plan_id} has no frame yet: write the frame (PUT /plans/{plan_id}/frame) first, "
                           "its situation analysis holds the stakeholders.")
        problems = Problems()
        domain.stakeholder_problems(plan, stakeholders, problems)
        problems.raise_if_any("The stakeholder analysis breaks the rules listed in 'errors'.")
        plan["frame"] = domain.with_stakeholders(plan["frame"], stakeholders)
        return self._commit(actor, plan, n + 1, "frame", [ev.FRAME_CHANGED])

    @rpc
    def stakeholders(self, actor, plan_id):
        """The newest version's stakeholder analysis, for the plan's participants."""
        n, plan = self._readable(actor, plan_id)
        if not is_participant(actor, plan):
            raise NotFound(f"No stakeholder register for plan {plan_id!r}.")
        return {"version": n, "stakeholders": ((plan.get("frame") or {}).get("situation") or {}).get("stakeholders", [])}

    @rpc
    def put_contribution(self, actor, plan_id, municipality, body, expected_version=None):
        n, plan = self._writable(actor, plan_id, expected_version,
                                 lambda a, p: access.require_contributor(a, p, municipality))
        contribution = load(schemas.ContributionSchema(), body)
        problems = Problems()
        domain.contribution_problems(plan, municipality, contribution, problems)
        if any(o["bank"] for o in contribution["objectives"]):
            domain.bank_link_problems(contribution, self.consultation.bank_records(plan_id), problems)
        sources = {r["plan"]: self._adopted(r["plan"]) for r in contribution["references"]}
        domain.reference_problems(plan, municipality, contribution,
                                  {p: s[1] if s else None for p, s in sources.items()}, problems)
        problems.raise_if_any(f"The contribution of {municipality} breaks the rules listed in 'errors'.")
        contribution = domain.normalized_contribution(plan, municipality, contribution)
        contribution = domain.with_references(plan, municipality, contribution, sources)
        contribution.update(submitted_at=now_iso(), submitted_by=who(actor))
        plan["contributions"][municipality] = contribution
        plan["counts_from"] = domain.sources_of(plan)
        plan = domain.taken_references(plan, now_iso())
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
        domain.council_problems(plan, data["members"], problems)
        problems.raise_if_any(f"Plan {plan_id} is not ready for adoption.")
        plan = domain.record_councils(plan, [{**data, "municipality": plan["coordinator"]}, *data["members"]],
                                      now_iso())
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
        plan = domain.closed_parent_changes(plan, None, {"by": "adoption", "version": n + 1, "at": now_iso()})
        return self._commit(actor, plan, n + 1, "adoption", [event])

    # -- cascades: a parent's new version flagged to its children ---------------------------------
    @event_handler(SERVICE, ev.PLAN_REVISED)
    def on_plan_revised(self, body):
        """Flag to each child plan the goals it serves, and to each plan that counts objectives of
        this one the objectives, that this plan's new version changed."""
        self.store.handle_once("plan_registry.on_plan_revised", body, self._flag_children)

    def _flag_children(self, envelope):
        parent_id, to_version = envelope["plan_id"], envelope["payload"]["version"]
        new = self.store.version(parent_id, to_version).snapshot
        from_version = new["revisions"][-1]["from_version"]
        old = self.store.version(parent_id, from_version).snapshot
        children = set(self.store.children(parent_id))
        for child_id in sorted(children | set(self.store.counting(parent_id))):
            for _ in range(5):  # a child written meanwhile is read again
                n, child = self.store.latest(child_id)
                flags = domain.reference_changes(old, new, child, from_version, to_version)
                if child_id in children:
                    flags = domain.parent_change_flags(old, new, child, from_version, to_version) + flags
                changed = domain.with_parent_changes(child, flags, now_iso()) if child["status"] != "renewed" else None
                if changed is None:
                    break
                try:
                    self._commit(envelope.get("actor"), changed[0], n + 1, "parent_change", [],
                                 detail=domain.parent_change_text(changed[1]))
                    break
                except StaleVersion:
                    continue

    @rpc
    def acknowledge_parent_change(self, actor, plan_id, number, expected_version=None):
        """The child plan's coordinator has seen parent change ``number``: it is no longer flagged."""
        n, plan = self._writable(actor, plan_id, expected_version, access.require_coordinator,
                                 (*EDITABLE, "adopted"))
        problem = domain.parent_change_problem(plan, number)
        if problem and problem[0] == "missing":
            raise InvalidInput(problem[1], {"n": [problem[1]]})
        if problem:
            raise Conflict(problem[1])
        plan = domain.closed_parent_changes(plan, {number}, {"by": "acknowledged", "version": n + 1,
                                                             "at": now_iso(), "who": who(actor)})
        return self._commit(actor, plan, n + 1, "parent_change_acknowledged", [], detail=str(number))

    @rpc
    def record_council(self, actor, plan_id, municipality, body, expected_version=None):
        """A member's own council decision adopting a joint plan (number, date), recorded by the
        member (its coordinator or planner) or, but for a cooperation body's plan, the plan's
        coordinator; before or after the coordinator's adoption."""
        def check(a, p):
            own = role(a) in ("coordinator", "planner") and (a or {}).get("municipality") == municipality
            if not (own or speaks_for(a, p, municipality)):
                raise Forbidden(f"Only {municipality} itself or the plan's coordinator records its council decision.")
        n, plan = self._writable(actor, plan_id, expected_version, check, (*EDITABLE, "adopted"))
        data = load(schemas.CouncilDecisionSchema(), body)
        problems = Problems()
        domain.council_problems(plan, [{**data, "municipality": municipality}], problems, prefix=None)
        problems.raise_if_any(f"The council decision of {municipality} cannot be recorded.")
        plan = domain.record_councils(plan, [{**data, "municipality": municipality}], now_iso())
        return self._commit(actor, plan, n + 1, "council", [], municipality=municipality)

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
                                    | {"id": new_id, "period": period, "parent_plan": None,
                                       "coordinator_kind": plan.get("coordinator_kind")}, now_iso())
        successor["renewal_of"] = plan["id"]
        problems = Problems()
        domain.plan_problems(successor, self.store.municipalities(), problems)
        problems.raise_if_any("The renewed plan cannot be created.")
        self._commit(actor, successor, 1, "created", [ev.PLAN_CREATED])
        plan["status"] = "renewed"
        plan["revisions"].append({"kind": "renewal", "reason": data["reason"], "started_at": now_iso(),
                                  "from_version": n, "renewed_by": new_id})
        result = self._commit(actor, plan, n + 1, "revision", [ev.PLAN_RENEWED])
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

    def _commit(self, actor, plan, n, kind, event_types, municipality=None, detail=None):
        plan["updated_at"] = now_iso()
        payload = self._event_payload(plan, n, kind, municipality)
        envelopes = [ev.envelope(t, SERVICE, payload, plan_id=plan["id"],
                                 municipality=municipality or plan["coordinator"], actor=actor)
                     for t in event_types]
        summary = domain.summary_text(kind, plan, municipality, detail)
        version = self.store.commit(plan["id"], n, plan, kind, summary, actor, envelopes)
        # its own events: a plan's version is megabytes, not read back to find them
        self.store.relay(self.dispatch, now=True, written=[version])
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
