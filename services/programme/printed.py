"""The performance programme and the activity report as people read them: XLSX and PDF.

Both are rendered from the JSON document, so they carry the same figures, in the plan's language
(Turkish, Persian or English): the guide's tables (the year's objectives, indicators and targets;
the activities and projects with their costs; the resource needs and their funding; for the report,
results against targets and spending against budget), amounts in the language's own form (Turkish
250.000,00; Persian digits), Persian right to left with dates in the Solar Hijri calendar.
"""
import io
from datetime import date

import jdatetime
import xlsxwriter

from shared import documents
from shared.calendars import SOLAR_HIJRI
from shared.documents import escape as e
from shared.text import pick

LABELS = {
    "tr": {"performance-programme": "Performans Programı", "activity-report": "Faaliyet Raporu",
           "all": "Tüm belediyeler", "adopted": "Meclis Kararı", "not_adopted": "Meclis kararı bekleniyor",
           "year": "Yıl", "targets": "Performans Hedefleri ve Göstergeleri",
           "projects": "Faaliyet ve Projeler", "resources": "Kaynak İhtiyacı", "funding": "Finansman Kaynakları",
           "spending": "Bütçe ve Harcama", "evaluation": "Değerlendirme", "objective": "Hedef",
           "municipality": "Belediye", "indicator": "Performans Göstergesi", "unit": "Birim",
           "baseline": "Plan Dönemi Başlangıç Değeri", "target": "Yıl Sonu Hedefi", "cost": "Maliyet Tahmini",
           "result": "Gerçekleşen Değer", "realization": "Gerçekleşme Oranı (%)", "deviation": "Sapma Nedeni",
           "measures": "Alınan Tedbirler",
           "code": "Kod", "title": "Faaliyet / Proje", "kind": "Tür", "responsible": "Sorumlu Birim",
           "horizon": "Vade", "priority": "Öncelik", "start": "Başlangıç", "end": "Bitiş", "budget": "Bütçe",
           "spent": "Harcama", "remaining": "Kalan", "percent": "İlerleme (%)", "status": "Durum",
           "project_budget": "Proje Bütçesi", "difference": "Fark", "total": "Toplam", "source": "Kaynak",
           "amount": "Tutar", "rate": "Harcama Oranı (%)", "indicators": "Gösterge sayısı",
           "indicators_with_results": "Sonucu girilmiş gösterge", "project_count": "Faaliyet ve proje sayısı",
           "projects_completed": "Tamamlanan faaliyet ve proje"},
    "fa": {"performance-programme": "برنامه عملکرد", "activity-report": "گزارش فعالیت",
           "all": "همه شهرداری‌ها", "adopted": "مصوبه شورا", "not_adopted": "در انتظار مصوبه شورا",
           "year": "سال", "targets": "اهداف و شاخص‌های عملکرد",
           "projects": "فعالیت‌ها و پروژه‌ها", "resources": "نیاز به منابع", "funding": "منابع تأمین مالی",
           "spending": "بودجه و هزینه", "evaluation": "ارزیابی", "objective": "هدف", "municipality": "شهرداری",
           "indicator": "شاخص عملکرد", "unit": "واحد", "baseline": "مقدار پایه", "target": "مقدار هدف سال",
           "cost": "برآورد هزینه", "result": "مقدار تحقق‌یافته", "realization": "درصد تحقق",
           "deviation": "علت انحراف", "measures": "اقدامات انجام‌شده",
           "code": "کد", "title": "فعالیت / پروژه", "kind": "نوع",
           "responsible": "واحد مسئول", "horizon": "افق", "priority": "اولویت", "start": "شروع",
           "end": "پایان", "budget": "بودجه", "spent": "هزینه‌شده", "remaining": "مانده", "percent": "پیشرفت (٪)",
           "status": "وضعیت", "project_budget": "بودجه پروژه‌ها", "difference": "تفاوت", "total": "جمع",
           "source": "منبع", "amount": "مبلغ", "rate": "نرخ هزینه‌کرد (٪)", "indicators": "تعداد شاخص‌ها",
           "indicators_with_results": "شاخص‌های دارای نتیجه", "project_count": "تعداد فعالیت‌ها و پروژه‌ها",
           "projects_completed": "فعالیت‌ها و پروژه‌های تکمیل‌شده"},
    "en": {"performance-programme": "Performance programme", "activity-report": "Activity report",
           "all": "All municipalities", "adopted": "Council decision",
           "not_adopted": "Awaiting the council's decision", "year": "Year",
           "targets": "Objectives, indicators and targets",
           "projects": "Activities and projects", "resources": "Resource needs", "funding": "Funding sources",
           "spending": "Budget and spending", "evaluation": "Evaluation", "objective": "Objective",
           "municipality": "Municipality", "indicator": "Performance indicator", "unit": "Unit",
           "baseline": "Baseline", "target": "Year-end target", "cost": "Cost estimate", "result": "Result",
           "realization": "Realization (%)", "deviation": "Reason for deviation",
           "measures": "Measures taken", "code": "Code",
           "title": "Activity / project", "kind": "Kind", "responsible": "Responsible unit", "horizon": "Horizon",
           "priority": "Priority", "start": "Start", "end": "End", "budget": "Budget", "spent": "Spent",
           "remaining": "Remaining", "percent": "Progress (%)", "status": "Status",
           "project_budget": "Project budget", "difference": "Difference", "total": "Total", "source": "Source",
           "amount": "Amount", "rate": "Spending rate (%)", "indicators": "Indicators",
           "indicators_with_results": "Indicators with a result", "project_count": "Activities and projects",
           "projects_completed": "Completed"},
}
WORDS = {   # the values of a project's kind, horizon and status
    "tr": {"activity": "Faaliyet", "project": "Proje", "short": "Kısa", "mid": "Orta", "long": "Uzun",
           "planned": "Planlandı", "ongoing": "Sürüyor", "completed": "Tamamlandı"},
    "fa": {"activity": "فعالیت", "project": "پروژه", "short": "کوتاه‌مدت", "mid": "میان‌مدت", "long": "بلندمدت",
           "planned": "برنامه‌ریزی‌شده", "ongoing": "در حال اجرا", "completed": "تکمیل‌شده"},
    "en": {"activity": "Activity", "project": "Project", "short": "Short", "mid": "Mid", "long": "Long",
           "planned": "Planned", "ongoing": "Ongoing", "completed": "Completed"},
}
SHEETS = {"tr": ("Hedefler", "Projeler", "Kaynaklar"), "fa": ("اهداف", "پروژه‌ها", "منابع"),
          "en": ("Objectives", "Projects", "Resources")}
