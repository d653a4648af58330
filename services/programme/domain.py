"""Rules of activities and projects (faaliyet ve projeler) and the yearly documents (pure: no store,
no broker).

A project serves a plan's objective (hedef), goal (amaç) or strategy (راهکار); it belongs to one
municipality, has partners, a horizon and a priority (as the Alborz document ranks its projects),
a budget per plan year, funding, milestones, and progress reports per period. Every year the plan's
slice is the performance programme (performans programı); after the year, the activity report
(faaliyet raporu) sets results against targets and spending against budget.
"""
from datetime import date
from decimal import Decimal

from shared.calendars import Period, PeriodKeyError, parse_period
from shared.roles import municipalities_of

KINDS = ("activity", "project")
PARTNER_KINDS = ("municipality", "company", "consortium", "public_institution", "university", "ngo")
HORIZONS = ("short", "mid", "long")
PLANNED, ONGOING, COMPLETED = "planned", "ongoing", "completed"
STATUSES = (PLANNED, ONGOING, COMPLETED)
CENTS = Decimal("0.01")


def money(value):
    return str(Decimal(value or "0").quantize(CENTS))


def total(amounts):
    return money(sum((Decimal(a) for a in amounts), Decimal("0")))


def members(plan):
    return municipalities_of(plan)


def plan_years(plan):
    return [str(y) for y in range(plan["period"]["start"], plan["period"]["end"] + 1)]


def objective_of(plan, code):
    return next((o for o in plan["objectives"] if o["code"] == code), None)


def goal_of(plan, code):
    return next((g for g in plan["goals"] if g["code"] == code), None)


# -- a project as sent ---------------------------------------------------------------------------


def project_problems(data, plan, problems):
    """Everything that makes a project not fit its plan, by field path; nothing is stored if any."""
    municipality = data["municipality"]
    if municipality not in members(plan):
        problems.add("municipality", f"{municipality!r} is not a member of plan {plan['id']}.")
    partners = {p["name"] for p in data["partners"] if p["kind"] == "municipality"}
    for i, partner in enumerate(data["partners"]):
        if partner["kind"] == "municipality" and partner["name"] not in members(plan):
            problems.add(f"partners[{i}].name", f"{partner['name']!r} is not a municipality of plan {plan['id']}.")
    objective = None
    if data.get("objective") is not None:
        objective = objective_of(plan, data["objective"])
        if objective is None:
            problems.add("objective", f"Plan {plan['id']} has no objective {data['objective']!r}.")
        elif objective["municipality"] != municipality and objective["municipality"] not in partners:
            owner = objective["municipality"]
            problems.add("objective", f"Objective {objective['code']} belongs to {owner}: a project of "
                                      f"{municipality} may serve it only with {owner} as a partner.")
    goal = None
    if data.get("goal") is not None:
        goal = goal_of(plan, data["goal"])
        if goal is None:
            problems.add("goal", f"Plan {plan['id']} has no goal {data['goal']!r}.")
        elif objective is not None and objective["goal"] != goal["code"]:
            problems.add("goal", f"Objective {objective['code']} serves goal {objective['goal']}, not {goal['code']}.")
    if data.get("strategy") is not None:
        owner = goal or (goal_of(plan, objective["goal"]) if objective else None)
        strategies = owner["strategies"] if owner else [s for g in plan["goals"] for s in g.get("strategies") or []]
        if data["strategy"] not in strategies:
            problems.add("strategy", f"No strategy {data['strategy']!r} under "
                                     f"{'goal ' + owner['code'] if owner else 'the plan'}.")
    if data.get("objective") is None and data.get("goal") is None and data.get("strategy") is None:
        problems.add("objective", "A project serves an objective, a goal or a strategy of the plan.")
    start, end = data["start"], data["end"]
    if end < start:
        problems.add("end", f"The project ends ({end}) before it starts ({start}).")
    years = plan_years(plan)
    for year in data["budget"]:
        if year not in years:
            problems.add(f"budget.{year}", f"{year} is outside the plan period {years[0]}-{years[-1]}.")
    titles = set()
    for i, milestone in enumerate(data["milestones"]):
        if milestone["title"] in titles:
            problems.add(f"milestones[{i}].title", "Two milestones have this title.")
        titles.add(milestone["title"])
        if milestone["due"] > end:
            problems.add(f"milestones[{i}].due", f"Due {milestone['due']}, after the project's end ({end}).")
        if milestone["due"] < start:
            problems.add(f"milestones[{i}].due", f"Due {milestone['due']}, before the project's start ({start}).")
    return problems


