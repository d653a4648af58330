"""The district's readings form: one row per indicator of the municipality, what each row sends,
and the monitoring service's per-line errors put back at their row and field.

A row left empty sends nothing; the batch is one request, so a bad line stores nothing at all.
"""
import re

from flask_babel import lazy_gettext as _l
from persiantools import digits

from shared.guide import what_to_enter

from . import i18n

FIELDS = ("value", "numerator", "denominator", "weight", "note", "source")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAX_NOTE, MAX_SOURCE = 2000, 500
LIMIT = 1e15


def rows(plan_doc, municipality):
    """The indicators a municipality reports, in the plan's order, with what each reading needs."""
    regional = {r["code"]: r.get("aggregation") for r in (plan_doc.get("frame") or {}).get("regional_indicators", [])}
    contribution = plan_doc["contributions"].get(municipality) or {"objectives": []}
    out = []
    for objective in contribution["objectives"]:
        if objective.get("reported_in"):
            continue   # its readings are entered in the plan it is written in
        for indicator in objective["indicators"]:
            feeds = regional.get(indicator.get("contributes_to"))
            # a numerator and a denominator where the indicator declares its ratio scale (never guessed)
            out.append({"code": indicator["code"], "name": indicator["name"], "unit": indicator.get("unit"),
                        "objective": objective["code"], "goal": objective["goal"], "indicator": indicator,
                        "ratio": feeds == "ratio" or indicator.get("ratio_scale") is not None,
                        "weighted": feeds == "weighted_mean"})
    return out


def hint(row, period_key):
    """What the clerk enters in ``row`` for the period (the same sentence the readings workbook has)."""
    return what_to_enter(row["indicator"], period_key, i18n.current(), row["weighted"])


def read(form, rows_):
    return {f"r{i}-{field}": (form.get(f"r{i}-{field}") or "").strip() for i in range(len(rows_)) for field in FIELDS}


def parse_number(text, lang=None):
    """A number as people of the language write it (``12,5`` and ``1.250,5`` in Turkish, Persian
    digits and separators in Persian), or None."""
    lang = lang or i18n.current()
    written = digits.fa_to_en(text.replace(" ", "").replace("\u00a0", "").replace("\u2212", "-"))
    written = written.replace("٫", ",").replace("٬", ".") if lang == "fa" else written
    if lang == "en":
        written = written.replace(",", "")
    elif "," in written:
        written = written.replace(".", "").replace(",", ".")
    if not NUMBER.fullmatch(written):
        return None
    value = float(written)
    if abs(value) > LIMIT:
        return None
    return int(value) if value.is_integer() and "." not in written else value


def number_problem():
    return _l("Write a number, such as %(example)s.", example=i18n.number(12.5))


def lines(values, rows_, municipality, period):
    """(readings to send, which row and field each came from, errors by form field)."""
    out, where, errors = [], [], {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    for i, row in enumerate(rows_):
        given = {f: values.get(f"r{i}-{f}", "") for f in FIELDS}
        figures = ("numerator", "denominator") if row["ratio"] else ("value",)
        if not any(given[f] for f in figures) and not given["weight"]:
            if given["note"] or given["source"]:
                add(f"r{i}-{figures[0]}", _l("Enter the figure this note or source belongs to."))
            continue
        line = {"indicator": row["code"], "municipality": municipality, "period": period}
        for field in figures + (("weight",) if row["weighted"] or given["weight"] else ()):
            if not given[field]:
                add(f"r{i}-{field}", _l("Enter this figure too."))
                continue
            number = parse_number(given[field])
            if number is None:
                add(f"r{i}-{field}", number_problem())
            elif field == "denominator" and number == 0:
                add(f"r{i}-{field}", _l("A ratio's denominator is not zero."))
            elif field == "weight" and number < 0:
                add(f"r{i}-{field}", _l("A weight is not negative."))
            else:
                line[field] = number
        for field, most in (("note", MAX_NOTE), ("source", MAX_SOURCE)):
            if len(given[field]) > most:
                add(f"r{i}-{field}", _l("Write at most %(count)s characters.", count=i18n.number(most)))
            elif given[field]:
                line[field] = given[field]
        out.append(line)
        where.append(i)
    return out, where, errors


SERVICE_FIELDS = {"value": "value", "numerator": "numerator", "denominator": "denominator", "weight": "weight",
                  "note": "note", "source": "source"}


def _message(text):
    text = str(text)
    if "overflows" in text:
        return _l("The realization cannot be computed from this number against the targets: check the number and "
                  "its unit.")
    if "has not begun" in text:
        return _l("This period has not begun: enter its readings once it has.")
    if "denominator is not zero" in text:
        return _l("A ratio's denominator is not zero.")
    if "-1e15" in text:
        return number_problem()
    if "ratio_scale" in text or "numerator and denominator" in text:
        return _l("This indicator takes a numerator and a denominator.")
    return _l("This was not accepted: %(reason)s", reason=text)


def from_service(service_errors, where, rows_):
    """The service's ``readings[i].field`` errors at the form's row and field (anything else on the form)."""
    errors = {}
    for path, messages in (service_errors or {}).items():
        found = re.match(r"^readings\[(\d+)\](?:\.(\w+))?$", path)
        if found and int(found.group(1)) < len(where):
            row = where[int(found.group(1))]
            field = SERVICE_FIELDS.get(found.group(2), "value")
            if rows_[row]["ratio"] and field == "value":
                field = "numerator"
            elif not rows_[row]["ratio"] and field in ("numerator", "denominator"):
                field = "value"
            name = f"r{row}-{field}"
        else:
            name = "form"
        for message in messages:
            errors.setdefault(name, []).append(_message(message))
    return errors
