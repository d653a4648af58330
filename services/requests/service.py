"""requests: neighbourhood service requests (Open311 GeoReport v2) and the service quality they show.

A municipality keeps its service catalogue; citizens, muhtars, district chiefs and staff file
requests; staff move them open → assigned → in_progress → closed. Every change is audited on the
request and published as an event through the outbox. Service-quality figures per district and
half-year are readings of the plan indicators whose data source names them
(``open311:<figure>[:<service_code>]``): a filing, an import or a status change marks the
half-years it touches, an adoption those begun before it, and this service submits the figures of
every ended half-year marked (or of any period, when a coordinator or planner asks); monitoring
then waits for their approval as for any other reading.
"""
import base64
import logging
import secrets
from contextlib import contextmanager
from datetime import timedelta

from cachetools import TTLCache
from nameko.events import EventDispatcher
from nameko.rpc import RpcProxy
from nameko.timer import timer

from shared import audit, config, ratelimit
from shared import events as ev
from shared.calendars import PeriodKeyError, parse_period
from shared.clock import iso, now_iso, utcnow
from shared.entrypoints import HealthCheck, event_handler, rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from shared.roles import is_participant, role, speaks_for
from shared.text import pick
from shared.validation import Problems, is_identifier, load

from . import domain, schemas, workbook
from .dependencies import RequestStore

SERVICE = "requests"
RATE_WINDOW = 60
# Filed requests' events go out with the timer's pass, not one publish after each answer. Once a
# second, at 100 intakes a second, a pass published a hundred at once and this service handled
# them back at once: intakes waited behind that burst, an episode of slow answers every second.
# Half a second halves the burst and still leaves the pauses an idle memory trim needs (memory.py).
RELAY_SECONDS = 0.5
STAFF_ROLES = ("coordinator", "planner")
DEFAULT_DAYS = 90   # GeoReport v2: without dates, the last 90 days
FILED = schemas.RequestSchema()   # made once: making a schema costs more than checking a request with it
QUALITY_SECONDS = float(config.env("ORTAK_QUALITY_SECONDS", "30"))   # how often due figures are submitted
QUALITY_RETRY_SECONDS = 300   # a half-year whose figures were refused is tried again after this
log = logging.getLogger(__name__)
# Municipalities as the registry last gave them, and services as stored, for a few seconds: every
# request filed names both, and looking them up each time (an RPC to the registry, a query) cost
# most of a filing at the intake's rate. A change to one (a municipality's parent: whose staff files
# for it; a service no longer open to the public) is seen by every process within that time; what
# does not exist is never remembered, so a new service is taken at once.
REMEMBER_SECONDS = float(config.env("ORTAK_LOOKUP_SECONDS", "5"))
MUNICIPALITIES = TTLCache(maxsize=4096, ttl=REMEMBER_SECONDS)
SERVICES = TTLCache(maxsize=16384, ttl=REMEMBER_SECONDS)
# The calendars of the plans measuring a municipality's requests (none: no plan does), for as long:
# a plan adopted meanwhile marks the half-year under way itself.
MEASURING = TTLCache(maxsize=4096, ttl=REMEMBER_SECONDS)


def _remembered(cache, key, look_up):
    """What ``cache`` holds for ``key``, else what ``look_up()`` finds, kept unless it is None (what
    does not exist is never remembered)."""
    found = cache.get(key)
    if found is None:
        found = look_up()
        if found is not None:
            cache[key] = found
    return found