def bank_problems(data, records, problems):
    """Each link to the bank names a record of the plan's bank of needs, capacities and opportunities."""
    known = {r["id"] for r in records}
    for i, rid in enumerate(data.get("bank") or []):
        if rid not in known:
            problems.add(f"bank[{i}]", f"The plan's bank of needs, capacities and opportunities has no record {rid!r}.")
    return problems


def check_period(plan, key):
    """(the period, None) or (None, (field, message)) for a progress report's period."""
    try:
        period = parse_period(key, plan["calendar"], plan["period"]["start"], plan["period"]["end"])
    except PeriodKeyError as exc:
        return None, ("period", str(exc))
    return period, None


def report_problems(plan, project, report, today, problems):
    """A progress report: a period of the plan, begun; spending only in a period begun."""
    period, problem = check_period(plan, report["period"])
    if problem:
        problems.add(*problem)
        return None
    if period.first_day > today:
        if Decimal(report["spent"]) > 0:
            problems.add("spent", f"Nothing can be spent in {period.key}: it begins on {period.first_day}.")
        else:
            problems.add("period", f"{period.key} has not begun (it begins on {period.first_day}).")
    if date.fromisoformat(project["start"]) > period.last_day:
        problems.add("period", f"The project starts on {project['start']}, after {period.key}.")
    return period


def with_report(reports, report):
    """The reports with ``report`` in place of an earlier one of the same period, in period order."""
    kept = [r for r in reports if r["period"] != report["period"]]
    return sorted([*kept, report], key=lambda r: r["period"])


# -- state, milestones and alerts -------------------------------------------------------------------


def status(project, today):
    """planned before its start, completed once a report says 100 %, ongoing in between."""
    reports = project.get("reports") or []
    if reports and max(r["percent"] for r in reports) >= 100:
        return COMPLETED
    return ONGOING if project["start"] <= today.isoformat() else PLANNED


def overdue(milestone, today):
    return milestone.get("done_on") is None and milestone["due"] < today.isoformat()


def reconcile_alerts(alerts, milestones, today, now):
    """(alerts, missed, met): an open alert per overdue milestone, raised once; an alert closes when
    its milestone is done (or gone). ``missed`` and ``met`` are the milestones whose alert opened or
    closed now."""
    alerts = [dict(a) for a in alerts]
    open_by_title = {a["milestone"]: a for a in alerts if a["status"] == "open"}
    by_title = {m["title"]: m for m in milestones}
    missed, met = [], []
    for milestone in milestones:
        if overdue(milestone, today) and milestone["title"] not in open_by_title:
            alerts.append({"milestone": milestone["title"], "due": milestone["due"], "kind": "milestone_overdue",
                           "status": "open", "opened_at": now, "closed_at": None})
            missed.append(milestone)
    for title, alert in open_by_title.items():
        milestone = by_title.get(title)
        if milestone is None or not overdue(milestone, today):
            alert.update(status="closed", closed_at=now)
            if milestone is not None and milestone.get("done_on"):
                met.append(milestone)
    return alerts, missed, met


def newly_done(before, after):
    """Milestones that got a done_on in this change."""
    done_before = {m["title"] for m in before if m.get("done_on")}
    return [m for m in after if m.get("done_on") and m["title"] not in done_before]


# -- the portfolio --------------------------------------------------------------------------------


def goal_served(plan, project):
    """The goal a project serves: its own, its objective's, or the one its strategy is under."""
    if project.get("goal"):
        return project["goal"]
    objective = objective_of(plan, project["objective"]) if project.get("objective") else None
    if objective is not None:
        return objective["goal"]
    return next((g["code"] for g in plan["goals"] if project.get("strategy") in (g.get("strategies") or [])), None)


def theme_served(plan, project):
    """The theme of the objective a project serves, else of its goal."""
    objective = objective_of(plan, project["objective"]) if project.get("objective") else None
    if objective is not None and objective.get("theme"):
        return objective["theme"]
    goal = goal_of(plan, goal_served(plan, project) or "")
    return goal.get("theme") if goal else None


