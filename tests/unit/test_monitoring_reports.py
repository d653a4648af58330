"""The monitoring and evaluation reports a council receives, read back from XLSX and PDF: the
plan's language, its band names, numbers in the language's own form, objective titles and
responsible units, each reading's note and source, and the guide's yearly evaluation table."""
import io

import openpyxl
import pytest
from pypdf import PdfReader

from services.monitoring import domain, reports
from shared.calendars import parse_period
from tests.unit.test_monitoring_domain import plan, readings

NOTES = {("inc", "2026-H1"): {"note": "Saha sayımı", "source": "Fen İşleri kayıtları", "deviation_reason": None},
         ("inc", "2026"): {"note": None, "source": None, "deviation_reason": "İhale gecikti",
                           "measures": "İhale yeniden açıldı"}}


def council_plan(locale="tr"):
    p = plan()
    p.update(title={"tr": "Körfez Ortak Planı", "fa": "برنامه مشترک", "en": "Körfez joint plan"}, locale=locale)
    p["goals"][0]["title"] = {"tr": "Hizmet kalitesi", "fa": "کیفیت خدمات", "en": "Service quality"}
    for objective, title in zip(p["objectives"], ("Yolları onarmak", "Yeşil alanı artırmak")):
        objective.update(title={"tr": title, "fa": "هدف", "en": "objective"},
                         responsible_unit={"municipality": objective["municipality"], "unit": "Fen İşleri Müdürlüğü"})
    p["indicators"][0]["targets"] = {"2025": 15, "2026": 20, "2027": 25, "2028": 30, "2029": 35}
    return p


APPROVED = readings(inc__2026_H1=18, inc__2026_H2=19, dec__2026_H1=90, dec__2026_H2=85,
                    green1__2025_H1=3000, green1__2025_H2=5000, green1__2026_H1=4000, green1__2026_H2=4000,
                    ans1__2026_H1={"numerator": 95, "denominator": 100}, ans1__2026_H2={"numerator": 95, "denominator": 100},
                    ans0__2026_H1={"numerator": 1, "denominator": 2}, ans0__2026_H2={"numerator": 1, "denominator": 1},
                    inc__2025_H2=14)


def progress(p, key):
    period = parse_period(key, "gregorian")
    return {"period": period.as_dict(), "version": 3, **domain.compute_period(p, APPROVED, period)}


def monitoring_report(locale="tr"):
    p = council_plan(locale)
    return reports.document("monitoring", p, progress(p, "2026-H1"), notes=NOTES)


def pdf_text(content):
    """The PDF's text without its spacing (table cells wrap their words)."""
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def has(text, *parts):
    return all("".join(part.split()) in text for part in parts)


def test_a_turkish_monitoring_report_speaks_turkish_with_decimal_commas():
    report = monitoring_report()
    # inc: (18 - 10) / (20 - 10) = 80 %, "good" in Turkish
    inc = next(i for i in report["indicators"] if i["code"] == "inc")
    assert (inc["D"], inc["band_label"], inc["note"], inc["source"]) == (80, "İyi", "Saha sayımı",
                                                                        "Fen İşleri kayıtları")
    objective = next(o for o in report["objectives"] if o["code"] == "H1.1")
    assert objective["title"] == "Yolları onarmak" and objective["responsible_unit"] == "Fen İşleri Müdürlüğü"
    book = openpyxl.load_workbook(io.BytesIO(reports.xlsx(report)))
    assert book.sheetnames == ["Özet", "Amaç A1"]
    summary = {row[0]: row[1] for row in book["Özet"].iter_rows(values_only=True) if row[0]}
    assert summary["Rapor"] == "İzleme Raporu" and summary["Belediye"] == "Tüm belediyeler"
    assert summary["Plan Gerçekleşme Oranı (%)"] == round(report["plan"]["realization"], 2)
    assert summary["Başarı Düzeyi"] == reports.BANDS["tr"][report["plan"]["band"]]
    cells = [c for row in book["Amaç A1"].iter_rows(values_only=True) for c in row if c is not None]
    assert {"Gerçekleşme Oranı (D, %)", "Saha sayımı", "Fen İşleri kayıtları", "Yolları onarmak",
            "Fen İşleri Müdürlüğü", "İyi"} <= set(cells)
    text = pdf_text(reports.pdf(report))
    plan_figure = f"{report['plan']['realization']:.1f}".replace(".", ",")
    assert has(text, "İzleme Raporu", f"Plan Gerçekleşme Oranı (%): {plan_figure}", "80,0", "Yolları onarmak",
               "Saha sayımı", "Fen İşleri kayıtları", "Başarı Düzeyi", "16.000")    # B of green1, grouped
    assert not has(text, "Very good")


