"""The performance programme and the activity report as XLSX and PDF, in the plan's language."""
import io

import openpyxl

from services.programme import domain, printed
from tests.unit.test_monitoring_reports import has, pdf_text
from tests.unit.test_programme_domain import PLAN, TODAY, project, report, with_id

PERSIAN = {
    **PLAN, "id": "alborz", "calendar": "solar_hijri", "period": {"start": 1403, "end": 1405}, "locale": "fa",
    "title": {"fa": "سند همکاری البرز", "en": "Alborz cooperation"},
    "objectives": [{**PLAN["objectives"][0], "title": {"fa": "مدیریت پسماند", "tr": "Atık"},
                    "costs": {"1404": "250000.00"}}],
    "indicators": [{**PLAN["indicators"][0], "name": {"fa": "کمپوست", "tr": "Kompost"}, "targets": {"1404": 16000}}],
}


def has_rtl(text, *parts):
    """pypdf gives a right-to-left line's runs in either order: a figure is found as written or reversed."""
    return all(has(text, part) or has(text, part[::-1]) for part in parts)


def edremit_2026(kind="performance-programme"):
    one = {**with_id(project()), "reports": [report("2026-H1", 20, "50000.00"), report("2026-H2", 40, "25000.25")]}
    if kind == "performance-programme":
        return domain.programme(PLAN, [one], 2026, "edremit", TODAY)
    progress = {"indicators": [{"code": "PG1.3.1", "C": 12000, "D": 75.0}]}
    said = {"PG1.3.1": {"deviation_reasons": ["Geç ihale"], "measures": ["İkinci vardiya"]}}   # by the readings
    return domain.activity_report(PLAN, [one], 2026, "edremit", progress, TODAY, said)


def test_a_turkish_programme_has_the_guides_tables_with_decimal_commas():
    document = edremit_2026()
    text = pdf_text(printed.pdf(document, "performance-programme"))
    # P1 budgets 200,000.00 in 2026, has spent 75,000.25; H1.3 and H5.1 cost 300,000.00 each
    assert has(text, "Performans Programı 2026", "Performans Hedefleri ve Göstergeleri", "Faaliyet ve Projeler",
               "Kaynak İhtiyacı", "16.000", "200.000,00", "75.000,25", "124.999,75", "600.000,00", "-400.000,00",
               "İller Bankası", "Orta", "Sürüyor")
    assert not has(text, "Activity report", "200,000.00")
    assert has(text, "Meclis kararı bekleniyor")
    adopted = has(pdf_text(printed.pdf({**document, "adoption": {"decision_no": "2025/88",
                                                                 "decision_date": "2025-11-14"}},
                                       "performance-programme")), "Meclis Kararı: 2025/88, 2025-11-14")
    assert adopted
    book = openpyxl.load_workbook(io.BytesIO(printed.xlsx(document, "performance-programme")))
    assert book.sheetnames == ["Hedefler", "Projeler", "Kaynaklar"]
    assert [c.value for c in book["Projeler"][1]][:3] == ["Kod", "Faaliyet / Proje", "Tür"]
    assert [c.value for c in book["Projeler"][2]][10:13] == [200000.0, 75000.25, 124999.75]


def test_the_activity_report_sets_results_and_spending_against_targets_and_budget():
    document = edremit_2026("activity-report")
    text = pdf_text(printed.pdf(document, "activity-report"))
    assert has(text, "Faaliyet Raporu 2026", "Gerçekleşen Değer", "12.000", "75,0", "Geç ihale", "İkinci vardiya", "Bütçe ve Harcama",
               "Harcama Oranı (%)", "37,5")    # 75,000.25 of 200,000.00
    book = openpyxl.load_workbook(io.BytesIO(printed.xlsx(document, "activity-report")))
    rows = [[c for c in row if c is not None] for row in book["Hedefler"].iter_rows(values_only=True)]
    assert ["H1.3 Atık", "edremit", "PG1.3.1 Kompost", "ton", 0, 16000, 300000, 12000, 75, "Geç ihale",
            "İkinci vardiya"] in rows
    closing = {row[0]: row[1] for row in book["Kaynaklar"].iter_rows(values_only=True) if row[0]}
    assert closing["Harcama"] == 75000.25 and closing["Bütçe"] == 200000.0


def test_a_persian_programme_reads_right_to_left_with_solar_hijri_years_and_dates():
    # 2025-03-01 is 1403/12/11; the project runs through 1404 (2025-03-21 to 2026-03-20) and budgets for it
    one = {**with_id(project(budget={"1404": "200000.00"}, milestones=[])), "reports": []}
    document = domain.programme(PERSIAN, [one], 1404, None, TODAY)
    document["adoption"] = {"decision_no": "۱۲۳", "decision_date": "2025-03-10"}               # 1403/12/20
    assert [p["code"] for p in document["projects"]] == ["P1"]
    text = pdf_text(printed.pdf(document, "performance-programme"))
    assert has(text, "سند همکاری البرز", "برنامه عملکرد", "۱۴۰۴", "۱۶٬۰۰۰", "پروژه", "در حال اجرا", "-۵۰٬۰۰۰٫۰۰")
    assert has_rtl(text, "۱۴۰۳/۱۲/۱۱", "۲۰۰٬۰۰۰٫۰۰", "۱۴۰۳/۱۲/۲۰") and has(text, "مصوبه شورا") and not has(text, "2025-03-01", "1404", "250.000")
    book = openpyxl.load_workbook(io.BytesIO(printed.xlsx(document, "performance-programme")))
    assert book.sheetnames == ["اهداف", "پروژه‌ها", "منابع"] and book["اهداف"].sheet_view.rightToLeft
    assert book["اهداف"]["A2"].value == "برنامه عملکرد ۱۴۰۴ · همه شهرداری‌ها"
    assert [c.value for c in book["پروژه‌ها"][2]][8] == "1403/12/11"


def test_a_project_of_another_year_of_a_solar_hijri_plan_is_not_in_the_programme():
    # ends 2025-03-01, before 1404 begins (2025-03-21), and budgets nothing for 1404
    one = {**with_id(project(start="2024-04-01", end="2025-03-01", budget={"1403": "5.00"}, milestones=[])),
           "reports": []}
    assert domain.programme(PERSIAN, [one], 1404, None, TODAY)["projects"] == []
    assert [p["code"] for p in domain.programme(PERSIAN, [one], 1403, None, TODAY)["projects"]] == ["P1"]
