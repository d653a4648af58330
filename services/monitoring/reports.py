"""The guide's monitoring (six-monthly) and evaluation (yearly) reports: JSON, XLSX and PDF.

All three formats are rendered from the same JSON document, so they carry the same figures.
Persian plans read right to left, with Persian digits and Solar Hijri dates.
"""
import base64
import io

import xlsxwriter

from shared import documents
from shared.documents import escape as e
from shared.text import pick

GUIDE_COLUMNS = ["Objective", "Indicator", "Name", "Unit", "Weight (%)", "A baseline", "B target", "C reached",
                 "D realization (%)", "Capped (%)", "Band"]


def document(kind, plan, progress, municipality=None, halves=None, alerts=()):
    """The report as JSON: figures of the period (and, for an evaluation, of each half-year)."""
    return {
        "kind": kind, "plan_id": plan["id"], "title": plan["title"], "locale": plan.get("locale", "tr"),
        "calendar": plan["calendar"], "period": progress["period"], "municipality": municipality,
        "plan_version": progress["version"], "plan": progress["plan"], "goals": progress["goals"],
        "objectives": progress["objectives"], "indicators": progress["indicators"],
        "municipalities": progress["municipalities"], "regional": progress["regional"],
        "halves": halves or [], "alerts": list(alerts),
        "goal_titles": {g["code"]: g["title"] for g in plan["goals"]},
    }


def _fmt(value):
    return "" if value is None else round(value, 2)


def xlsx(report):
    """A summary sheet, then one sheet per goal with the guide's columns."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    language = report["locale"]
    summary = documents.sheet(book, "Summary", language)
    rows = [("Plan", pick(report["title"], language)), ("Report", report["kind"]), ("Period", report["period"]["key"]),
            ("From", report["period"]["first_day_native"]), ("To", report["period"]["last_day_native"]),
            ("Municipality", report["municipality"] or "all"), ("Plan realization (%)", _fmt(report["plan"]["realization"])),
            ("Band", report["plan"]["band"] or "")]
    for r, (label, value) in enumerate(rows):
        summary.write(r, 0, label, bold)
        summary.write(r, 1, value)
    r = len(rows) + 1
    summary.write_row(r, 0, ["Goal", "Realization (%)", "Band"], bold)
    for goal in report["goals"]:
        r += 1
        summary.write_row(r, 0, [goal["code"], _fmt(goal["realization"]), goal["band"] or ""])
    r += 2
    summary.write_row(r, 0, ["Municipality", "Realization (%)", "Band"], bold)
    for item in report["municipalities"]:
        r += 1
        summary.write_row(r, 0, [item["municipality"], _fmt(item["realization"]), item["band"] or ""])
    summary.set_column(0, 0, 24)
    summary.set_column(1, 2, 18)
    for goal in report["goals"]:
        sheet = documents.sheet(book, f"Goal {goal['code']}", language)
        sheet.write(0, 0, f"{goal['code']} {pick(report['goal_titles'].get(goal['code']), language) or ''}", bold)
        sheet.write_row(2, 0, GUIDE_COLUMNS, bold)
        row = 2
        objectives = [o["code"] for o in report["objectives"] if o["goal"] == goal["code"]]
        for indicator in report["indicators"]:
            if indicator["objective"] not in objectives:
                continue
            row += 1
            sheet.write_row(row, 0, [indicator["objective"], indicator["code"], pick(indicator["name"], language),
                                     indicator["unit"], indicator["weight"], _fmt(indicator["A"]),
                                     _fmt(indicator["B"]), _fmt(indicator["C"]), _fmt(indicator["D"]),
                                     _fmt(indicator["capped"]), indicator["band"] or ""])
        row += 2
        sheet.write_row(row, 0, ["Objective", "Realization (%)", "Band", "Missing indicators"], bold)
        for objective in report["objectives"]:
            if objective["goal"] == goal["code"]:
                row += 1
                sheet.write_row(row, 0, [objective["code"], _fmt(objective["realization"]), objective["band"] or "",
                                         ", ".join(objective["missing_indicators"])])
        sheet.set_column(0, 1, 12)
        sheet.set_column(2, 2, 40)
        sheet.set_column(3, 10, 14)
    book.close()
    return buffer.getvalue()


def _chart(labels, values, title):
    """A bar chart as a PNG data URI (matplotlib shapes Persian itself)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axis = pyplot.subplots(figsize=(7, 2.8), dpi=110)
    axis.bar(labels, [v or 0 for v in values], color="#2f6f8f")
    axis.axhline(100, color="#999", linewidth=0.8)
    axis.set_title(title)
    axis.set_ylabel("%")
    axis.tick_params(axis="x", labelrotation=45, labelsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def pdf(report):
    language = report["locale"]

    def n(value):
        return documents.number(value, language)

    goal_chart = _chart([g["code"] for g in report["goals"]], [g["realization"] for g in report["goals"]],
                        "Realization by goal")
    municipality_chart = _chart([m["municipality"] for m in report["municipalities"]],
                                [m["realization"] for m in report["municipalities"]], "Realization by municipality")
    rows = "".join(
        f"<tr><td>{e(i['objective'])}</td><td>{e(i['code'])}</td><td>{e(pick(i['name'], language))}</td>"
        f"<td>{e(i['unit'])}</td><td>{n(i['weight'])}</td><td>{n(i['A'])}</td><td>{n(i['B'])}</td>"
        f"<td>{n(i['C'])}</td><td>{n(i['D'])}</td><td>{e(i['band'] or '')}</td></tr>"
        for i in report["indicators"])
    goals = "".join(f"<tr><td>{e(g['code'])}</td><td>{e(pick(report['goal_titles'].get(g['code']), language) or '')}"
                    f"</td><td>{n(g['realization'])}</td><td>{e(g['band'] or '')}</td></tr>" for g in report["goals"])
    period = report["period"]
    return documents.pdf(f"""<h1>{e(pick(report['title'], language))}</h1>
<p>{e(report['kind'])} · {e(period['key'])} · {n(period['first_day_native'])} – {n(period['last_day_native'])}
 · {e(report['municipality'] or '')}</p>
<h2>Plan realization: {n(report['plan']['realization'])} % ({e(report['plan']['band'] or '')})</h2>
<img src="{goal_chart}"><img src="{municipality_chart}">
<table><tr><th>Goal</th><th></th><th>%</th><th>Band</th></tr>{goals}</table>
<table><tr><th>Objective</th><th>Indicator</th><th>Name</th><th>Unit</th><th>w</th><th>A</th><th>B</th><th>C</th>
<th>D</th><th>Band</th></tr>{rows}</table>""", language)
