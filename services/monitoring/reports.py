"""The guide's monitoring (six-monthly) and evaluation (yearly) reports: JSON, XLSX and PDF.

All three formats are rendered from the same JSON document, so they carry the same figures, in
the plan's language (Turkish, Persian or English): headings, band names and labels, numbers in
the language's own form (Turkish 87,5; Persian digits, right to left, Solar Hijri dates). The
monitoring report names each objective with its title and responsible unit and prints each
reading's note and source; the evaluation report adds the guide's yearly table (first and second
monitoring values, the year's realization, whether the target was reached, the reasons for
deviations and the measures taken, the realization of each year so far and the forecast to the plan's end).
"""
import base64
import io

import xlsxwriter

from shared import documents
from shared.documents import escape as e
from shared.text import pick

from .readings import TEXTS

LABELS = {
    "tr": {"monitoring": "İzleme Raporu", "evaluation": "Değerlendirme Raporu", "summary": "Özet",
           "plan": "Plan", "report": "Rapor", "period": "Dönem", "from": "Başlangıç", "to": "Bitiş",
           "municipality": "Belediye", "all": "Tüm belediyeler", "plan_realization": "Plan Gerçekleşme Oranı (%)",
           "band": "Başarı Düzeyi", "goal": "Amaç", "goals": "Amaçlar", "objective": "Hedef",
           "objectives": "Hedefler", "municipalities": "Belediyeler", "realization": "Gerçekleşme Oranı (%)",
           "responsible": "Sorumlu Birim", "code": "Gösterge Kodu", "name": "Performans Göstergesi",
           "unit": "Birim", "weight": "Hedefe Etkisi (%)", "A": "Plan Dönemi Başlangıç Değeri (A)",
           "B": "Yıl Sonu Hedeflenen Değer (B)", "C": "Gerçekleşen Değer (C)", "D": "Gerçekleşme Oranı (D, %)",
           "capped": "Hedefe Katkı (en çok %100)", "note": "Açıklama", "source": "Veri Kaynağı",
           "incomplete": "Eksik", "missing": "Eksik olan", "alerts": "Uyarılar",
           "first": "1. İzleme Değeri", "second": "2. İzleme Değeri", "year_value": "Yıl Sonu Değeri",
           "reached": "Hedefe Ulaşıldı mı?", "yes": "Evet", "no": "Hayır",
           "deviation": "Sapma Nedenleri", "measures": "Alınan Tedbirler", "cumulative": "Kümülatif Gerçekleşme (%)",
           "forecast": "Plan Dönemi Sonu Tahmini", "forecast_d": "Tahmini Gerçekleşme (%)",
           "evaluation_table": "Yıllık Değerlendirme", "chart_goals": "Amaçlara göre gerçekleşme",
           "chart_municipalities": "Belediyelere göre gerçekleşme"},
    "fa": {"monitoring": "گزارش پایش", "evaluation": "گزارش ارزیابی", "summary": "خلاصه",
           "plan": "برنامه", "report": "گزارش", "period": "دوره", "from": "از", "to": "تا",
           "municipality": "شهرداری", "all": "همه شهرداری‌ها", "plan_realization": "درصد تحقق برنامه",
           "band": "سطح عملکرد", "goal": "هدف کلان", "goals": "اهداف کلان", "objective": "هدف",
           "objectives": "اهداف", "municipalities": "شهرداری‌ها", "realization": "درصد تحقق",
           "responsible": "واحد مسئول", "code": "کد شاخص", "name": "شاخص عملکرد", "unit": "واحد",
           "weight": "وزن در هدف (٪)", "A": "مقدار پایه (A)", "B": "مقدار هدف سال (B)",
           "C": "مقدار تحقق‌یافته (C)", "D": "درصد تحقق (D)", "capped": "سهم در هدف (حداکثر ۱۰۰٪)",
           "note": "توضیح", "source": "منبع داده", "incomplete": "ناقص", "missing": "موارد ناقص",
           "alerts": "هشدارها", "first": "مقدار پایش نخست", "second": "مقدار پایش دوم",
           "year_value": "مقدار پایان سال", "reached": "دستیابی به هدف", "yes": "بله", "no": "خیر",
           "deviation": "علل انحراف", "measures": "اقدامات انجام‌شده", "cumulative": "تحقق تجمعی (٪)", "forecast": "پیش‌بینی پایان دوره برنامه",
           "forecast_d": "درصد تحقق پیش‌بینی‌شده", "evaluation_table": "ارزیابی سالانه",
           "chart_goals": "تحقق به تفکیک هدف کلان", "chart_municipalities": "تحقق به تفکیک شهرداری"},
    "en": {"monitoring": "Monitoring report", "evaluation": "Evaluation report", "summary": "Summary",
           "plan": "Plan", "report": "Report", "period": "Period", "from": "From", "to": "To",
           "municipality": "Municipality", "all": "All municipalities", "plan_realization": "Plan realization (%)",
           "band": "Band", "goal": "Goal", "goals": "Goals", "objective": "Objective", "objectives": "Objectives",
           "municipalities": "Municipalities", "realization": "Realization (%)", "responsible": "Responsible unit",
           "code": "Indicator", "name": "Name", "unit": "Unit", "weight": "Weight (%)", "A": "A baseline",
           "B": "B target", "C": "C reached", "D": "D realization (%)", "capped": "Capped (%)", "note": "Note",
           "source": "Source", "incomplete": "Incomplete", "missing": "Missing", "alerts": "Alerts",
           "first": "First monitoring value", "second": "Second monitoring value", "year_value": "Year-end value",
           "reached": "Target reached", "yes": "Yes", "no": "No", "deviation": "Reasons for deviations",
           "measures": "Measures taken",
           "cumulative": "Cumulative realization (%)", "forecast": "Forecast to the plan's end",
           "forecast_d": "Forecast realization (%)", "evaluation_table": "Yearly evaluation",
           "chart_goals": "Realization by goal", "chart_municipalities": "Realization by municipality"},
}
BANDS = {
    "tr": {"exceeding": "Hedefi aşan", "very_good": "Çok iyi", "good": "İyi", "moderate": "Orta", "weak": "Zayıf",
           "very_weak": "Çok zayıf"},
    "fa": {"exceeding": "فراتر از هدف", "very_good": "بسیار خوب", "good": "خوب", "moderate": "متوسط",
           "weak": "ضعیف", "very_weak": "بسیار ضعیف"},
    "en": {"exceeding": "Exceeding", "very_good": "Very good", "good": "Good", "moderate": "Moderate",
           "weak": "Weak", "very_weak": "Very weak"},
}
MONITORING_COLUMNS = ("objective", "code", "name", "unit", "weight", "A", "B", "C", "D", "capped", "band", "note",
                      "source")
