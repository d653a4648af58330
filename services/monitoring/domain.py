"""The guide's monitoring computations, as pure functions (DOMAIN.md, "The realization formula").

Per indicator D = (C - A) / (B - A) x 100 with A the baseline, B the target of the year under
review and C the value reached; when B = A ("maintain") D = C / B x 100. For cumulative
indicators C is the baseline plus the sum of the period values so far. An objective is
sum(min(D, 100) x w / 100); a goal is the mean of its objectives; the cap and the goal rule are
plan settings. Nothing missing is taken as zero: a figure that lacks a reading is None and
says what is missing.
"""
from shared.calendars import parse_period, plan_periods

BANDS = ((115, "exceeding"), (85, "very_good"), (70, "good"), (55, "moderate"), (45, "weak"))


def band(figure):
    if figure is None:
        return None
    for floor, name in BANDS:
        if figure >= floor:
            return name
    return "very_weak"


def realization(baseline, target, value):
    """D, uncapped; None when the formula has no answer (a zero target to maintain is met only by 0)."""
    if target == baseline:
        if target == 0:
            return 100.0 if value == 0 else 0.0
        return value / target * 100
    return (value - baseline) / (target - baseline) * 100


def reading_value(reading, unit):
    """A reading's number: its value, or numerator / denominator (x 100 for a percentage)."""
    if reading.get("value") is not None:
        return reading["value"]
    ratio = reading["numerator"] / reading["denominator"]
    return ratio * 100 if unit.strip() == "%" else ratio


def _periods_up_to(calendar, start_year, period):
    """The plan's periods from its start to ``period`` inclusive, in time order."""
    return [p for p in plan_periods(calendar, start_year, period.year)
            if p.first_day <= period.last_day and p.last_day <= period.last_day]


def value_reached(calculation, baseline, series, period, calendar, start_year):
    """C for ``period`` from ``series`` (period key -> number of approved readings); None if missing.

    A level (everything but cumulative) is read at the period's end: a year without its own
    reading takes its second half's. A cumulative indicator adds every period's value to the
    baseline, counting a year by its halves when it has them, else by its own reading.
    """
    if calculation != "cumulative":
        if period.key in series:
            return series[period.key]
        if period.half is None:
            return series.get(f"{period.year}-H2")
        return None
    own = series.get(period.key)
    if own is None and period.half is None:
        own = series.get(f"{period.year}-H2")
    if own is None:
        return None
    total = baseline
    for year in range(start_year, period.year + 1):
        halves = [series.get(f"{year}-H1"), series.get(f"{year}-H2")]
        if year == period.year and period.half == 1:
            halves = [halves[0], None]
        if any(h is not None for h in halves):
            total += sum(h for h in halves if h is not None)
        elif year < period.year or period.half is None:
            total += series.get(str(year)) or 0
    return total


def indicator_figure(indicator, series, period, plan):
    """Everything the guide shows for one indicator in one period."""
    start = plan["period"]["start"]
    baseline, target = indicator["baseline"], indicator["targets"].get(str(period.year))
    value = value_reached(indicator["calculation"], baseline, series, period, plan["calendar"], start)
    d = None if value is None or target is None else realization(baseline, target, value)
    capped = None if d is None else (min(d, 100.0) if plan["settings"].get("cap_at_100", True) else d)
    return {"code": indicator["code"], "A": baseline, "B": target, "C": value, "D": _round(d),
            "capped": _round(capped), "band": band(d), "missing": value is None}


def _round(x):
    return None if x is None else round(x, 4)


def _mean(values):
    return sum(values) / len(values) if values else None


def objective_figure(objective, indicator_figures):
    """sum(capped D x w / 100) over its indicators; None with the missing ones named."""
    missing = [f["code"] for f in indicator_figures if f["capped"] is None]
    figure = None if missing or not indicator_figures else sum(
        f["capped"] * f["weight"] / 100 for f in indicator_figures)
    return {"code": objective["code"], "goal": objective["goal"], "municipality": objective["municipality"],
            "theme": objective.get("theme"), "realization": _round(figure), "band": band(figure),
            "missing_indicators": missing}


