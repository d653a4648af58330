"""The web's pieces around the command line's workbooks: the council decision's date as people write
it, the problems of a workbook listed by sheet and cell in the book's order, and a plan's diff with
names beside the codes."""
import datetime

from services.web import changes, workbook
from services.web.i18n import parse_date


def test_a_date_is_read_as_people_write_it():
    assert parse_date("2024-11-14") == datetime.date(2024, 11, 14)
    assert parse_date("14.11.2024") == parse_date("14/11/2024") == datetime.date(2024, 11, 14)
    assert parse_date("۱۴۰۳-۰۸-۲۴") == datetime.date(2024, 11, 14)   # Solar Hijri, Persian digits
    assert parse_date("2024-13-40") is None and parse_date("yesterday") is None


def test_problems_are_listed_by_sheet_then_row_then_column():
    listed = workbook.by_sheet({"Indicators!F3": ["c"], "Indicators!AA2": ["b"], "Indicators!E2": ["a"],
                                "Objectives!B2": ["d"], "goals.A1": ["e"]})
    assert listed == [("Indicators", [("E2", ["a"]), ("AA2", ["b"]), ("F3", ["c"])]),
                      ("Objectives", [("B2", ["d"])]), (None, [("goals.A1", ["e"])])]


def test_a_diff_names_its_objectives_and_indicators_from_either_version():
    old = {"contributions": {"edremit": {"objectives": [
        {"code": "H1.1", "title": {"tr": "Eski"}, "indicators": [{"code": "PG1.1.1", "name": {"tr": "Gider"}}]}]}}}
    new = {"contributions": {"edremit": {"objectives": [{"code": "H1.2", "title": {"tr": "Yeni"}, "indicators": []}]}}}
    diff = {"from": 3, "to": 4, "status": None, "frame": {}, "targets": [],
            "objectives": {"added": [{"code": "H1.2", "municipality": "edremit"}],
                           "removed": [{"code": "H1.1", "municipality": "edremit"}], "changed": []},
            "indicators": {"added": [], "removed": [{"code": "PG1.1.1", "municipality": "edremit"}], "changed": []}}
    readable = changes.readable(diff, old, new)
    assert readable["objectives"]["added"][0]["name"] == {"tr": "Yeni"}
    assert readable["objectives"]["removed"][0]["name"] == {"tr": "Eski"}
    assert readable["indicators"]["removed"][0]["name"] == {"tr": "Gider"}
    assert not readable["empty"]
    assert changes.readable({**diff, "objectives": {}, "indicators": {}}, old, new)["empty"]
