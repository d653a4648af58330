"""The guide's rules for joint plans, as pure functions (no I/O).

Every validator collects all violations with their field paths (shared.validation.Problems),
because a district planner fixing a spreadsheet wants the whole list at once.
"""
import copy
from decimal import Decimal

from shared import guide
from shared.calendars import PeriodKeyError, check_year, parse_period, plan_years
from shared.text import pick

# -- municipalities ------------------------------------------------------------------------

PARENT_KINDS = {
    "metropolitan": (),                                   # top level
    "provincial": (),                                     # top level
    "district": ("metropolitan",),                        # ilçe of a büyükşehir, منطقه of Tehran
    "town": ("provincial", "metropolitan", "district"),   # belde, or a ناحیه under a منطقه
}
PARENT_REQUIRED = {"district"}


def municipality_problems(mid, data, municipalities, problems):
    """Hierarchy rules for putting ``data`` at ``mid``; ``municipalities`` maps id -> stored doc."""
    kind, parent = data["kind"], data.get("parent")
    allowed = PARENT_KINDS[kind]
    if parent is None:
        if kind in PARENT_REQUIRED:
            problems.add("parent", f"A {kind} municipality needs a parent ({' or '.join(allowed)}).")
    elif not allowed:
        problems.add("parent", f"A {kind} municipality has no parent.")
    elif parent == mid:
        problems.add("parent", "A municipality cannot be its own parent.")
    elif parent not in municipalities:
        problems.add("parent", f"Unknown municipality {parent!r}.")
    else:
        parent_kind = municipalities[parent]["kind"]
        if parent_kind not in allowed:
            problems.add("parent", f"The parent of a {kind} municipality must be {' or '.join(allowed)}, "
                                   f"not {parent_kind} ({parent}).")
        seen, cursor = {mid}, parent
        while cursor is not None:
            if cursor in seen:
                problems.add("parent", f"Putting {parent!r} as parent would make a cycle.")
                break
            seen.add(cursor)
            cursor = municipalities.get(cursor, {}).get("parent")
    for child_id, child in municipalities.items():
        if child.get("parent") == mid and kind not in PARENT_KINDS[child["kind"]]:
            problems.add("kind", f"{child_id} ({child['kind']}) has this municipality as parent, "
                                 f"which it cannot have as a {kind}.")


# -- stakeholder analysis --------------------------------------------------------------------

stakeholder_priority = guide.stakeholder_priority


# -- plans -------------------------------------------------------------------------------------

def contributors(plan):
    """Who may hold a contribution: the coordinator (its own units) and every member."""
    return [plan["coordinator"], *plan["members"]]


def years_of(plan):
    return plan_years(plan["period"]["start"], plan["period"]["end"])


def plan_problems(data, municipalities, problems):
    coordinator = municipalities.get(data["coordinator"])
    if coordinator is None:
        problems.add("coordinator", f"Unknown municipality {data['coordinator']!r}.")
    elif coordinator["kind"] not in ("metropolitan", "provincial"):
        problems.add("coordinator", "A joint plan is coordinated by a metropolitan or provincial municipality.")
    seen = set()
    for i, member in enumerate(data["members"]):
        if member in seen:
            problems.add(f"members[{i}]", f"{member} is listed twice.")
        seen.add(member)
        if member == data["coordinator"]:
            problems.add(f"members[{i}]", "The coordinator is not also a member.")
        elif member not in municipalities:
            problems.add(f"members[{i}]", f"Unknown municipality {member!r}.")
    for key in ("start", "end"):
        try:
            check_year(data["calendar"], data["period"][key])
        except PeriodKeyError as exc:
            problems.add(f"period.{key}", f"{exc}; this plan uses the {data['calendar']} calendar.")
    codes = [theme["code"] for theme in data["themes"]]
    for i, code in enumerate(codes):
        if codes.index(code) != i:
            problems.add(f"themes[{i}].code", f"Theme {code} is listed twice.")


def new_plan(data, now):
    plan = copy.deepcopy(data)
    plan.update(status="draft", frame=None, contributions={}, adoption=None, revision=None,
                revisions=[], provenance={}, created_at=now, updated_at=now)
    return plan


