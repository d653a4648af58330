"""The guide's rules for joint plans, as pure functions (no I/O).

Every validator collects all violations with their field paths (shared.validation.Problems),
because a district planner fixing a spreadsheet wants the whole list at once.
"""
import copy
from decimal import Decimal

from shared import audit, guide, ratelimit
from shared.errors import InvalidInput
from shared.guide import direction_of, outside_range, range_text, year_value_of
from shared.calendars import PeriodKeyError, check_year, parse_period, plan_years
from shared.privacy import mask_contacts
from shared.text import pick
from shared.roles import municipalities_of

# -- tokens and people ---------------------------------------------------------------------

SECRET_LENGTH = 200           # no token or session secret issued is longer: a longer one is not looked up
BAD_TOKEN_WINDOW = 60         # seconds over which bad tokens are counted per client
BAD_TOKEN_LIMIT = 10          # bad tokens a client may send in a window (ORTAK_TOKEN_FAILURE_LIMIT)


def presented(secret):
    """A token or session secret worth looking up in the store."""
    return isinstance(secret, str) and 0 < len(secret) <= SECRET_LENGTH


def bad_token_key(client):
    """The rate-limit counter of a client's bad tokens (by a hash of its address, never the address)."""
    return ratelimit.client_key(client, "token-failures")


def refuse_token_guessing(failures, limit):
    """RateLimited (429 for the rest of the window) once a client sent more than ``limit`` bad
    tokens in it, so tokens cannot be guessed; only bad tokens count, so a valid token always
    passes and one guesser behind an office's shared address locks nobody there out."""
    ratelimit.refuse_over(failures, limit, BAD_TOKEN_WINDOW, f"More than {limit} bad tokens a minute from this client")


def municipality_problem(role_asked, municipality):
    """(detail, field message) when a role and a municipality do not go together, else None."""
    if role_asked in ("coordinator", "planner") and municipality is None:
        return f"A {role_asked} is bound to one municipality.", "Required for this role."
    if role_asked == "admin" and municipality is not None:
        return "An admin is bound to no municipality.", "Must be null for an admin."
    return None


def check_role_and_municipality(role_asked, municipality):
    """A token or a person: coordinators and planners belong to one municipality, an admin to none
    (whether the municipality exists is the store's to say)."""
    problem = municipality_problem(role_asked, municipality)
    if problem:
        raise InvalidInput(problem[0], {"municipality": [problem[1]]})


# -- municipalities ------------------------------------------------------------------------

PARENT_KINDS = {
    "metropolitan": (),                                   # top level
    "provincial": (),                                     # top level
    "district": ("metropolitan",),                        # ilçe of a büyükşehir, منطقه of Tehran
    "town": ("provincial", "metropolitan", "district"),   # belde, or a ناحیه under a منطقه
    "sub_district": ("district",),                        # a Tehran ناحیه (nahiye) of its منطقه
    "cooperation_body": (),                               # a union of municipalities: members, no parent
}
PARENT_REQUIRED = {"district", "sub_district"}


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
    members_problems(mid, data, municipalities, problems)


def members_problems(mid, data, municipalities, problems):
    """A cooperation body's members: known municipalities, each once, never the body itself; no
    other kind of municipality has members (a metropolitan's districts are its children)."""
    members = data.get("members")
    if data["kind"] != "cooperation_body":
        if members:
            problems.add("members", f"Only a cooperation body has members; a {data['kind']} municipality's "
                                    "districts name it as their parent.")
        return
    seen = set()
    for i, member in enumerate(members or []):
        if member == mid:
            problems.add(f"members[{i}]", "A cooperation body is not a member of itself.")
        elif member in seen:
            problems.add(f"members[{i}]", f"{member} is listed twice.")
        elif member not in municipalities:
            problems.add(f"members[{i}]", f"Unknown municipality {member!r}.")
        seen.add(member)


# -- stakeholder analysis --------------------------------------------------------------------

stakeholder_priority = guide.stakeholder_priority


# -- plans -------------------------------------------------------------------------------------

def contributors(plan):
    """Who may hold a contribution: the coordinator (its own units) and every member."""
    return municipalities_of(plan)


def years_of(plan):
    return plan_years(plan["period"]["start"], plan["period"]["end"])


