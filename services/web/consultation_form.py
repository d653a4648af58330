"""The coordinator's form that opens a consultation of a plan: what it reads, what it checks before
sending, and how the service's errors land on its fields.

Dates are written in the person's calendar (a Persian page takes Solar Hijri dates) and read in the
coordinator municipality's time zone: a consultation opens at the start of its first day and closes
at the end of its last. Sessions are rows of the form; a row left empty is no session.
"""
import datetime
import re

from flask_babel import lazy_gettext as _l

from ..consultation.schemas import KINDS
from . import i18n

SESSION_ROWS = 3
MAX_TITLE, MAX_PLACE, MAX_FACILITATOR = 500, 300, 200
KIND_LABELS = {"workshop": _l("Workshop"), "survey": _l("Survey"), "meeting": _l("Meeting"),
               "public_comment": _l("Public comment"), "search_conference": _l("Search conference")}
SESSION_FIELDS = ("theme", "date", "time", "facilitator")
TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
# the service's field paths -> the form's fields
SERVICE_FIELDS = {"title": "title", "kind": "kind", "opens_at": "opens", "closes_at": "closes", "public": "public",
                  "location": "location", "audience": "audience"}
SERVICE_SESSION = re.compile(r"^sessions\[(\d+)\]\.(\w+)")


def read(form):
    values = {name: (form.get(name) or "").strip() for name in ("title", "kind", "opens", "closes", "location",
                                                               "audience")}
    values["themes"] = [code for code in form.getlist("themes") if code][:100]
    values["public"] = form.get("public") == "yes"
    values["sessions"] = [{name: (form.get(f"s{i}-{name}") or "").strip() for name in SESSION_FIELDS}
                          for i in range(SESSION_ROWS)]
    return values


def _time(text):
    found = TIME.match(i18n.digits.fa_to_en(text))
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        return None
    return datetime.time(int(found.group(1)), int(found.group(2)))


def check(values, plan_themes, tz, language, today):
    """(the body to send, {}, the form row of each session sent) or (None, errors by field, []);
    ``plan_themes`` the plan's theme codes, ``tz`` the zone the dates are in, ``language`` the page's."""
    errors = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not values["title"]:
        add("title", _l("Write the consultation's title, as people will see it."))
    elif len(values["title"]) > MAX_TITLE:
        add("title", _l("Write at most %(count)s characters.", count=i18n.number(MAX_TITLE, lang=language)))
    if values["kind"] not in KINDS:
        add("kind", _l("Choose what kind of consultation this is."))
    if not values["themes"]:
        add("themes", _l("Choose at least one theme the consultation is about."))
    elif any(code not in plan_themes for code in values["themes"]):
        add("themes", _l("Choose the themes among the plan's own."))
    example = i18n.local_digits("1404-02-01" if language == "fa" else "2025-04-21", language)
    days = {}
    for field in ("opens", "closes"):
        days[field] = i18n.parse_date(values[field]) if values[field] else None
        if days[field] is None:
            add(field, _l("Write the date as year-month-day, such as %(example)s.", example=example))
    if days["opens"] and days["closes"] and days["closes"] < days["opens"]:
        add("closes", _l("The consultation closes on or after the day it opens."))
    elif days["closes"] and days["closes"] < today:
        add("closes", _l("The last day has passed: choose a day from today on."))
    for field, most in (("location", MAX_PLACE), ("audience", MAX_PLACE)):
        if len(values[field]) > most:
            add(field, _l("Write at most %(count)s characters.", count=i18n.number(most, lang=language)))
    sessions, rows = [], []
    for i, row in enumerate(values["sessions"]):
        if not any(row.values()):
            continue
        if row["theme"] not in values["themes"]:
            add(f"s{i}-theme", _l("Choose one of the themes chosen above."))
        day = i18n.parse_date(row["date"]) if row["date"] else None
        if day is None:
            add(f"s{i}-date", _l("Write the date as year-month-day, such as %(example)s.", example=example))
        at = _time(row["time"]) if row["time"] else None
        if at is None:
            add(f"s{i}-time", _l("Write the hour as hours:minutes, such as %(example)s.",
                                 example=i18n.local_digits("14:30", language)))
        if len(row["facilitator"]) > MAX_FACILITATOR:
            add(f"s{i}-facilitator", _l("Write at most %(count)s characters.", count=i18n.number(MAX_FACILITATOR, lang=language)))
        if day and at:
            sessions.append({"theme": row["theme"], "facilitator": row["facilitator"],
                             "starts_at": datetime.datetime.combine(day, at, tz).isoformat()})
            rows.append(i)
    if errors:
        return None, errors, []
    body = {"title": {language: values["title"]}, "kind": values["kind"], "themes": values["themes"],
            "opens_at": datetime.datetime.combine(days["opens"], datetime.time(0, 0), tz).isoformat(),
            "closes_at": datetime.datetime.combine(days["closes"], datetime.time(23, 59), tz).isoformat(),
            "public": values["public"], "location": values["location"], "sessions": sessions}
    if values["audience"]:
        body["audience"] = {language: values["audience"]}
    return body, {}, rows


def from_service(service_errors, rows):
    """The service's 422 errors on the form's fields; ``rows`` maps a sent session to its form row."""
    errors = {}
    for path, messages in (service_errors or {}).items():
        session = SERVICE_SESSION.match(path)
        if session and int(session.group(1)) < len(rows):
            name = {"starts_at": "date", "ends_at": "date"}.get(session.group(2), session.group(2))
            field = f"s{rows[int(session.group(1))]}-{name if name in SESSION_FIELDS else 'theme'}"
        elif path.startswith("themes"):
            field = "themes"
        else:
            field = SERVICE_FIELDS.get(path.split(".")[0].split("[")[0], "title")
        errors.setdefault(field, []).append(_l("This was not accepted: %(reason)s",
                                               reason="; ".join(str(m) for m in messages)))
    return errors