def rollup(figures, weights=None):
    """Mean (or weighted mean) of the figures that exist; None if any is missing."""
    values = [f["realization"] for f in figures]
    if not values or any(v is None for v in values):
        return None
    if weights:
        total = sum(weights)
        if total > 0:
            return sum(v * w for v, w in zip(values, weights)) / total
    return _mean(values)


def aggregate(rule, values):
    """A regional period value from the districts' readings: (value, numerator, denominator, weight)."""
    if rule == "sum":
        return sum(v for v, *_ in values)
    if rule == "mean":
        return _mean([v for v, *_ in values])
    if rule == "weighted_mean":
        weight = sum(w if w is not None else 1 for *_, w in values)
        return sum(v * (w if w is not None else 1) for v, _, _, w in values) / weight if weight else None
    if rule == "ratio":  # sum(numerator) / sum(denominator), never the mean of percentages
        numerator = sum(n for _, n, _, _ in values)
        denominator = sum(d for _, _, d, _ in values)
        return numerator / denominator * 100 if denominator else None
    raise ValueError(rule)


def compute_period(plan, readings, period):
    """Every figure of one period from the approved readings, from scratch.

    ``readings`` maps (indicator code, period key) -> reading dict (value or numerator/denominator,
    optional weight); only approved readings are passed in.
    """
    indicators = {i["code"]: i for i in plan["indicators"]}
    figures = {"indicators": [], "objectives": [], "goals": [], "municipalities": [], "regional": []}
    by_indicator = {code: {} for code in indicators}
    for (code, key), reading in readings.items():
        if code in indicators:
            by_indicator[code][key] = reading
    for code, indicator in indicators.items():
        figures["indicators"].append(indicator_entry(plan, indicator, by_indicator[code], period))
    figures.update(parents(plan, figures["indicators"], period))
    figures["regional"] = [regional_entry(plan, regional, by_indicator, period)
                           for regional in plan["regional_indicators"]]
    return figures


def indicator_entry(plan, indicator, readings_by_period, period):
    series = {key: reading_value(r, indicator["unit"]) for key, r in readings_by_period.items()}
    figure = indicator_figure(indicator, series, period, plan)
    return {**figure, "objective": indicator["objective"], "goal": indicator["goal"],
            "municipality": indicator["municipality"], "weight": indicator["weight"], "unit": indicator["unit"],
            "name": indicator["name"]}


def parents(plan, indicator_entries, period):
    """Objectives, goals, municipalities and the plan from the indicator figures."""
    by_objective = {}
    for entry in indicator_entries:
        by_objective.setdefault(entry["objective"], []).append(entry)
    objectives = [objective_figure(o, by_objective.get(o["code"], [])) for o in plan["objectives"]]
    weighted = plan["settings"].get("goal_rollup") == "weighted"
    costs = objective_costs(plan, period.year) if weighted else None
    goals = []
    for goal in plan["goals"]:
        mine = [o for o in objectives if o["goal"] == goal["code"]]
        weights = [costs[o["code"]] for o in mine] if weighted else None
        figure = rollup(mine, weights)
        goals.append({"code": goal["code"], "theme": goal.get("theme"), "realization": _round(figure),
                      "band": band(figure), "missing_objectives": [o["code"] for o in mine if o["realization"] is None]})
    municipalities = []
    for municipality in [plan["coordinator"], *plan["members"]]:
        mine = [o for o in objectives if o["municipality"] == municipality]
        if mine:
            figure = rollup(mine)
            municipalities.append({"municipality": municipality, "realization": _round(figure), "band": band(figure),
                                   "missing_objectives": [o["code"] for o in mine if o["realization"] is None]})
    total = rollup(goals)
    return {"objectives": objectives, "goals": goals, "municipalities": municipalities,
            "plan": {"realization": _round(total), "band": band(total),
                     "missing_goals": [g["code"] for g in goals if g["realization"] is None]}}


def objective_costs(plan, year):
    """Each objective's cost estimate for ``year``: the weight of a "weighted" goal roll-up, so an
    objective the plan spends more on counts more (without costs the roll-up is the mean)."""
    return {o["code"]: float(o.get("costs", {}).get(str(year), 0)) for o in plan["objectives"]}


