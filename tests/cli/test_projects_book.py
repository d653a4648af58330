"""The projects workbook: written, filled as an office fills it, read back and checked by cell."""
import datetime

import openpyxl

from cli import projects_book
from services.plan_registry import domain as rules
from tests.cli.test_workbooks import stored_plan


def view():
    return rules.monitoring_view({**stored_plan(), "adoption": {"decision_no": "2025/14"}})


def fill(path, rows, milestones=()):
    """Rows by field name into the sheets of a template, as a person types them."""
    book = openpyxl.load_workbook(path)
    layout = {row[0].value: (row[1].value, [c.value for c in row[2:] if c.value])
              for row in book["ortak"].iter_rows(min_row=11, max_row=12)}
    for sheet, lines in (("projects", rows), ("milestones", milestones)):
        name, fields = layout[sheet]
        for r, line in enumerate(lines, start=2):
            for field, value in line.items():
                book[name].cell(r, fields.index(field) + 1).value = value
    book.save(path)


KOMPOST = {"code": "E1", "title": "Kompost tesisi", "kind": "project", "municipality": "edremit",
           "objective": "H1.3", "responsible_unit": "Temizlik İşleri Müdürlüğü",
           "partners": "Balıkesir Üniversitesi: university", "horizon": "short", "priority": 1,
           "start": datetime.datetime(2025, 1, 1), "end": "2026-12-31", "budget.2025": 100000,
           "budget.2026": "250000,50", "funding": "İller Bankası: 350000.50"}


def test_a_filled_book_reads_back_as_the_projects_the_api_takes(tmp_path):
    plan, path = view(), tmp_path / "projects.xlsx"
    path.write_bytes(projects_book.write(plan, "tr"))
    fill(path, [KOMPOST], [{"project": "E1", "milestone": "İhale", "due": datetime.datetime(2025, 5, 31),
                            "done_on": "2025-05-20"}])
    about, projects, cells, unreadable = projects_book.read(path.read_bytes())
    assert about == {"plan": "korfez-2025-2029", "kind": "projects", "language": "tr"} and unreadable == {}
    assert projects == [{
        "code": "E1", "title": "Kompost tesisi", "kind": "project", "municipality": "edremit", "objective": "H1.3",
        "goal": None, "strategy": None, "responsible_unit": "Temizlik İşleri Müdürlüğü", "horizon": "short",
        "start": "2025-01-01", "end": "2026-12-31", "priority": 1,
        "budget": {"2025": "100000.00", "2026": "250000.50"},
        "partners": [{"name": "Balıkesir Üniversitesi", "kind": "university"}],
        "funding": [{"source": "İller Bankası", "amount": "350000.50"}], "bank": [],
        "milestones": [{"title": "İhale", "due": "2025-05-31", "done_on": "2025-05-20"}]}]
    assert projects_book.check(plan, projects, cells, unreadable) == {}
    # written back filled, the book reads as the same projects
    path.write_bytes(projects_book.write(plan, "tr", [{**projects[0], "description": None}]))
    assert projects_book.read(path.read_bytes())[1] == projects


def test_each_refused_cell_is_named_by_sheet_and_cell(tmp_path):
    plan, path = view(), tmp_path / "projects.xlsx"
    path.write_bytes(projects_book.write(plan, "en"))
    fill(path, [{**KOMPOST, "budget.2026": "a lot"},
                {**KOMPOST, "code": "E2", "objective": "H1.1", "partners": None},   # Ayvalık's objective
                {**KOMPOST, "code": "E3", "priority": 9}],
         [{"project": "E1", "milestone": "Açılış", "due": "2027-03-01"},          # after the end
          {"project": "E9", "milestone": "Lost", "due": "2026-01-01"}])
    about, projects, cells, unreadable = projects_book.read(path.read_bytes())
    problems = projects_book.check(plan, projects, cells, unreadable)
    budget_2026 = openpyxl.utils.get_column_letter(projects_book.columns(plan)["projects"].index("budget.2026") + 1)
    assert set(problems) == {f"Projects!{budget_2026}2", "Projects!E3", "Projects!K4", "Milestones!C2",
                             "Milestones!A3"}
    assert "not an amount" in problems[f"Projects!{budget_2026}2"][0]
    assert problems["Projects!E3"][0].startswith("objective: Objective H1.1 belongs to ayvalik")
    assert problems["Projects!K4"][0].startswith("priority: ")
    assert problems["Milestones!C2"][0].startswith("milestones[0].due: Due 2027-03-01, after the project's end")