def member_problem(coordinator_id, coordinator, member_id, municipalities):
    """Why ``member_id`` cannot be a member of a plan coordinated by ``coordinator``, or None.

    A metropolitan or provincial municipality coordinates any municipality of its region; a
    cooperation body only its own members (they are members, not children); any other
    municipality (a district, a town) coordinates its own children (a Tehran region its
    sub-districts). Every municipality may make its own plan with no members at all."""
    kind = coordinator["kind"]
    if kind in ("metropolitan", "provincial"):
        return None
    if kind == "cooperation_body":
        if member_id not in (coordinator.get("members") or []):
            return f"{member_id} is not a member of the cooperation body {coordinator_id}."
        return None
    if municipalities[member_id].get("parent") != coordinator_id:
        return (f"A {kind} municipality's plan has its own sub-units as members; {member_id} is not one of "
                f"{coordinator_id}'s.")
    return None


def plan_problems(data, municipalities, problems):
    coordinator = municipalities.get(data["coordinator"])
    if coordinator is None:
        problems.add("coordinator", f"Unknown municipality {data['coordinator']!r}.")
    seen = set()
    for i, member in enumerate(data["members"]):
        if member in seen:
            problems.add(f"members[{i}]", f"{member} is listed twice.")
        seen.add(member)
        if member == data["coordinator"]:
            problems.add(f"members[{i}]", "The coordinator is not also a member.")
        elif member not in municipalities:
            problems.add(f"members[{i}]", f"Unknown municipality {member!r}.")
        elif coordinator is not None:
            problem = member_problem(data["coordinator"], coordinator, member, municipalities)
            if problem:
                problems.add(f"members[{i}]", problem)
    for key in ("start", "end"):
        try:
            check_year(data["calendar"], data["period"][key])
        except PeriodKeyError as exc:
            problems.add(f"period.{key}", f"{exc}; this plan uses the {data['calendar']} calendar.")
    codes = [theme["code"] for theme in data["themes"]]
    for i, code in enumerate(codes):
        if codes.index(code) != i:
            problems.add(f"themes[{i}].code", f"Theme {code} is listed twice.")


def cascade_problems(data, parent, lineage, municipalities, problems):
    """A plan that cascades from ``parent`` (the parent plan's snapshot, None if unknown):
    ``lineage`` is the ids of the parent's own ancestors, nearest first. The parent is adopted,
    on the same calendar, no plan is its own ancestor, and the new plan's coordinator is the
    parent's coordinator or a member of it, or one of their sub-units (a region of the city, a
    sub-district of the region)."""
    parent_id = data.get("parent_plan")
    if parent_id is None:
        return
    if parent_id == data["id"] or data["id"] in lineage:
        problems.add("parent_plan", f"Plan {data['id']} cannot cascade from {parent_id}: that would make a cycle.")
        return
    if parent is None:
        problems.add("parent_plan", f"Unknown plan {parent_id!r}.")
        return
    if parent["status"] not in ("adopted", "revising"):
        problems.add("parent_plan", f"Plan {parent_id} is {parent['status']}; a plan cascades from an adopted plan.")
    if parent["calendar"] != data["calendar"]:
        problems.add("calendar", f"Plan {parent_id} runs on the {parent['calendar']} calendar; a plan that cascades "
                                 f"from it does too (its period keys roll up there).")
    above = {parent["coordinator"], *parent["members"]}
    cursor, seen = data["coordinator"], set()
    while cursor is not None and cursor not in above and cursor not in seen:
        seen.add(cursor)
        cursor = municipalities.get(cursor, {}).get("parent")
    if cursor not in above:
        problems.add("coordinator", f"{data['coordinator']} is not in plan {parent_id} (its coordinator, a member, "
                                    "or one of their sub-units).")


def serves_problems(plan, frame, parent_goals, problems):
    """Each goal's ``serves`` names a goal of the parent plan (``parent_goals``: its codes, None
    when the plan has no parent)."""
    for i, goal in enumerate(frame["goals"]):
        serves = goal.get("serves")
        if serves is None:
            continue
        if parent_goals is None:
            problems.add(f"goals[{i}].serves", "This plan has no parent_plan whose goal it could serve.")
        elif serves not in parent_goals:
            problems.add(f"goals[{i}].serves", f"Plan {plan.get('parent_plan')} has no goal {serves!r}; its goals are "
                                               f"{', '.join(parent_goals) or 'none'}.")


# -- cascades: a parent's new version seen from its children ----------------------------------

def _goal_measures(plan, code):
    """The regional indicators and the objectives under goal ``code`` of a plan snapshot, by code."""
    frame = plan.get("frame") or {}
    regional = {ri["code"]: ri for ri in frame.get("regional_indicators", []) if ri["goal"] == code}
    objectives = {o["code"]: o for c in (plan.get("contributions") or {}).values() for o in c["objectives"]
                  if o["goal"] == code}
    return regional, objectives


