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
    assert len(book.sheetnames) == len(goals)
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