TARGET_COLUMNS = ("objective", "municipality", "indicator", "unit", "baseline", "target", "cost")
REPORT_COLUMNS = ("result", "realization", "deviation", "measures")
PROJECT_COLUMNS = ("code", "title", "kind", "municipality", "responsible", "objective", "horizon", "priority",
                   "start", "end", "budget", "spent", "remaining", "percent", "status")


def language_of(document):
    return document.get("locale") if document.get("locale") in LABELS else "en"


def day(iso, calendar):
    """A project's date in the plan's calendar (1405/01/01 for a Solar Hijri plan)."""
    if calendar != SOLAR_HIJRI or not iso:
        return iso or ""
    j = jdatetime.date.fromgregorian(date=date.fromisoformat(iso))
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


def _heading(document, kind, language):
    label = LABELS[language]
    return (pick(document.get("title"), language) or document["plan_id"],
            f"{label[kind]} {documents.number(document['year'], language)} · "
            f"{document['municipality'] or label['all']}")


def _adoption(document, kind, language):
    """The programme's council decision: "Meclis Kararı: 2025/88, 2025-11-14" (Solar Hijri for such
    plans); a programme not yet adopted says so, an activity report then says nothing."""
    label, adoption = LABELS[language], document.get("adoption")
    if not adoption:
        return label["not_adopted"] if kind == "performance-programme" else ""
    return (f"{label['adopted']}: {adoption['decision_no']}, "
            f"{documents.number(day(adoption['decision_date'], document.get('calendar')), language)}")