def parent_goal_change(old, new, code):
    """What plan version ``new`` changes in goal ``code`` against ``old``: None when nothing;
    {"change": "removed"}; or {"change": "changed", "what": ...} naming the goal's fields that
    changed and the regional indicators, objectives and targets under it added, removed or changed
    (an update keeps the goals themselves, but may move what they are measured by)."""
    old_goals, new_goals = _by_code((old.get("frame") or {}).get("goals", [])), \
        _by_code((new.get("frame") or {}).get("goals", []))
    if code not in old_goals:
        return None
    if code not in new_goals:
        return {"change": "removed", "what": {}}
    what = {}
    fields = _changed_fields(old_goals[code], new_goals[code])
    if fields:
        what["goal"] = fields
    for key, a, b in zip(("regional_indicators", "objectives"), _goal_measures(old, code), _goal_measures(new, code)):
        change = {"added": sorted(set(b) - set(a)), "removed": sorted(set(a) - set(b)),
                  "changed": sorted(c for c in set(a) & set(b) if a[c] != b[c])}
        if any(change.values()):
            what[key] = change
    under = {i["code"] for _, o in _goal_measures(new, code)[1].items() for i in o["indicators"]}
    targets = [t for t in diff(old, new)["targets"] if t["indicator"] in under]
    if targets:
        what["targets"] = targets
    return {"change": "changed", "what": what} if what else None


def parent_change_flags(old_parent, new_parent, child, from_version, to_version):
    """The flags a child plan gets when its parent's adopted version ``from_version`` is followed
    by ``to_version``: one per parent goal the child's goals serve that the new version removed or
    changed."""
    served = {}
    for goal in (child.get("frame") or {}).get("goals", []):
        if goal.get("serves"):
            served.setdefault(goal["serves"], []).append(goal["code"])
    flags = []
    for code in sorted(served):
        change = parent_goal_change(old_parent, new_parent, code)
        if change:
            flags.append({"parent_plan": new_parent["id"], "parent_goal": code, "served_by": served[code],
                          "from_version": from_version, "to_version": to_version, **change})
    return flags


def with_parent_changes(plan, flags, now):
    """(the plan with these flags added, open and numbered from 1, the flags added); a flag the plan
    has already (same parent, version and goal: a redelivered event) is not added twice. None when
    nothing is new."""
    existing = plan.get("parent_changes") or []
    def key(f):
        return f["parent_plan"], f["to_version"], f["parent_goal"], f.get("objective")
    known = {key(f) for f in existing}
    added = [{"n": len(existing) + i + 1, **flag, "flagged_at": now, "open": True, "closed": None}
             for i, flag in enumerate(f for f in flags if key(f) not in known)]
    if not added:
        return None
    return {**plan, "parent_changes": [*existing, *added]}, added


def parent_change_problem(plan, n):
    """Why flag ``n`` of the plan cannot be acknowledged: ("missing"|"closed", message), or None."""
    flags = {f["n"]: f for f in plan.get("parent_changes") or []}
    if n not in flags:
        return "missing", f"Plan {plan['id']} has no parent change {n}."
    if not flags[n]["open"]:
        return "closed", f"Parent change {n} of plan {plan['id']} is closed already ({flags[n]['closed']['by']})."
    return None


def closed_parent_changes(plan, numbers, closed):
    """The plan with flags ``numbers`` (None: every open one) closed as ``closed`` ({"by", "at", ...})."""
    if not plan.get("parent_changes"):
        return plan
    changes = [{**f, "open": False, "closed": closed} if f["open"] and (numbers is None or f["n"] in numbers) else f
               for f in plan["parent_changes"]]
    return {**plan, "parent_changes": changes}


def parent_change_text(flags):
    """One line for the version's summary and the audit trail."""
    return "; ".join(f"objective {f['objective']} of plan {f['parent_plan']} {f['change']} "
                     f"(version {f['from_version']} to {f['to_version']}), counted under {', '.join(f['served_by'])}"
                     if f.get("objective") else
                     f"goal {f['parent_goal']} of parent plan {f['parent_plan']} {f['change']} "
                     f"(version {f['from_version']} to {f['to_version']}), served by {', '.join(f['served_by'])}"
                     for f in flags)


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
    direction_problems(path, item, years, problems)


