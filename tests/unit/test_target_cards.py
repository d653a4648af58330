"""Target cards rendered from a plan: the same figures in JSON, XLSX and PDF, in the plan's language."""
import io

import openpyxl
from pypdf import PdfReader

from ops.demo import korfez
from services.plan_registry import domain, schemas, target_cards


def korfez_plan():
    """The demo plan as the registry stores it: loaded by its schemas and normalized."""
    plan = domain.new_plan(schemas.PlanCreateSchema().load(korfez.PLAN), "2026-01-01T00:00:00Z")
    plan["frame"] = domain.with_priorities(schemas.FrameSchema().load(korfez.FRAME))
    for district, contribution in korfez.CONTRIBUTIONS.items():
        plan["contributions"][district] = domain.normalized_contribution(
            plan, district, schemas.ContributionSchema().load(contribution))
    return plan


def test_every_objective_has_one_card_with_a_target_per_plan_year():
    plan = korfez_plan()
    doc = target_cards.document(plan, 7, "tr")
    objectives = [o for c in plan["contributions"].values() for o in c["objectives"]]
    assert len(doc["cards"]) == len(objectives) and doc["years"] == ["2025", "2026", "2027", "2028", "2029"]
    card = doc["cards"][0]
    assert set(card["indicators"][0]["targets"]) == set(doc["years"])
    assert sum(i["weight"] for i in card["indicators"]) == 100
    edremit = target_cards.document(plan, 7, "tr", "edremit")
    assert {c["municipality"] for c in edremit["cards"]} == {"edremit"}


def test_xlsx_and_pdf_carry_the_cards_figures():
    plan = korfez_plan()
    doc = target_cards.document(plan, 7, "tr")
    book = openpyxl.load_workbook(io.BytesIO(target_cards.xlsx(doc)))
    goals = {c["goal"]["code"] for c in doc["cards"]}
    assert len(book.sheetnames) == len(goals) + 1   # and one sheet of the regional indicators
    cells = [v for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    first = doc["cards"][0]["indicators"][0]
    assert "Hedefe Etkisi (%)" in cells and first["code"] in cells and first["targets"]["2029"] in cells
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(target_cards.pdf(doc))).pages)
    assert "Sorumlu Birim" in text and all(c["objective"]["code"] in text for c in doc["cards"])


def test_a_persian_workbook_reads_right_to_left():
    plan = korfez_plan()
    doc = target_cards.document(plan, 7, "fa")
    book = openpyxl.load_workbook(io.BytesIO(target_cards.xlsx(doc)))
    assert all(ws.sheet_view.rightToLeft for ws in book.worksheets)
    assert book.worksheets[0].title.startswith("هدف کلان")


def test_each_indicator_shows_its_definition_calculation_class_and_data_source():
    plan = korfez_plan()
    edremit = plan["contributions"]["edremit"]["objectives"][0]["indicators"][0]
    edremit["definition"] = {"tr": "Yıl içinde tamamlanan işlerin sayısı", "en": "Works completed in the year"}
    doc = target_cards.document(plan, 7, "tr", "edremit")
    first = doc["cards"][0]["indicators"][0]
    assert (first["calculation_label"], first["class_label"], first["data_source"], first["definition"]) == (
        "Artış", "Çıktı", "Birim faaliyet kayıtları", "Yıl içinde tamamlanan işlerin sayısı")
    book = openpyxl.load_workbook(io.BytesIO(target_cards.xlsx(doc)))
    rows = [row for ws in book.worksheets for row in ws.iter_rows(values_only=True)]
    header = next(row for row in rows if "Hesaplama" in row)
    assert {"Gösterge Türü", "Veri Kaynağı", "Tanım"} <= set(header)
    line = next(row for row in rows if row[0] == first["code"])
    assert line[header.index("Hesaplama")] == "Artış" and line[header.index("Tanım")] == first["definition"]
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(target_cards.pdf(doc))).pages).split())
    assert "Birim faaliyet kayıtları" in text and "Çıktı" in text and "Artış" in text
    english = target_cards.document(plan, 7, "en", "edremit")["cards"][0]["indicators"][0]
    assert english["definition"] == "Works completed in the year" and english["class_label"] == "Output"


def test_each_regional_indicator_has_a_card_naming_its_rule_and_what_feeds_it():
    plan = korfez_plan()
    doc = target_cards.document(plan, 7, "tr")
    frame = plan["frame"]["regional_indicators"]
    assert [c["code"] for c in doc["regional"]] == [r["code"] for r in frame]
    feeding = {(m, i["code"]) for m, c in plan["contributions"].items() for o in c["objectives"]
               for i in o["indicators"] if i.get("contributes_to") == frame[0]["code"]}
    card = doc["regional"][0]
    assert {(c["municipality"], c["code"]) for c in card["contributors"]} == feeding and feeding
    assert card["aggregation_label"] == target_cards.AGGREGATIONS["tr"][frame[0]["aggregation"]]
    assert set(card["targets"]) == set(doc["years"]) and card["goal"]["code"] == frame[0]["goal"]
    book = openpyxl.load_workbook(io.BytesIO(target_cards.xlsx(doc)))
    sheet = book["Bölgesel Göstergeler"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Kod", "Gösterge", "Birim", "Amaç", "Bölge Değeri")
    assert [r[0] for r in rows[1:]] == [c["code"] for c in doc["regional"]]
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(target_cards.pdf(doc))).pages).split())
    assert "Bölgesel Göstergeler" in text and all(c["code"] in text for c in doc["regional"])
    # one municipality's cards keep the regional indicators it feeds, and only those
    municipality = sorted(feeding)[0][0]
    mine = target_cards.document(plan, 7, "fa", municipality)["regional"]
    assert mine and all(municipality in {c["municipality"] for c in r["contributors"]} for r in mine)
    assert mine[0]["aggregation_label"] == target_cards.AGGREGATIONS["fa"][mine[0]["aggregation"]]