def filter_problems(plan, filters, problems):
    """A portfolio filter naming a theme or goal the plan does not have, by its name."""
    themes = [t["code"] for t in plan.get("themes") or []]
    if filters.get("theme") is not None and filters["theme"] not in themes:
        problems.add("theme", f"Plan {plan['id']} has no theme {filters['theme']!r}; it has {', '.join(themes)}.")
    if filters.get("goal") is not None and goal_of(plan, filters["goal"]) is None:
        problems.add("goal", f"Plan {plan['id']} has no goal {filters['goal']!r}.")
    return problems


def in_portfolio(plan, project, filters):
    """Whether a project (with its status) passes the filters: horizon, status, theme, goal."""
    return (filters.get("horizon") in (None, project["horizon"]) and filters.get("status") in (None, project["status"])
            and filters.get("theme") in (None, theme_served(plan, project))
            and filters.get("goal") in (None, goal_served(plan, project)))


def rank_key(project):
    """Short before mid before long; then priority 1 (highest) to 5; then the code."""
    return (HORIZONS.index(project["horizon"]), project["priority"], project["code"])


def ranked(projects):
    return sorted(projects, key=rank_key)


def spent_in(project, year):
    """What the reports say was spent in ``year``: its half-years' spending plus the year's own."""
    return total(r["spent"] for r in project.get("reports") or [] if r["period"].split("-")[0] == str(year))


def latest_percent(project, year=None):
    reports = [r for r in project.get("reports") or [] if year is None or r["period"].split("-")[0] <= str(year)]
    return max((r["percent"] for r in reports), default=0)


def budget_by_year(plan, projects, municipality=None):
    """Per objective and plan year: the plan's cost estimate, the projects' budget, the difference
    (budget - cost) and whether they disagree. Projects under no objective are listed apart."""
    years = plan_years(plan)
    rows = []
    for objective in plan["objectives"]:
        if municipality is not None and objective["municipality"] != municipality:
            continue
        serving = [p for p in projects if p.get("objective") == objective["code"]]
        by_year = {}
        for year in years:
            cost = money((objective.get("costs") or {}).get(year))
            budget = total(p["budget"].get(year, "0") for p in serving)
            difference = money(Decimal(budget) - Decimal(cost))
            by_year[year] = {"cost": cost, "budget": budget, "difference": difference,
                             "mismatch": Decimal(difference) != 0}
        rows.append({"objective": objective["code"], "municipality": objective["municipality"],
                     "projects": [p["code"] for p in ranked(serving)], "years": by_year,
                     "mismatch": any(v["mismatch"] for v in by_year.values())})
    loose = [p for p in projects if not p.get("objective")
             and (municipality is None or p["municipality"] == municipality)]
    return {"objectives": rows,
            "outside_objectives": {year: total(p["budget"].get(year, "0") for p in loose) for year in years}}


# -- the yearly documents -------------------------------------------------------------------------


def adoption_problems(plan, year, decision, today, problems):
    """A council decision adopting the programme of ``year``: dated neither in the future nor after
    the year has ended (a programme guides its own year)."""
    last = Period(plan["calendar"], int(year)).last_day
    if decision["decision_date"] > today:
        problems.add("decision_date", f"{decision['decision_date']} is in the future.")
    elif decision["decision_date"] > last:
        problems.add("decision_date", f"The programme of {year} is adopted by the end of its year ({last}).")
    return problems


def _in_scope(plan, municipality):
    if municipality is None:
        return plan["objectives"], plan["indicators"]
    return ([o for o in plan["objectives"] if o["municipality"] == municipality],
            [i for i in plan["indicators"] if i["municipality"] == municipality])


def _project_line(project, year, today):
    budget = money(project["budget"].get(str(year)))
    spent = spent_in(project, year)
    return {"id": project["id"], "code": project["code"], "title": project["title"], "kind": project["kind"],
            "municipality": project["municipality"], "responsible_unit": project["responsible_unit"],
            "objective": project.get("objective"), "goal": project.get("goal"), "horizon": project["horizon"],
            "priority": project["priority"], "start": project["start"], "end": project["end"],
            "budget": budget, "spent": spent, "remaining": money(Decimal(budget) - Decimal(spent)),
            "percent": latest_percent(project, year), "status": status(project, today),
            "funding": project["funding"]}