def direction_problems(path, item, years, problems):
    """The direction fits the calculation, and a higher-is-better indicator never has a year whose
    target and baseline are both 0 (its realization C / B x 100 would have no answer)."""
    direction, calculation = direction_of(item), item["calculation"]
    if calculation == "decrease" and direction != "lower":
        problems.add(f"{path}.direction", "A 'decrease' indicator is lower-is-better: its direction is 'lower'.")
    if calculation in ("increase", "cumulative") and direction != "higher":
        problems.add(f"{path}.direction", f"An '{calculation}' indicator is higher-is-better: its direction is "
                                          "'higher'.")
    if calculation == "cumulative" and year_value_of(item) != "sum":
        problems.add(f"{path}.year_value", "A cumulative indicator adds its half-years: its year_value is 'sum'.")
    if direction == "higher" and item["baseline"] == 0:
        for year in years:
            if item["targets"].get(year) == 0:
                problems.add(f"{path}.targets.{year}", f"A higher-is-better indicator cannot keep a baseline of 0 "
                                                       f"in {year} (B = A = 0 has no realization); set a target "
                                                       "above 0 or make the indicator lower-is-better.")


def _scale_clash(regional, indicator):
    """A ratio regional indicator and a contributor that declare different ratio scales."""
    return (regional["aggregation"] == "ratio" and regional.get("ratio_scale") is not None
            and indicator.get("ratio_scale") is not None and regional["ratio_scale"] != indicator["ratio_scale"])


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
    goal_codes, strategy_codes = [], set()
    for i, goal in enumerate(frame["goals"]):
        if goal["code"] in goal_codes:
            problems.add(f"goals[{i}].code", f"Goal {goal['code']} is listed twice.")
        goal_codes.append(goal["code"])
        if goal["theme"] is not None and goal["theme"] not in theme_codes:
            problems.add(f"goals[{i}].theme", f"Unknown theme {goal['theme']!r}.")
        for j, strategy in enumerate(goal.get("strategies") or []):
            if strategy["code"] in strategy_codes:
                problems.add(f"goals[{i}].strategies[{j}].code", f"Strategy {strategy['code']} is listed twice.")
            strategy_codes.add(strategy["code"])
    stakeholder_problems(plan, frame["situation"]["stakeholders"], problems, "situation.stakeholders")
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
                elif _scale_clash(regional[target], indicator):
                    problems.add("regional_indicators", f"Regional indicator {target} has ratio_scale "
                                                        f"{regional[target]['ratio_scale']} but indicator "
                                                        f"{indicator['code']} of {municipality} declares "
                                                        f"{indicator['ratio_scale']}.")
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


def stakeholder_problems(plan, stakeholders, problems, path="stakeholders"):
    """A stakeholder placed in a municipality is placed in one of the plan's."""
    members = set(municipalities_of(plan))
    for i, stakeholder in enumerate(stakeholders):
        if stakeholder.get("municipality") not in (None, *members):
            problems.add(f"{path}[{i}].municipality", f"{stakeholder['municipality']} is not in plan {plan['id']}.")


def with_stakeholders(frame, stakeholders):
    """The frame with its stakeholder analysis replaced (and the guide's priorities given)."""
    frame = copy.deepcopy(frame)
    frame["situation"] = {**frame.get("situation", {}), "stakeholders": stakeholders}
    return with_priorities(frame)


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
        if plan["settings"].get("goal_rollup") == "weighted" and objective.get("goal_weight") is None:
            problems.add(f"{path}.goal_weight", f"The plan weighs goals by their objectives: objective {code} needs "
                                                "a goal_weight (the objectives of one goal total 100).")
        indicators = objective["indicators"]
        if not indicators:
            if indicators_required(plan):
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
            _range_problems(ipath, indicator, problems)
            target = indicator["contributes_to"]
            if target is not None:
                if target not in regional:
                    problems.add(f"{ipath}.contributes_to", f"Unknown regional indicator {target!r}.")
                elif _scale_clash(regional[target], indicator):
                    problems.add(f"{ipath}.ratio_scale", f"Regional indicator {target} has ratio_scale "
                                                         f"{regional[target]['ratio_scale']}; its contributors "
                                                         "use the same scale.")
                elif not _same_unit(regional[target]["unit"], indicator["unit"]):
                    problems.add(f"{ipath}.unit", f"Regional indicator {target} is measured in "
                                                  f"{regional[target]['unit']!r}, not {indicator['unit']!r}.")


# -- objectives counted in two plans (a district's contribution reused in its own plan) --------