class RequestsService(HealthCheck):
    name = SERVICE

    store = RequestStore()
    dispatch = EventDispatcher()
    registry = RpcProxy("plan_registry")
    monitoring = RpcProxy("monitoring")

    @timer(interval=RELAY_SECONDS)
    def tick(self):
        self.store.relay(self.dispatch)

    @timer(interval=RATE_WINDOW / 6)
    def forget_old_windows(self):
        self.store.forget_old_windows(RATE_WINDOW)

    # -- who is who ------------------------------------------------------------------------------
    def _municipality(self, mid):
        if not is_identifier(mid):
            raise NotFound(f"No municipality {mid!r}.")
        # NotFound travels back as NotFound, and is not remembered
        return _remembered(MUNICIPALITIES, mid, lambda: self.registry.get_municipality(None, mid))

    def _is_staff(self, actor, municipality):
        """Admin; a coordinator or planner of the municipality; the coordinator of its metropolitan."""
        if role(actor) == "admin":
            return True
        mine = (actor or {}).get("municipality")
        return (role(actor) in STAFF_ROLES and mine == municipality["id"]) or (
            role(actor) == "coordinator" and mine is not None and mine == municipality.get("parent"))

    def _require_staff(self, actor, municipality):
        if role(actor) == "public":
            raise Unauthenticated("Send a token of the municipality's coordinator or planner.")
        if not self._is_staff(actor, municipality):
            raise Forbidden(f"Only {municipality['id']}'s coordinator or planner (or its metropolitan's "
                            "coordinator) may do this.")

    def _service(self, mid, code):
        return _remembered(SERVICES, (mid, code), lambda: self.store.service(mid, code))

    # -- the catalogue ---------------------------------------------------------------------------
    @rpc
    def put_service(self, actor, mid, code, body):
        municipality = self._municipality(mid)
        self._require_staff(actor, municipality)
        if not isinstance(code, str) or not schemas.Code.FORM.fullmatch(code):
            raise InvalidInput("Bad service code.", {"code": ["Codes are 1-32 letters, digits, '.', '_' or '-'."]})
        data = load(schemas.ServiceSchema(), body)
        created = self.store.put_service(mid, code, data, audit.entry(now_iso(), "service_put", actor, service=code))
        SERVICES.pop((mid, code), None)
        return {"created": created, "service": self.store.service(mid, code)}

    @rpc
    def list_services(self, actor, mid):
        self._municipality(mid)
        return self.store.services(mid)

    @rpc
    def open311_services(self, mid, language="tr"):
        self._municipality(mid)
        return [domain.open311_service(s, language) for s in self.store.services(mid)]

    @rpc
    def open311_service(self, mid, code, language="tr"):
        self._municipality(mid)
        service = self.store.service(mid, code)
        if service is None:
            raise NotFound(f"{mid} has no service {code!r}.")
        return {"service_code": service["code"], "attributes": []}

    # -- filing ----------------------------------------------------------------------------------
    @rpc
    def file_request(self, actor, mid, form, client=None):
        """A request in GeoReport v2's fields. With a staff token (``api_key``) it is filed by a
        muhtar, a district chief or staff (``filed_by``, staff by default); without one only to a
        service the municipality opened to the public, by a citizen, under a rate limit."""
        municipality = self._municipality(mid)
        data = load(FILED, form, detail="The request cannot be filed as sent.")
        service = self._service(mid, data["service_code"])
        staff = actor is not None and self._is_staff(actor, municipality)
        if actor is not None and not staff:
            raise Forbidden(f"This api_key does not file requests for {mid}: use a token of its coordinator or "
                            "planner, or none for a service open to the public.")
        if service is None:
            raise InvalidInput(f"{mid} has no service {data['service_code']!r}.",
                               {"service_code": ["Not in the service list (services.json)."]})
        if not staff:
            if not service["public"]:
                raise Forbidden(f"{mid} takes {data['service_code']} requests through its muhtars and staff: send "
                                "an api_key.")
            if data["filed_by"] not in (None, "citizen"):
                raise Forbidden("Without an api_key a request is filed by a citizen.")
            self._rate_limit(client)
        problems = Problems()
        domain.location_problems(data, problems)
        problems.raise_if_any("The request cannot be filed as sent.")
        now = now_iso()
        with self._quality_marked(mid, now):
            item, _ = self._file(actor, municipality, service, data, {
                "requested_at": now, "updated_at": now, "status": domain.OPEN,
                "filed_by": data["filed_by"] or ("staff" if staff else "citizen")})
        # its event is relayed by the timer's next pass with the others filed meanwhile (within
        # RELAY_SECONDS): one publish each after every answer cost a quarter of the service's time
        # at the intake's rate and, once behind, published again what the timer had already relayed
        return {"service_request_id": item.id, "service_notice": "", "account_id": data["account_id"]}

    def _file(self, actor, municipality, service, data, state):
        record = {
            "municipality": municipality["id"], "service_code": data["service_code"],
            "description": data["description"], "neighbourhood": data["neighbourhood"], "address": data["address"],
            "address_id": data["address_id"], "zipcode": data["zipcode"], "lat": data["lat"], "long": data["long"],
            "media_url": data["media_url"],
            "requester": {k: data[k] for k in ("first_name", "last_name", "email", "phone") if data[k]},
            "agency_responsible": service["responsible_unit"], **state}
        record["history"] = [audit.entry(record["requested_at"], "filed", actor, status=record["status"],
                                         filed_by=record["filed_by"])]

        rid = "sr_" + secrets.token_hex(6)
        events = [ev.envelope(ev.SERVICE_REQUEST_FILED, SERVICE, {
            "request_id": rid, "service_code": record["service_code"], "status": record["status"],
            "neighbourhood": record["neighbourhood"] or "", "filed_by": record["filed_by"],
            "requested_at": record["requested_at"],
            "expected_at": domain.expected_at(record["requested_at"], service["target_days"]),
            "agency_responsible": record["agency_responsible"] or ""}, municipality=municipality["id"], actor=actor)]
        return self.store.file(rid, record, events)

    def _rate_limit(self, client):
        limit = int(config.env("ORTAK_PUBLIC_REQUEST_LIMIT", "30"))
        counted = self.store.hit(ratelimit.client_key(client, "public-request"), RATE_WINDOW)
        ratelimit.refuse_over(counted, limit, RATE_WINDOW, f"At most {limit} public requests a minute from one client")

    @rpc
    def import_requests(self, actor, mid, body):
        """Requests kept first elsewhere, with their times and status (a muhtarlık's book, a
        district's spreadsheet): every row checked before any is stored; a row sent again (same
        ``id``) is stored once."""
        municipality = self._municipality(mid)
        self._require_staff(actor, municipality)
        data = load(schemas.ImportSchema(), body, detail="The requests cannot be imported as sent.")
        services = {s["code"]: s for s in self.store.services(mid)}
        problems = Problems()
        for i, row in enumerate(data["requests"]):
            if row["service_code"] not in services:
                problems.add(f"requests[{i}].service_code", f"{mid} has no service {row['service_code']!r}.")
            located = Problems()
            domain.location_problems(row, located)
            for path, messages in located.errors.items():
                for message in messages:
                    problems.add(f"requests[{i}].{path}", message)
        problems.raise_if_any(f"{len(problems.errors)} problems in the import; nothing was stored.")
        created, ids, written = 0, [], []
        with self._quality_marked(mid, now_iso(), *(iso(row["requested_datetime"]) for row in data["requests"])):
            for row in data["requests"]:
                requested = iso(row["requested_datetime"])
                closed = iso(row["closed_datetime"]) if row["closed_datetime"] else None
                item, new = self._file(actor, municipality, services[row["service_code"]], row, {
                    "requested_at": requested, "updated_at": closed or requested, "closed_at": closed,
                    "status": row["status"], "status_notes": row["status_notes"],
                    "filed_by": row["filed_by"] or "staff", "fingerprint": "import:" + row["id"],
                    **({"agency_responsible": row["agency_responsible"]} if row["agency_responsible"] else {})})
                created += new
                ids.append(item.id)
                if new:   # a row sent again holds no new event
                    written.append(item)
        self.store.relay(self.dispatch, now=True, written=written)
        return {"received": len(data["requests"]), "created": created, "ids": ids}

    # -- reading ---------------------------------------------------------------------------------
    @rpc
    def open311_requests(self, mid, filters, language="tr"):
        """GeoReport v2's GET requests: ``service_request_id``, ``service_code`` (comma-separated),
        ``status`` (open, closed), ``start_date``, ``end_date``; without dates the last 90 days,
        at most 1000, newest first. Never a requester's name, e-mail or phone."""
        self._municipality(mid)
        filters = filters or {}
        problems = Problems()
        times = {}
        for name in ("start_date", "end_date"):
            if filters.get(name):
                try:
                    times[name] = iso(domain.parse_time(filters[name]))
                except ValueError as exc:
                    problems.add(name, f"Not an ISO 8601 time ({exc}), e.g. 2026-01-01T00:00:00Z.")
        statuses = [s for s in (filters.get("status") or "").split(",") if s]
        for status in statuses:
            if status not in ("open", "closed"):
                problems.add("status", f"Unknown status {status!r}: use open or closed.")
        problems.raise_if_any("Bad filter.")
        ids = [i for i in (filters.get("service_request_id") or "").split(",") if i]
        codes = [c for c in (filters.get("service_code") or "").split(",") if c]
        since, until = times.get("start_date"), times.get("end_date")
        if not ids and since is None and until is None:
            since = iso(utcnow() - timedelta(days=DEFAULT_DAYS))
        items = self.store.requests(mid, since=since, until=until, codes=codes, ids=ids)
        if statuses:
            items = [i for i in items if domain.open311_status(i["status"]) in statuses]
        return self._open311(mid, items, language)

    def _open311(self, mid, items, language):
        services = {s["code"]: s for s in self.store.services(mid)}
        return [domain.open311_request(i, services.get(i["service_code"]), language) for i in items]

    @rpc
    def open311_request(self, mid, rid, language="tr"):
        item = self.store.request(rid)
        if item.municipality != mid:
            raise NotFound(f"No service request {rid!r} in {mid}.")
        return self._open311(mid, [item.as_dict()], language)

    @rpc
    def get_request(self, actor, rid):
        """The whole request with its requester and history, for the municipality's staff."""
        item = self.store.request(rid)
        self._require_staff(actor, self._municipality(item.municipality))
        return item.as_dict(personal=True)

    # -- the lifecycle ---------------------------------------------------------------------------
    @rpc
    def change_request(self, actor, rid, body):
        item = self.store.request(rid)
        municipality = self._municipality(item.municipality)
        self._require_staff(actor, municipality)
        data = load(schemas.StatusChangeSchema(), body)
        wanted = data["status"] or item.status
        domain.require_move(item.status, wanted)
        now = now_iso()
        fields = {"status": wanted, "updated_at": now}
        for key in ("status_notes", "agency_responsible"):
            if data[key] is not None:
                fields[key] = data[key]
        if wanted == domain.CLOSED:
            fields["closed_at"] = now
        entry = audit.entry(now, "status_changed", actor, **{"from": item.status, "to": wanted},
                            **{k: data[k] for k in ("status_notes", "agency_responsible") if data[k] is not None})
        event = ev.envelope(ev.SERVICE_REQUEST_STATUS_CHANGED, SERVICE, {
            "request_id": item.id, "service_code": item.service_code, "seq": len(item.history),
            "from": item.status, "to": wanted, "open311_status": domain.open311_status(wanted),
            "requested_at": item.requested_at,
            "status_notes": fields.get("status_notes", item.status_notes),
            "agency_responsible": fields.get("agency_responsible", item.agency_responsible)},
            municipality=item.municipality, actor=actor)
        with self._quality_marked(item.municipality, item.requested_at, now):
            stored = self.store.change(item, fields, entry, [event])
        if not stored:
            raise Conflict("The request was changed by someone else at the same moment; read it and try again.")
        changed = self.store.request(rid)
        self.store.relay(self.dispatch, now=True, written=[changed])   # its own events: no search of every outbox
        return changed.as_dict(personal=True)

    # -- service quality -------------------------------------------------------------------------
    def _timings(self, mid, period):
        """(the requests received up to the period's end, service code → target days)."""
        targets = {s["code"]: s["target_days"] for s in self.store.services(mid)}
        return self.store.timings(mid, iso(domain._end_of(period.last_day))), targets

    def _figures(self, mid, period, service_code=None):
        timings, targets = self._timings(mid, period)
        if service_code:
            timings = [t for t in timings if t["service_code"] == service_code]
        return domain.quality(timings, targets, period.first_day, period.last_day, utcnow())

    @staticmethod
    def _period_of(municipality, period_key):
        """A period key of the municipality's own calendar (``2026-H1`` or ``2026``)."""
        try:
            return parse_period(period_key, municipality.get("calendar") or "gregorian")
        except PeriodKeyError as exc:
            raise InvalidInput(f"Bad period: {exc}.", {"period": [str(exc)]}) from None

    @rpc
    def quality(self, mid, period_key, service_code=None):
        """The figures of a district and period (``2026-H1`` or ``2026``; its own calendar)."""
        municipality = self._municipality(mid)
        period = self._period_of(municipality, period_key)
        return {"municipality": mid, "period": period.key, "service_code": service_code,
                **self._figures(mid, period, service_code)}

    # -- findings for the plan -------------------------------------------------------------------
    def _findings(self, municipality, period):
        timings, targets = self._timings(municipality["id"], period)
        language = municipality.get("locale") or "tr"
        names = {s["code"]: pick(s["name"], language) for s in self.store.services(municipality["id"])}
        return [{**row, "service_name": names.get(row["service_code"], row["service_code"])}
                for row in domain.findings(timings, targets, period.first_day, period.last_day, utcnow())]

    @rpc
    def findings(self, mid, period_key, fmt="json"):
        """The period's requests by neighbourhood and service, most received first (no personal
        data): where the needs are, for the plan's findings and bank."""
        municipality = self._municipality(mid)
        period = self._period_of(municipality, period_key)
        rows = self._findings(municipality, period)
        if fmt == "xlsx":
            content = workbook.findings_workbook(mid, period.key, rows, municipality.get("locale"))
            return {"content_base64": base64.b64encode(content).decode(),
                    "filename": f"{mid}-{period.key}-request-findings.xlsx"}
        return {"municipality": mid, "period": period.key, "rows": rows}

    @rpc
    def finding(self, mid, period_key, neighbourhood, service_code):
        """One row of the findings, for a bank record made from it."""
        municipality = self._municipality(mid)
        period = self._period_of(municipality, period_key)
        for row in self._findings(municipality, period):
            if (row["neighbourhood"], row["service_code"]) == (neighbourhood, service_code):
                return {"municipality": mid, "period": period.key, "calendar": period.calendar, **row}
        raise NotFound(f"No requests of {service_code!r} in {neighbourhood!r} of {mid} in {period.key}.")

    @rpc
    def submit_quality(self, actor, plan_id, body):
        """Submit, as readings in the caller's name, the figures of the plan's indicators whose data
        source names one (``open311:<figure>[:<service_code>]``), for one period and every
        district the caller speaks for (or the one named)."""
        data = load(schemas.QualitySchema(), body)
        view = self.registry.monitoring_view(plan_id)
        if not is_participant(actor, view):
            raise NotFound(f"No adopted plan {plan_id!r} for this caller.")
        try:
            period = parse_period(data["period"], view["calendar"], view["period"]["start"], view["period"]["end"])
        except PeriodKeyError as exc:
            raise InvalidInput(f"Bad period: {exc}.", {"period": [str(exc)]}) from None
        named = data["municipality"]
        if named is not None and named not in [view["coordinator"], *view["members"]]:
            raise InvalidInput(f"{named!r} is not in plan {plan_id}.", {"municipality": ["Not a member of the plan."]})
        if named is not None and not speaks_for(actor, view, named):
            raise Forbidden(f"Readings of {named} are reported by its planner or the plan's coordinator.")
        indicators = [i for i in view["indicators"] if (named is None or i["municipality"] == named)
                      and speaks_for(actor, view, i["municipality"]) and domain.quality_source(i.get("data_source"))]
        cache = {}

        def figures_for(mid, service_code):
            if (mid, service_code) not in cache:
                cache[mid, service_code] = self._figures(mid, period, service_code)
            return cache[mid, service_code]

        readings, skipped = domain.quality_readings(indicators, figures_for, period.key)
        answer = {"plan_id": plan_id, "period": period.key, "readings": readings, "skipped": skipped}
        if readings:
            answer["batch"] = self.monitoring.submit_readings(actor, plan_id, {"readings": readings})["batch"]
        return answer

    # -- service quality submitted by itself -----------------------------------------------------
    @event_handler("plan_registry", ev.PLAN_ADOPTED)
    def on_plan_adopted(self, body):
        self.store.handle_once(f"{SERVICE}.quality_plan", body, self._keep_quality_plan)

    @event_handler("plan_registry", ev.PLAN_REVISED)
    def on_plan_revised(self, body):
        self.store.handle_once(f"{SERVICE}.quality_plan", body, self._keep_quality_plan)

    def _keep_quality_plan(self, envelope):
        plan, version = envelope["payload"]["plan"], envelope["payload"]["version"]
        view = domain.quality_view(plan)
        self.store.keep_quality_plan(plan["id"], version, view)
        if view is not None:   # the requests filed before the plan count too, and the half-year under way
            for municipality in view["municipalities"]:
                MEASURING.pop(municipality, None)
                self._mark_quality_due(municipality, domain.half_years_begun(view, utcnow().date()))

    @contextmanager
    def _quality_marked(self, mid, *times):
        """Marks the half-years whose service-quality figures a change at these times touches, in
        the calendars of the plans measuring the municipality's requests, around the change's write:
        before it, so that no failure between the two loses a mark (a mark too many submits the same
        figures, which are skipped), and after it, so that a submission which read the half-year
        before the write sees its mark changed and leaves it due. Marked in the request's own call
        rather than on its event, which came back to this service in bursts with the outbox's relay."""
        calendars = _remembered(MEASURING, mid, lambda: {view["calendar"] for view in self.store.quality_plans(mid)})
        marks = domain.due_marks(calendars, *times)
        self._mark_quality_due(mid, marks)
        yield
        self._mark_quality_due(mid, marks)

    def _mark_quality_due(self, mid, marks):
        for period, due_from in marks.items():
            self.store.mark_quality_due(mid, period, due_from)

    @timer(interval=QUALITY_SECONDS)
    def submit_quality_due(self):
        now = utcnow()
        for due in self.store.quality_due(iso(now)):
            try:
                self._submit_due(due)
            except Exception:   # one plan's refusal must not hold back the others: it stays due, tried
                # again a few minutes later, so marks that keep failing do not fill every pass
                log.warning("service quality of %s not submitted", due["_id"], exc_info=True)
                self.store.retry_quality_due(due, iso(now + timedelta(seconds=QUALITY_RETRY_SECONDS)))

    def _submit_due(self, due):
        mid, submitted, today = due["municipality"], dict(due.get("submitted") or {}), utcnow().date()
        for view in self.store.quality_plans(mid):
            if due["period"] not in domain.ended_half_years(view, today):
                under_way = domain.half_years_begun(view, today).get(due["period"])
                if under_way and not due.get("due_from"):   # marked before marks said when: left until it ends
                    self.store.mark_quality_due(mid, due["period"], under_way)
                    return
                continue
            period = parse_period(due["period"], view["calendar"])
            indicators = [i for i in view["indicators"] if i["municipality"] == mid]
            if not domain.recorded(self._figures(mid, period)):
                continue
            readings, _ = domain.quality_readings(indicators, lambda m, code: self._figures(m, period, code),
                                                  period.key)
            values = {r["indicator"]: r["value"] for r in readings}
            if readings and submitted.get(view["id"]) != values:
                self.monitoring.submit_readings(domain.quality_actor(mid), view["id"], {"readings": readings},
                                                domain.submission_key(view["id"], mid, period.key, readings))
                submitted[view["id"]] = values
        self.store.settle_quality_due(due, submitted)
