"""The guide's monitoring computations, as pure functions (DOMAIN.md, "The realization formula").

Per indicator D = (C - A) / (B - A) x 100 with A the baseline, B the target of the year under
review and C the value reached. Each indicator is higher- or lower-is-better and a year whose
target keeps the baseline (B = A) is figured by that direction, never by the target: C / B x 100
when higher is better, B / C x 100 when lower is. A cumulative indicator's C is the baseline plus
every period value so far; a year is made of its half-years by the indicator's ``year_value``
(sum, last or mean). A ratio reading becomes C by the indicator's declared ``ratio_scale``.

Nothing missing is taken as zero: a figure that lacks an approved reading is *incomplete*, has
no D, names the periods it lacks, and makes its objective, goal and plan incomplete, each saying
why. An objective is sum(min(D, 100) x w / 100); a goal is the mean of its objectives, or their
mean weighted by each objective's declared ``goal_weight``; the cap and the goal rule are plan
settings. A municipality's figures come from its own objectives only.
"""
import functools
import math
from collections import Counter
from dataclasses import replace

from shared.calendars import parse_period, plan_periods
from shared.guide import direction_of, year_value_of
from shared.roles import municipalities_of

BANDS = ((115, "exceeding"), (85, "very_good"), (70, "good"), (55, "moderate"), (45, "weak"))
HALF_YEARLY = ("monthly", "quarterly", "semiannual")  # reported by half-year (the finest period kept)


def band(figure):
    if figure is None:
        return None
    for floor, name in BANDS:
        if figure >= floor:
            return name
    return "very_weak"


def finite(x):
    """``x``, or None where arithmetic ran out of range: a figure that cannot be stored is no figure."""
    return x if x is None or math.isfinite(x) else None


def realization(baseline, target, value, direction="higher"):
    """D, uncapped, for an indicator of ``direction`` ("higher" or "lower" is better); None when
    the formula has no answer.

    B = A (a year that keeps the baseline): higher-is-better C / B x 100; lower-is-better
    B / C x 100, and with B = A = 0 a lower-is-better C of 0 is 100 and anything above is 0.
    A lower-is-better C of 0 (or below) against a kept positive baseline meets it: 100.
    B = A = 0 on a higher-is-better indicator has no answer (the registry refuses such targets).
    """
    if value is None or target is None:
        return None
    if target == baseline:
        if direction == "lower":
            if value <= 0:
                return 100.0
            return 0.0 if target == 0 else finite(target / value * 100)
        return None if target == 0 else finite(value / target * 100)
    return finite((value - baseline) / (target - baseline) * 100)


def reading_value(reading, indicator):
    """A reading's number: its value, or numerator / denominator x the indicator's declared
    ``ratio_scale``. None when the division overflows or no scale is declared (never guessed
    from the unit's text)."""
    if reading.get("value") is not None:
        return finite(reading["value"])
    scale = indicator.get("ratio_scale")
    if scale is None:
        return None
    try:
        ratio = reading["numerator"] / reading["denominator"]
    except (ZeroDivisionError, OverflowError, TypeError):
        return None
    return finite(ratio * scale)


def uncomputable_years(indicator, reading):
    """The plan years whose realization ``reading`` would make non-finite (for refusing it before
    it is stored); ["(value)"] when the reading itself has no finite value."""
    value = reading_value(reading, indicator)
    if value is None:
        return ["(value)"]
    direction = direction_of(indicator)
    return [year for year, target in indicator["targets"].items()
            if target is not None and not (target == indicator["baseline"] == 0 and direction == "higher")
            and realization(indicator["baseline"], target, value, direction) is None]


# A target at least this far from its baseline gives a finite D for any reading within
# MAX_MAGNITUDE: (C - A) / (B - A) x 100 stays under 2e15 / 1e-280 x 100, far below float's range.
SAFE_GAP = 1e-280


def always_computable(indicator):
    """Whether every year's realization of ``indicator`` is finite for any reading within
    MAX_MAGNITUDE (a batch's check then computes none of them): no year keeps its baseline, whose
    D depends on the reading (lower-is-better B / C), and none is within SAFE_GAP of it."""
    baseline = indicator.get("baseline")
    return isinstance(baseline, (int, float)) and all(
        target is None or (target != baseline and abs(target - baseline) >= SAFE_GAP)
        for target in (indicator.get("targets") or {}).values())


# -- the value reached: half-years, years, cumulative ----------------------------------------
def combine_halves(how, first, second):
    """A year's value from its halves: "sum" (a flow), "last" (the level at the year's end), "mean"."""
    if how == "sum":
        return first + second
    if how == "mean":
        return (first + second) / 2
    return second


def year_end(series, year, how, by_halves, prefer_year=True):
    """(value, missing keys) of ``year`` as a whole: its own reading, or its halves combined by
    ``how``. What is missing is named by half-year for an indicator monitored by half-years, else
    by the year."""
    own_key, first_key, second_key = _year_keys(year)
    own = series.get(own_key)
    if prefer_year and own is not None:
        return own, []
    second = series.get(second_key)
    if how == "last":
        if second is not None:
            return second, []
        missing = [second_key]
    else:
        first = series.get(first_key)
        if first is not None and second is not None:
            return combine_halves(how, first, second), []
        missing = [first_key] if first is None else []
        if second is None:
            missing.append(second_key)
    if own is not None:
        return own, []
    return None, (missing if by_halves else [own_key])


@functools.cache   # a slice asks for each year's keys a thousand times
def _year_keys(year):
    """(the year's key, its first half's, its second half's)."""
    return str(year), f"{year}-H1", f"{year}-H2"