def reference_problems(plan, municipality, contribution, sources, problems):
    """Each of the contribution's ``references`` names an objective of ``municipality``'s own
    contribution to another adopted plan of the same calendar (``sources``: plan id -> its newest
    adopted snapshot, None if there is none), a goal of this plan, and codes not used here."""
    goals = {goal["code"] for goal in (plan["frame"] or {}).get("goals", [])}
    objective_owners = {o["code"]: m for m, c in plan["contributions"].items() if m != municipality
                        for o in c["objectives"]}
    objective_owners.update({o["code"]: "this contribution" for o in contribution["objectives"]})
    indicator_owners = _indicator_owners(plan, skip_municipality=municipality)
    indicator_owners.update({i["code"]: f"objective {o['code']}" for o in contribution["objectives"]
                             for i in o["indicators"]})
    seen = set()
    for i, reference in enumerate(contribution["references"]):
        path, source_id = f"references[{i}]", reference["plan"]
        source = sources.get(source_id)
        if source_id == plan["id"]:
            problems.add(f"{path}.plan", "An objective of this plan is counted here already.")
            continue
        if source is None:
            problems.add(f"{path}.plan", f"Plan {source_id} is not an adopted plan: only an adopted plan's "
                                         "objectives can be counted here.")
            continue
        if source["calendar"] != plan["calendar"]:
            problems.add(f"{path}.plan", f"Plan {source_id} keeps the {source['calendar']} calendar, this plan "
                                         f"the {plan['calendar']}: their periods are not the same.")
            continue
        objective = _by_code((source["contributions"].get(municipality) or {}).get("objectives", [])) \
            .get(reference["objective"])
        if objective is None:
            problems.add(f"{path}.objective", f"Objective {reference['objective']} is not part of {municipality}'s "
                                              f"contribution to plan {source_id}.")
            continue
        if objective.get("reported_in"):
            problems.add(f"{path}.objective", f"Objective {reference['objective']} is counted in plan {source_id} "
                                              f"from plan {objective['reported_in']['plan']}: name that plan.")
            continue
        if reference["goal"] not in goals:
            problems.add(f"{path}.goal", f"Unknown goal {reference['goal']!r}; the plan's goals are "
                                         f"{', '.join(sorted(goals)) or 'none yet'}.")
        _unique_code(problems, path, objective["code"], seen, objective_owners, "Objective")
        for indicator in objective["indicators"]:
            if indicator["code"] in indicator_owners:
                problems.add(f"{path}.objective", f"Its indicator {indicator['code']} is already used by "
                                                  f"{indicator_owners[indicator['code']]}.")


def with_references(plan, municipality, contribution, sources):
    """The contribution with each referenced objective in its objectives, as its plan has it now,
    under this plan's goal and marked ``reported_in`` (the plan and version it is written and
    measured in: its readings are entered there and count here too). ``sources``: id -> (n, snapshot)."""
    goals = _by_code(plan["frame"]["goals"])
    contribution = copy.deepcopy(contribution)
    references = []
    for reference in contribution["references"]:
        n, source = sources[reference["plan"]]
        objective = _by_code(source["contributions"][municipality]["objectives"])[reference["objective"]]
        references.append({**reference, "version": n})
        # its indicators feed the other plan's regional indicators, not this plan's
        indicators = [{**indicator, "contributes_to": None} for indicator in objective["indicators"]]
        contribution["objectives"].append({
            **copy.deepcopy(objective), "indicators": indicators, "goal": reference["goal"],
            "theme": goals[reference["goal"]]["theme"],
            "goal_weight": None, "bank": [], "reported_in": {"plan": reference["plan"], "version": n,
                                                             "title": source["title"], "goal": objective["goal"]}})
    contribution["references"] = references
    return contribution


def sources_of(plan):
    """The plans whose objectives this plan counts too."""
    return sorted({r["plan"] for c in plan["contributions"].values() for r in c.get("references") or []})


READ_ONLY = ("inputs", "also_in")   # what a read of the plan adds to each objective


def written_here(contribution):
    """The contribution as its municipality writes it, from the contribution as stored or as read
    (and sent back by a client, so anything may be in it): an objective counted from another plan
    (``reported_in``) is its reference again, and nothing is left of what a read adds (where an
    objective came from, where else it counts) or of the version a reference took."""
    references = contribution.get("references")
    if references is None:
        references = []
    if isinstance(references, list):
        references = [{k: v for k, v in r.items() if k != "version"} if isinstance(r, dict) else r
                      for r in references]
    named = {(r.get("plan"), r.get("objective")) for r in references if isinstance(r, dict)} \
        if isinstance(references, list) else set()
    objectives = []
    for objective in contribution["objectives"]:
        if isinstance(objective, dict):
            objective = {k: v for k, v in objective.items() if k not in READ_ONLY}
            source = objective.get("reported_in")
            if isinstance(source, dict):
                if isinstance(references, list) and (source.get("plan"), objective.get("code")) not in named:
                    references.append({"plan": source.get("plan"), "objective": objective.get("code"),
                                       "goal": objective.get("goal")})
                continue
        objectives.append(objective)
    return {**contribution, "objectives": objectives, "references": references}


