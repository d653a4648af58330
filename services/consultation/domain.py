"""Consultation rules as pure functions: status by time, duplicates, decisions, the summary."""
import hashlib
import re
import unicodedata
from collections import Counter
from datetime import datetime

from shared import guide
from shared.calendars import parse_period
from shared.documents import number, period_words
from shared.errors import Conflict
from shared.privacy import mask_contacts
from shared.roles import is_coordinator, is_participant, municipalities_of

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
    if municipality is not None and municipality not in municipalities_of(plan):
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


def _names(name):
    """Every casefolded form of a stakeholder's name (a plain string, or one per language)."""
    values = name.values() if isinstance(name, dict) else [name]
    return {v.casefold() for v in values if v}


def register(entries, inputs, reader_kind="coordinator"):
    """The stakeholder register: the frame's analysed entries with the guide's priority, and
    everyone else who gave input, with how many inputs each gave. An input counts for an entry of
    its group whose name (in any language) is the input's stakeholder name. Names follow
    ``shown_stakeholder``: a reader who may not see a citizen's name gets one row per group and
    municipality instead."""
    counts = Counter((i["stakeholder"]["name"].casefold(), i["stakeholder"]["group"]) for i in inputs)
    rows, seen, unnamed = [], set(), {}
    for entry in entries:
        keys = {(name, entry.get("group") or "") for name in _names(entry["name"])}
        seen |= keys
        rows.append({**entry, "priority": guide.stakeholder_priority(entry["influence"], entry["importance"]),
                     "inputs": sum(counts.get(key, 0) for key in keys), "analysed": True})
    for item in inputs:
        stakeholder = item["stakeholder"]
        key = (stakeholder["name"].casefold(), stakeholder["group"])
        if key in seen:
            continue
        shown = shown_stakeholder(stakeholder, reader_kind)
        if "name" not in shown:
            row = unnamed.setdefault((shown["group"], shown["municipality"]), {
                "name": None, "group": shown["group"], "municipality": shown["municipality"], "influence": None,
                "importance": None, "priority": None, "inputs": 0, "analysed": False})
            if not row["inputs"]:
                rows.append(row)
            row["inputs"] += 1
            continue
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


# Who reads an input: the plan's coordinator moderates and sees everything; the plan's other
# participants work with it; the public reads what the coordinator published.
COORDINATOR, PARTICIPANT, PUBLIC = "coordinator", "participant", "public"
PENDING, PUBLISHED, HIDDEN = "pending", "published", "hidden"
MODERATIONS = {"publish": PUBLISHED, "hide": HIDDEN}


def consultation_view(consultation, participant):
    """A consultation as a reader sees it: who facilitates each session (often a person) is for the
    plan's participants; the public sees the sessions' themes and times."""
    if participant:
        return consultation
    return {**consultation, "sessions": [{k: v for k, v in s.items() if k != "facilitator"}
                                         for s in consultation.get("sessions", [])]}


def reader(actor, plan):
    if is_coordinator(actor, plan):
        return COORDINATOR
    return PARTICIPANT if is_participant(actor, plan) else PUBLIC


def public_view(item, reader_kind):
    """An input as ``reader_kind`` may see it. Names and contacts are personal data: the public
    sees the stakeholder's group and municipality, and the free text only once the coordinator
    published it, with e-mail addresses and phone numbers masked; participants see an
    organisation's name (never a citizen's) and the text, masked; the coordinator sees all."""
    moderation = item.get("moderation") or PENDING
    if reader_kind == COORDINATOR:
        return {**item, "moderation": moderation}
    shown = moderation == PUBLISHED or (reader_kind == PARTICIPANT and moderation == PENDING)
    return {**item, "stakeholder": shown_stakeholder(item["stakeholder"], reader_kind), "moderation": moderation,
            "text": mask_contacts(item["text"]) if shown else None}


def shown_stakeholder(stakeholder, reader_kind):
    """Who gave an input, as ``reader_kind`` may see them: the group and municipality; the name of
    an organisation for participants (never a citizen's); everything for the coordinator."""
    if reader_kind == COORDINATOR:
        return stakeholder
    shown = {"group": stakeholder["group"], "municipality": stakeholder["municipality"]}
    if reader_kind == PARTICIPANT and shown["group"] != "citizen":
        shown["name"] = stakeholder["name"]
    return shown



# -- the bank of needs, capacities and opportunities -------------------------------------------