def to_date(series, period, how, by_halves):
    """(value, missing keys) of ``period``'s year up to the period's end: the first half's own
    value, or the year as made by ``how`` at the second half's end and the year's."""
    if period.half == 1:
        value = series.get(period.key)
        return (value, []) if value is not None else (None, [period.key])
    return year_end(series, period.year, how, by_halves, prefer_year=period.half is None)


def value_reached(indicator, series, period, start_year, how=None):
    """(C, missing period keys) for ``period`` from ``series`` (period key -> number of approved
    readings). A level is the year to date; a cumulative indicator adds the baseline and every
    earlier year to it. A missing period is never counted as zero: C is then None. ``how``: the
    indicator's year_value, when the caller has it."""
    how, calculation = how or year_value_of(indicator), indicator["calculation"]
    by_halves = indicator.get("monitoring_frequency", "semiannual") in HALF_YEARLY
    value, missing = to_date(series, period, how, by_halves)
    if calculation != "cumulative":
        return value, missing
    total, earlier = indicator["baseline"], []
    for year in range(start_year, period.year):
        flow, lacking = year_end(series, year, "sum", by_halves)
        earlier += lacking
        if flow is not None:
            total += flow
    missing = earlier + missing
    return (None, missing) if missing else (total + value, [])


def midyear_realization(indicator, value, year, plan):
    """At a first half-year, D against what the plan expects by mid-year (like with like): the
    previous year's target (the baseline in the first year) plus the plan's ``midyear_share``
    (default half) of the year's change; a flow summed over the year is compared as the share
    of the year's flow."""
    if value is None:
        return None
    share = plan["settings"].get("midyear_share", 0.5)
    baseline, target = indicator["baseline"], indicator["targets"].get(str(year))
    if target is None:
        return None
    direction = direction_of(indicator)
    if year_value_of(indicator) == "sum" and indicator["calculation"] != "cumulative":
        return realization(baseline, target, value / share, direction)
    before = None if year <= plan["period"]["start"] else indicator["targets"].get(str(year - 1))
    before = baseline if before is None else before
    expected = before + share * (target - before)
    return realization(baseline, expected, value, direction)


def incomplete_reason(missing, target, value, d):
    """Why an indicator figure has no D, in a sentence; None when it has one."""
    if d is not None:
        return None
    if missing:
        return f"No approved reading for {', '.join(missing)}."
    if target is None:
        return "No target for the year."
    if value is None:
        return "The reading has no computable value (a ratio without a declared ratio_scale)."
    return "The realization cannot be computed from these figures."


def indicator_figure(indicator, series, period, plan):
    """Everything the guide shows for one indicator in one period."""
    start = plan["period"]["start"]
    baseline, target = indicator["baseline"], indicator["targets"].get(str(period.year))
    direction, how = direction_of(indicator), year_value_of(indicator)
    value, missing = value_reached(indicator, series, period, start, how)
    value = finite(value)
    d = None if value is None or target is None else realization(baseline, target, value, direction)
    capped = None if d is None else (min(d, 100.0) if plan["settings"].get("cap_at_100", True) else d)
    figure = {"code": indicator["code"], "A": baseline, "B": target, "C": value, "D": _round(d),
              "capped": _round(capped), "band": band(d), "missing": value is None, "incomplete": d is None,
              "missing_periods": missing, "reason": incomplete_reason(missing, target, value, d),
              "direction": direction, "year_value": how}
    if period.half == 1:
        figure["D_midyear"] = _round(midyear_realization(indicator, value, period.year, plan))
    return figure


def _round(x):
    return None if x is None else round(x, 4)


def _mean(values):
    return sum(values) / len(values) if values else None


# -- objectives, goals, municipalities, the plan ---------------------------------------------
def objective_figure(objective, indicator_figures, cap=True):
    """sum(capped D x w / 100) over its indicators; incomplete (None) when any indicator is, naming
    them and the periods they lack."""
    missing = [f["code"] for f in indicator_figures if f["capped"] is None]
    figure = None if missing or not indicator_figures else sum(
        f["capped"] * f["weight"] / 100 for f in indicator_figures)
    reasons = {f["code"]: f.get("reason") or "No figure." for f in indicator_figures if f["code"] in missing}
    if not indicator_figures:
        reason = "The objective has no indicator."
    else:
        reason = "; ".join(f"{code}: {text}" for code, text in reasons.items()) or None
    return {"code": objective["code"], "goal": objective["goal"], "municipality": objective["municipality"],
            "theme": objective.get("theme"), "goal_weight": objective.get("goal_weight"),
            "realization": _round(figure), "band": band(figure), "incomplete": figure is None,
            "missing_indicators": missing,
            "missing_periods": {f["code"]: f.get("missing_periods", []) for f in indicator_figures
                                if f["code"] in missing},
            "reason": reason}


def rollup(figures, weights=None):
    """Mean (or mean weighted by ``weights``) of the figures; None if any is missing, or if a
    weight is missing or they total nothing."""
    values = [f["realization"] for f in figures]
    if not values or any(v is None for v in values):
        return None
    if weights is not None:
        if any(w is None for w in weights) or sum(weights) <= 0:
            return None
        return sum(v * w for v, w in zip(values, weights)) / sum(weights)
    return _mean(values)