def also_counted(plan, others):
    """The plan with each objective that other plans count too listing them (``also_in``:
    [{"plan", "title", "goal"}]); ``others``: the snapshots of plans that reference this one."""
    where = {}
    for other in others:
        for municipality, contribution in other["contributions"].items():
            for reference in contribution.get("references") or []:
                if reference["plan"] == plan["id"]:
                    where.setdefault((municipality, reference["objective"]), []).append(
                        {"plan": other["id"], "title": other["title"], "goal": reference["goal"],
                         "status": other["status"]})
    return {**plan, "contributions": {m: {**c, "objectives": [
        {**o, "also_in": where.get((m, o["code"]), [])} for o in c["objectives"]]}
        for m, c in plan["contributions"].items()}}


def taken_references(plan, now):
    """The plan with the flags of referenced objectives closed that its contributions now count as
    the flagged version (or a newer one) has them."""
    pinned = {(r["plan"], r["objective"]): r["version"] for c in plan["contributions"].values()
              for r in c.get("references") or []}
    taken = {f["n"] for f in plan.get("parent_changes") or [] if f["open"] and f.get("objective")
             and pinned.get((f["parent_plan"], f["objective"]), 0) >= f["to_version"]}
    return closed_parent_changes(plan, taken, {"by": "taken", "at": now}) if taken else plan


def reference_changes(old_source, new_source, plan, from_version, to_version):
    """The flags a plan gets when a plan it counts objectives from adopts version ``to_version``:
    one per referenced objective that the new version removed or changed."""
    flags = []
    for municipality, contribution in plan["contributions"].items():
        for reference in contribution.get("references") or []:
            if reference["plan"] != new_source["id"]:
                continue
            old = _by_code((old_source["contributions"].get(municipality) or {}).get("objectives", []))
            new = _by_code((new_source["contributions"].get(municipality) or {}).get("objectives", []))
            code = reference["objective"]
            if code not in new:
                change = "removed"
            elif old.get(code) != new[code]:
                change = "changed"
            else:
                continue
            flags.append({"parent_plan": new_source["id"], "parent_goal": None, "objective": code,
                          "served_by": [reference["goal"]], "from_version": from_version, "to_version": to_version,
                          "change": change, "what": {}})
    return flags


def bank_link_problems(contribution, records, problems):
    """Each objective's ``bank`` names records of the plan's bank (``records``: id -> record), each once."""
    for i, objective in enumerate(contribution["objectives"]):
        seen = set()
        for j, record in enumerate(objective.get("bank") or []):
            if record in seen:
                problems.add(f"objectives[{i}].bank[{j}]", f"Bank record {record} is listed twice.")
            elif record not in records:
                problems.add(f"objectives[{i}].bank[{j}]", f"The plan's bank has no record {record!r}.")
            seen.add(record)


def _range_problems(path, indicator, problems):
    """A level's baseline and targets lie in its declared range (a cumulative indicator's range bounds
    each period's amount, not the running total)."""
    bounds = indicator.get("range")
    if not bounds or indicator["calculation"] == "cumulative":
        return
    if outside_range(bounds, indicator["baseline"]):
        problems.add(f"{path}.baseline", f"The baseline lies outside the indicator's range {range_text(bounds)}.")
    for year, target in indicator["targets"].items():
        if outside_range(bounds, target):
            problems.add(f"{path}.targets.{year}", f"The {year} target lies outside the indicator's range "
                                                   f"{range_text(bounds)}.")


def indicators_required(plan):
    """The plan setting: a plan of goals and strategies (a cooperation body's) says false."""
    return plan["settings"].get("indicators_required", True)


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
    if indicators_required(plan):  # else adopted on its frame alone: contributions are optional
        for goal in frame["goals"]:
            if not any(o["goal"] == goal["code"] for o in objectives):
                problems.add(f"goals.{goal['code']}", f"Goal {goal['code']} has no objective serving it.")
        for member in plan["members"]:
            if member not in plan["contributions"]:
                problems.add(f"contributions.{member}", f"{member} has not submitted its contribution.")
    goal_weight_problems(plan, problems)
    fed = {i["contributes_to"] for o in objectives for i in o["indicators"]}
    for indicator in frame["regional_indicators"]:
        if indicator["code"] not in fed:
            problems.add(f"regional_indicators.{indicator['code']}",
                         f"No district indicator contributes to regional indicator {indicator['code']}.")