def _runs_in(plan, project, year):
    """Whether the project runs in the plan year (its days, in the plan's calendar) or budgets for it."""
    period = Period(plan["calendar"], int(year))
    return (project["start"] <= period.last_day.isoformat() and project["end"] >= period.first_day.isoformat()
            or str(year) in project["budget"])


def programme(plan, projects, year, municipality, today):
    """The performance programme of ``year``: the year's objectives with their indicators and
    targets, the activities and projects with their costs, and the resource needs (cost estimates
    against the projects' budgets, with funding by source)."""
    year = str(year)
    objectives, indicators = _in_scope(plan, municipality)
    mine = [p for p in projects if municipality is None or p["municipality"] == municipality]
    running = ranked([p for p in mine if _runs_in(plan, p, year)])
    lines = [_project_line(p, year, today) for p in running]
    funding = {}
    for p in running:
        for f in p["funding"]:
            funding[f["source"]] = total([funding.get(f["source"], "0"), f["amount"]])
    budget = budget_by_year(plan, mine, municipality)
    cost = total((o.get("costs") or {}).get(year, "0") for o in objectives)
    project_budget = total(line["budget"] for line in lines)
    return {
        "plan_id": plan["id"], "year": year, "municipality": municipality, "title": plan["title"],
        "calendar": plan["calendar"], "locale": plan.get("locale") or "tr",
        "objectives": [{
            "code": o["code"], "goal": o["goal"], "municipality": o["municipality"], "title": o["title"],
            "responsible_unit": o["responsible_unit"], "cost": money((o.get("costs") or {}).get(year)),
            "indicators": [{"code": i["code"], "name": i["name"], "unit": i["unit"], "baseline": i["baseline"],
                            "target": (i.get("targets") or {}).get(year)}
                           for i in indicators
                           if i["objective"] == o["code"] and i["municipality"] == o["municipality"]],
            "projects": [line["code"] for line in lines if line["objective"] == o["code"]],
        } for o in objectives],
        "projects": lines,
        "resources": {"cost_estimate": cost, "project_budget": project_budget,
                      "difference": money(Decimal(project_budget) - Decimal(cost)),
                      "funding": dict(sorted(funding.items())),
                      "by_objective": [{"objective": row["objective"], **row["years"][year]}
                                       for row in budget["objectives"] if year in row["years"]]},
    }


def activity_report(plan, projects, year, municipality, progress, today, said=None):
    """The activity report of ``year``: each indicator's target against its result (from monitoring's
    figures of the year, with the reasons for deviations and the measures its readings gave, in
    ``said``; else why there is no result), each project's budget against its spending, and the totals."""
    document = programme(plan, projects, year, municipality, today)
    figures = {f.get("code"): f for f in (progress or {}).get("indicators") or [] if isinstance(f, dict)}
    said = said or {}
    for objective in document["objectives"]:
        for indicator in objective["indicators"]:
            figure = figures.get(indicator["code"]) or {}
            reasons = (said.get(indicator["code"]) or {}).get("deviation_reasons") or []
            measures = (said.get(indicator["code"]) or {}).get("measures") or []
            indicator.update(result=figure.get("C"), realization=figure.get("D"), band=figure.get("band"),
                             deviation_reason="; ".join(reasons) or figure.get("reason"),
                             measures="; ".join(measures) or None)
    spent = total(line["spent"] for line in document["projects"])
    budget = document["resources"]["project_budget"]
    document["spending"] = {"budget": budget, "spent": spent, "difference": money(Decimal(spent) - Decimal(budget)),
                            "rate": (float(Decimal(spent) / Decimal(budget) * 100) if Decimal(budget) else None)}
    document["evaluation"] = {
        "indicators": sum(len(o["indicators"]) for o in document["objectives"]),
        "indicators_with_results": sum(1 for o in document["objectives"] for i in o["indicators"]
                                       if i["result"] is not None),
        "projects": len(document["projects"]),
        "projects_completed": sum(1 for line in document["projects"] if line["status"] == COMPLETED),
    }
    return document