def goal_figure(goal, objectives, weighted):
    """A goal from its objectives: their mean, or (``weighted``) their mean weighted by each
    objective's declared goal_weight, never by cost. Incomplete with the reason when an objective
    is incomplete or, weighted, declares no weight."""
    incomplete = [o["code"] for o in objectives if o["realization"] is None]
    unweighted = [o["code"] for o in objectives if weighted and o.get("goal_weight") is None]
    weights = [o.get("goal_weight") for o in objectives] if weighted else None
    figure = rollup(objectives, weights)
    reasons = []
    if not objectives:
        reasons.append("No objective serves this goal.")
    if incomplete:
        reasons.append(f"Incomplete objectives: {', '.join(incomplete)}.")
    if unweighted:
        reasons.append(f"No goal_weight declared for {', '.join(unweighted)}.")
    missing = list(dict.fromkeys(code for o in objectives for code in o.get("missing_indicators") or ()))
    return {"code": goal["code"], "theme": goal.get("theme"), "realization": _round(figure), "band": band(figure),
            "incomplete": figure is None, "missing_objectives": incomplete, "missing_indicators": missing,
            "reason": " ".join(reasons) or None}


def plan_figure(goals):
    """The plan: the mean of its goals; incomplete, naming them, when any goal is."""
    figure = rollup(goals)
    incomplete = [g["code"] for g in goals if g["realization"] is None]
    missing = list(dict.fromkeys(code for g in goals for code in g.get("missing_indicators") or ()))
    return {"realization": _round(figure), "band": band(figure), "incomplete": figure is None,
            "missing_goals": incomplete, "missing_indicators": missing,
            "reason": (f"Incomplete goals: {', '.join(incomplete)}." if incomplete else
                       None if goals else "No goal.")}


def roll_up(plan, objectives, served_only=False):
    """(goals, plan figure) from ``objectives`` (objective figures); ``served_only`` keeps only
    the goals these objectives serve (a municipality's own view)."""
    weighted = plan["settings"].get("goal_rollup") == "weighted"
    by_goal = _grouped(objectives, "goal")
    goals = [goal_figure(goal, by_goal.get(goal["code"], []), weighted) for goal in plan["goals"]
             if goal["code"] in by_goal or not served_only]
    return goals, plan_figure(goals)


def _grouped(figures, key):
    """{value of ``key``: the figures with it, in their order}: one pass, where filtering the whole
    list for each value grew with regions times their objectives."""
    found = {}
    for figure in figures:
        found.setdefault(figure[key], []).append(figure)
    return found


def municipality_figures(plan, objectives, municipality, mine=None):
    """A municipality's own goals and realization, from its objectives only (not the region's);
    ``mine``: those objectives, when the caller has them already."""
    mine = [o for o in objectives if o["municipality"] == municipality] if mine is None else mine
    goals, total = roll_up(plan, mine, served_only=True)
    return mine, goals, total


def matrix(plan, figures):
    """Goals x municipalities of one period (what a heat table needs): each municipality's own
    figure of each goal its objectives serve, by the plan's goal rule, from its objectives only."""
    cells, municipalities = [], []
    by_municipality = _grouped(figures["objectives"], "municipality")
    for municipality in municipalities_of(plan):
        mine, goals, _ = municipality_figures(plan, figures["objectives"], municipality,
                                              by_municipality.get(municipality, []))
        if not mine:
            continue
        municipalities.append(municipality)
        counts = Counter(o["goal"] for o in mine)
        cells += [{"goal": g["code"], "municipality": municipality, "realization": g["realization"], "band": g["band"],
                   "incomplete": g["incomplete"], "objectives": counts[g["code"]]} for g in goals]
    return {"goals": [g["code"] for g in plan["goals"]], "municipalities": municipalities, "cells": cells}


def series_point(figures):
    """One period of a series (what a chart needs): the plan's, each goal's and each municipality's
    realization, band and whether it is incomplete."""
    def brief(figure, key):
        return {key: figure[key], "realization": figure["realization"], "band": figure["band"],
                "incomplete": figure["incomplete"]}
    plan = figures["plan"]
    return {"period": figures["period"]["key"],
            "plan": {"realization": plan["realization"], "band": plan["band"], "incomplete": plan["incomplete"]},
            "goals": [brief(g, "code") for g in figures["goals"]],
            "municipalities": [brief(m, "municipality") for m in figures["municipalities"]]}


def summary(figures):
    """The figures without the indicator level (level=summary): the same numbers, a smaller answer."""
    return {k: v for k, v in figures.items() if k != "indicators"} | {"level": "summary"}


def objective_figures(plan, indicator_entries, municipality=None):
    """The objectives' figures (of one ``municipality``, or all) from their indicators' figures, in
    the plan's order."""
    by_objective = _grouped(indicator_entries, "objective")
    objectives = plan["objectives"] if municipality is None else index(plan).objectives_of.get(municipality, [])
    return [objective_figure(o, by_objective.get(o["code"], [])) for o in objectives]


def totals(plan, objectives):
    """Goals, municipalities and the plan from the objectives' figures."""
    goals, total = roll_up(plan, objectives)
    municipalities = []
    by_municipality = _grouped(objectives, "municipality")
    for municipality in municipalities_of(plan):
        mine, _, own = municipality_figures(plan, objectives, municipality, by_municipality.get(municipality, []))
        if mine:
            municipalities.append({"municipality": municipality, "realization": own["realization"],
                                   "band": own["band"], "incomplete": own["incomplete"],
                                   "missing_objectives": [o["code"] for o in mine if o["realization"] is None],
                                   "reason": own["reason"]})
    return {"goals": goals, "municipalities": municipalities, "plan": total}


def for_municipality(plan, figures, municipality):
    """The figures of one municipality: its objectives and indicators, and its goals and its
    realization computed from its objectives only; the regional indicators of its goals."""
    objectives, goals, total = municipality_figures(plan, figures["objectives"], municipality)
    codes = {o["code"] for o in objectives}
    served = {g["code"] for g in goals}
    return {**figures, "objectives": objectives, "goals": goals, "plan": total,
            "indicators": [i for i in figures["indicators"] if i["objective"] in codes],
            "municipalities": [m for m in figures["municipalities"] if m["municipality"] == municipality],
            "regional": [r for r in figures["regional"] if r["goal"] in served]}