def _targets_problems(path, item, years, problems):
    """A target for every plan year and none outside it; the targets fit the calculation type."""
    targets = item["targets"]
    for year in years:
        if year not in targets:
            problems.add(f"{path}.targets.{year}", f"No target for plan year {year}.")
    for year in targets:
        if year not in years:
            problems.add(f"{path}.targets.{year}", f"{year} is not a year of the plan period {years[0]}-{years[-1]}.")
    values = [targets[y] for y in years if y in targets]
    if not values:
        return
    baseline, last, calculation = item["baseline"], values[-1], item["calculation"]
    if calculation in ("increase", "cumulative") and not last > baseline:
        problems.add(f"{path}.targets", f"An '{calculation}' indicator's final target ({last}) must be above "
                                        f"its baseline ({baseline}).")
    if calculation == "cumulative" and any(b < a for a, b in zip(values, values[1:])):
        problems.add(f"{path}.targets", "A cumulative indicator's targets never go down from year to year.")
    if calculation == "decrease" and not last < baseline:
        problems.add(f"{path}.targets", f"A 'decrease' indicator's final target ({last}) must be below "
                                        f"its baseline ({baseline}).")
    if calculation == "maintain" and any(v != baseline for v in values):
        problems.add(f"{path}.targets", f"A 'maintain' indicator keeps its baseline ({baseline}) as every target.")


def _same_unit(a, b):
    return a.strip().casefold() == b.strip().casefold()


def _indicator_owners(plan, skip_municipality=None):
    """indicator code -> where it is already used in the plan (regional or a contribution)."""
    owners = {}
    for code in (ri["code"] for ri in (plan["frame"] or {}).get("regional_indicators", [])):
        owners[code] = "the frame's regional indicators"
    for municipality, contribution in plan["contributions"].items():
        if municipality == skip_municipality:
            continue
        for objective in contribution["objectives"]:
            for indicator in objective["indicators"]:
                owners[indicator["code"]] = f"objective {objective['code']} of {municipality}"
    return owners


def _unique_code(problems, path, code, seen, owners, noun):
    """A code is used once in the whole plan: not twice here, not by another part."""
    if code in seen:
        problems.add(f"{path}.code", f"{noun} {code} is listed twice.")
    elif code in owners:
        problems.add(f"{path}.code", f"{noun} code {code} is already used by {owners[code]}.")
    seen.add(code)


def frame_problems(plan, frame, problems):
    theme_codes = {theme["code"] for theme in plan["themes"]}
    goal_codes = []
    for i, goal in enumerate(frame["goals"]):
        if goal["code"] in goal_codes:
            problems.add(f"goals[{i}].code", f"Goal {goal['code']} is listed twice.")
        goal_codes.append(goal["code"])
        if goal["theme"] is not None and goal["theme"] not in theme_codes:
            problems.add(f"goals[{i}].theme", f"Unknown theme {goal['theme']!r}.")
    years = years_of(plan)
    used = {code: owner for code, owner in _indicator_owners(plan).items()
            if owner != "the frame's regional indicators"}
    regional, seen = {}, set()
    for i, indicator in enumerate(frame["regional_indicators"]):
        path, code = f"regional_indicators[{i}]", indicator["code"]
        _unique_code(problems, path, code, seen, used, "Indicator")
        regional[code] = indicator
        if indicator["goal"] not in goal_codes:
            problems.add(f"{path}.goal", f"Unknown goal {indicator['goal']!r}.")
        if not indicator["unit"]:
            problems.add(f"{path}.unit", "Every indicator needs a unit.")
        _targets_problems(path, indicator, years, problems)
    # what the contributions already rely on must stay in the frame
    for municipality, contribution in plan["contributions"].items():
        for objective in contribution["objectives"]:
            if objective["goal"] not in goal_codes:
                problems.add("goals", f"Goal {objective['goal']} is used by objective {objective['code']} "
                                      f"of {municipality}.")
            for indicator in objective["indicators"]:
                target = indicator.get("contributes_to")
                if target is None:
                    continue
                if target not in regional:
                    problems.add("regional_indicators", f"Regional indicator {target} is used by indicator "
                                                        f"{indicator['code']} of {municipality}.")
                elif not _same_unit(regional[target]["unit"], indicator["unit"]):
                    problems.add("regional_indicators", f"Regional indicator {target} is in "
                                                        f"{regional[target]['unit']!r} but indicator "
                                                        f"{indicator['code']} of {municipality} reports "
                                                        f"{indicator['unit']!r}.")
    revision = plan.get("revision")
    if revision and revision["kind"] == "update" and plan["adoption"]:
        adopted = revision["adopted_frame"]
        for key in ("mission", "vision", "goals"):
            if frame[key] != adopted[key]:
                problems.add(key, f"An update may not change the {key}; start a renewal for that.")


