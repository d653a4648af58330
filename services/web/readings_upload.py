"""A period's readings as the command line's readings workbook (cli/readings_book.py), in the
browser: the template of the period downloaded, and the filled workbook (or CSV) uploaded back as one
batch, with every problem named by its line and cell and nothing stored when there is one."""
import os
import re
import tempfile

from flask_babel import lazy_gettext as _l

from cli import readings_book
from cli.sync import batch_key

from . import i18n
from . import readings_form as rf

FIGURES = ("value", "numerator", "denominator", "weight")
PLACE = re.compile(r"^(?P<sheet>.+)!\$?(?P<column>[A-Z]{1,3})\$?(?P<row>\d+)$")


def template(plan, period_key, municipality):
    return readings_book.template(plan, period_key, i18n.current(), [municipality])


def key(plan_id, lines):
    """The batch's idempotency key, as the command line makes it: the same file sent twice is stored once."""
    return batch_key(plan_id, lines)


def _at(place, field):
    """The cell of ``field`` on the line whose first cell is ``place`` (the template's columns)."""
    found = PLACE.match(place or "")
    if not found or field not in readings_book.FIELDS:
        return place
    from xlsxwriter.utility import xl_rowcol_to_cell
    return f"{found.group('sheet')}!" + xl_rowcol_to_cell(int(found.group("row")) - 1,
                                                          readings_book.FIELDS.index(field))


def read(data, filename):
    """(lines, places, problems) of an uploaded readings workbook or CSV, or None when it is neither:
    the lines with a figure (the template's untouched lines are left out), where each came from, and
    the cells that are not numbers."""
    suffix = ".csv" if (filename or "").lower().endswith(".csv") else ".xlsx"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "readings" + suffix)
        with open(path, "wb") as f:
            f.write(data)
        try:
            found, unreadable = readings_book.read(path)
        except Exception:   # not a workbook, a damaged one, or not UTF-8 text
            return None
    if not found and not unreadable:
        return [], [], {}
    if found and not any("indicator" in line for _, line in found):
        return None
    problems = {}
    for place, messages in unreadable.items():
        field = next((f for f in FIGURES if str(messages[0]).startswith(f + ":")), None)
        problems[place] = [_l("%(field)s: write a number, such as %(example)s.", field=_field(field),
                              example=i18n.number(12.5))]
    lines, places = [], []
    for place, line in found:
        if not any(line.get(f) is not None for f in FIGURES) and not line.get("note") and not line.get("source"):
            continue   # a line of the template left empty
        lines.append(line)
        places.append(place)
    return lines, places, problems


FIELD_NAMES = {"value": _l("value"), "numerator": _l("numerator"), "denominator": _l("denominator"),
               "weight": _l("weight"), "indicator": _l("indicator"), "municipality": _l("municipality"),
               "period": _l("period"), "note": _l("note"), "source": _l("source")}


def _field(field):
    return FIELD_NAMES.get(field, field or "")


def others(lines, places, municipality):
    """Lines of another municipality (the page sends only its own); a line without one is its own."""
    problems = {}
    for line, place in zip(lines, places):
        line.setdefault("municipality", municipality)
        if line["municipality"] != municipality:
            problems[_at(place, "municipality")] = [_l("This line is of another municipality (%(municipality)s): "
                                                       "upload only your municipality's readings.",
                                                       municipality=line["municipality"])]
    return problems


def located(service_errors, places):
    """The monitoring service's ``readings[i].field`` errors at their line's cell."""
    problems = {}
    for path, messages in (service_errors or {}).items():
        found = re.match(r"^readings\[(\d+)\](?:\.(\w+))?$", path)
        if found and int(found.group(1)) < len(places):
            place = _at(places[int(found.group(1))], found.group(2) or "value")
        else:
            place = ""
        problems.setdefault(place, []).extend(
            (f"{_field(found.group(2))}: " if found and found.group(2) else "") + str(rf._message(m))
            for m in messages)
    return problems