# -- cascades: a plan with its child plans rolled up ----------------------------------------
def with_children(plan, figures, children):
    """A plan's figures with its child plans rolled up, by the same rules as districts in a joint
    plan: a child's objective whose goal ``serves`` a goal of this plan counts among that goal's
    objectives (its own goal kept as ``own_goal``, its plan as ``plan``); goals and the plan figure
    are then rolled up again and each municipality keeps its own figure. ``children`` are
    {"plan": child view, "figures": the child's figures, already with its own children rolled up},
    so a cascade rolls up through any depth. A child objective serving no goal here stays out."""
    def mine(items):
        return [{**item, "plan": item.get("plan", plan["id"])} for item in items]

    objectives, indicators = mine(figures["objectives"]), mine(figures["indicators"])
    municipalities = mine(figures["municipalities"])
    summaries = []
    for child in children:
        view, own = child["plan"], child["figures"]
        serves = {g["code"]: g.get("serves") for g in view["goals"]}
        carried = set()
        for objective in own["objectives"]:
            target = serves.get(objective["goal"])
            if target is None:
                continue
            carried.add((objective.get("plan", view["id"]), objective["code"]))
            objectives.append({**objective, "plan": objective.get("plan", view["id"]),
                               "own_goal": objective.get("own_goal", objective["goal"]), "goal": target})
        indicators += [{**i, "plan": i.get("plan", view["id"])} for i in own["indicators"]
                       if (i.get("plan", view["id"]), i["objective"]) in carried]
        municipalities += [{**m, "plan": m.get("plan", view["id"])} for m in own["municipalities"]]
        summaries.append({"plan_id": view["id"], "coordinator": view["coordinator"], "plan": own["plan"],
                          "goals": [{"code": g["code"], "serves": serves.get(g["code"]),
                                     "realization": g["realization"], "band": g["band"]} for g in own["goals"]],
                          "children": [c["plan_id"] for c in own.get("children", [])]})
    goals, total = roll_up(plan, objectives)
    return {**figures, "objectives": objectives, "indicators": indicators, "goals": goals, "plan": total,
            "municipalities": municipalities, "children": summaries}


# -- regional indicators ---------------------------------------------------------------------
def aggregate(rule, values, scale=100):
    """A regional period value from the districts' readings: (value, numerator, denominator, weight).
    None when it cannot be made (a weighted mean with a reading without weight)."""
    if rule == "sum":
        return sum(v for v, *_ in values)
    if rule == "mean":
        return _mean([v for v, *_ in values])
    if rule == "weighted_mean":
        if any(w is None for *_, w in values):
            return None
        weight = sum(w for *_, w in values)
        return finite(sum(v * w for v, _, _, w in values) / weight) if weight else None
    if rule == "ratio":  # sum(numerator) / sum(denominator) x the declared scale, never the mean of percentages
        if scale is None or any(n is None or d is None for _, n, d, _ in values):
            return None
        numerator = sum(n for _, n, _, _ in values)
        denominator = sum(d for _, _, d, _ in values)
        return finite(numerator / denominator * scale) if denominator else None
    raise ValueError(rule)


def regional_scale(regional, contributors):
    """A ratio regional indicator's scale: its own declared one, else the one its contributors
    all declare; None when neither says."""
    if regional.get("ratio_scale") is not None:
        return regional["ratio_scale"]
    scales = {i.get("ratio_scale") for i in contributors}
    return scales.pop() if len(scales) == 1 else None


# -- a period's figures, stored in slices -----------------------------------------------------
# A period's figures are kept as one slice per municipality (its indicators and objectives: what
# an approval of its readings changes) and one roll-up (the goals, the municipalities, the plan and
# the regional indicators, figured from each slice's objectives in ``brief``), so an approval
# rewrites one district's slice and the small roll-up, never the whole plan. ``assemble`` gives the
# figures as read.
def figured_municipalities(plan):
    """The municipalities with a slice: those with an objective or an indicator in the plan."""
    return index(plan).figured


class Index:
    """What figuring looks up in a plan again and again (its indicators by municipality, the plan's
    order, which indicators feed a regional one), found in one pass: an approval figures fifteen
    periods of a region, and scanning its thousands of indicators for each cost more than the
    figures themselves."""

    def __init__(self, plan, sizes):
        self.sizes = sizes
        self.indicators_of = _grouped(plan["indicators"], "municipality")
        self.objectives_of = _grouped(plan.get("objectives", ()), "municipality")
        self.figured = sorted(set(self.indicators_of) | set(self.objectives_of))
        self.indicator = {i["code"]: i for i in plan["indicators"]}
        self.order = {kind: {item["code"]: n for n, item in enumerate(plan.get(kind, ()))}
                      for kind in ("indicators", "objectives")}
        self.runs = {kind: _runs(plan.get(kind, ())) for kind in ("indicators", "objectives")}
        self.inputs = _grouped([i for i in plan["indicators"] if i.get("contributes_to")], "contributes_to")
        self.feeds = {i["code"]: i["contributes_to"] for i in plan["indicators"] if i.get("contributes_to")}
        self.borrowed = {source: {i["code"] for i in found} for source, found in
                         _grouped([i for i in plan["indicators"] if i.get("reported_in")], "reported_in").items()}
        self.always_computable = {i["code"] for i in plan["indicators"] if always_computable(i)}


