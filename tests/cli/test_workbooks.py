"""The contribution and readings workbooks, read back, and the local check naming cells."""
import copy

import openpyxl

from cli import contribution_book, readings_book
from cli.main import check_contribution
from ops.demo import korfez
from services.plan_registry import domain
from services.plan_registry.schemas import ContributionSchema, FrameSchema, PlanCreateSchema
from shared.validation import load


def stored_plan(calendar="gregorian", start=2025, end=2029):
    """The Körfez plan as the registry stores and serves it (defaults filled, contributions normalized)."""
    plan = {**load(PlanCreateSchema(), {**korfez.PLAN, "calendar": calendar, "period": {"start": start, "end": end}}),
            "status": "draft", "contributions": {}, "version": 7}
    plan["frame"] = load(FrameSchema(), korfez.FRAME)
    years = [str(y) for y in range(start, end + 1)]
    for regional in plan["frame"]["regional_indicators"]:
        regional["targets"] = dict(zip(years, regional["targets"].values()))
    for municipality, raw in korfez.CONTRIBUTIONS.items():
        raw = copy.deepcopy(raw)
        for objective in raw["objectives"]:
            objective["costs"] = dict(zip(years, objective.get("costs", {}).values()))
            for indicator in objective["indicators"]:
                indicator["targets"] = dict(zip(years, indicator["targets"].values()))
        plan["contributions"][municipality] = domain.normalized_contribution(
            plan, municipality, load(ContributionSchema(), raw))
    return plan