EVALUATION_COLUMNS = ("objective", "code", "name", "unit", "A", "B", "first", "second", "year_value", "D",
                      "reached", "deviation", "measures", "forecast", "forecast_d")


def language_of(plan):
    language = plan.get("locale", "tr")
    return language if language in LABELS else "en"


def _unit(ref):
    if not ref:
        return ""
    if isinstance(ref, str):
        return ref
    return ref.get("unit") or ""


def document(kind, plan, progress, municipality=None, halves=None, alerts=(), notes=None, evaluation=None):
    """The report as JSON: figures of the period (and, for an evaluation, of each half-year and the
    guide's yearly table), with the labels and band names of the plan's language."""
    language = language_of(plan)
    notes = notes or {}
    key = progress["period"]["key"]
    objectives = {o["code"]: o for o in plan["objectives"]}
    bands = BANDS[language]
    return {
        "kind": kind, "plan_id": plan["id"], "title": plan["title"], "locale": language,
        "calendar": plan["calendar"], "period": progress["period"], "municipality": municipality,
        "plan_version": progress["version"], "plan": {**progress["plan"], "band_label": bands.get(
            progress["plan"]["band"])},
        "goals": [{**g, "band_label": bands.get(g["band"])} for g in progress["goals"]],
        "objectives": [{**o, "title": pick(objectives.get(o["code"], {}).get("title"), language),
                        "responsible_unit": _unit(objectives.get(o["code"], {}).get("responsible_unit")),
                        "band_label": bands.get(o["band"])} for o in progress["objectives"]],
        "indicators": [{**i, "band_label": bands.get(i["band"]),
                        **(notes.get((i["code"], key)) or dict.fromkeys(TEXTS))}
                       for i in progress["indicators"]],
        "municipalities": [{**m, "band_label": bands.get(m["band"])} for m in progress["municipalities"]],
        "regional": progress["regional"], "halves": halves or [], "alerts": list(alerts),
        "evaluation": evaluation,
        "goal_titles": {g["code"]: pick(g["title"], language) for g in plan["goals"]},
        "labels": {**LABELS[language], "bands": bands},
    }


def _fmt(value):
    return "" if value is None else round(value, 2)


def _reached(value, label):
    return "" if value is None else label["yes"] if value else label["no"]