def test_a_persian_report_has_persian_digits_and_labels():
    report = monitoring_report("fa")
    text = pdf_text(reports.pdf(report))
    assert has(text, "۸۰٫۰", "۱۶٬۰۰۰", "خوب") and not has(text, "80.0")
    book = openpyxl.load_workbook(io.BytesIO(reports.xlsx(report)))
    assert book.sheetnames == ["خلاصه", "هدف کلان A1"] and book["خلاصه"].sheet_view.rightToLeft
    summary = {row[0]: row[1] for row in book["خلاصه"].iter_rows(values_only=True) if row[0]}
    assert summary["گزارش"] == "گزارش پایش" and summary["شهرداری"] == "همه شهرداری‌ها"
    assert summary["دوره"] == "۲۰۲۶-H۱" and summary["سطح عملکرد"] == reports.BANDS["fa"][report["plan"]["band"]]
    assert summary["درصد تحقق برنامه"] == round(report["plan"]["realization"], 2)   # a number, shown by the reader's Excel
    cells = {c for row in book["هدف کلان A1"].iter_rows(values_only=True) for c in row if c is not None}
    assert {"درصد تحقق (D)", "مقدار پایه (A)", "منبع داده", "خوب"} <= cells


def test_an_incomplete_report_says_what_is_missing():
    p = council_plan("en")
    period = parse_period("2026-H1", "gregorian")
    figures = domain.compute_period(p, readings(inc__2026_H1=18), period)
    report = reports.document("monitoring", p, {"period": period.as_dict(), "version": 1, **figures})
    text = pdf_text(reports.pdf(report))
    assert has(text, "Incomplete goals: A1.", "No approved reading for 2026-H1.")


def test_the_evaluation_report_has_the_guides_yearly_columns():
    p = council_plan()
    periods = {key: progress(p, key) for key in ("2025", "2026", "2026-H1", "2026-H2")}
    rows = domain.evaluation_rows(p, 2026, periods, NOTES)
    inc = next(r for r in rows if r["code"] == "inc")
    # first and second monitoring values 18 and 19; the year reads H2: D = (19 - 10) / (20 - 10) = 90,
    # not reached; 2025's D = (14 - 10) / (15 - 10) = 80; at this pace (9 in two years) the plan ends
    # at 10 + 9 x 5 / 2 = 32.5 against 35: D = 90
    assert (inc["first"], inc["second"], inc["C"], inc["D"], inc["reached"]) == (18, 19, 19, 90, False)
    assert inc["cumulative"] == {"2025": 80, "2026": 90} and inc["forecast"] == {"C": 32.5, "D": 90}
    assert inc["deviation_reasons"] == ["İhale gecikti"] and inc["measures"] == ["İhale yeniden açıldı"]
    green = next(r for r in rows if r["code"] == "green1")
    assert green["C"] == 16000 and green["D"] == 100 and green["reached"] is True
    report = reports.document("evaluation", p, periods["2026"], notes=NOTES, evaluation=rows,
                              halves=[{"period": k, "plan": periods[k]["plan"], "goals": periods[k]["goals"]}
                                      for k in ("2026-H1", "2026-H2")])
    book = openpyxl.load_workbook(io.BytesIO(reports.xlsx(report)))
    assert book.sheetnames == ["Özet", "Amaç A1", "Yıllık Değerlendirme", "Kümülatif Gerçekleşme (%)"]
    table = list(book["Yıllık Değerlendirme"].iter_rows(values_only=True))
    assert table[0][6:11] == ("1. İzleme Değeri", "2. İzleme Değeri", "Yıl Sonu Değeri",
                              "Gerçekleşme Oranı (D, %)", "Hedefe Ulaşıldı mı?")
    row = next(r for r in table if r[1] == "inc")
    assert row[6:15] == (18, 19, 19, 90, "Hayır", "İhale gecikti", "İhale yeniden açıldı", 32.5, 90)
    assert table[0][11:13] == ("Sapma Nedenleri", "Alınan Tedbirler")
    text = pdf_text(reports.pdf(report))
    assert has(text, "Değerlendirme Raporu", "Sapma Nedenleri", "İhale gecikti", "Alınan Tedbirler",
               "İhale yeniden açıldı", "32,5", "Hayır", "Evet")


@pytest.mark.parametrize("value, language, text", [
    (87.5, "tr", "87,5"), (40000, "tr", "40.000"), ("250000.00", "tr", "250.000,00"), (87.5, "fa", "۸۷٫۵"),
    (40000, "fa", "۴۰٬۰۰۰"), (1234.5, "en", "1,234.5"), ("1402/01/01", "fa", "۱۴۰۲/۰۱/۰۱"), (None, "tr", "–")])
def test_numbers_in_the_languages_own_form(value, language, text):
    from shared.documents import number
    assert number(value, language) == text