def regional_entry(plan, regional, by_indicator, period):
    """A regional indicator: the districts' period values aggregated by its rule, then the formula."""
    contributors = [i for i in plan["indicators"] if i.get("contributes_to") == regional["code"]]
    keys = sorted({key for i in contributors for key in by_indicator[i["code"]]})
    series, missing = {}, []
    for key in keys:
        values = []
        for indicator in contributors:
            reading = by_indicator[indicator["code"]].get(key)
            if reading is None:
                continue
            values.append((reading_value(reading, indicator["unit"]), reading.get("numerator"),
                           reading.get("denominator"), reading.get("weight")))
        if len(values) == len(contributors):
            series[key] = aggregate(regional["aggregation"], values)
    for indicator in contributors:
        readings = by_indicator[indicator["code"]]
        needed = [period.key] if period.half is not None else [period.key, f"{period.year}-H2"]
        if not any(k in readings for k in needed):
            missing.append(indicator["municipality"])
    figure = indicator_figure(regional, series, period, plan)
    return {**figure, "aggregation": regional["aggregation"], "unit": regional["unit"], "goal": regional["goal"],
            "name": regional["name"], "missing_municipalities": sorted(set(missing)),
            "contributors": len(contributors)}


def update_period(figures, plan, readings, period, affected):
    """The figures after readings of the ``affected`` indicators changed: those indicators are
    recomputed, then their parents; the other indicators keep their stored figures."""
    indicators = {i["code"]: i for i in plan["indicators"]}
    by_indicator = {code: {} for code in indicators}
    for (code, key), reading in readings.items():
        if code in by_indicator:
            by_indicator[code][key] = reading
    entries = []
    for entry in figures["indicators"]:
        code = entry["code"]
        entries.append(indicator_entry(plan, indicators[code], by_indicator[code], period)
                       if code in affected else entry)
    updated = {"indicators": entries, **parents(plan, entries, period)}
    touched = {indicators[c].get("contributes_to") for c in affected} - {None}
    updated["regional"] = [regional_entry(plan, r, by_indicator, period) if r["code"] in touched else old
                           for r, old in zip(plan["regional_indicators"], figures["regional"])]
    return updated


def affected_periods(plan, approved_key):
    """Periods whose figures can change when readings of ``approved_key`` change: that period and
    every later one (cumulative indicators carry values forward; a year reads its second half)."""
    approved = parse_period(approved_key, plan["calendar"])
    return [p for p in plan_periods(plan["calendar"], plan["period"]["start"], plan["period"]["end"])
            if p.last_day >= approved.first_day]


def period_of(plan, key):
    return parse_period(key, plan["calendar"], plan["period"]["start"], plan["period"]["end"])


def off_track(figure, threshold):
    return figure["D"] is not None and figure["D"] < threshold



# -- readings due --------------------------------------------------------------------------------
HALF_YEARLY = ("monthly", "quarterly", "semiannual")  # reported by half-year (the finest period kept)


def due_periods(plan, indicator):
    """The periods ``indicator`` must be reported for: each half-year when it is monitored every
    six months or more often, else each year."""
    periods = plan_periods(plan["calendar"], plan["period"]["start"], plan["period"]["end"])
    halves = indicator.get("monitoring_frequency", "semiannual") in HALF_YEARLY
    return [p for p in periods if (p.half is not None) == halves]


def overdue(plan, approved_keys, today, due_days, since=None):
    """{indicator code: [period keys]} of ended periods with no approved reading ``due_days``
    after their end. Periods that ended before ``since`` (the adoption decision's date) are not
    due: nobody could report against a plan that did not exist yet. A year is answered by its
    own reading or its second half's, as the figures read it."""
    late = {}
    for indicator in plan["indicators"]:
        code = indicator["code"]
        for period in due_periods(plan, indicator):
            if since is not None and period.last_day < since:
                continue
            if (period.last_day - today).days + due_days >= 0:
                break  # this and every later period are not due yet
            answers = [period.key] if period.half is not None else [period.key, f"{period.year}-H2"]
            if not any((code, key) in approved_keys for key in answers):
                late.setdefault(code, []).append(period.key)
    return late