def with_priorities(frame):
    frame = copy.deepcopy(frame)
    for stakeholder in frame["situation"]["stakeholders"]:
        stakeholder["priority"] = stakeholder_priority(stakeholder["influence"], stakeholder["importance"])
    return frame


def contribution_problems(plan, municipality, contribution, problems):
    if municipality not in contributors(plan):
        problems.add("municipality", f"{municipality} is not a member of plan {plan['id']}.")
        return
    frame = plan["frame"]
    if frame is None:
        problems.add("objectives", "The plan has no frame yet: its goals come first.")
        return
    goals = {goal["code"]: goal for goal in frame["goals"]}
    regional = {ri["code"]: ri for ri in frame["regional_indicators"]}
    themes = {theme["code"] for theme in plan["themes"]}
    members = set(contributors(plan))
    years = years_of(plan)
    objective_owners = {o["code"]: m for m, c in plan["contributions"].items() if m != municipality
                        for o in c["objectives"]}
    indicator_owners = _indicator_owners(plan, skip_municipality=municipality)
    seen_objectives, seen_indicators = set(), set()
    for i, objective in enumerate(contribution["objectives"]):
        path, code = f"objectives[{i}]", objective["code"]
        _unique_code(problems, path, code, seen_objectives, objective_owners, "Objective")
        if objective["goal"] not in goals:
            problems.add(f"{path}.goal", f"Unknown goal {objective['goal']!r}; the plan's goals are "
                                         f"{', '.join(goals) or 'none yet'}.")
        if objective["theme"] is not None and objective["theme"] not in themes:
            problems.add(f"{path}.theme", f"Unknown theme {objective['theme']!r}.")
        responsible = objective["responsible_unit"]
        if responsible["municipality"] not in (None, municipality):
            problems.add(f"{path}.responsible_unit.municipality",
                         f"The responsible unit belongs to {municipality}, whose objective this is.")
        for j, collaborator in enumerate(objective["collaborators"]):
            if collaborator["municipality"] not in members:
                problems.add(f"{path}.collaborators[{j}].municipality",
                             f"{collaborator['municipality']} is not a member of this plan.")
        for year in objective["costs"]:
            if year not in years:
                problems.add(f"{path}.costs.{year}", f"{year} is not a year of the plan period.")
        indicators = objective["indicators"]
        if not indicators:
            problems.add(f"{path}.indicators", "An objective needs at least one indicator to be measurable.")
            continue
        total = sum(Decimal(str(indicator["weight"])) for indicator in indicators)
        if total != 100:
            problems.add(f"{path}.indicators[*].weight",
                         f"The weights of objective {code} total {total.normalize():f}; they must total exactly 100.")
        for j, indicator in enumerate(indicators):
            ipath = f"{path}.indicators[{j}]"
            _unique_code(problems, ipath, indicator["code"], seen_indicators, indicator_owners, "Indicator")
            if not indicator["unit"]:
                problems.add(f"{ipath}.unit", "Every indicator needs a unit.")
            _targets_problems(ipath, indicator, years, problems)
            target = indicator["contributes_to"]
            if target is not None:
                if target not in regional:
                    problems.add(f"{ipath}.contributes_to", f"Unknown regional indicator {target!r}.")
                elif not _same_unit(regional[target]["unit"], indicator["unit"]):
                    problems.add(f"{ipath}.unit", f"Regional indicator {target} is measured in "
                                                  f"{regional[target]['unit']!r}, not {indicator['unit']!r}.")


