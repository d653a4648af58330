"""The public pages: the plans in force, a plan, a municipality's part of it, an open consultation."""
import functools

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shared.calendars import parse_period
from shared.errors import Conflict, InvalidInput, NotFound, RateLimited
from shared.roles import municipalities_of

from . import changes, data, forms, i18n
from .charts import realization_bars

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")


PAGE_SECONDS = 1.0


def public_page(view):
    """A public page as the anonymous readers of a language see it, rendered at most once a second
    by a worker: what it shows is read a few seconds apart anyway (data.CACHE_SECONDS), and a plan's
    page takes longer to render than to read (tens of milliseconds)."""
    @functools.wraps(view)
    def page(*args, **kwargs):
        if g.get("actor") is not None:   # a person's page names them
            return view(*args, **kwargs)
        key = ("page", request.full_path, request.cookies.get(i18n.COOKIE), request.headers.get("Accept-Language"))
        return data.kept(key, lambda: view(*args, **kwargs), PAGE_SECONDS)
    return page


def _plan_language(plan_doc, municipalities):
    coordinator = municipalities.get(plan_doc.get("coordinator")) or {}
    g.lang = i18n.choose_language(coordinator.get("locale"))


def _api(path, **args):
    """A link to the public API (downloads), with its query."""
    query = "&".join(f"{k}={v}" for k, v in args.items() if v is not None)
    return f"/api/v1{path}" + (f"?{query}" if query else "")


@blp.route("/")
@public_page
def index():
    g.lang = i18n.choose_language()
    heads = data.plans()
    municipalities = data.municipalities()
    in_force = [p for p in heads if data.in_force(p)]
    preparing = [p for p in heads if not data.in_force(p)]
    consultations = data.open_public_consultations([p["id"] for p in heads])
    titles = {p["id"]: p["title"] for p in heads}
    return render_template("index.html", in_force=in_force, preparing=preparing, consultations=consultations,
                           municipalities=municipalities, plan_titles=titles)


def _plan_context(plan_id, municipality=None):
    plan_doc = data.plan(plan_id)
    municipalities = data.municipalities()
    _plan_language(plan_doc, municipalities)
    series = data.series(plan_doc)
    frame = plan_doc.get("frame") or {}
    goals = frame.get("goals", [])
    members = [m for m in municipalities_of(plan_doc) if m in plan_doc["contributions"]]
    if municipality is not None and municipality not in (plan_doc["coordinator"], *plan_doc["members"]):
        raise NotFound(f"{municipality} is not part of plan {plan_id}.")
    latest_period, latest_progress = None, None
    for period, progress in reversed(series):
        if progress is not None and any(o["realization"] is not None for o in progress["objectives"]):
            latest_period, latest_progress = period, progress
            break
    context = dict(
        plan=plan_doc, frame=frame, goals=goals, municipalities=municipalities, members=members,
        series=series, latest_period=latest_period, latest=latest_progress,
        themes=data.by_code(plan_doc.get("themes")), focus=municipality,
        objectives_by_goal=_objectives_by_goal(plan_doc, municipality),
        indicator_figures=_latest_indicator_figures(series),
        objective_figures=_latest_figures(series, "objectives", lambda o: (o["code"], o["municipality"])),
        goal_figures=_latest_figures(series, "goals", lambda o: o["code"]),
        regional_figures=_latest_figures(series, "regional", lambda o: o["code"]),
        incomplete=_incomplete(latest_progress, plan_doc),
        consultations=[c for c in data.consultations(plan_id) if c.get("public")],
        years=[str(y) for y in range(plan_doc["period"]["start"], plan_doc["period"]["end"] + 1)],
        api=_api, chart=realization_bars,
    )
    if latest_progress is not None:
        context["matrix"] = data.matrix(plan_id, latest_period.key)
    return plan_doc, context


def _objectives_by_goal(plan_doc, municipality=None):
    out = {}
    for mid, contribution in plan_doc["contributions"].items():
        if municipality is not None and mid != municipality:
            continue
        for objective in contribution["objectives"]:
            out.setdefault(objective["goal"], []).append({**objective, "municipality": mid})
    for objectives in out.values():
        objectives.sort(key=lambda o: [int(p) if p.isdigit() else p for p in o["code"].lstrip("H").split(".")])
    return out


def _latest_figures(series, kind, key):
    """For each item, its latest figure that has a number: ``{key: (period, figure)}``."""
    found = {}
    for period, progress in series:
        if progress is None:
            continue
        for figure in progress[kind]:
            if figure.get("realization") is not None or figure.get("C") is not None:
                found[key(figure)] = (period, figure)
    return found