def _runs(items):
    """The municipalities in the order ``items`` name them first, where each one's items are listed
    together (None where they are not): its slices joined in that order are in the plan's order."""
    order = []
    for item in items:
        if not order or order[-1] != item["municipality"]:
            if item["municipality"] in order:
                return None
            order.append(item["municipality"])
    return order


class View(dict):
    """A plan as monitoring keeps it (an adopted version's view): a dict that carries its Index, so
    the index lives exactly as long as the plan kept."""
    __slots__ = ("index",)


_INDEXES = {}   # id(plan) -> (plan, its sizes, Index): the plain dicts figured last (each keeps its plan alive)
_INDEXES_KEPT = 2


def index(plan):
    """The plan's Index, made once while the same plan (read only once figured) is in use."""
    sizes = (len(plan["indicators"]), len(plan.get("objectives", ())))
    if isinstance(plan, View):
        found = getattr(plan, "index", None)
        if found is None or found.sizes != sizes:
            found = plan.index = Index(plan, sizes)
        return found
    found = _INDEXES.pop(id(plan), None)   # popped and put back: the last used are kept
    if found is None or found[0] is not plan or found[1] != sizes:
        found = (plan, sizes, Index(plan, sizes))
    _INDEXES[id(plan)] = found
    while len(_INDEXES) > _INDEXES_KEPT:
        _INDEXES.pop(next(iter(_INDEXES)))
    return found[2]


def batches(items, weight, most):
    """``items`` in consecutive batches whose ``weight(item)`` totals at most ``most`` (an item
    heavier than that alone)."""
    batch, total = [], 0
    for item in items:
        if batch and total + weight(item) > most:
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += weight(item)
    if batch:
        yield batch


def by_indicator(readings):
    """{indicator code: {period key: reading}} from (code, key) -> reading."""
    found = {}
    for (code, key), reading in readings.items():
        found.setdefault(code, {})[key] = reading
    return found


def slice_figures(plan, readings, period, municipality, previous=None, affected=None):
    """One municipality's slice of a period: {"indicators", "objectives"}. With the ``previous``
    slice (of the same plan version) only the ``affected`` indicators are figured again.
    ``readings``: by_indicator(), holding at least the indicators figured."""
    stored = {e["code"]: e for e in previous["indicators"]} if previous is not None else {}
    entries = [stored[i["code"]] if i["code"] in stored and i["code"] not in (affected or ()) else
               indicator_entry(plan, i, readings.get(i["code"], {}), period)
               for i in index(plan).indicators_of.get(municipality, [])]
    return {"indicators": entries, "objectives": objective_figures(plan, entries, municipality)}


def brief(objective):
    """What a roll-up needs of an objective's figure (slices keep it apart, so a roll-up reads little)."""
    return {k: objective.get(k) for k in ("code", "goal", "municipality", "goal_weight", "realization",
                                          "missing_indicators")}


def rollup_figures(plan, objectives, readings, period, previous=None, affected=None):
    """A period's roll-up from every municipality's objectives (their figures or their ``brief``):
    goals, municipalities, the plan, and the regional indicators (with the ``previous`` roll-up of
    the same plan version, only those the ``affected`` indicators feed are figured again)."""
    objectives = in_plan_order(plan, "objectives", objectives)
    kept = {r["code"]: r for r in previous["regional"]} if previous is not None else {}
    fed = fed_by(plan, affected or ())
    regional = [kept[r["code"]] if r["code"] in kept and r["code"] not in fed else
                regional_entry(plan, r, readings, period) for r in plan["regional_indicators"]]
    return {**totals(plan, objectives), "regional": regional}


def fed_by(plan, codes):
    """The regional indicators that readings of ``codes`` feed: looked up from the fewer of the
    two (an approval names a district's thousand indicators; a few of them feed a regional one)."""
    feeds = index(plan).feeds
    if isinstance(codes, (set, frozenset, dict)) and len(feeds) < len(codes):
        return {regional for code, regional in feeds.items() if code in codes}
    return {feeds[c] for c in codes if c in feeds}


def regional_inputs(plan, regional_codes):
    """The indicators whose readings make the regional indicators ``regional_codes``."""
    inputs = index(plan).inputs
    return {i["code"] for code in regional_codes for i in inputs.get(code, [])}


def in_plan_order(plan, kind, figures):
    """``figures`` of the plan's ``kind`` ("indicators", "objectives") in the order the plan lists them."""
    order = index(plan).order[kind]
    return sorted(figures, key=lambda f: order.get(f["code"], len(order)))


def assemble(plan, rollup, slices):
    """The figures of a period as read: the roll-up with the slices' indicators and objectives (a
    slice read without its indicators has none) in the plan's order."""
    return {"indicators": in_plan_order(plan, "indicators", [e for s in slices for e in s.get("indicators", ())]),
            "objectives": in_plan_order(plan, "objectives", [o for s in slices for o in s["objectives"]]), **rollup}


def assemble_text(plan, rollup, slices):
    """As ``assemble``, with the slices' indicators and objectives read as JSON text (bytes) and
    joined as text, in the plan's order: {"indicators": text, "objectives": text, **rollup}. None
    where the plan does not list each municipality's figures together (``Index.runs``): then only
    sorting the figures puts them in its order."""
    joined = {}
    for kind in ("indicators", "objectives"):
        runs = index(plan).runs[kind]
        texts = {m: s[kind] for m, s in slices.items() if len(s.get(kind, b"[]")) > 2}
        if runs is None or not set(texts) <= set(runs):
            return None
        joined[kind] = b"[" + b",".join(texts[m][1:-1] for m in runs if m in texts) + b"]"
    return {**joined, **rollup}


