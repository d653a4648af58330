"""Rules of neighbourhood service requests (pure: no store, no broker).

A request moves open → assigned → in_progress → closed, one step at a time; the public (and
Open311) sees ``open`` for the first three and ``closed`` for the last. Service quality per
district and period is figured from the requests themselves: received, the share closed within
the service's target days, the median days to close, and the open requests past their target.
"""
import hashlib
import re
import statistics
from datetime import date, datetime, time, timedelta, timezone

from shared.calendars import period_containing, plan_periods
from shared.clock import iso
from shared.guide import quality_source
from shared.errors import InvalidInput
from shared.privacy import mask_contacts
from shared.text import pick

OPEN, ASSIGNED, IN_PROGRESS, CLOSED = "open", "assigned", "in_progress", "closed"
LIFECYCLE = (OPEN, ASSIGNED, IN_PROGRESS, CLOSED)
FILED_BY = ("citizen", "muhtar", "district_chief", "staff")
MAX_DESCRIPTION = 4000

# -- the lifecycle ---------------------------------------------------------------------------------


def open311_status(status):
    """GeoReport v2 knows two statuses: everything before closing is ``open``."""
    return CLOSED if status == CLOSED else OPEN


def check_move(current, wanted):
    """None when ``current`` may become ``wanted``; else the sentence that says why not.

    A request moves one step forward at a time; staying at the same step (a note, another
    unit) is allowed until it is closed; a closed request stays closed."""
    if wanted not in LIFECYCLE:
        return f"Unknown status {wanted!r}: use one of {', '.join(LIFECYCLE)}."
    if current == CLOSED:
        return "The request is closed; file a new request instead of reopening it."
    here, there = LIFECYCLE.index(current), LIFECYCLE.index(wanted)
    if there == here:
        return None
    if there < here:
        return f"A request does not move back from {current} to {wanted}."
    if there > here + 1:
        skipped = ", ".join(LIFECYCLE[here + 1:there])
        return f"A request moves {current} → {LIFECYCLE[here + 1]}; it cannot skip {skipped} to reach {wanted}."
    return None


def require_move(current, wanted):
    problem = check_move(current, wanted)
    if problem:
        raise InvalidInput("The status change skips or breaks the lifecycle open → assigned → in_progress → closed.",
                           {"status": [problem]})


# -- positions ---------------------------------------------------------------------------------


def location_problems(data, problems):
    """An address, a neighbourhood or a lat/long pair (both, in range) locates a request."""
    lat, long = data.get("lat"), data.get("long")
    if (lat is None) != (long is None):
        problems.add("lat" if lat is None else "long", "Send lat and long together.")
    if lat is not None and not -90 <= lat <= 90:
        problems.add("lat", "Latitude is between -90 and 90.")
    if long is not None and not -180 <= long <= 180:
        problems.add("long", "Longitude is between -180 and 180.")
    if lat is None and long is None and not data.get("address") and not data.get("address_id"):
        problems.add("address_string", "Locate the request: send lat and long, or address_string.")


# -- times ---------------------------------------------------------------------------------------


