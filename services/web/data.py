"""What the public pages read, through the gateway's RPC pool, always as the public (actor None).

Reads are kept a few seconds per worker (as public API answers carry ``max-age`` of a few
seconds), so a page that many people open at once costs the services one read, not one each.
Progress of several periods is read in parallel.
"""
import datetime
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from shared.calendars import Period, period_containing
from shared.errors import NotFound
from shared.guide import quality_source
from shared.roles import municipalities_of

from ..gateway.http import call

CACHE_SECONDS = 5.0
CACHE_SIZE = 512
_cache = {}
_cache_lock = threading.Lock()
_readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="web-read")


def kept(key, make, seconds=CACHE_SECONDS):
    """``make()``, kept ``seconds`` under ``key``; errors are never kept."""
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    value = make()
    with _cache_lock:
        # what is past its time goes at once: a decoded plan kept until the map filled up would hold
        # megabytes for nothing, in every worker
        for stale in [k for k, (until, _) in _cache.items() if until <= now]:
            del _cache[stale]
        if len(_cache) >= CACHE_SIZE:
            for oldest in list(_cache)[:CACHE_SIZE // 4]:
                del _cache[oldest]
        _cache[key] = (now + seconds, value)
    return value


def _read(service, method, *args):
    """``service.method(None, *args)`` (the public), kept CACHE_SECONDS."""
    return kept((service, method, args), lambda: call(service, method, None, *args))


def forget():
    """Drop what is kept (after a write through the pages, and in tests)."""
    with _cache_lock:
        _cache.clear()


def _parallel(calls):
    """Run ``(service, method, *args)`` reads side by side; an answer is the value or the exception."""
    app = current_app._get_current_object()

    def one(spec):
        with app.app_context():
            try:
                return _read(*spec)
            except Exception as exc:  # each caller decides what a failed read means
                return exc
    return list(_readers.map(one, calls))


# -- plans and municipalities ---------------------------------------------------------------------

def plans():
    return _read("plan_registry", "list_plans", None)


def plan(plan_id):
    return _read("plan_registry", "get_plan", plan_id)


def versions(plan_id):
    return _read("plan_registry", "list_versions", plan_id)


def municipalities():
    return {m["id"]: m for m in _read("plan_registry", "list_municipalities")}


def in_force(plan_head):
    return plan_head.get("status") in ("adopted", "revision") or bool(plan_head.get("adoption"))


# -- activities and projects -----------------------------------------------------------------------

def projects(plan_id):
    """The plan's portfolio, ranked by horizon then priority; none before the plan is adopted."""
    try:
        return _read("programme", "portfolio", plan_id)
    except NotFound:
        return []


def project_budget_total(project):
    return sum(float(v) for v in (project.get("budget") or {}).values())


# -- consultations ----------------------------------------------------------------------------------

def consultations(plan_id):
    try:
        return _read("consultation", "list_consultations", plan_id)
    except NotFound:
        return []


def open_public_consultations(plan_ids):
    found = []
    for plan_id, answer in zip(plan_ids, _parallel([("consultation", "list_consultations", p) for p in plan_ids])):
        if isinstance(answer, NotFound):
            continue
        if isinstance(answer, Exception):
            raise answer
        found += [c for c in answer if c.get("public") and c.get("status") == "open"]
    return sorted(found, key=lambda c: c.get("closes_at") or "")


def consultation(cid):
    return call("consultation", "get_consultation", None, cid)   # never kept: its status is read fresh


def published_inputs(cid):
    # read fresh: a comment the coordinator has just published or hidden shows as such at once
    return [i for i in call("consultation", "list_inputs", None, cid, None) if i.get("text")]


def submit_input(cid, body, client):
    result = call("consultation", "submit_input", None, cid, body, client=client)
    return result


# -- progress ---------------------------------------------------------------------------------------

def half_years(plan_doc, today=None):
    """The plan's half-years that have begun by ``today``, in order."""
    today = today or datetime.date.today()
    calendar, start, end = plan_doc["calendar"], plan_doc["period"]["start"], plan_doc["period"]["end"]
    now = period_containing(calendar, today)
    periods = []
    for year in range(start, end + 1):
        for half in (1, 2):
            period = Period(calendar, year, half)
            if period <= now:
                periods.append(period)
    return periods


def series(plan_doc, today=None):
    """``[(period, progress or None)]`` for every half-year begun so far (None: nothing to figure,
    e.g. a plan not adopted yet)."""
    periods = half_years(plan_doc, today)
    answers = _parallel([("monitoring", "progress", plan_doc["id"], p.key) for p in periods])
    out = []
    for period, answer in zip(periods, answers):
        if isinstance(answer, NotFound):
            answer = None
        elif isinstance(answer, Exception):
            raise answer
        out.append((period, answer))
    return out


def latest(series_, pick):
    """The latest ``(period, figure)`` for which ``pick(progress)`` gives a figure with a number."""
    for period, progress in reversed(series_):
        if progress is None:
            continue
        figure = pick(progress)
        if figure is not None and (figure.get("realization") is not None or figure.get("C") is not None):
            return period, figure
    return None, None


def by_code(items, key="code"):
    return {item[key]: item for item in items or []}


def matrix(plan_id, period_key):
    """Goals x municipalities of a period, as monitoring figures it (each municipality's own goal
    figure, by the plan's goal rule): ``{(goal, municipality): cell}``."""
    return matrix_cells(_read("monitoring", "matrix", plan_id, period_key))


def matrix_cells(answer):
    return {(c["goal"], c["municipality"]): c for c in answer["matrix"]["cells"]}

def quality_members(plan_doc):
    """The plan's municipalities with an indicator measured from their service requests (its
    data source names an ``open311:`` figure), in the plan's order."""
    measured = {m for m, contribution in (plan_doc.get("contributions") or {}).items()
                for objective in contribution.get("objectives", [])
                for indicator in objective.get("indicators", []) if quality_source(indicator.get("data_source"))}
    return [m for m in municipalities_of(plan_doc) if m in measured]


def service_quality(members, period_key):
    """Each municipality's service-quality figures of the period, as the requests service counts
    them from the requests themselves (public figures: no caller is named)."""
    return {mid: call("requests", "quality", mid, period_key) for mid in members}