def normalized_contribution(plan, municipality, contribution):
    """Fill what the guide implies: the responsible unit's municipality, the goal's theme."""
    goals = {goal["code"]: goal for goal in plan["frame"]["goals"]}
    contribution = copy.deepcopy(contribution)
    for objective in contribution["objectives"]:
        objective["responsible_unit"]["municipality"] = municipality
        if objective["theme"] is None:
            objective["theme"] = goals[objective["goal"]]["theme"]
    return contribution


def adoption_problems(plan, problems):
    frame = plan["frame"]
    if frame is None:
        problems.add("frame", "The plan has no frame (mission, vision, goals).")
        return
    objectives = [o for c in plan["contributions"].values() for o in c["objectives"]]
    for goal in frame["goals"]:
        if not any(o["goal"] == goal["code"] for o in objectives):
            problems.add(f"goals.{goal['code']}", f"Goal {goal['code']} has no objective serving it.")
    for member in plan["members"]:
        if member not in plan["contributions"]:
            problems.add(f"contributions.{member}", f"{member} has not submitted its contribution.")
    fed = {i["contributes_to"] for o in objectives for i in o["indicators"]}
    for indicator in frame["regional_indicators"]:
        if indicator["code"] not in fed:
            problems.add(f"regional_indicators.{indicator['code']}",
                         f"No district indicator contributes to regional indicator {indicator['code']}.")


def check_effective_from(plan, key, problems):
    try:
        return parse_period(key, plan["calendar"], plan["period"]["start"], plan["period"]["end"]).key
    except PeriodKeyError as exc:
        problems.add("effective_from", str(exc))


# -- what other services need ------------------------------------------------------------------

def monitoring_view(plan):
    """An adopted plan as monitoring measures it: everything to compute realization, nothing more."""
    frame = plan["frame"]
    objectives, indicators = [], []
    for municipality, contribution in sorted(plan["contributions"].items()):
        for objective in contribution["objectives"]:
            objectives.append({"code": objective["code"], "goal": objective["goal"], "theme": objective["theme"],
                               "municipality": municipality, "title": objective["title"],
                               "costs": objective["costs"]})
            for indicator in objective["indicators"]:
                indicators.append({
                    "code": indicator["code"], "objective": objective["code"], "goal": objective["goal"],
                    "municipality": municipality, "name": indicator["name"], "unit": indicator["unit"],
                    "weight": indicator["weight"], "baseline": indicator["baseline"],
                    "targets": indicator["targets"], "calculation": indicator["calculation"],
                    "class": indicator["class"], "monitoring_frequency": indicator["monitoring_frequency"],
                    "reporting_frequency": indicator["reporting_frequency"],
                    "contributes_to": indicator["contributes_to"],
                })
    return {
        "id": plan["id"], "title": plan["title"], "calendar": plan["calendar"], "period": plan["period"],
        "coordinator": plan["coordinator"], "members": plan["members"], "settings": plan["settings"],
        "themes": plan["themes"],
        "goals": [{"code": g["code"], "title": g["title"], "theme": g["theme"]} for g in frame["goals"]],
        "objectives": objectives, "indicators": indicators,
        "regional_indicators": frame["regional_indicators"], "adoption": plan["adoption"],
    }


def linking_view(plan):
    """Goals and objectives by code, for services that link to them (consultation)."""
    frame = plan["frame"] or {"goals": []}
    return {
        "id": plan["id"], "status": plan["status"], "coordinator": plan["coordinator"],
        "members": plan["members"], "themes": plan["themes"],
        "goals": [{"code": g["code"], "title": g["title"], "theme": g["theme"]} for g in frame["goals"]],
        "objectives": [{"code": o["code"], "goal": o["goal"], "municipality": m, "theme": o["theme"]}
                       for m, c in plan["contributions"].items() for o in c["objectives"]],
    }