def _incomplete(progress, plan_doc):
    """What each figure of the latest period still lacks, so a page says so instead of leaving an
    older figure unexplained: the plan and goals name their incomplete goals and objectives, an
    objective its indicators, an indicator (or regional indicator) the periods with no approved
    reading."""
    if progress is None:
        return {}
    found = {}
    if progress["plan"].get("incomplete"):
        found["plan"] = progress["plan"].get("missing_goals", [])
    for goal in progress["goals"]:
        if goal.get("incomplete"):
            found[("goal", goal["code"])] = goal.get("missing_objectives", [])
    for objective in progress["objectives"]:
        if objective.get("incomplete"):
            found[("objective", objective["code"], objective["municipality"])] = objective.get("missing_indicators", [])
    for kind, key in (("indicators", lambda f: ("indicator", f["code"], f["municipality"])),
                      ("regional", lambda f: ("regional", f["code"]))):
        for figure in progress[kind]:
            if figure.get("incomplete"):
                found[key(figure)] = [parse_period(k, plan_doc["calendar"]) for k in figure.get("missing_periods", [])]
    return found


def _latest_indicator_figures(series):
    return _latest_figures(series, "indicators", lambda f: (f["code"], f["municipality"]))


def _adopted_changes(plan_id, adopted):
    """What changed from the adopted version before ``?changes=n`` to adopted version n."""
    numbers = [v["version"] for v in adopted]
    raw = request.args.get("changes") or ""
    if not raw.isdigit() or int(raw) not in numbers[1:]:
        return None
    new = int(raw)
    old = numbers[numbers.index(new) - 1]
    answer = data._read("plan_registry", "diff", plan_id, old, new)
    snapshots = [data._read("plan_registry", "get_version", plan_id, n)["plan"] for n in (old, new)]
    return changes.readable(answer, *snapshots)


@blp.route("/plans/<plan_id>")
@public_page
def plan_page(plan_id):
    plan_doc, context = _plan_context(plan_id)
    context["versions"] = [v for v in data.versions(plan_id) if v.get("kind") == "adoption"]
    context["version_changes"] = _adopted_changes(plan_id, context["versions"])
    context["projects"] = data.projects(plan_id) if plan_doc.get("adoption") else []
    context["project_budget"] = data.project_budget_total
    return render_template("plan.html", **context)


@blp.route("/plans/<plan_id>/municipalities/<mid>")
@public_page
def municipality_page(plan_id, mid):
    plan_doc, context = _plan_context(plan_id, municipality=mid)
    context["municipality"] = context["municipalities"].get(mid) or {"id": mid, "name": mid}
    return render_template("municipality.html", **context)


# -- consultations ----------------------------------------------------------------------------------

def _consultation_context(cid):
    consultation = data.consultation(cid)
    if not consultation.get("public"):
        raise NotFound(f"No consultation {cid!r}.")
    plan_doc = data.plan(consultation["plan_id"])
    municipalities = data.municipalities()
    _plan_language(plan_doc, municipalities)
    themes = data.by_code(plan_doc.get("themes"))
    return consultation, dict(consultation=consultation, plan=plan_doc, municipalities=municipalities,
                              themes=themes, members=municipalities_of(plan_doc),
                              published=data.published_inputs(cid), form_choices=forms.choices(consultation))


@blp.route("/consultations/<cid>", methods=["GET", "POST"])
def consultation_page(cid):
    consultation, context = _consultation_context(cid)
    values, errors, notice = {}, {}, None
    status = 200
    if request.method == "POST":
        values = forms.read(request.form)
        errors = forms.check(values, consultation, context["members"])
        if not errors:
            try:
                result = data.submit_input(cid, forms.body(values), client=request.remote_addr)
            except InvalidInput as exc:
                errors = forms.from_service(exc.errors)
            except Conflict:
                notice = _("This consultation is not open for comments any more.")
                status = 409
            except RateLimited:
                notice = _("Too many comments were sent from your connection in the last minute. "
                           "Please wait a minute and send the form again.")
                status = 429
            else:
                data.forget()
                return redirect(url_for("web.consultation_sent", cid=cid, ref=result["id"], lang=i18n.offered_language()),
                                code=303)
        if errors:
            status = 422
    return render_template("consultation.html", values=values, errors=errors, notice=notice, **context), status


@blp.route("/consultations/<cid>/sent")
def consultation_sent(cid):
    consultation, context = _consultation_context(cid)
    reference = request.args.get("ref", "")
    if not forms.REFERENCE.fullmatch(reference):
        abort(404)
    return render_template("sent.html", reference=reference, **context)