def split(figures):
    """(roll-up, {municipality: slice}) of a period's figures: what ``assemble`` joins."""
    slices = {}
    for kind in ("indicators", "objectives"):
        for figure in figures[kind]:
            slices.setdefault(figure["municipality"], {"indicators": [], "objectives": []})[kind].append(figure)
    return {k: v for k, v in figures.items() if k not in ("indicators", "objectives")}, slices


def compute_period(plan, readings, period):
    """Every figure of one period from the approved readings, from scratch.

    ``readings`` maps (indicator code, period key) -> reading dict (value or numerator/denominator,
    optional weight); only approved readings are passed in.
    """
    found = by_indicator(readings)
    slices = [slice_figures(plan, found, period, m) for m in figured_municipalities(plan)]
    return assemble(plan, rollup_figures(plan, [o for s in slices for o in s["objectives"]], found, period), slices)


def update_period(figures, plan, readings, period, affected):
    """The figures after readings of the ``affected`` indicators changed, as the service updates
    its stored figures: the slices of their municipalities, then the roll-up."""
    rollup, slices = split(figures)
    found = by_indicator(readings)
    for municipality in {i["municipality"] for i in plan["indicators"] if i["code"] in affected}:
        slices[municipality] = slice_figures(plan, found, period, municipality, slices.get(municipality), affected)
    objectives = [o for s in slices.values() for o in s["objectives"]]
    return assemble(plan, rollup_figures(plan, objectives, found, period, rollup, affected), slices.values())


def indicator_entry(plan, indicator, readings_by_period, period):
    series = {}
    for key, reading in readings_by_period.items():
        value = reading_value(reading, indicator)
        if value is not None:
            series[key] = value
    figure = indicator_figure(indicator, series, period, plan)
    figure.update(objective=indicator["objective"], goal=indicator["goal"], municipality=indicator["municipality"],
                  weight=indicator["weight"], unit=indicator["unit"], name=indicator["name"])
    return figure


def regional_entry(plan, regional, by_indicator, period):
    """A regional indicator: the districts' period values aggregated by its rule, then the formula."""
    contributors = index(plan).inputs.get(regional["code"], [])
    scale = regional_scale(regional, contributors)
    keys = sorted({key for i in contributors for key in by_indicator.get(i["code"], {})})
    series, present = {}, {}
    for key in keys:
        values = []
        for indicator in contributors:
            reading = by_indicator.get(indicator["code"], {}).get(key)
            value = None if reading is None else reading_value(reading, indicator)
            if value is None or (regional["aggregation"] == "weighted_mean" and reading.get("weight") is None):
                continue
            present.setdefault(key, set()).add(indicator["code"])
            values.append((value, reading.get("numerator"), reading.get("denominator"), reading.get("weight")))
        if contributors and len(values) == len(contributors):
            aggregated = aggregate(regional["aggregation"], values, scale)
            if aggregated is not None:
                series[key] = aggregated
    figure = indicator_figure(regional, series, period, plan)
    missing = {i["municipality"] for key in figure["missing_periods"] for i in contributors
               if i["code"] not in present.get(key, set())}
    return {**figure, "aggregation": regional["aggregation"], "unit": regional["unit"], "goal": regional["goal"],
            "name": regional["name"], "missing_municipalities": sorted(missing),
            "contributors": len(contributors)}


def affected_periods(plan, approved_key, later=True):
    """Periods whose figures can change when readings of ``approved_key`` change: that period and
    the rest of its year (a second half and the year read the first half), and with ``later`` every
    later period (the readings carry values forward: ``carrying``)."""
    approved = parse_period(approved_key, plan["calendar"])
    return [p for p in plan_periods(plan["calendar"], plan["period"]["start"], plan["period"]["end"])
            if p.last_day >= approved.first_day and (later or p.year == approved.year)]


def carried_periods(plan, approved_keys):
    """The periods after the years of ``approved_keys``: where readings of cumulative indicators
    approved for those periods count too."""
    first = min(parse_period(key, plan["calendar"]).year for key in approved_keys)
    return [p for p in plan_periods(plan["calendar"], plan["period"]["start"], plan["period"]["end"]) if p.year > first]


def periods_among(plan, keys):
    """The plan's periods of ``keys``, in the plan's order."""
    return [p for p in plan_periods(plan["calendar"], plan["period"]["start"], plan["period"]["end"]) if p.key in keys]


def twin(period):
    """The period whose figures are ``period``'s wherever no reading names the year itself: a year
    and its second half-year both read the year to its end (``to_date``); None for a first half."""
    if period.half == 1:
        return None
    return replace(period, half=None if period.half == 2 else 2)


def figured_alike(periods, readings):
    """{period key: its twin's key} among ``periods`` whose figures equal their twin's with these
    ``readings`` (by_indicator): none of them names the twins' year itself."""
    keys = {p.key for p in periods}
    found = {}
    for period in periods:
        other = twin(period)
        if other is not None and other.key in keys and not any(
                str(period.year) in series for series in readings.values()):
            found[period.key] = other.key
    return found


def being_figured(carry, key, now):
    """Whether ``carry`` is an approval's own of the period ``key`` it approved, which that approval
    figures itself: until the carry's ``until`` (epoch seconds), after which (a crash) anyone may."""
    return getattr(carry, "figuring", None) == key and getattr(carry, "until", 0) > now


def left_to_figure(carries, key, now):
    """Of ``carries`` naming period ``key``, those anyone may figure (``being_figured``)."""
    return [c for c in carries if not being_figured(c, key, now)]