def roundtrip(plan, municipality, language, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(contribution_book.write(plan, municipality, language, plan["contributions"][municipality], 7))
    return path, contribution_book.read(path.read_bytes())


def comparable(contribution):
    """What a workbook carries of a stored contribution (texts in one language, server stamps aside)."""
    found = load(ContributionSchema(), {"objectives": [{k: v for k, v in o.items() if k != "inputs"}
                                                       for o in contribution["objectives"]]})
    for objective in found["objectives"]:
        objective["responsible_unit"]["municipality"] = None
    return found


def test_a_filled_workbook_reads_back_as_the_same_contribution(tmp_path):
    plan = stored_plan()
    _, (about, contribution, _, unreadable) = roundtrip(plan, "edremit", "en", tmp_path)
    assert about == {"plan": "korfez-2025-2029", "municipality": "edremit", "version": 7, "language": "en"}
    assert unreadable == {}
    assert check_contribution(plan, "edremit", contribution, {}, {}) == {}
    english = {"objectives": [{**o, "title": o["title"]["en"] if isinstance(o["title"], dict) else o["title"]}
                              for o in plan["contributions"]["edremit"]["objectives"]]}
    got, want = comparable(contribution), comparable(english)
    assert [o["code"] for o in got["objectives"]] == [o["code"] for o in want["objectives"]]
    for g, w in zip(got["objectives"], want["objectives"]):
        assert {k: g[k] for k in ("goal", "theme", "costs", "collaborators")} == \
               {k: w[k] for k in ("goal", "theme", "costs", "collaborators")}
        assert [(i["code"], i["weight"], i["baseline"], i["targets"], i["calculation"]) for i in g["indicators"]] == \
               [(i["code"], i["weight"], i["baseline"], i["targets"], i["calculation"]) for i in w["indicators"]]


def test_wrong_weights_a_missing_target_and_text_in_a_number_cell_are_named_by_cell(tmp_path):
    plan = stored_plan()
    path, _ = roundtrip(plan, "edremit", "en", tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["Indicators"]
    header = [c.value for c in sheet[1]]
    weight, target_2027, baseline = (header.index(h) + 1 for h in ("Weight in objective (%)", "Target 2027",
                                                                     "Baseline"))
    sheet.cell(2, weight).value = 95          # objective's weights no longer total 100
    sheet.cell(3, target_2027).value = None   # a plan year without a target
    sheet.cell(4, baseline).value = "about 40"
    book.save(path)
    about, contribution, cells, unreadable = contribution_book.read(path.read_bytes())
    problems = check_contribution(plan, "edremit", contribution, cells, unreadable)
    column = openpyxl.utils.get_column_letter
    assert f"Indicators!{column(weight)}2" in problems and "total" in " ".join(problems[f"Indicators!{column(weight)}2"])
    assert f"Indicators!{column(target_2027)}3" in problems
    assert "No target for plan year 2027" in " ".join(problems[f"Indicators!{column(target_2027)}3"])
    assert problems[f"Indicators!{column(baseline)}4"] == ["Baseline: 'about 40' is not a number."]


def test_an_indicator_of_an_unknown_objective_is_refused_not_dropped(tmp_path):
    plan = stored_plan()
    path, _ = roundtrip(plan, "edremit", "en", tmp_path)
    book = openpyxl.load_workbook(path)
    book["Indicators"].cell(2, 1).value = "H9.99"
    book.save(path)
    _, _, _, unreadable = contribution_book.read(path.read_bytes())
    assert unreadable == {"Indicators!A2": ["Objective 'H9.99' is not on the objectives sheet."]}


def test_a_persian_solar_hijri_plan_gets_a_right_to_left_book_with_its_own_years(tmp_path):
    plan = stored_plan("solar_hijri", 1401, 1404)
    path, (about, contribution, _, _) = roundtrip(plan, "edremit", "fa", tmp_path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[1:4] == ["اهداف", "شاخص‌ها", "ریسک‌ها"]
    assert all(book[name].sheet_view.rightToLeft for name in book.sheetnames[1:])
    header = [c.value for c in book["شاخص‌ها"][1]]
    assert [h for h in header if h.startswith("هدف 14")] == ["هدف 1401", "هدف 1402", "هدف 1403", "هدف 1404"]
    assert set(contribution["objectives"][0]["indicators"][0]["targets"]) == {"1401", "1402", "1403", "1404"}


def test_readings_template_and_csv_name_the_bad_cells(tmp_path):
    plan = stored_plan()
    path = tmp_path / "readings.xlsx"
    path.write_bytes(readings_book.template(plan, "2026-H1", "tr", ["gomec"]))
    book = openpyxl.load_workbook(path)
    sheet = book.active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == [i["code"] for o in plan["contributions"]["gomec"]["objectives"] for i in o["indicators"]]
    sheet.cell(2, 5).value = 12.5
    sheet.cell(3, 5).value = "on iki"
    book.save(path)
    lines, errors = readings_book.read(str(path))
    assert lines[0][1] == {"indicator": codes[0], "municipality": "gomec", "period": "2026-H1", "value": 12.5}
    assert errors == {"2026-H1!E3": ["value: 'on iki' is not a number."]}
    csv_path = tmp_path / "readings.csv"
    csv_path.write_text("indicator,municipality,period,value\nX1,gomec,2026-H1,\"3,5\"\nX2,gomec,2026-H1,abc\n")
    lines, errors = readings_book.read(str(csv_path))
    assert lines[0][1]["value"] == 3.5 and errors == {"line 3, value": ["value: 'abc' is not a number."]}


def test_a_round_trip_keeps_every_language_and_the_definitions_the_book_does_not_show(tmp_path):
    plan = stored_plan()
    stored = plan["contributions"]["edremit"]
    first = stored["objectives"][0]
    first["activities"] = [{"title": {"tr": "Eylem planı", "en": "Action plan"}, "kind": "activity"},
                           {"title": {"tr": "Ziyaretçi merkezi", "en": "Visitor centre"}, "kind": "project"}]
    first["findings"] = [{"tr": "Tespit", "en": "Finding"}, "Yalnız Türkçe"]
    first["risks"] = [{"text": {"tr": "Bütçe kısıtı", "en": "Budget limits"}, "control": {"tr": "Dış kaynak"}}]
    first["indicators"][0]["definition"] = {"tr": "Tanım", "en": "Definition"}
    path, (about, contribution, _, _) = roundtrip(plan, "edremit", "tr", tmp_path)
    kept = contribution_book.keep_languages(contribution, stored, about["language"])
    assert domain.normalized_contribution(plan, "edremit", load(ContributionSchema(), kept))["objectives"] == \
        load(ContributionSchema(), {"objectives": stored["objectives"]})["objectives"]

    # changed cells go into the book's language beside the others; new rows stay as written
    book = openpyxl.load_workbook(path)
    objectives = book["Hedefler"]
    header = [c.value for c in objectives[1]]
    objectives.cell(2, header.index("Hedef") + 1).value = "Yeni başlık"
    objectives.cell(2, header.index("Faaliyet ve Projeler (satır başına bir)") + 1).value = \
        "[project] Ziyaretçi merkezi\nEylem planı (güncel)"          # reordered, one edited
    objectives.cell(2, header.index("Tespitler") + 1).value = "Tespit\nYalnız Türkçe\nYeni tespit"   # one added
    book["Riskler"].cell(2, 3).value = "İç kaynak"
    book.save(path)
    _, contribution, _, _ = contribution_book.read(path.read_bytes())
    kept = contribution_book.keep_languages(contribution, stored, "tr")["objectives"][0]
    assert kept["title"] == {**first["title"], "tr": "Yeni başlık"}
    assert kept["activities"] == [first["activities"][1],
                                  {"title": {"tr": "Eylem planı (güncel)", "en": "Action plan"}, "kind": "activity"}]
    assert kept["findings"] == [*first["findings"], "Yeni tespit"]
    assert kept["risks"] == [{"text": first["risks"][0]["text"], "control": {"tr": "İç kaynak"}}]
    assert kept["indicators"][0]["definition"] == {"tr": "Tanım", "en": "Definition"}


def test_removals_name_the_objectives_and_indicators_the_book_lacks():
    plan = stored_plan()
    stored = plan["contributions"]["edremit"]
    assert contribution_book.removals(copy.deepcopy(stored), stored, "en") == []
    fewer = copy.deepcopy(stored)
    gone = fewer["objectives"].pop(1)
    fewer["objectives"][0]["indicators"].pop()
    found = contribution_book.removals(fewer, stored, "en")
    assert [(r["kind"], r["code"]) for r in found] == [
        ("indicator", stored["objectives"][0]["indicators"][1]["code"]), ("objective", gone["code"]),
        *[("indicator", i["code"]) for i in gone["indicators"]]]
    assert found[1]["title"] == gone["title"]["en"]
    assert len(contribution_book.removals({"objectives": []}, stored, "tr")) == 12


def test_the_readings_template_says_what_to_enter_for_the_second_half_and_has_a_weight_column(tmp_path):
    plan = stored_plan()
    path = tmp_path / "readings.xlsx"
    path.write_bytes(readings_book.template(plan, "2026-H2", "tr", ["gomec"]))
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert "weight" in header and header[-1] == "what_to_enter"
    rows = {row[0]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    green = next(code for code in rows if code.startswith("PG1."))         # cumulative: a flow
    assert rows[green]["what_to_enter"] == "Yalnız ikinci altı ayın tutarı (yıl = 1. + 2. altı ay)"
    answered = next(code for code in rows if code.startswith("PG3.") and code.endswith(".2"))
    assert rows[answered]["what_to_enter"] == "Yıl sonundaki düzey (yıl = 2. altı ay); pay ve payda (x100)"
    sheet.cell(2, header.index("value") + 1).value = 7
    sheet.cell(2, header.index("weight") + 1).value = 1200
    sheet.parent.save(path)
    lines, errors = readings_book.read(str(path))
    assert errors == {} and lines[0][1]["weight"] == 1200 and "what_to_enter" not in lines[0][1]