def council_problems(plan, decisions, problems, prefix="members"):
    """Members' council decisions: each by a member of the plan, once (the coordinator's own
    council decides with the adoption itself). ``decisions`` is a list of {"municipality", ...}."""
    seen = set()
    for i, decision in enumerate(decisions):
        municipality = decision["municipality"]
        path = f"{prefix}[{i}].municipality" if prefix else "municipality"
        if municipality not in plan["members"]:
            problems.add(path, f"{municipality} is not a member of plan {plan['id']}"
                               + (" (its coordinator's decision is the adoption itself)."
                                  if municipality == plan["coordinator"] else "."))
        elif municipality in seen:
            problems.add(path, f"{municipality} is listed twice.")
        seen.add(municipality)


def record_councils(plan, decisions, now):
    """The plan with these council decisions recorded (each municipality's newest kept)."""
    councils = dict(plan.get("councils") or {})
    for decision in decisions:
        councils[decision["municipality"]] = {"decision_no": decision["decision_no"],
                                              "decision_date": decision["decision_date"].isoformat()
                                              if hasattr(decision["decision_date"], "isoformat")
                                              else decision["decision_date"], "recorded_at": now}
    return {**plan, "councils": councils}


def adopted_by(plan):
    """Who has adopted the plan by a decision of its council (the coordinator first, then the
    members in the plan's order), and which members' councils have not yet."""
    councils = plan.get("councils") or {}
    order = municipalities_of(plan)
    return {"adopted_by": [{"municipality": m, **councils[m]} for m in order if m in councils],
            "awaiting": [m for m in plan["members"] if m not in councils]}


def goal_weight_problems(plan, problems):
    """With the setting goal_rollup "weighted", every objective declares its goal_weight and the
    objectives of one goal total exactly 100 (a goal is never weighted by cost)."""
    if plan["settings"].get("goal_rollup") != "weighted" or plan["frame"] is None:
        return
    totals = {}
    for municipality, contribution in sorted(plan["contributions"].items()):
        for i, objective in enumerate(contribution["objectives"]):
            weight = objective.get("goal_weight")
            if weight is None:
                problems.add(f"contributions.{municipality}.objectives[{i}].goal_weight",
                             f"The plan weighs goals by their objectives: objective {objective['code']} needs a "
                             "goal_weight.")
                continue
            totals.setdefault(objective["goal"], []).append(Decimal(str(weight)))
    for goal in plan["frame"]["goals"]:
        weights = totals.get(goal["code"])
        if weights and sum(weights) != 100:
            problems.add(f"goals.{goal['code']}.goal_weight",
                         f"The goal_weight of goal {goal['code']}'s objectives total {sum(weights).normalize():f}; "
                         "they must total exactly 100.")


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
                               "responsible_unit": objective["responsible_unit"],
                               "costs": objective["costs"], "goal_weight": objective.get("goal_weight")})
            for indicator in objective["indicators"]:
                indicators.append({
                    "code": indicator["code"], "objective": objective["code"], "goal": objective["goal"],
                    "municipality": municipality, "name": indicator["name"], "unit": indicator["unit"],
                    "weight": indicator["weight"], "baseline": indicator["baseline"],
                    "targets": indicator["targets"], "calculation": indicator["calculation"],
                    "class": indicator["class"], "monitoring_frequency": indicator["monitoring_frequency"],
                    "reporting_frequency": indicator["reporting_frequency"],
                    "contributes_to": indicator["contributes_to"],
                    "direction": direction_of(indicator), "year_value": year_value_of(indicator),
                    "ratio_scale": indicator.get("ratio_scale"), "definition": indicator.get("definition"),
                    "data_source": indicator.get("data_source"), "range": indicator.get("range"),
                    # an objective counted from another plan: its readings are entered and approved there
                    "reported_in": (objective.get("reported_in") or {}).get("plan"),
                })
    return {
        "id": plan["id"], "title": plan["title"], "calendar": plan["calendar"], "period": plan["period"],
        "coordinator": plan["coordinator"], "members": plan["members"], "settings": plan["settings"],
        "themes": plan["themes"], "coordinator_kind": plan.get("coordinator_kind"),
        "parent_plan": plan.get("parent_plan"),
        "goals": [goal_view(g) for g in frame["goals"]],
        "objectives": objectives, "indicators": indicators,
        "regional_indicators": frame["regional_indicators"], "adoption": plan["adoption"],
    }


def goal_view(goal):
    """A goal as other services see it: the parent goal it serves and its strategies, if any."""
    return {"code": goal["code"], "title": goal["title"], "theme": goal["theme"], "serves": goal.get("serves"),
            "strategies": [s["code"] for s in goal.get("strategies") or []]}


