"""The coordinator's form of a plan's frame: mission, vision, values and goals, written in the page's
language while the plan's texts in its other languages are kept.

The form edits one language of each text; what it does not show (a goal's description and
strategies, the regional indicators, the situation analysis) goes back to the registry as it was, so
the registry's rules judge the whole frame and its errors can land on the form's fields.
"""
import copy
import re

from flask_babel import lazy_gettext as _l

from shared.validation import Code

from . import i18n

NEW_GOALS = 2
MAX_TEXT, MAX_TITLE = 4000, 1000
SERVICE_GOAL = re.compile(r"^goals\[(\d+)\]\.(\w+)")
SERVICE_VALUE = re.compile(r"^values\[(\d+)\]")


def _text(value, language):
    """The text of ``language`` only (no fallback: an empty field means there is none yet)."""
    if isinstance(value, dict):
        return value.get(language, "")
    return value or ""


def _with(value, language, text):
    """``value`` (a text or a map of languages) with ``language``'s text set to ``text``."""
    texts = dict(value) if isinstance(value, dict) else ({} if not value else {"und": value})
    if text:
        texts[language] = text
    else:
        texts.pop(language, None)
    if "und" in texts:   # a plain string of unknown language: keep it only when nothing replaces it
        plain = texts.pop("und")
        if not texts:
            return plain
    return texts


def values_of(frame, language):
    """The form's values for a stored frame."""
    frame = frame or {}
    goals = [{"code": g["code"], "theme": g.get("theme") or "", "title": _text(g["title"], language),
              "remove": False, "known": True} for g in frame.get("goals") or []]
    goals += [{"code": "", "theme": "", "title": "", "remove": False, "known": False} for _ in range(NEW_GOALS)]
    return {"mission": _text(frame.get("mission"), language), "vision": _text(frame.get("vision"), language),
            "values": "\n".join(_text(v, language) for v in frame.get("values") or []), "goals": goals}


def read(form, frame):
    known = len((frame or {}).get("goals") or [])
    goals = []
    for i in range(known + NEW_GOALS):
        goals.append({"code": (form.get(f"g{i}-code") or "").strip(),
                      "theme": (form.get(f"g{i}-theme") or "").strip(),
                      "title": (form.get(f"g{i}-title") or "").strip(),
                      "remove": form.get(f"g{i}-remove") == "yes", "known": i < known})
    return {"mission": (form.get("mission") or "").strip(), "vision": (form.get("vision") or "").strip(),
            "values": (form.get("values") or "").strip(), "goals": goals}


def check(values, frame, themes, language):
    """(the whole frame to send, {}, the form row of each goal sent) or (None, errors, [])."""
    errors = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    for field in ("mission", "vision"):
        if not values[field]:
            add(field, _l("Write the plan's %(field)s in this language.", field=FIELD_NAMES[field]))
        elif len(values[field]) > MAX_TEXT:
            add(field, _l("Write at most %(count)s characters.", count=i18n.number(MAX_TEXT, lang=language)))
    lines = [line.strip() for line in values["values"].splitlines() if line.strip()]
    stored = (frame or {}).get("goals") or []
    goals, rows, codes = [], [], set()
    for i, row in enumerate(values["goals"]):
        if row["remove"] or (not row["known"] and not (row["code"] or row["title"] or row["theme"])):
            continue
        if not Code.FORM.fullmatch(row["code"]):
            add(f"g{i}-code", _l("Write a code of letters and digits, such as A4."))
        elif row["code"] in codes:
            add(f"g{i}-code", _l("Another goal has this code."))
        codes.add(row["code"])
        if row["theme"] and row["theme"] not in themes:
            add(f"g{i}-theme", _l("Choose one of the plan's themes, or none."))
        if not row["title"] and not (row["known"] and _other_texts(stored[i]["title"], language)):
            add(f"g{i}-title", _l("Write the goal's title."))
        elif len(row["title"]) > MAX_TITLE:
            add(f"g{i}-title", _l("Write at most %(count)s characters.", count=i18n.number(MAX_TITLE, lang=language)))
        # a goal as written: without the consultation inputs the registry shows beside it
        base = {k: v for k, v in copy.deepcopy(stored[i]).items() if k != "inputs"} if row["known"] else \
            {"strategies": []}
        base.update(code=row["code"], theme=row["theme"] or None,
                    title=_with(base.get("title"), language, row["title"]))
        goals.append(base)
        rows.append(i)
    if not goals and "goals" not in errors:
        add("goals", _l("A plan has at least one goal."))
    if errors:
        return None, errors, []
    whole = copy.deepcopy(frame or {})
    whole.update(mission=_with(whole.get("mission"), language, values["mission"]),
                 vision=_with(whole.get("vision"), language, values["vision"]),
                 values=_values(whole.get("values") or [], language, lines), goals=goals)
    situation = whole.get("situation") or {}
    if situation.get("stakeholders"):   # the guide's priority is the registry's to derive, not to be sent
        situation["stakeholders"] = [{k: v for k, v in s.items() if k != "priority"} for s in situation["stakeholders"]]
    return whole, {}, rows


