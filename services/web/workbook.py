"""A district's contribution as the command line's workbook, in the browser: downloaded filled (or
empty), and uploaded back with the same checks as ``ortak push contribution`` (the server's rules by
sheet and cell, texts of the languages the book does not show kept, objectives and indicators the
book lacks removed only when the person confirms it). Nothing is kept between requests: an upload
with any problem stores nothing, and the person sends the corrected file again.
"""
import io
import re
import zipfile

from flask_babel import lazy_gettext as _l

from cli import contribution_book as book

from . import i18n

MAX_BYTES = 8 * 1024 * 1024
CELL = re.compile(r"^(?P<sheet>.+)!(?P<cell>\$?[A-Z]{1,3}\$?\d+)$")


def filename(plan_id, municipality, version, empty=False):
    return f"{plan_id}-{municipality}-{'template' if empty else 'contribution'}-v{version}.xlsx"


def write(plan, municipality, empty=False):
    """The workbook in the page's language, filled with what the server has unless ``empty``."""
    current = None if empty else book.as_written(plan, municipality, {"objectives": []})
    return book.write(plan, municipality, i18n.current(), current, plan["version"])


def message(path, text):
    """A rule's message as the page says it (the common ones in the page's language)."""
    text = str(text)
    found = re.match(r"^The weights of objective (\S+) total (\S+); they must total exactly 100\.$", text)
    if found:
        return str(_l("The weights of objective %(code)s's indicators total %(total)s; they must total exactly 100.",
                      code=found.group(1), total=i18n.local_digits(found.group(2))))
    found = re.match(r"^No target for plan year (\d+)", text)
    if found:
        return str(_l("No target for the plan year %(year)s.", year=i18n.local_digits(found.group(1))))
    found = re.match(r"^(.+): '(.*)' is not a number\.$", text)
    if found:
        return str(_l("%(column)s: “%(value)s” is not a number.", column=found.group(1), value=found.group(2)))
    found = re.match(r"^Objective '(.*)' is not on the objectives sheet\.$", text)
    if found:
        return str(_l("Objective %(code)s is not on the objectives sheet.", code=found.group(1)))
    return str(_l("Not accepted: %(reason)s", reason=text))


def by_sheet(problems):
    """``{"Sheet!B3": [messages]}`` as [(sheet, [(cell, [messages])])], in the book's order of cells;
    problems with no cell (a whole-contribution rule) under the sheet ``None``."""
    sheets = {}
    for place, messages in problems.items():
        found = CELL.match(place)
        sheet, cell = (found.group("sheet"), found.group("cell")) if found else (None, place or None)
        sheets.setdefault(sheet, []).append((cell, list(messages)))
    for cells in sheets.values():
        cells.sort(key=lambda item: _order(item[0]))
    return sorted(sheets.items(), key=lambda item: (item[0] is None, item[0] or ""))


def _order(cell):
    found = re.match(r"^\$?([A-Z]+)\$?(\d+)$", cell or "")
    if not found:
        return (0, 0)
    letters, number = found.groups()
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return (int(number), column)


def read(data):
    """(about, contribution, cells, unreadable) of an uploaded book, or None when it is no workbook
    of Ortak's (not an .xlsx, or without its hidden sheet)."""
    if not data or len(data) > MAX_BYTES or not zipfile.is_zipfile(io.BytesIO(data)):
        return None
    try:
        about, contribution, cells, unreadable = book.read(data)
    except Exception:   # a spreadsheet that is not the contribution workbook, or a damaged one
        return None
    if not {"plan", "municipality", "version"} <= set(about) or not str(about["version"]).isdigit():
        return None
    return about, contribution, cells, unreadable


def check(plan, municipality, about, contribution, cells, unreadable):
    """The book's contribution with the server's other languages kept, and its problems by cell."""
    current = book.as_written(plan, municipality)
    contribution = book.keep_languages(contribution, current, about.get("language") or "en")
    problems = book.check(plan, municipality, contribution, cells,
                          {place: [message(None, m) for m in messages] for place, messages in unreadable.items()},
                          name=message)
    return contribution, problems


def removals(contribution, plan, municipality, language):
    return book.removals(contribution, book.as_written(plan, municipality), language)


def has_already(plan, municipality, contribution):
    return book.has_already(plan, municipality, contribution)


def located(service_errors, cells):
    """The server's 422 errors (field paths) at their cells."""
    found = {}
    for path, messages in (service_errors or {}).items():
        for place in book.locate(path, cells) or [path]:
            found.setdefault(place, []).extend(message(path, m) for m in messages)
    return found