def _amount(value):
    return float(value) if value not in (None, "") else None


def _target_rows(document, language, report):
    """The rows of the targets table: one per indicator (an objective without one gets a row)."""
    for objective in document["objectives"]:
        for indicator in objective["indicators"] or [{}]:
            row = {"objective": f"{objective['code']} {pick(objective.get('title'), language) or ''}".strip(),
                   "municipality": objective["municipality"], "indicator": pick(indicator.get("name"), language),
                   "unit": indicator.get("unit") or "", "baseline": indicator.get("baseline"),
                   "target": indicator.get("target"), "cost": objective["cost"]}
            if indicator.get("code"):
                row["indicator"] = f"{indicator['code']} {row['indicator'] or ''}".strip()
            if report:
                row.update(result=indicator.get("result"), realization=indicator.get("realization"),
                           deviation=pick(indicator.get("deviation_reason"), language) or "",
                           measures=pick(indicator.get("measures"), language) or "")
            yield row


def _project_row(line, language, calendar):
    words = WORDS[language]
    return {"code": line["code"], "title": pick(line["title"], language), "kind": words[line["kind"]],
            "municipality": line["municipality"], "responsible": line["responsible_unit"],
            "objective": line["objective"] or line.get("goal") or "", "horizon": words[line["horizon"]],
            "priority": line["priority"], "start": day(line["start"], calendar), "end": day(line["end"], calendar),
            "budget": line["budget"], "spent": line["spent"], "remaining": line["remaining"],
            "percent": line["percent"], "status": words[line["status"]]}


def _closing(document):
    """The activity report's last table as (label, figure): budget against spending, the evaluation."""
    spending, evaluation = document["spending"], document["evaluation"]
    return [("budget", spending["budget"]), ("spent", spending["spent"]), ("difference", spending["difference"]),
            ("rate", spending["rate"]), ("indicators", evaluation["indicators"]),
            ("indicators_with_results", evaluation["indicators_with_results"]),
            ("project_count", evaluation["projects"]), ("projects_completed", evaluation["projects_completed"])]


CSS = "td.n { text-align: end; white-space: nowrap; }"
LTR = "\u2066%s\u2069"   # a left-to-right isolate (LRI ... PDI)
MONEY = ("cost", "budget", "spent", "remaining", "project_budget", "difference", "amount")