def _other_texts(value, language):
    return isinstance(value, dict) and any(text for lang, text in value.items() if lang != language)


def _values(stored, language, lines):
    """The values with this language's lines: the n-th line is the n-th value (its other languages kept)."""
    return [_with(stored[n] if n < len(stored) else {}, language, line) for n, line in enumerate(lines)]


FIELD_NAMES = {"mission": _l("mission"), "vision": _l("vision")}


USED_BY = re.compile(r"^Goal (\S+) is used by objective (\S+) of (\S+)\.$")
UNKNOWN_GOAL = re.compile(r"^regional_indicators\[(\d+)\]\.goal$")


def message(text):
    """A registry rule's message in the page's language where the form knows it."""
    text = str(text)
    if re.match(r"^An update may not change the (\w+); start a renewal for that\.$", text):
        return _l("An update of an adopted plan keeps its mission, vision and goals; a renewal changes them.")
    if re.match(r"^Goal (\S+) is listed twice\.$", text):
        return _l("Another goal has this code.")
    return _l("This was not accepted: %(reason)s", reason=text)


def from_service(service_errors, rows, sent=None, names=None):
    """The registry's 422 errors on the form's fields; ``rows`` maps a goal sent to its form row,
    ``sent`` (the frame sent) names the regional indicators and ``names`` the municipalities. A goal
    that objectives or regional indicators still serve gets one message naming them all."""
    errors, kept = {}, {}
    for path, messages in (service_errors or {}).items():
        goal, value, regional = SERVICE_GOAL.match(path), SERVICE_VALUE.match(path), UNKNOWN_GOAL.match(path)
        if regional and sent and int(regional.group(1)) < len(sent.get("regional_indicators") or []):
            indicator = sent["regional_indicators"][int(regional.group(1))]
            kept.setdefault(indicator["goal"], []).append(indicator["code"])
            continue
        if path == "goals":
            rest = []
            for text in messages:
                found = USED_BY.match(str(text))
                if found:
                    municipality = (names or {}).get(found.group(3), found.group(3))
                    kept.setdefault(found.group(1), []).append(f"{found.group(2)} ({municipality})")
                else:
                    rest.append(text)
            messages = rest
        if not messages:
            continue
        if goal and int(goal.group(1)) < len(rows):
            name = goal.group(2) if goal.group(2) in ("code", "theme", "title") else "title"
            field = f"g{rows[int(goal.group(1))]}-{name}"
        elif value:
            field = "values"
        else:
            field = path.split(".")[0].split("[")[0]
            field = field if field in ("mission", "vision", "values", "goals") else "frame"
        errors.setdefault(field, []).extend(message(m) for m in messages)
    for code, users in kept.items():
        errors.setdefault("goals", []).append(_l("Goal %(goal)s cannot go: %(users)s serve it.", goal=code,
                                                 users=", ".join(users)))
    return errors
