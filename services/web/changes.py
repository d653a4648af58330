"""What changed between two versions of a plan (plan_registry's diff, the API's /plans/{id}/diff),
ready to be read: objectives and indicators with their names, the fields that changed named in the
page's language, and targets as old → new."""
from flask_babel import lazy_gettext as _l

FIELDS = {
    "title": _l("title"), "goal": _l("goal"), "theme": _l("theme"), "responsible_unit": _l("responsible unit"),
    "collaborators": _l("collaborating units"), "activities": _l("activities and projects"), "costs": _l("costs"),
    "findings": _l("findings"), "needs": _l("needs"), "risks": _l("risks"), "goal_weight": _l("weight in the goal"),
    "inputs": _l("consultation inputs"), "name": _l("name"), "unit": _l("unit"), "weight": _l("weight"),
    "baseline": _l("baseline"), "targets": _l("targets"), "calculation": _l("calculation"), "class": _l("class"),
    "monitoring_frequency": _l("monitoring frequency"), "reporting_frequency": _l("reporting frequency"),
    "data_source": _l("data source"), "contributes_to": _l("regional indicator"), "definition": _l("definition"),
    "direction": _l("direction"), "year_value": _l("value of a year"), "ratio_scale": _l("ratio scale"),
    "range": _l("range"), "mission": _l("mission"), "vision": _l("vision"), "values": _l("values"),
    "situation": _l("situation analysis"), "goals": _l("goals"), "regional_indicators": _l("regional indicators"),
}
STATUSES = {"draft": _l("draft"), "consultation": _l("in consultation"), "adopted": _l("adopted"),
            "revising": _l("being updated"), "renewed": _l("renewed")}
KINDS = {"created": _l("Plan created"), "frame": _l("Frame changed"), "contribution": _l("Contribution submitted"),
         "status": _l("Status changed"), "adoption": _l("Adopted"), "council": _l("Council decision recorded"),
         "revision": _l("Update started"), "stakeholders": _l("Stakeholders changed")}


def field_label(field):
    return FIELDS.get(field, field)


def _names(plan):
    """Objective titles and indicator names by (kind, code) in a plan snapshot."""
    out = {}
    for contribution in (plan or {}).get("contributions", {}).values():
        for objective in contribution.get("objectives", []):
            out[("objectives", objective["code"])] = objective.get("title")
            for indicator in objective.get("indicators", []):
                out[("indicators", indicator["code"])] = indicator.get("name")
    return out


def readable(diff, old_plan=None, new_plan=None):
    """The diff with a name beside every code (from the newer version, else the older) and a flag
    saying whether anything changed at all."""
    names = {**_names(old_plan), **_names(new_plan)}
    out = {"from": diff["from"], "to": diff["to"], "status": diff.get("status"), "frame": [], "targets": [],
           "objectives": {}, "indicators": {}}
    for key, change in (diff.get("frame") or {}).items():
        if key in ("goals", "regional_indicators"):
            out["frame"].append({"field": key, **change})
        else:
            out["frame"].append({"field": key, "text": True})
    for kind in ("objectives", "indicators"):
        for how in ("added", "removed", "changed"):
            out[kind][how] = [{**item, "name": names.get((kind, item["code"]))}
                              for item in (diff.get(kind) or {}).get(how, [])]
    out["targets"] = [{**t, "name": names.get(("indicators", t["indicator"]))} for t in diff.get("targets", [])]
    out["empty"] = not (out["status"] or out["frame"] or out["targets"]
                        or any(v for kind in ("objectives", "indicators") for v in out[kind].values()))
    return out
