"""Consultation rules as pure functions: status by time, duplicates, decisions, the summary."""
import hashlib
import re
import unicodedata
from collections import Counter
from datetime import datetime

from shared import guide
from shared.errors import Conflict

SCHEDULED, OPEN, CLOSED = "scheduled", "open", "closed"


def parse_time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def status(consultation, now):
    """Scheduled before it opens, open until it closes, closed after: times are the only truth;
    opening or closing by hand moves the times."""
    if now < parse_time(consultation["opens_at"]):
        return SCHEDULED
    if now < parse_time(consultation["closes_at"]):
        return OPEN
    return CLOSED


def require_open(consultation, now):
    state = status(consultation, now)
    if state == SCHEDULED:
        raise Conflict(f"The consultation opens at {consultation['opens_at']}; inputs are accepted from then "
                       f"until {consultation['closes_at']}.", extra={"consultation_status": state})
    if state == CLOSED:
        raise Conflict(f"The consultation closed at {consultation['closes_at']} (it was open from "
                       f"{consultation['opens_at']}); inputs are no longer accepted.", extra={"consultation_status": state})


def consultation_problems(plan, data, problems):
    themes = {theme["code"] for theme in plan["themes"]}
    for i, code in enumerate(data["themes"]):
        if code not in themes:
            problems.add(f"themes[{i}]", f"Unknown theme {code!r}; the plan's themes are {', '.join(sorted(themes))}.")
    for i, session in enumerate(data["sessions"]):
        if session["theme"] not in data["themes"]:
            problems.add(f"sessions[{i}].theme", f"Theme {session['theme']!r} is not one of this consultation's.")


def input_problems(plan, consultation, data, problems):
    if data["theme"] not in consultation["themes"]:
        problems.add("theme", f"Unknown theme {data['theme']!r}; this consultation is on "
                              f"{', '.join(consultation['themes'])}.")
    municipality = data["stakeholder"]["municipality"]
    if municipality is not None and municipality not in [plan["coordinator"], *plan["members"]]:
        problems.add("stakeholder.municipality", f"{municipality} is not a member of plan {plan['id']}.")
    session = data.get("session")
    if session is not None and session >= len(consultation["sessions"]):
        problems.add("session", f"The consultation has {len(consultation['sessions'])} sessions.")


def _normal(text):
    if isinstance(text, dict):
        text = " ".join(text[k] for k in sorted(text))
    text = unicodedata.normalize("NFKC", text).casefold()
    # Turkish dotted/dotless i: "BAKIMI" and "bakımı" are the same words typed differently
    text = text.replace("ı", "i").replace("\u0307", "")
    return re.sub(r"\s+", " ", text).strip()


def fingerprint(consultation_id, data):
    """The same stakeholder sending the same text to the same consultation is the same input."""
    stakeholder = data["stakeholder"]
    parts = [consultation_id, _normal(stakeholder["name"]), stakeholder["group"], stakeholder["municipality"] or "",
             data["kind"], data["theme"], _normal(data["text"])]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def decision_problems(plan, item, data, problems, merge_target=None):
    decision = data["decision"]
    if decision == "accepted" and not data["links"]:
        problems.add("links", "An accepted input is linked to at least one goal or objective.")
    if decision == "rejected" and not data["reason"]:
        problems.add("reason", "A rejection gives its reason.")
    if decision == "merged":
        if not data["merged_into"]:
            problems.add("merged_into", "Name the input this one is merged into.")
        elif merge_target is None:
            problems.add("merged_into", f"No input {data['merged_into']!r} in this consultation.")
        elif merge_target["id"] == item["id"]:
            problems.add("merged_into", "An input is not merged into itself.")
    if decision != "accepted" and data["links"]:
        problems.add("links", "Only an accepted input is linked to the plan.")
    goals = {goal["code"] for goal in plan["goals"]}
    objectives = {}
    for objective in plan["objectives"]:
        objectives.setdefault(objective["code"], set()).add(objective["municipality"])
    for i, link in enumerate(data["links"]):
        if link["goal"] is not None and link["goal"] not in goals:
            problems.add(f"links[{i}].goal", f"Unknown goal {link['goal']!r}.")
        if link["objective"] is not None:
            owners = objectives.get(link["objective"])
            if not owners:
                problems.add(f"links[{i}].objective", f"Unknown objective {link['objective']!r}.")
            elif link["municipality"] is not None and link["municipality"] not in owners:
                problems.add(f"links[{i}].municipality",
                             f"Objective {link['objective']} belongs to {', '.join(sorted(owners))}.")


def resolved_links(plan, links):
    """Links with the objective's municipality filled in, as the plan registry records them."""
    owners = {o["code"]: o["municipality"] for o in plan["objectives"]}
    return [{"objective": link["objective"], "municipality": link["municipality"] or owners.get(link["objective"]),
             "goal": link["goal"]} if link["objective"] else {"goal": link["goal"]} for link in links]


def register(entries, inputs):
    """The stakeholder register: analysed entries with the guide's priority, and everyone who
    gave input, with how many inputs of which kinds."""
    counts = Counter((i["stakeholder"]["name"].casefold(), i["stakeholder"]["group"]) for i in inputs)
    rows, seen = [], set()
    for entry in entries:
        key = (entry["name"].casefold(), entry["group"])
        seen.add(key)
        rows.append({**entry, "priority": guide.stakeholder_priority(entry["influence"], entry["importance"]),
                     "inputs": counts.get(key, 0), "analysed": True})
    for item in inputs:
        stakeholder = item["stakeholder"]
        key = (stakeholder["name"].casefold(), stakeholder["group"])
        if key not in seen:
            seen.add(key)
            rows.append({"name": stakeholder["name"], "group": stakeholder["group"],
                         "municipality": stakeholder["municipality"], "influence": None, "importance": None,
                         "priority": None, "inputs": counts[key], "analysed": False})
    return rows


def summary(consultation, inputs):
    """Counts by theme, kind, stakeholder group, municipality and decision; accepted per objective."""
    decided = [i for i in inputs if i["decision"]]
    accepted = {}
    for item in inputs:
        if (item["decision"] or {}).get("decision") != "accepted":
            continue
        for link in item["decision"]["links"]:
            key = f"objective {link['objective']} ({link['municipality']})" if link.get("objective") \
                else f"goal {link['goal']}"
            accepted.setdefault(key, []).append(item["id"])

    def count(key):
        return dict(sorted(Counter(key(i) for i in inputs).items()))

    return {
        "consultation": consultation["id"], "plan_id": consultation["plan_id"], "total": len(inputs),
        "by_theme": count(lambda i: i["theme"]),
        "by_kind": count(lambda i: i["kind"]),
        "by_group": count(lambda i: i["stakeholder"]["group"]),
        "by_municipality": count(lambda i: i["stakeholder"]["municipality"] or "none"),
        "by_decision": count(lambda i: (i["decision"] or {}).get("decision", "undecided")),
        "decided_share": round(len(decided) / len(inputs) * 100, 1) if inputs else 0.0,
        "accepted_by_link": dict(sorted(accepted.items())),
    }


def public_view(item, with_contact):
    """An input as a reader may see it: contacts are personal data, for the coordinator only."""
    stakeholder = dict(item["stakeholder"])
    if not with_contact:
        stakeholder.pop("contact", None)
    return {**item, "stakeholder": stakeholder}