def linking_view(plan):
    """Goals and objectives by code, for services that link to them (consultation)."""
    frame = plan["frame"] or {"goals": []}
    return {
        "id": plan["id"], "status": plan["status"], "coordinator": plan["coordinator"],
        "members": plan["members"], "themes": plan["themes"], "coordinator_kind": plan.get("coordinator_kind"),
        "parent_plan": plan.get("parent_plan"), "counts_from": plan.get("counts_from") or [],
        "goals": [goal_view(g) for g in frame["goals"]],
        "objectives": [{"code": o["code"], "goal": o["goal"], "municipality": m, "theme": o["theme"]}
                       for m, c in plan["contributions"].items() for o in c["objectives"]],
    }


SWOT_KINDS = (("strengths", "strength"), ("weaknesses", "weakness"), ("opportunities", "opportunity"),
              ("threats", "threat"))


def situation_items(plan, own_plans=()):
    """The situation analysis of the plan and of its municipalities as one list of items
    {"municipality", "theme", "kind": need|strength|weakness|opportunity|threat, "text", "source"}:
    the frame's needs, SWOT and PESTLE (the coordinator's: the region's analysis), each objective's
    needs (its municipality, its theme), and the frame and objective needs of each municipality's own
    plans (``own_plans``: their snapshots, each taken as its coordinator's)."""
    items = []
    for snapshot in (plan, *own_plans):
        frame, own = snapshot.get("frame") or {}, snapshot["id"] != plan["id"]
        situation = frame.get("situation") or {}
        where = {"plan": snapshot["id"]}

        def add(municipality, theme, kind, text, **source):
            items.append({"municipality": municipality, "theme": None if own else theme, "kind": kind,
                          "text": text, "source": {**where, **source}})
        for text in situation.get("needs") or []:
            add(snapshot["coordinator"], None, "need", text, part="situation.needs")
        for key, kind in SWOT_KINDS:
            for text in (situation.get("swot") or {}).get(key) or []:
                add(snapshot["coordinator"], None, kind, text, part=f"situation.swot.{key}")
        for factor in situation.get("pestle") or []:
            add(snapshot["coordinator"], None, factor["effect"], factor["text"], part="situation.pestle",
                factor=factor["factor"])
        for municipality, contribution in sorted((snapshot.get("contributions") or {}).items()):
            for objective in contribution["objectives"]:
                for text in objective.get("needs") or []:
                    add(municipality, objective.get("theme"), "need", text, part="objective",
                        objective=objective["code"])
    return items


def for_reader(plan, participant):
    """A plan snapshot as a reader sees it: who wrote each contribution (a person's username, a
    token) is for the plan's participants, never the public."""
    if participant:
        # a parent plan's changes are flagged until acknowledged (or a new version adopted)
        return {**plan, "parent_changes": [f for f in plan.get("parent_changes") or [] if f["open"]]}
    public = {k: v for k, v in plan.items() if k != "parent_changes"}
    return {**public, "contributions": {m: {k: v for k, v in c.items() if k != "submitted_by"}
                                        for m, c in plan["contributions"].items()}}


def author_view(author, participant):
    """Who made a version: for participants as the audit trail names them (the token, or the
    person by username, with role and municipality); for the public the role and municipality only,
    never a person (nor their display name or the request)."""
    if not author:
        return None
    named = audit.by(author)
    return named if participant else {"role": named.get("role"), "municipality": named.get("municipality")}


def provenance_view(accepted_inputs, participant):
    """Accepted inputs as a reader may see them: never a person's name; the text (contacts masked)
    for the plan's participants only, as the public reads it in consultation once it is published."""
    hidden = {"stakeholder"} if participant else {"stakeholder", "text"}
    return [{**{k: v for k, v in item.items() if k not in hidden},
             **({"text": mask_contacts(item.get("text"))} if participant else {})} for item in accepted_inputs]


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


def summary_text(kind, plan, municipality=None, detail=None):
    title = pick(plan["title"], "en")
    return {
        "parent_change": f"Parent plan changed: {detail}",
        "parent_change_acknowledged": f"Parent change {detail} acknowledged",
        "created": f"Plan {title} created",
        "frame": "Frame changed",
        "contribution": f"Contribution of {municipality} submitted",
        "status": f"Status set to {plan['status']}",
        "adoption": "Plan adopted" if not plan["revisions"] else "Revised plan adopted",
        "council": f"Council decision of {municipality} recorded",
        "revision": f"{(plan['revision'] or {}).get('kind', 'revision').capitalize()} started",
    }[kind]