def xlsx(report):
    """A summary sheet, one sheet per goal with the guide's columns, and for an evaluation the
    yearly table and the cumulative realization."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    figure = book.add_format({"num_format": "#,##0.0#"})
    language, label = report["locale"], report["labels"]
    bands = label["bands"]
    summary = documents.sheet(book, label["summary"], language)
    period = report["period"]
    def written(text):   # a period key or date as the reader writes it (Persian digits); figures stay numbers
        return documents.number(text, language)

    rows = [(label["plan"], pick(report["title"], language)), (label["report"], label[report["kind"]]),
            (label["period"], written(period["key"])), (label["from"], written(period["first_day_native"])),
            (label["to"], written(period["last_day_native"])),
            (label["municipality"], report["municipality"] or label["all"]),
            (label["plan_realization"], _fmt(report["plan"]["realization"])),
            (label["band"], bands.get(report["plan"]["band"], "")),
            (label["incomplete"], report["plan"].get("reason") or "")]
    for r, (name, value) in enumerate(rows):
        summary.write(r, 0, name, bold)
        summary.write(r, 1, value, figure if isinstance(value, float) else None)
    r = len(rows) + 1
    summary.write_row(r, 0, [label["goal"], label["realization"], label["band"], label["incomplete"]], bold)
    for goal in report["goals"]:
        r += 1
        summary.write_row(r, 0, [f"{goal['code']} {report['goal_titles'].get(goal['code']) or ''}".strip(),
                                 _fmt(goal["realization"]), bands.get(goal["band"], ""), goal.get("reason") or ""])
    r += 2
    summary.write_row(r, 0, [label["municipalities"], label["realization"], label["band"]], bold)
    for item in report["municipalities"]:
        r += 1
        summary.write_row(r, 0, [item["municipality"], _fmt(item["realization"]), bands.get(item["band"], "")])
    summary.set_column(0, 0, 30)
    summary.set_column(1, 3, 22)
    for goal in report["goals"]:
        sheet = documents.sheet(book, f"{label['goal']} {goal['code']}", language)
        sheet.write(0, 0, f"{goal['code']} {report['goal_titles'].get(goal['code']) or ''}", bold)
        sheet.write_row(2, 0, [label[c] for c in MONITORING_COLUMNS], bold)
        row = 2
        mine = [o["code"] for o in report["objectives"] if o["goal"] == goal["code"]]
        for i in report["indicators"]:
            if i["objective"] not in mine:
                continue
            row += 1
            sheet.write_row(row, 0, [i["objective"], i["code"], pick(i["name"], language), i["unit"], i["weight"],
                                     _fmt(i["A"]), _fmt(i["B"]), _fmt(i["C"]), _fmt(i["D"]), _fmt(i["capped"]),
                                     bands.get(i["band"], "") or i.get("reason") or "", i.get("note") or "",
                                     i.get("source") or ""])
        row += 2
        sheet.write_row(row, 0, [label["objective"], label["objectives"], label["responsible"], label["realization"],
                                 label["band"], label["incomplete"]], bold)
        for o in report["objectives"]:
            if o["goal"] == goal["code"]:
                row += 1
                sheet.write_row(row, 0, [o["code"], o.get("title") or "", o.get("responsible_unit") or "",
                                         _fmt(o["realization"]), bands.get(o["band"], ""), o.get("reason") or ""])
        sheet.set_column(0, 1, 12)
        sheet.set_column(2, 2, 40)
        sheet.set_column(3, 12, 16)
    if report.get("evaluation") is not None:
        _evaluation_sheets(book, report, bold)
    book.close()
    return buffer.getvalue()


def _evaluation_sheets(book, report, bold):
    language, label = report["locale"], report["labels"]
    rows = report["evaluation"]
    sheet = documents.sheet(book, label["evaluation_table"], language)
    sheet.write_row(0, 0, [label[c] for c in EVALUATION_COLUMNS], bold)
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, [row["objective"], row["code"], pick(row["name"], language), row["unit"],
                               _fmt(row["A"]), _fmt(row["B"]), _fmt(row["first"]), _fmt(row["second"]),
                               _fmt(row["C"]), _fmt(row["D"]), _reached(row["reached"], label),
                               "; ".join(row["deviation_reasons"]) or row.get("reason") or "",
                               "; ".join(row["measures"]), _fmt(row["forecast"]["C"]), _fmt(row["forecast"]["D"])])
    sheet.set_column(0, 1, 12)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, 14, 16)
    years = list(rows[0]["cumulative"]) if rows else []
    cumulative = documents.sheet(book, label["cumulative"][:31], language)
    cumulative.write_row(0, 0, [label["code"], label["name"], *years], bold)
    for r, row in enumerate(rows, start=1):
        cumulative.write_row(r, 0, [row["code"], pick(row["name"], language),
                                    *[_fmt(row["cumulative"][y]) for y in years]])
    cumulative.set_column(1, 1, 40)


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
    language, label = report["locale"], report["labels"]
    bands = label["bands"]

    def n(value):
        return documents.number(value, language)

    def heads(columns):
        return "".join(f"<th>{e(label[c])}</th>" for c in columns)

    goal_chart = _chart([g["code"] for g in report["goals"]], [g["realization"] for g in report["goals"]],
                        label["chart_goals"])
    municipality_chart = _chart([m["municipality"] for m in report["municipalities"]],
                                [m["realization"] for m in report["municipalities"]], label["chart_municipalities"])
    rows = "".join(
        f"<tr><td>{e(i['objective'])}</td><td>{e(i['code'])}</td><td>{e(pick(i['name'], language))}</td>"
        f"<td>{e(i['unit'])}</td><td>{n(i['weight'])}</td><td>{n(i['A'])}</td><td>{n(i['B'])}</td>"
        f"<td>{n(i['C'])}</td><td>{n(i['D'])}</td><td>{n(i['capped'])}</td>"
        f"<td>{e(bands.get(i['band']) or i.get('reason') or '')}</td><td>{e(i.get('note') or '')}</td>"
        f"<td>{e(i.get('source') or '')}</td></tr>"
        for i in report["indicators"])
    goals = "".join(f"<tr><td>{e(g['code'])}</td><td>{e(report['goal_titles'].get(g['code']) or '')}</td>"
                    f"<td>{n(g['realization'])}</td><td>{e(bands.get(g['band'], ''))}</td>"
                    f"<td>{e(g.get('reason') or '')}</td></tr>" for g in report["goals"])
    objectives = "".join(f"<tr><td>{e(o['code'])}</td><td>{e(o.get('title') or '')}</td>"
                         f"<td>{e(o.get('responsible_unit') or '')}</td><td>{e(o['municipality'])}</td>"
                         f"<td>{n(o['realization'])}</td><td>{e(bands.get(o['band'], ''))}</td>"
                         f"<td>{e(o.get('reason') or '')}</td></tr>" for o in report["objectives"])
    period = report["period"]
    plan = report["plan"]
    body = f"""<h1>{e(pick(report['title'], language))}</h1>