def with_provenance(plan, accepted_inputs):
    """The plan as read: each goal and objective lists the accepted inputs it came from."""
    by_goal, by_objective = {}, {}
    for item in accepted_inputs:
        source = {k: v for k, v in item.items() if k != "links"}
        for link in item["links"]:
            if link.get("objective"):
                by_objective.setdefault((link["objective"], link.get("municipality")), []).append(source)
            elif link.get("goal"):
                by_goal.setdefault(link["goal"], []).append(source)
    frame = plan["frame"]
    if frame is not None and "goals" in frame:
        frame = {**frame, "goals": [{**goal, "inputs": by_goal.get(goal["code"], [])} for goal in frame["goals"]]}
    contributions = {municipality: {**contribution, "objectives": [
        {**objective, "inputs": by_objective.get((objective["code"], municipality), [])}
        for objective in contribution["objectives"]]} for municipality, contribution in plan["contributions"].items()}
    return {**plan, "frame": frame, "contributions": contributions}


# -- versions ------------------------------------------------------------------------------------

def _by_code(items):
    return {item["code"]: item for item in items}


def _changed_fields(a, b, skip=()):
    return sorted(k for k in set(a) | set(b) if k not in skip and a.get(k) != b.get(k))


def _keyed(plan, kind):
    out = {}
    for municipality, contribution in (plan.get("contributions") or {}).items():
        for objective in contribution["objectives"]:
            if kind == "objectives":
                out[objective["code"]] = (municipality, objective)
            else:
                for indicator in objective["indicators"]:
                    out[indicator["code"]] = (municipality, indicator)
    return out


def diff(old, new):
    """What changed between two plan snapshots, in the plan's own terms."""
    result = {"status": None, "frame": {}, "objectives": {}, "indicators": {}, "targets": []}
    if old["status"] != new["status"]:
        result["status"] = {"from": old["status"], "to": new["status"]}
    old_frame, new_frame = old.get("frame") or {}, new.get("frame") or {}
    for key in ("mission", "vision", "values", "situation"):
        if old_frame.get(key) != new_frame.get(key):
            result["frame"][key] = {"from": old_frame.get(key), "to": new_frame.get(key)}
    for key in ("goals", "regional_indicators"):
        a, b = _by_code(old_frame.get(key, [])), _by_code(new_frame.get(key, []))
        change = {"added": sorted(set(b) - set(a)), "removed": sorted(set(a) - set(b)),
                  "changed": sorted(c for c in set(a) & set(b) if a[c] != b[c])}
        if any(change.values()):
            result["frame"][key] = change
    for kind in ("objectives", "indicators"):
        a, b = _keyed(old, kind), _keyed(new, kind)
        skip = ("indicators",) if kind == "objectives" else ()
        result[kind] = {
            "added": [{"code": c, "municipality": b[c][0]} for c in sorted(set(b) - set(a))],
            "removed": [{"code": c, "municipality": a[c][0]} for c in sorted(set(a) - set(b))],
            "changed": [{"code": c, "municipality": b[c][0], "fields": _changed_fields(a[c][1], b[c][1], skip)}
                        for c in sorted(set(a) & set(b)) if _changed_fields(a[c][1], b[c][1], skip)],
        }
    old_indicators, new_indicators = _keyed(old, "indicators"), _keyed(new, "indicators")
    for code in sorted(set(old_indicators) & set(new_indicators)):
        a, b = old_indicators[code][1]["targets"], new_indicators[code][1]["targets"]
        for year in sorted(set(a) | set(b)):
            if a.get(year) != b.get(year):
                result["targets"].append({"indicator": code, "year": year, "from": a.get(year), "to": b.get(year)})
    return result


def summary_text(kind, plan, municipality=None):
    title = pick(plan["title"], "en")
    return {
        "created": f"Plan {title} created",
        "frame": "Frame changed",
        "contribution": f"Contribution of {municipality} submitted",
        "status": f"Status set to {plan['status']}",
        "adoption": "Plan adopted" if not plan["revisions"] else "Revised plan adopted",
        "revision": f"{(plan['revision'] or {}).get('kind', 'revision').capitalize()} started",
    }[kind]