def borrowed(plan):
    """{plan: indicator codes}: the indicators of objectives this plan counts from the plan they are
    written in (a district's contribution to a joint plan, counted in its own plan too): their
    readings are entered and approved there, and count here as they are."""
    return index(plan).borrowed


def reporting(plan, codes):
    """The municipalities that report the plan's indicators among ``codes``."""
    indicators = index(plan).indicator
    return {indicators[c]["municipality"] for c in codes if c in indicators}


def reported_by(plan, codes, municipalities):
    """Whether every indicator of the plan among ``codes`` is one that ``municipalities`` report."""
    indicators = index(plan).indicator
    return all(indicators[c]["municipality"] in municipalities for c in codes if c in indicators)


def carrying(plan, codes):
    """Those of ``codes`` whose readings count in later years: the cumulative indicators, and those
    that feed a cumulative regional indicator (any other's figure is of its own year only)."""
    indicators = index(plan).indicator
    cumulative = {r["code"] for r in plan["regional_indicators"] if r["calculation"] == "cumulative"}
    return {c for c in codes if c in indicators and (indicators[c]["calculation"] == "cumulative"
                                                     or indicators[c].get("contributes_to") in cumulative)}


def periods_between(plan, start=None, end=None):
    """The plan's periods from ``start`` to ``end`` (period keys, both half-years or both years;
    by default every half-year of the plan). ValueError when they are not of one kind or in order."""
    every = plan_periods(plan["calendar"], plan["period"]["start"], plan["period"]["end"])
    first = period_of(plan, start) if start else None
    last = period_of(plan, end) if end else None
    halves = (first or last).half is not None if (first or last) else True
    if first and last and (first.half is None) != (last.half is None):
        raise ValueError("from and to are both half-years (2026-H1) or both years (2026).")
    if first and last and first.first_day > last.first_day:
        raise ValueError("from comes after to.")
    return [p for p in every if (p.half is not None) == halves
            and (first is None or p.first_day >= first.first_day) and (last is None or p.first_day <= last.first_day)]


def within(plan, key):
    """Whether readings of period ``key`` (of the plan's calendar) can count in the plan: the
    period does not begin after the plan's last one."""
    periods = plan_periods(plan["calendar"], plan["period"]["start"], plan["period"]["end"])
    return bool(periods) and parse_period(key, plan["calendar"]).first_day <= periods[-1].last_day


def period_of(plan, key):
    return parse_period(key, plan["calendar"], plan["period"]["start"], plan["period"]["end"])


def alert_realization(figure):
    """The D an off-track alert compares: at a first half-year, against the mid-year expectation."""
    return figure["D_midyear"] if "D_midyear" in figure else figure["D"]


def off_track(figure, threshold):
    d = alert_realization(figure)
    return d is not None and d < threshold


# -- alerts: when one opens, is restated, closes ----------------------------------------------
def threshold_alerts(indicators, affected, open_codes, threshold, period_key):
    """What an update of ``period_key``'s figures does to the below-threshold alerts of the
    ``affected`` indicators: ("open", figure, reason) for one that fell below the plan's threshold
    with no alert open; ("close", figure, None) for one whose open alert it recovered from. An
    incomplete figure (no D) changes nothing."""
    changes = []
    for figure in indicators:
        if figure["code"] not in affected or alert_realization(figure) is None:
            continue
        below = off_track(figure, threshold)
        if below and figure["code"] not in open_codes:
            against = " of what the plan expects by mid-year" if "D_midyear" in figure else ""
            changes.append(("open", figure, f"Realization {alert_realization(figure):.1f} %{against} in {period_key} "
                                            f"is below the plan's threshold {threshold} %."))
        elif not below and figure["code"] in open_codes:
            changes.append(("close", figure, None))
    return changes


def overdue_alerts(indicators, late, open_periods, whole_plan):
    """What the due check does to the overdue alerts: ("open", indicator, periods) for an indicator
    late with none open, ("restate", code, periods) when the periods it is late for changed,
    ("close", code, None) when none is late any more, or (``whole_plan``) the indicator left the
    plan. ``late``: code → the periods past due; ``open_periods``: code → the open alert's periods."""
    changes = []
    if whole_plan:   # an indicator an update removed owes nothing any more
        current = {i["code"] for i in indicators}
        changes += [("close", code, None) for code in open_periods if code not in current]
    for indicator in indicators:
        code, periods = indicator["code"], late.get(indicator["code"])
        if periods and code not in open_periods:
            changes.append(("open", indicator, periods))
        elif periods and list(open_periods[code]) != periods:
            changes.append(("restate", code, periods))
        elif not periods and code in open_periods:
            changes.append(("close", code, None))
    return changes


def overdue_reason(periods):
    return f"No approved reading for {', '.join(periods)} after the due date."


# -- the yearly evaluation ------------------------------------------------------------------
def target_reached(figure):
    """Whether the year's target was reached (D >= 100, so either direction); None when incomplete."""
    return None if figure.get("D") is None else figure["D"] >= 100


def forecast(indicator, value, year, plan):
    """(C, D) at the plan's end at the pace so far: the change from the baseline over the plan's
    years up to ``year`` continued evenly to its last year, D against the final target. (None,
    None) when C is missing."""
    start, end = plan["period"]["start"], plan["period"]["end"]
    if value is None or year < start:
        return None, None
    baseline = indicator["baseline"]
    projected = finite(baseline + (value - baseline) * (end - start + 1) / (year - start + 1))
    final = indicator["targets"].get(str(end))
    d = None if projected is None or final is None else realization(baseline, final, projected,
                                                                    direction_of(indicator))
    return _round(projected), _round(d)