def bank_problems(plan, data, source, problems, finding=None):
    """A bank record of ``plan``: a municipality of the plan, one of its themes (when it has
    themes), a unit with a quantity, and a source input of this plan (``source``: the input as
    stored, None when it is unknown) or a finding of the requests (``finding``: the row, None when
    there is none). What the record leaves out is taken from its source."""
    named = data["source"] or {}
    if named.get("input") is not None and (source is None or source["plan_id"] != plan["id"]):
        problems.add("source.input", f"No input {named['input']!r} in a consultation of plan {plan['id']}.")
        source = None
    if named.get("finding") is not None and finding is None:
        problems.add("source.finding", "No such finding: the municipality recorded no request of that service in "
                                       "that neighbourhood and period.")
    municipality = (data["municipality"] or (source or {}).get("stakeholder", {}).get("municipality")
                    or (finding or {}).get("municipality"))
    if municipality is None:
        problems.add("municipality", "Say whose need, capacity or opportunity this is.")
    elif municipality not in municipalities_of(plan):
        problems.add("municipality", f"{municipality} is not in plan {plan['id']}.")
    theme = data["theme"] or (source or {}).get("theme")
    themes = [t["code"] for t in plan.get("themes") or []]
    if theme is not None and theme not in themes:
        problems.add("theme", f"Unknown theme {theme!r}; the plan's themes are {', '.join(themes) or 'none'}.")
    if data["text"] is None and source is None and finding is None:
        problems.add("text", "Describe it (or name the input or finding it comes from).")
    if data["quantity"] is not None and not data["unit"]:
        problems.add("unit", "A quantity needs its unit.")
    if data["unit"] and data["quantity"] is None:
        problems.add("quantity", "A unit needs its quantity.")


FINDING_TEXT = {
    "tr": "{period}: {neighbourhood} mahallesinde {received} «{service}» başvurusu; %{within} hedef sürede "
          "kapandı, {past} başvuru süresi geçtiği hâlde açık.",
    "en": "{period}: {received} «{service}» requests in {neighbourhood}; {within} % closed within the target, "
          "{past} still open past it.",
    "fa": "{period}: {received} درخواست «{service}» در محله {neighbourhood}؛ {within}٪ در زمان هدف بسته شد، "
          "{past} درخواست با گذشت موعد هنوز باز است.",
}
FINDING_FIELDS = ("municipality", "period", "calendar", "neighbourhood", "service_code", "service_name", "received",
                  "closed_within_target", "median_days_to_close", "open_past_target")


def finding_text(finding):
    """What a finding says, in every language, with the reader's digits."""
    period = parse_period(finding["period"], finding["calendar"])
    return {language: text.format(
        period=period_words(period, language), neighbourhood=finding["neighbourhood"] or "–",
        service=finding["service_name"], received=number(finding["received"], language),
        within=number(finding["closed_within_target"], language), past=number(finding["open_past_target"], language))
        for language, text in FINDING_TEXT.items()}


def bank_record(data, source, consultation_title=None, finding=None):
    """The record as stored: what was sent, completed from its source input, and the input's
    provenance (consultation, kind, theme, stakeholder group and municipality; never a name). The
    bank is public: an input's text is taken (contacts masked) only once the coordinator published
    it; before that the record has the text its writer gives, or none."""
    record = {k: data[k] for k in ("kind", "municipality", "theme", "title", "text", "quantity", "unit")}
    if source is not None:
        stakeholder = source["stakeholder"]
        record["municipality"] = record["municipality"] or stakeholder.get("municipality")
        record["theme"] = record["theme"] or source["theme"]
        if record["text"] is None and source.get("moderation") == PUBLISHED:
            record["text"] = mask_contacts(source["text"])
        record["source"] = {"input": source["id"], "consultation_id": source["consultation_id"],
                            "consultation": consultation_title, "kind": source["kind"], "theme": source["theme"],
                            "group": stakeholder.get("group"), "municipality": stakeholder.get("municipality")}
    elif finding is not None:
        record["municipality"] = record["municipality"] or finding["municipality"]
        if record["text"] is None:
            record["text"] = finding_text(finding)
        record["source"] = {"finding": {k: finding[k] for k in FINDING_FIELDS}}
    else:
        record["source"] = None
    return record


def bank_filtered(records, kind=None, municipality=None, theme=None):
    return [r for r in records if (kind is None or r["kind"] == kind)
            and (municipality is None or r["municipality"] == municipality) and (theme is None or r["theme"] == theme)]


SITUATION_KINDS = (("need", "needs"), ("strength", "strengths"), ("weakness", "weaknesses"),
                   ("opportunity", "opportunities"), ("threat", "threats"))


def regional_table(view, records):
    """The regional table of needs and opportunities: the situation analysis items of the plan and of
    its municipalities (``view``: the registry's situation view) and the bank ``records`` beside them,
    one row per municipality and theme (the plan's municipalities in its order, the theme-less row of
    each first), each row with its needs, strengths, weaknesses, opportunities and threats and its
    bank records."""
    order = [view["coordinator"], *view["members"]]
    rows = {}

    def row(municipality, theme):
        key = (municipality, theme)
        if key not in rows:
            rows[key] = {"municipality": municipality, "theme": theme, **{p: [] for _, p in SITUATION_KINDS},
                         "bank": []}
        return rows[key]
    for item in view["items"]:
        row(item["municipality"], item["theme"])[dict(SITUATION_KINDS)[item["kind"]]].append(
            {"text": item["text"], "source": item["source"]})
    for record in records:
        row(record["municipality"], record["theme"])["bank"].append(
            {k: record.get(k) for k in ("id", "kind", "title", "text", "quantity", "unit", "source")})

    def place(key):
        municipality, theme = key
        rank = order.index(municipality) if municipality in order else len(order)
        return rank, municipality, theme is not None, theme or ""
    return {"plan": view["plan"], "version": view["version"], "rows": [rows[k] for k in sorted(rows, key=place)]}