def xlsx(document, kind):
    """Three sheets, headed in the plan's language: targets, projects, resources (with the
    report's spending and evaluation); Persian sheets run right to left; figures stay numbers."""
    language = language_of(document)
    label, (targets_name, projects_name, resources_name) = LABELS[language], SHEETS[language]
    report = kind == "activity-report"
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#e8eef2", "border": 1, "text_wrap": True, "valign": "top"})
    money = book.add_format({"num_format": "#,##0.00"})
    title, subtitle = _heading(document, kind, language)

    def cell(column, value):
        if column in MONEY:
            return _amount(value)
        return "" if value is None else value

    sheet = documents.sheet(book, targets_name, language)
    sheet.write(0, 0, title, bold)
    sheet.write(1, 0, subtitle, bold)
    sheet.write(2, 0, _adoption(document, kind, language))
    columns = TARGET_COLUMNS + (REPORT_COLUMNS if report else ())
    sheet.write_row(3, 0, [label[c] for c in columns], head)
    for r, row in enumerate(_target_rows(document, language, report), start=4):
        for c, column in enumerate(columns):
            sheet.write(r, c, cell(column, row[column]), money if column in MONEY else None)
    sheet.set_column(0, 0, 40)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, len(columns), 16)

    sheet = documents.sheet(book, projects_name, language)
    sheet.write_row(0, 0, [label[c] for c in PROJECT_COLUMNS], head)
    for r, line in enumerate(document["projects"], start=1):
        row = _project_row(line, language, document.get("calendar"))
        for c, column in enumerate(PROJECT_COLUMNS):
            sheet.write(r, c, cell(column, row[column]), money if column in MONEY else None)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, len(PROJECT_COLUMNS), 14)

    sheet = documents.sheet(book, resources_name, language)
    resources = document["resources"]
    sheet.write_row(0, 0, [label["objective"], label["cost"], label["project_budget"], label["difference"]], head)
    for r, line in enumerate(resources["by_objective"], start=1):
        sheet.write_row(r, 0, [line["objective"], *[_amount(line[k]) for k in ("cost", "budget", "difference")]],
                        money)
    r = len(resources["by_objective"]) + 1
    sheet.write(r, 0, label["total"], bold)
    sheet.write_row(r, 1, [_amount(resources[k]) for k in ("cost_estimate", "project_budget", "difference")], money)
    r += 2
    sheet.write_row(r, 0, [label["source"], label["amount"]], head)
    for r, (source, amount) in enumerate(resources["funding"].items(), start=r + 1):
        sheet.write(r, 0, source)
        sheet.write(r, 1, _amount(amount), money)
    if report:
        r += 2
        sheet.write(r, 0, label["spending"], head)
        for r, (key, value) in enumerate(_closing(document), start=r + 1):
            sheet.write(r, 0, label[key], bold)
            sheet.write(r, 1, _amount(value) if key in MONEY else value, money if key in MONEY else None)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 3, 18)
    book.close()
    return buffer.getvalue()


def pdf(document, kind):
    """The same tables on A4 landscape (the projects' table is wide)."""
    language = language_of(document)
    label = LABELS[language]
    report = kind == "activity-report"

    def n(value):
        return documents.number(value, language)

    def figure(value):
        # isolated left to right, so a Persian negative amount keeps its minus in front
        return f'<td class="n">{e(LTR % n(value))}</td>'

    def shown(column, value):
        if column in ("start", "end") or isinstance(value, (int, float)) or column in MONEY:
            return figure(value)          # dates keep their form, with the reader's digits
        return f"<td>{e(value)}</td>"

    def table(columns, rows):
        head = "".join(f"<th>{e(label[c])}</th>" for c in columns)
        body = "".join("<tr>" + "".join(shown(c, row[c]) for c in columns) + "</tr>" for row in rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    title, subtitle = _heading(document, kind, language)
    resources = document["resources"]
    by_objective = [{"objective": line["objective"], "cost": line["cost"], "project_budget": line["budget"],
                     "difference": line["difference"]} for line in resources["by_objective"]]
    by_objective.append({"objective": label["total"], "cost": resources["cost_estimate"],
                         "project_budget": resources["project_budget"], "difference": resources["difference"]})
    funding = [{"source": s, "amount": a} for s, a in resources["funding"].items()]
    body = [f"<style>{CSS}</style><h1>{e(title)}</h1><h2>{e(subtitle)}</h2>"
            f"<p>{e(_adoption(document, kind, language))}</p>",
            f"<h2>{e(label['targets'])}</h2>",
            table(TARGET_COLUMNS + (REPORT_COLUMNS if report else ()), _target_rows(document, language, report)),
            f"<h2>{e(label['projects'])}</h2>",
            table(PROJECT_COLUMNS, (_project_row(line, language, document.get("calendar"))
                                    for line in document["projects"])),
            f"<h2>{e(label['resources'])}</h2>",
            table(("objective", "cost", "project_budget", "difference"), by_objective),
            f"<h2>{e(label['funding'])}</h2>", table(("source", "amount"), funding)]
    if report:
        rows = "".join(f"<tr><th>{e(label[k])}</th>{figure(v)}</tr>" for k, v in _closing(document))
        body.append(f"<h2>{e(label['spending'])} · {e(label['evaluation'])}</h2><table>{rows}</table>")
    return documents.pdf("".join(body), language, landscape=True)