def evaluation_rows(plan, year, figures, notes):
    """The guide's yearly evaluation table, one row per indicator of ``figures`` (period key ->
    figures; the year, its two halves and every earlier plan year): the first and second monitoring
    values, the year's value and realization, whether the target was reached, the reasons given
    for deviations and the measures taken, the realization of each plan year so far and the forecast
    to the plan's end. ``notes`` maps (indicator, period key) -> the reading's texts (note, source,
    deviation_reason, measures)."""
    indicators = {i["code"]: i for i in plan["indicators"]}
    halves = [{f["code"]: f for f in figures[f"{year}-H{h}"]["indicators"]} for h in (1, 2)]
    years = [str(y) for y in range(plan["period"]["start"], year + 1) if str(y) in figures]
    by_year = {y: {f["code"]: f for f in figures[y]["indicators"]} for y in years}
    rows = []
    for figure in figures[str(year)]["indicators"]:
        code = figure["code"]
        keys = (f"{year}-H1", f"{year}-H2", str(year))
        c_end, d_end = forecast(indicators[code], figure["C"], year, plan)
        rows.append({"code": code, "objective": figure["objective"], "municipality": figure["municipality"],
                     "goal": figure["goal"], "name": figure["name"], "unit": figure["unit"], "A": figure["A"],
                     "B": figure["B"], "first": halves[0].get(code, {}).get("C"),
                     "second": halves[1].get(code, {}).get("C"), "C": figure["C"], "D": figure["D"],
                     "reached": target_reached(figure), "deviation_reasons": _said(notes, code, keys, "deviation_reason"),
                     "measures": _said(notes, code, keys, "measures"),
                     "cumulative": {y: by_year[y].get(code, {}).get("D") for y in years},
                     "forecast": {"C": c_end, "D": d_end}, "incomplete": figure["incomplete"],
                     "reason": figure["reason"]})
    return rows


def said_in(notes, keys):
    """Per indicator, what its readings of the periods ``keys`` say of deviations and of the
    measures taken (the activity report prints them beside the year's figures)."""
    return {code: {"deviation_reasons": _said(notes, code, keys, "deviation_reason"),
                   "measures": _said(notes, code, keys, "measures")}
            for code in sorted({code for code, _ in notes})}


def _said(notes, code, keys, field):
    """What the readings of ``code`` in the periods ``keys`` say in ``field``, in period order."""
    return [notes[(code, k)][field] for k in keys if (notes.get((code, k)) or {}).get(field)]


# -- four eyes -------------------------------------------------------------------------------
def who(actor):
    """The person (token) behind an action, as a reading's history shows it: a token's id, or for a
    person who logged in their id and username."""
    actor = actor or {}
    found = {k: actor.get(k) for k in ("token_id", "role", "municipality")}
    if actor.get("person_id"):
        found.update(person_id=actor["person_id"], username=actor.get("username"))
    if actor.get("service"):   # figures a service submitted by itself (service quality)
        found["service"] = actor["service"]
    return found


def _credential(actor):
    actor = actor or {}
    if actor.get("token_id"):
        return ("token", actor["token_id"])
    if actor.get("person_id"):
        return ("person", actor["person_id"])
    return None


def own_submissions(readings, actor, four_eyes=True):
    """The indicators among the submitted ``readings`` that ``actor`` submitted itself and so may
    not approve while the plan keeps four eyes (a coordinator approves a district's readings, or
    another person of the district does). A token is itself; a person is themselves."""
    me = _credential(actor)
    if not four_eyes or me is None:
        return []
    return sorted({r["indicator"] for r in readings if _credential(r.get("submitted_by")) == me})


# -- readings due --------------------------------------------------------------------------------
def due_periods(plan, today, due_days, since=None):
    """{True: the half-years, False: the years} of the plan that ended ``due_days`` before ``today``:
    their readings are due. Periods that ended before ``since`` (the adoption decision's date) are
    not: nobody could report against a plan that did not exist yet."""
    every = plan_periods(plan["calendar"], plan["period"]["start"], plan["period"]["end"])
    return {halves: [p for p in every if (p.half is not None) == halves and (since is None or p.last_day >= since)
                     and (p.last_day - today).days + due_days < 0] for halves in (True, False)}


def answering_periods(due):
    """The period keys whose approved readings may answer the ``due`` periods (due_periods): each
    of them, and both halves of each year (a year is answered by its halves too)."""
    keys = {p.key for periods in due.values() for p in periods}
    return keys | {f"{p.year}-H{half}" for p in due[False] for half in (1, 2)}


def overdue(plan, approved_keys, due):
    """{indicator code: [period keys]} of the ``due`` periods (due_periods) with no approved reading:
    each half-year of an indicator monitored every six months or more often, else each year. A year
    is answered by its own reading or by the halves its ``year_value`` makes it from, as the figures
    read it."""
    late = {}
    for indicator in plan["indicators"]:
        code = indicator["code"]
        for period in due[indicator.get("monitoring_frequency", "semiannual") in HALF_YEARLY]:
            if period.half is not None:
                answered = (code, period.key) in approved_keys
            else:
                halves = [f"{period.year}-H2"] if year_value_of(indicator) == "last" else \
                    [f"{period.year}-H1", f"{period.year}-H2"]
                answered = (code, period.key) in approved_keys or all((code, k) in approved_keys for k in halves)
            if not answered:
                late.setdefault(code, []).append(period.key)
    return late


def indicators_among(plan, codes):
    """The plan's indicators among ``codes``, in the plan's order."""
    indicators, order = index(plan).indicator, index(plan).order["indicators"]
    return [indicators[c] for c in sorted((c for c in codes if c in indicators), key=order.get)]