<h2>{e(label[report['kind']])} · {n(period['key'])} · {n(period['first_day_native'])} – {n(period['last_day_native'])}
 · {e(report['municipality'] or label['all'])}</h2>
<p><b>{e(label['plan_realization'])}: {n(plan['realization'])}</b> ({e(bands.get(plan['band'], ''))})
{e(plan.get('reason') or '')}</p>
<img src="{goal_chart}"><img src="{municipality_chart}">
<h2>{e(label['goals'])}</h2>
<table><tr><th>{e(label['goal'])}</th><th></th><th>{e(label['realization'])}</th><th>{e(label['band'])}</th>
<th>{e(label['incomplete'])}</th></tr>{goals}</table>
<h2>{e(label['objectives'])}</h2>
<table><tr><th>{e(label['objective'])}</th><th></th><th>{e(label['responsible'])}</th><th>{e(label['municipality'])}</th>
<th>{e(label['realization'])}</th><th>{e(label['band'])}</th><th>{e(label['incomplete'])}</th></tr>{objectives}</table>
<table><tr>{heads(MONITORING_COLUMNS)}</tr>{rows}</table>"""
    if report.get("evaluation") is not None:
        evaluation = report["evaluation"]
        table = "".join(
            f"<tr><td>{e(r['objective'])}</td><td>{e(r['code'])}</td><td>{e(pick(r['name'], language))}</td>"
            f"<td>{e(r['unit'])}</td><td>{n(r['A'])}</td><td>{n(r['B'])}</td><td>{n(r['first'])}</td>"
            f"<td>{n(r['second'])}</td><td>{n(r['C'])}</td><td>{n(r['D'])}</td>"
            f"<td>{e(_reached(r['reached'], label))}</td>"
            f"<td>{e('; '.join(r['deviation_reasons']) or r.get('reason') or '')}</td>"
            f"<td>{e('; '.join(r['measures']))}</td>"
            f"<td>{n(r['forecast']['C'])}</td><td>{n(r['forecast']['D'])}</td></tr>" for r in evaluation)
        years = list(evaluation[0]["cumulative"]) if evaluation else []
        cumulative = "".join(f"<tr><td>{e(r['code'])}</td>" + "".join(f"<td>{n(r['cumulative'][y])}</td>"
                                                                       for y in years) + "</tr>"
                             for r in evaluation)
        body += f"""<h2>{e(label['evaluation_table'])}</h2>
<table><tr>{heads(EVALUATION_COLUMNS)}</tr>{table}</table>
<h2>{e(label['cumulative'])}</h2>
<table><tr><th>{e(label['code'])}</th>{''.join(f'<th>{n(y)}</th>' for y in years)}</tr>{cumulative}</table>"""
    return documents.pdf(body, language)
