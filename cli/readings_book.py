"""Readings as a workbook or CSV: one row per indicator, municipality and period, the field names
as the header row (so a script can write the same file), the indicator's name beside its code."""
import csv
import io

# openpyxl and xlsxwriter (and numpy with them: some 13 MB) are imported where a book is written
# or read, so a process using only this module's columns and rules (the gateway) holds none of them.

from shared.documents import right_to_left
from shared.guide import what_to_enter
from shared.text import pick

from .contribution_book import _number

FIELDS = ["indicator", "name", "municipality", "period", "value", "numerator", "denominator", "weight", "note",
          "source", "deviation_reason", "measures", "what_to_enter"]
NUMBERS = ("value", "numerator", "denominator", "weight")
SHOWN_ONLY = ("name", "what_to_enter")   # written for the clerk, never read back

def template(plan, period, language, municipalities):
    """A workbook with a row for each indicator of ``municipalities`` in ``period``."""
    buffer = io.BytesIO()
    import xlsxwriter
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet(period)
    if right_to_left(language):
        ws.right_to_left()
    head = book.add_format({"bold": True, "bg_color": "#e8eef2", "border": 1})
    ws.write_row(0, 0, FIELDS, head)
    ws.freeze_panes(1, 1)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 50)
    ws.set_column(2, len(FIELDS), 14)
    ws.set_column(len(FIELDS) - 1, len(FIELDS) - 1, 60)
    weighted = {r["code"] for r in (plan.get("frame") or {}).get("regional_indicators", [])
                if r.get("aggregation") == "weighted_mean"}
    r = 1
    for municipality in municipalities:
        for objective in plan["contributions"].get(municipality, {}).get("objectives", []):
            if objective.get("reported_in"):
                continue   # its readings are entered in the plan it is written in
            for indicator in objective["indicators"]:
                ws.write_row(r, 0, [indicator["code"], pick(indicator["name"], language), municipality, period])
                ws.write(r, len(FIELDS) - 1, what_to_enter(indicator, period, language,
                                                           indicator.get("contributes_to") in weighted))
                r += 1
    for c, field in enumerate(FIELDS):
        if field in NUMBERS:
            ws.data_validation(1, c, max(r, 2), c, {"validate": "decimal", "criteria": "between",
                                                    "minimum": -1e15, "maximum": 1e15})
    book.close()
    return buffer.getvalue()


def read(path):
    """(lines, errors): the readings as the API takes them, each with the place it came from
    ("Sheet!E3" or "line 3"), and the cells that are not numbers where numbers belong."""
    rows = file_rows(path)
    lines, errors = [], {}
    for place, row in rows:
        if all(v in (None, "") for v in row.values()):
            continue
        line = {}
        for field in FIELDS:
            value = row.get(field)
            if field in SHOWN_ONLY or value in (None, ""):
                continue
            if field in NUMBERS and not isinstance(value, (int, float)):
                number = _number(value)
                if number is None:
                    errors[place(field)] = [f"{field}: {value!r} is not a number."]
                value = number
            line[field] = value if field in NUMBERS else str(value).strip()
        lines.append((place(None), line))
    return lines, errors


def file_rows(path):
    """(where, row) of each data row of a workbook (every sheet) or a CSV file: ``where(field)`` names
    the cell (``Sheet!C4``) or the line (``line 4, value``) for the errors."""
    return _xlsx_rows(path) if str(path).lower().endswith((".xlsx", ".xlsm")) else _csv_rows(path)


def _xlsx_rows(path):
    from xlsxwriter.utility import xl_rowcol_to_cell
    import openpyxl
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    found = []
    for ws in book.worksheets:
        rows = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        for r, values in enumerate(rows, start=2):
            row = dict(zip(header, values))
            found.append((lambda field, r=r, title=ws.title, header=header: f"{title}!" + xl_rowcol_to_cell(
                r - 1, header.index(field) if field in header else 0), row))
    return found


def _csv_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return [(lambda field, n=n: f"line {n}" + (f", {field}" if field else ""), row)
                for n, row in enumerate(csv.DictReader(f), start=2)]
