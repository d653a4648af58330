"""`ortak template projects` / `ortak push projects` against the running system: a workbook filled
by an office, a refused cell named before anything is sent, the projects listed by the API, a push
run again sending nothing twice, and a change queued offline that `ortak sync` sends."""
import openpyxl
import pytest

from tests.cli.test_projects_book import fill
from tests.cli.test_sync import ortak, token

pytestmark = pytest.mark.stack

ROWS = [{"code": "PR1", "title": "Kompost tesisi", "municipality": "edremit", "objective": "H1.3",
         "responsible_unit": "Temizlik İşleri Müdürlüğü", "partners": "Balıkesir Üniversitesi: university",
         "horizon": "short", "priority": 1, "start": "2025-01-01", "end": "2026-12-31", "budget.2025": 100000,
         "budget.2026": "250000,50", "funding": "İller Bankası: 350000.50"},
        {"code": "PR2", "title": "Atık ayrıştırma kampanyası", "kind": "activity", "municipality": "edremit",
         "objective": "H1.1", "responsible_unit": "Temizlik İşleri Müdürlüğü", "horizon": "mid", "priority": 2,
         "start": "2026-02-01", "end": "2026-12-31", "budget.2026": 40000}]


def test_a_projects_workbook_round_trip_with_a_refused_cell_resumed_and_synced(adopted, token_for, stack,
                                                                               public, tmp_path):
    planner = token(token_for("planner", "edremit"))
    book = tmp_path / "projeler.xlsx"
    assert ortak(tmp_path, stack.url, planner, "template", "projects", "--plan", adopted,
                 "--municipality", "edremit", "-o", str(book))[0] == 0
    # H1.1 is Ayvalık's objective, and Ayvalık is no partner of PR2: refused at its cell, nothing sent
    fill(book, ROWS, [{"project": "PR1", "milestone": "Açılış", "due": "2026-10-31"}])
    code, refused = ortak(tmp_path, stack.url, planner, "push", "projects", str(book))
    assert code == 1 and "nothing was sent" in refused["error"]
    assert list(refused["errors"]) == ["Projeler!E3"]
    assert refused["errors"]["Projeler!E3"][0].startswith("objective: Objective H1.1 belongs to ayvalik")
    assert public.get(f"/plans/{adopted}/projects") == []

    fill(book, [ROWS[0], {**ROWS[1], "partners": "ayvalik: municipality"}])
    code, sent = ortak(tmp_path, stack.url, planner, "push", "projects", str(book))
    assert code == 0 and (sent["created"], sent["queued"]) == (2, 0), sent
    listed = {p["code"]: p for p in public.get(f"/plans/{adopted}/projects")}
    assert list(listed) == ["PR1", "PR2"]                                   # short before mid
    assert listed["PR1"]["budget"] == {"2025": "100000.00", "2026": "250000.50"}
    assert listed["PR1"]["milestones"] == [{"title": "Açılış", "due": "2026-10-31", "done_on": None}]
    assert listed["PR2"]["kind"] == "activity" and listed["PR2"]["partners"][0]["name"] == "ayvalik"

    code, again = ortak(tmp_path, stack.url, planner, "push", "projects", str(book))
    assert code == 0 and (again["skipped"], again["created"], again["changed"]) == (2, 0, 0)

    # a change made offline waits in the outbox; `ortak sync` sends it (the If-Match'd change)
    wb = openpyxl.load_workbook(book)
    wb["Aşamalar"]["D2"] = "2026-11-20"                                      # Açılış done
    wb.save(book)
    code, queued = ortak(tmp_path, stack.url, planner, "push", "projects", str(book), "--offline")
    assert code == 4 and (queued["queued"], queued["skipped"]) == (1, 1)
    assert public.get(f"/projects/{listed['PR1']['id']}")["version"] == 1
    code, synced = ortak(tmp_path, stack.url, planner, "sync")
    assert code == 0 and (synced["sent"], synced["projects"]) == (1, 1), synced
    changed = public.get(f"/projects/{listed['PR1']['id']}")
    assert changed["version"] == 2 and changed["milestones"][0]["done_on"] == "2026-11-20"
    assert len(public.get(f"/plans/{adopted}/projects")) == 2
