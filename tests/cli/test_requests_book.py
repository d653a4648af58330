"""Service requests read from a CSV or a workbook, and the server's errors named by their cells."""
from datetime import datetime

import openpyxl

from cli import requests_book

HEADER = ["id", "service_code", "requested_datetime", "status", "closed_datetime", "neighbourhood", "lat", "long",
          "first_name"]


def test_a_csv_reads_as_the_import_takes_it(tmp_path):
    path = tmp_path / "muhtarlik.csv"
    path.write_text(",".join(HEADER) + "\n"
                    "M-1,CUKUR,2026-03-01T09:30:00+03:00,closed,2026-03-04 10:00,Laleli,\"38,61\",27.43,Ayşe\n"
                    "M-2,COP,2026-03-02,open,,Laleli,,,\n"
                    ",,,,,,,,\n"
                    "M-3,COP,dün,open,,Laleli,kuzey,27.4,\n", encoding="utf-8")
    rows, errors = requests_book.read(path, "Europe/Istanbul")
    lines = [line for _, line in rows]
    assert lines[0] == {"id": "M-1", "service_code": "CUKUR", "requested_datetime": "2026-03-01T09:30:00+03:00",
                        "status": "closed", "closed_datetime": "2026-03-04T10:00:00+03:00", "neighbourhood": "Laleli",
                        "lat": 38.61, "long": 27.43, "first_name": "Ayşe"}
    assert lines[1] == {"id": "M-2", "service_code": "COP", "requested_datetime": "2026-03-02T00:00:00+03:00",
                        "status": "open", "neighbourhood": "Laleli"}
    assert len(lines) == 3   # the empty row is skipped
    assert set(errors) == {"line 5, requested_datetime", "line 5, lat"}


def test_a_workbook_reads_times_in_the_given_zone_and_names_cells(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Mart"
    ws.append(HEADER)
    ws.append(["M-1", "CUKUR", datetime(2026, 3, 1, 9, 30), "open", None, "Laleli", 38.61, 27.43, None])
    path = tmp_path / "book.xlsx"
    book.save(path)
    rows, errors = requests_book.read(path, "Asia/Tehran")
    assert errors == {}
    [(place, line)] = rows
    assert line["requested_datetime"] == "2026-03-01T09:30:00+03:30"
    assert place("service_code") == "Mart!B2"
    assert requests_book.placed({"requests[0].service_code": ["No such service."], "requests": ["x"]},
                                [place]) == {"Mart!B2": ["No such service."], "requests": ["x"]}