def parse_time(value):
    """An ISO 8601 time with its zone (a date alone is midnight UTC) as an aware datetime."""
    text = value.strip().replace("Z", "+00:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), time(), timezone.utc)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("give the time zone (Z or +03:00)")
    return moment


def expected_at(requested_at, target_days):
    """When the service promises an answer: ``target_days`` after it was requested."""
    if target_days is None:
        return None
    return iso(parse_time(requested_at) + timedelta(days=target_days))


def days_between(start, end):
    return (parse_time(end) - parse_time(start)).total_seconds() / 86400


# -- what the public reads ----------------------------------------------------------------------


def open311_request(item, service, language="tr"):
    """A request as GeoReport v2 writes it; never the requester's name, e-mail or phone, and the
    description with any contact typed into it masked. ``ortak_status`` and ``neighbourhood``
    are extensions: Ortak's finer lifecycle and the mahalle."""
    target = (service or {}).get("target_days")
    return {
        "service_request_id": item["id"],
        "status": open311_status(item["status"]),
        "status_notes": item.get("status_notes") or "",
        "service_name": pick((service or {}).get("name"), language) or item["service_code"],
        "service_code": item["service_code"],
        "description": mask_contacts(item.get("description") or ""),
        "agency_responsible": item.get("agency_responsible") or "",
        "service_notice": "",
        "requested_datetime": item["requested_at"],
        "updated_datetime": item["updated_at"],
        "expected_datetime": expected_at(item["requested_at"], target) if target is not None else "",
        "address": item.get("address") or "",
        "address_id": item.get("address_id") or "",
        "zipcode": item.get("zipcode") or "",
        "lat": item.get("lat") if item.get("lat") is not None else "",
        "long": item.get("long") if item.get("long") is not None else "",
        "media_url": item.get("media_url") or "",
        "ortak_status": item["status"],
        "neighbourhood": item.get("neighbourhood") or "",
        "filed_by": item.get("filed_by") or "citizen",
    }


def open311_service(service, language="tr"):
    return {
        "service_code": service["code"],
        "service_name": pick(service["name"], language),
        "description": pick(service.get("description"), language) or "",
        "metadata": False,          # no extra attributes: the definition lists none
        "type": "realtime",         # a request gets its id at once
        "keywords": ", ".join(service.get("keywords") or []),
        "group": service.get("group") or "",
    }


# -- service quality ---------------------------------------------------------------------------

def _end_of(day):
    """The first moment after ``day`` (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(), timezone.utc)


def quality(requests, targets, first_day, last_day, now):
    """The service-quality figures of ``requests`` for the period ``first_day``..``last_day``.

    ``requests``: dicts with ``service_code``, ``requested_at`` and ``closed_at`` (None while
    open); ``targets``: service code → target days; ``now``: an aware datetime.

    - received: requests received in the period;
    - closed_within_target: of those, the share (%) closed within their service's target days
      (a request still open, or of a service without a target, counts as not closed in time);
    - median_days_to_close: the median of days from received to closed of those closed (None
      when none is);
    - open_past_target: requests received up to the period's end, still open at its end (or
      now, if the period has not ended) and past their target then: the backlog.
    """
    start = datetime.combine(first_day, time(), timezone.utc)
    end = min(_end_of(last_day), now)
    received = closed_in_time = past_target = 0
    durations = []
    for item in requests:
        requested = parse_time(item["requested_at"])
        closed = parse_time(item["closed_at"]) if item.get("closed_at") else None
        target = targets.get(item["service_code"])
        if start <= requested < _end_of(last_day):
            received += 1
            if closed is not None:
                durations.append((closed - requested).total_seconds() / 86400)
                if target is not None and closed - requested <= timedelta(days=target):
                    closed_in_time += 1
        if requested < end and (closed is None or closed >= end) and target is not None \
                and requested + timedelta(days=target) < end:
            past_target += 1
    return {
        "received": received,
        "closed_within_target": round(100 * closed_in_time / received, 2) if received else None,
        "median_days_to_close": round(statistics.median(durations), 2) if durations else None,
        "open_past_target": past_target,
    }


def quality_readings(indicators, figures_for, period):
    """Readings for every indicator whose data source names a figure; ``figures_for(municipality,
    service_code)`` gives the figures. An indicator whose figure has no value (no request was
    received) is left out and named in ``skipped``."""
    readings, skipped = [], []
    for indicator in indicators:
        source = quality_source(indicator.get("data_source"))
        if source is None:
            continue
        figure, service_code = source
        value = figures_for(indicator["municipality"], service_code)[figure]
        if value is None:
            skipped.append({"indicator": indicator["code"], "reason": f"no {figure} figure: no request closed "
                                                                       "or received in the period"})
            continue
        readings.append({"indicator": indicator["code"], "municipality": indicator["municipality"],
                         "period": period, "value": value, "source": f"open311:{figure}" + (
                             f":{service_code}" if service_code else "")})
    return readings, skipped


# -- the figures as readings, without being asked --------------------------------------------------
QUALITY_VIEW = ("id", "calendar", "period", "coordinator", "members", "coordinator_kind")


def quality_view(plan):
    """What the quality consumer keeps of an adopted plan (its monitoring view): the calendar, the
    years and the indicators whose data source names a figure; None when no indicator does."""
    indicators = [{"code": i["code"], "municipality": i["municipality"], "data_source": i.get("data_source")}
                  for i in plan.get("indicators") or [] if quality_source(i.get("data_source"))]
    if not indicators:
        return None
    return {**{k: plan.get(k) for k in QUALITY_VIEW}, "indicators": indicators,
            "municipalities": sorted({i["municipality"] for i in indicators})}


def periods_touched(calendar, *times):
    """{half-year key: the day its figures may be submitted (the day after it ends, ISO)} of the
    half-years whose figures a request's filing or change can move: the one it was received in
    (received, closed in time, days to close) and the one the change happened in (the backlog)."""
    touched = (period_containing(calendar, parse_time(t).date()) for t in times if t)
    return {p.key: due_from(p) for p in sorted(touched, key=lambda p: p.key)}


def due_marks(calendars, *times):
    """periods_touched in each of ``calendars`` (the plans measuring a municipality's requests)."""
    return {key: day for calendar in calendars for key, day in periods_touched(calendar, *times).items()}


def due_from(period):
    return (period.last_day + timedelta(days=1)).isoformat()


def half_years_begun(view, today):
    """The plan's half-years begun by ``today``, with the day each may be submitted from: an
    adoption marks them all, so a half-year under way is submitted once it ends even if none of
    its requests changes after the adoption."""
    return {p.key: due_from(p) for p in plan_periods(view["calendar"], view["period"]["start"], view["period"]["end"])
            if p.half is not None and p.first_day <= today}


def ended_half_years(view, today):
    """The plan's half-years that have ended by ``today``: their figures are final enough to
    submit (a half-year under way would be a reading of half a period): those due by ``today``."""
    return [key for key, due in half_years_begun(view, today).items() if due <= today.isoformat()]


def recorded(figures):
    """A half-year in which the district recorded no request is not known to have had none (its
    requests may not have been entered yet): its figures are submitted only when asked for."""
    return figures["received"] > 0


def quality_actor(municipality):
    """Who submits the figures: the requests service in the district's name. Approval stays with
    the district's people or the coordinator, as for any reading."""
    return {"role": "service", "service": "requests", "municipality": municipality}


def submission_key(plan_id, municipality, period, readings):
    """The Idempotency-Key of a submission: the same figures submitted again (a redelivered event,
    two processes at once) are one batch."""
    values = sorted((r["indicator"], r["value"]) for r in readings)
    return "quality-" + hashlib.sha256(repr((plan_id, municipality, period, values)).encode()).hexdigest()[:40]


# -- findings for the plan --------------------------------------------------------------------------
def findings(requests, targets, first_day, last_day, now):
    """The period's requests by neighbourhood and service, most received first: where the needs
    are, as a table a coordinator can turn into the plan's findings or bank records. Each row has
    the quality figures of its requests; a row with nothing received or waiting is left out."""
    groups = {}
    for item in requests:
        groups.setdefault((item.get("neighbourhood") or "", item["service_code"]), []).append(item)
    rows = []
    for (neighbourhood, code), items in groups.items():
        figures = quality(items, targets, first_day, last_day, now)
        if figures["received"] or figures["open_past_target"]:
            rows.append({"neighbourhood": neighbourhood, "service_code": code, **figures})
    return sorted(rows, key=lambda r: (-r["received"], -r["open_past_target"], r["neighbourhood"], r["service_code"]))
