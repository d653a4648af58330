"""The consultation summary as an XLSX workbook a coordinator files with the plan.

Sheets: the counts, every input (never a contact), and the accepted inputs per goal or objective.
"""
import io

import xlsxwriter

from shared.text import pick

from .domain import SITUATION_KINDS

LABELS = {"by_theme": "Theme", "by_kind": "Kind", "by_group": "Stakeholder group",
          "by_municipality": "Municipality", "by_decision": "Decision"}


def _text(value):
    if isinstance(value, dict):
        return " / ".join(f"{lang}: {text}" for lang, text in value.items())
    return value or ""


def workbook(consultation, summary, inputs):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    sheet = book.add_worksheet("Summary")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 14)
    rows = [("Consultation", pick(consultation["title"], "tr")), ("Plan", consultation["plan_id"]),
            ("Kind", consultation["kind"]), ("Opens", consultation["opens_at"]),
            ("Closes", consultation["closes_at"]), ("Status", consultation["status"]),
            ("Inputs", summary["total"]), ("Decided (%)", summary["decided_share"])]
    for r, (label, value) in enumerate(rows):
        sheet.write(r, 0, label, bold)
        sheet.write(r, 1, value)
    r = len(rows) + 1
    for key, label in LABELS.items():
        sheet.write(r, 0, label, bold)
        sheet.write(r, 1, "Inputs", bold)
        for name, count in summary[key].items():
            r += 1
            sheet.write(r, 0, name)
            sheet.write_number(r, 1, count)
        r += 2

    sheet = book.add_worksheet("Inputs")
    headers = ["Id", "Submitted", "Theme", "Kind", "Stakeholder", "Group", "Municipality", "Text", "Decision",
               "Links", "Reason"]
    widths = [16, 22, 8, 12, 24, 16, 14, 60, 10, 24, 30]
    for c, (header, width) in enumerate(zip(headers, widths)):
        sheet.write(0, c, header, bold)
        sheet.set_column(c, c, width)
    for r, item in enumerate(inputs, start=1):
        decision = item["decision"] or {}
        links = ", ".join(f"{l['objective']} ({l['municipality']})" if l.get("objective") else l["goal"]
                          for l in decision.get("links", []))
        values = [item["id"], item["submitted_at"], item["theme"], item["kind"], item["stakeholder"].get("name", ""),
                  item["stakeholder"]["group"], item["stakeholder"]["municipality"] or "", _text(item["text"]),
                  decision.get("decision", "undecided"), links, _text(decision.get("reason"))]
        for c, value in enumerate(values):
            sheet.write(r, c, value, wrap)
    sheet.autofilter(0, 0, max(len(inputs), 1), len(headers) - 1)

    sheet = book.add_worksheet("Accepted by link")
    sheet.write_row(0, 0, ["Goal or objective", "Accepted inputs", "Input ids"], bold)
    sheet.set_column(0, 0, 36)
    sheet.set_column(2, 2, 60)
    for r, (link, ids) in enumerate(summary["accepted_by_link"].items(), start=1):
        sheet.write(r, 0, link)
        sheet.write_number(r, 1, len(ids))
        sheet.write(r, 2, ", ".join(ids))
    book.close()
    return buffer.getvalue()


BANK_HEADERS = ["Id", "Kind", "Municipality", "Theme", "Title", "Text", "Quantity", "Unit", "Source input",
                "Source consultation", "Stakeholder group", "Recorded"]


def bank_workbook(plan_id, records):
    """The bank of needs, capacities and opportunities as one sheet, filterable."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Bank")
    widths = [16, 12, 16, 8, 36, 60, 10, 10, 16, 20, 16, 22]
    for c, (header, width) in enumerate(zip(BANK_HEADERS, widths)):
        sheet.write(0, c, header, bold)
        sheet.set_column(c, c, width)
    lines = []
    for record in records:
        source = record["source"] or {}
        lines.append([record["id"], record["kind"], record["municipality"], record["theme"] or "",
                      _text(record["title"]), _text(record["text"]), record["quantity"], record["unit"] or "",
                      source.get("input", ""), source.get("consultation_id", ""), source.get("group") or "",
                      record["created_at"]])
    _write_rows(sheet, lines, wrap)
    sheet.autofilter(0, 0, max(len(records), 1), len(BANK_HEADERS) - 1)
    book.close()
    return buffer.getvalue()


def _write_rows(sheet, lines, wrap):
    """Each line a row under the header, its empty numbers left blank."""
    for r, values in enumerate(lines, start=1):
        for c, value in enumerate(values):
            if value is None:
                sheet.write_blank(r, c, None)
            else:
                sheet.write(r, c, value, wrap)


SITUATION_HEADERS = ["Municipality", "Theme", "Kind", "Text", "Quantity", "Unit", "From"]


def _situation_from(source):
    if source.get("objective"):
        return f"{source['plan']}: objective {source['objective']}"
    return f"{source['plan']}: {source['part']}" + (f" ({source['factor']})" if source.get("factor") else "")


def situation_workbook(table):
    """The regional table of needs and opportunities as one filterable sheet: a line per item of
    the situation analyses and per bank record, by municipality and theme."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Situation")
    for c, (header, width) in enumerate(zip(SITUATION_HEADERS, [18, 10, 16, 70, 10, 10, 36])):
        sheet.write(0, c, header, bold)
        sheet.set_column(c, c, width)
    lines = []
    for row in table["rows"]:
        for kind, key in SITUATION_KINDS:
            for item in row[key]:
                lines.append([row["municipality"], row["theme"] or "", kind, _text(item["text"]), None, "",
                              _situation_from(item["source"])])
        for record in row["bank"]:
            lines.append([row["municipality"], row["theme"] or "", f"bank: {record['kind']}",
                          _text(record["title"]) + (f" - {_text(record['text'])}" if record.get("text") else ""),
                          record["quantity"], record["unit"] or "", f"bank record {record['id']}"])
    _write_rows(sheet, lines, wrap)
    sheet.autofilter(0, 0, max(len(lines), 1), len(SITUATION_HEADERS) - 1)
    book.close()
    return buffer.getvalue()
