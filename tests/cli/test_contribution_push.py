"""What a contribution push must never do quietly: remove a district's objectives and indicators,
or drop the languages of its texts."""
import openpyxl
import pytest

from tests.cli.test_sync import ortak, token

pytestmark = pytest.mark.stack


def contribution_of(client, plan_id, municipality):
    return client.get(f"/plans/{plan_id}")["contributions"][municipality]


def counts(contribution):
    return len(contribution["objectives"]), sum(len(o["indicators"]) for o in contribution["objectives"])


def test_an_empty_workbook_is_refused_instead_of_removing_the_plan(adopted, coordinator, token_for, stack, tmp_path):
    planner = token(token_for("planner", "edremit"))
    coordinator.post(f"/plans/{adopted}/revisions", {"kind": "update", "reason": "Ara değerlendirme"}, expect=201)
    before = coordinator.get(f"/plans/{adopted}")
    assert counts(before["contributions"]["edremit"]) == (4, 8)
    book = tmp_path / "edremit.xlsx"
    assert ortak(tmp_path, stack.url, planner, "template", "contribution", "--plan", adopted,
                 "--municipality", "edremit", "-o", str(book))[0] == 0

    code, checked = ortak(tmp_path, stack.url, planner, "push", "contribution", str(book), "--check")
    assert code == 1 and "would remove 4 objective(s) and 8 indicator(s)" in checked["error"]
    removed = checked["errors"]["removed"]
    assert len(removed) == 12
    assert "objective H5.1: Edremit Belediyesi: turizm ve tanıtım hizmetlerini geliştirmek" in removed
    assert any(line.startswith("indicator PG5.1.1 (of H5.1): ") for line in removed)

    code, refused = ortak(tmp_path, stack.url, planner, "push", "contribution", str(book), "--rebase")
    assert code == 1 and "nothing was sent" in refused["error"] and len(refused["errors"]["removed"]) == 12
    after = coordinator.get(f"/plans/{adopted}")
    assert after["version"] == before["version"]
    assert counts(after["contributions"]["edremit"]) == (4, 8)

    # told explicitly, the check says what goes and the push removes it
    code, checked = ortak(tmp_path, stack.url, planner, "push", "contribution", str(book), "--check",
                          "--allow-removals")
    assert code == 0 and len(checked["removed"]) == 12
    code, sent = ortak(tmp_path, stack.url, planner, "push", "contribution", str(book), "--rebase",
                       "--allow-removals")
    assert code == 0 and sent["objectives"] == 0 and len(sent["removed"]) == 12
    assert counts(contribution_of(coordinator, adopted, "edremit")) == (0, 0)


def test_a_row_taken_out_of_a_pulled_workbook_is_named_before_anything_is_sent(draft, coordinator, token_for,
                                                                               stack, tmp_path):
    planner = token(token_for("planner", "edremit"))
    book = tmp_path / "edremit.xlsx"
    assert ortak(tmp_path, stack.url, planner, "pull", "contribution", "--plan", draft, "--municipality", "edremit",
                 "-o", str(book))[0] == 0
    wb = openpyxl.load_workbook(book)
    wb["Göstergeler"].delete_rows(3)        # the second indicator of the first objective
    wb["Göstergeler"].cell(2, 5).value = 100  # its weight goes to the first, so the book is valid
    wb.save(book)
    code, refused = ortak(tmp_path, stack.url, planner, "push", "contribution", str(book))
    assert code == 1
    assert refused["errors"]["removed"] == ["indicator PG5.1.2 (of H5.1): Turizm ve Tanıtım: memnuniyet"]
    assert counts(contribution_of(coordinator, draft, "edremit")) == (4, 8)


def test_a_pulled_workbook_pushed_back_keeps_every_language(draft, coordinator, token_for, stack, tmp_path):
    planner = token(token_for("planner", "edremit"))
    before = coordinator.get(f"/plans/{draft}")
    book = tmp_path / "edremit.xlsx"
    assert ortak(tmp_path, stack.url, planner, "pull", "contribution", "--plan", draft, "--municipality", "edremit",
                 "-o", str(book))[0] == 0
    wb = openpyxl.load_workbook(book)
    sheet = wb["Göstergeler"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("Hedef 2027") + 1).value = 99
    wb.save(book)

    code, result = ortak(tmp_path, stack.url, planner, "push", "contribution", str(book))
    assert code == 0, result
    after = coordinator.get(f"/plans/{draft}")
    assert after["version"] == before["version"] + 1
    changes = coordinator.get(f"/plans/{draft}/diff?from={before['version']}&to={after['version']}")
    assert changes["objectives"] == {"added": [], "removed": [], "changed": []}
    code = sheet.cell(2, 2).value
    assert changes["indicators"] == {"added": [], "removed": [], "changed": [
        {"code": code, "municipality": "edremit", "fields": ["targets"]}]}
    assert [(t["indicator"], t["year"], t["to"]) for t in changes["targets"]] == [(code, "2027", 99)]
    first = after["contributions"]["edremit"]["objectives"][0]
    assert first["title"] == before["contributions"]["edremit"]["objectives"][0]["title"]
    assert set(first["title"]) == {"tr", "en"} and set(first["indicators"][0]["name"]) == {"tr", "en"}
    assert first["indicators"][0]["data_source"] == {"tr": "Birim faaliyet kayıtları"}

    # a changed title goes into the book's language; the English one stays
    wb = openpyxl.load_workbook(book)
    wb["Hedefler"].cell(2, 4).value = "Edremit: turizmi güçlendirmek"
    wb["Göstergeler"].cell(2, 3).value = "Yayımlanan bülten"
    wb.save(book)
    code, result = ortak(tmp_path, stack.url, planner, "push", "contribution", str(book), "--rebase")
    assert code == 0, result
    first = contribution_of(coordinator, draft, "edremit")["objectives"][0]
    assert first["title"] == {"tr": "Edremit: turizmi güçlendirmek",
                              "en": before["contributions"]["edremit"]["objectives"][0]["title"]["en"]}
    assert first["indicators"][0]["name"]["tr"] == "Yayımlanan bülten"
    assert first["indicators"][0]["name"]["en"] == \
        before["contributions"]["edremit"]["objectives"][0]["indicators"][0]["name"]["en"]

    # the same book again: nothing new to store, no new version
    version = coordinator.get(f"/plans/{draft}")["version"]
    code, result = ortak(tmp_path, stack.url, planner, "push", "contribution", str(book), "--rebase")
    assert code == 0 and result["unchanged"] is True
    assert coordinator.get(f"/plans/{draft}")["version"] == version
