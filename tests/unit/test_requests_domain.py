"""Rules of neighbourhood service requests without RabbitMQ or a store."""
from datetime import date, datetime, timezone

import pytest

from services.requests import domain
from shared.errors import InvalidInput
from shared.validation import Problems


# -- the lifecycle ---------------------------------------------------------------------------------

@pytest.mark.parametrize("current, wanted", [("open", "assigned"), ("assigned", "in_progress"),
                                             ("in_progress", "closed"), ("open", "open"),
                                             ("assigned", "assigned"), ("in_progress", "in_progress")])
def test_a_request_moves_one_step_at_a_time_or_stays(current, wanted):
    assert domain.check_move(current, wanted) is None


@pytest.mark.parametrize("current, wanted, words", [
    ("open", "in_progress", "cannot skip assigned"),
    ("open", "closed", "cannot skip assigned, in_progress"),
    ("assigned", "closed", "cannot skip in_progress"),
    ("in_progress", "assigned", "does not move back"),
    ("closed", "closed", "is closed"),
    ("closed", "open", "is closed"),
    ("open", "done", "Unknown status"),
])
def test_moves_that_skip_or_break_the_lifecycle_are_refused_naming_the_field(current, wanted, words):
    assert words in domain.check_move(current, wanted)
    with pytest.raises(InvalidInput) as refused:
        domain.require_move(current, wanted)
    assert list(refused.value.errors) == ["status"]


def test_open311_knows_open_and_closed():
    assert [domain.open311_status(s) for s in domain.LIFECYCLE] == ["open", "open", "open", "closed"]


# -- location --------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, fields", [
    ({"lat": 38.61, "long": 27.43}, []),
    ({"address": "Lale Sk. 4, Laleli"}, []),
    ({"lat": 91.0, "long": 27.43}, ["lat"]),
    ({"lat": 38.6, "long": -181.0}, ["long"]),
    ({"lat": 38.6}, ["long"]),
    ({}, ["address_string"]),
])
def test_a_request_is_located_by_an_address_or_a_lat_long_in_range(data, fields):
    problems = Problems()
    domain.location_problems({"lat": None, "long": None, **data}, problems)
    assert sorted(problems.errors) == fields


# -- what the public reads -------------------------------------------------------------------------

ITEM = {"id": "sr_1", "municipality": "yunusemre", "service_code": "CUKUR", "status": "in_progress",
        "status_notes": "Ekip yolda", "agency_responsible": "Fen İşleri", "requested_at": "2026-03-01T08:00:00.000Z",
        "updated_at": "2026-03-02T08:00:00.000Z", "description": "Çukur var, beni 0532 123 45 67 arayın: a@b.com.tr",
        "address": "", "lat": 38.61, "long": 27.43, "media_url": "", "neighbourhood": "Laleli", "filed_by": "muhtar",
        "requester": {"first_name": "Ayşe", "last_name": "Yılmaz", "email": "ayse@example.org", "phone": "05321234567"}}
SERVICE = {"code": "CUKUR", "name": {"tr": "Yol çukuru", "en": "Pothole"}, "target_days": 7,
           "keywords": ["yol", "asfalt"], "group": "Yollar"}


def test_the_public_view_has_the_specification_fields_and_no_personal_data():
    view = domain.open311_request(ITEM, SERVICE, "en")
    assert set(view) >= {"service_request_id", "status", "status_notes", "service_name", "service_code",
                         "description", "agency_responsible", "service_notice", "requested_datetime",
                         "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
                         "long", "media_url"}
    assert view["status"] == "open" and view["ortak_status"] == "in_progress"
    assert view["service_name"] == "Pothole"
    assert view["expected_datetime"] == "2026-03-08T08:00:00.000Z"
    text = repr(view)
    for personal in ("Ayşe", "Yılmaz", "ayse@example.org", "05321234567", "0532 123 45 67", "a@b.com.tr"):
        assert personal not in text


def test_a_service_as_the_specification_lists_it():
    assert domain.open311_service(SERVICE, "tr") == {
        "service_code": "CUKUR", "service_name": "Yol çukuru", "description": "", "metadata": False,
        "type": "realtime", "keywords": "yol, asfalt", "group": "Yollar"}


# -- service quality -------------------------------------------------------------------------------

@pytest.mark.parametrize("source, named", [
    ({"tr": "Başvuru kayıtları", "en": "open311:closed_within_target:CUKUR"}, ("closed_within_target", "CUKUR")),
    ("open311:received", ("received", None)),
    ({"tr": " open311:median_days_to_close "}, ("median_days_to_close", None)),
    ({"tr": "open311:open_past_target:ÇÖP-1"}, ("open_past_target", "ÇÖP-1")),
    ({"tr": "open311:happiness"}, None),
    ({"tr": "Yıllık memnuniyet anketi"}, None),
    (None, None),
])
def test_an_indicator_names_its_figure_in_its_data_source(source, named):
    assert domain.quality_source(source) == named


def at(day, hour=9):
    return f"{day}T{hour:02d}:00:00.000Z"


# the first half of 2026; targets: CUKUR 7 days, COP 2 days
TARGETS = {"CUKUR": 7, "COP": 2}
REQUESTS = [
    {"service_code": "CUKUR", "requested_at": at("2026-01-10"), "closed_at": at("2026-01-15")},   # 5 days: in time
    {"service_code": "CUKUR", "requested_at": at("2026-02-01"), "closed_at": at("2026-02-11")},   # 10 days: late
    {"service_code": "COP", "requested_at": at("2026-03-01"), "closed_at": at("2026-03-02")},     # 1 day: in time
    {"service_code": "COP", "requested_at": at("2026-06-29"), "closed_at": None},                 # open, due 07-01
    {"service_code": "CUKUR", "requested_at": at("2026-06-01"), "closed_at": at("2026-07-20")},   # 49 days, open at end
    {"service_code": "CUKUR", "requested_at": at("2025-12-20"), "closed_at": None},               # before: backlog
    {"service_code": "CUKUR", "requested_at": at("2026-07-02"), "closed_at": None},               # after the period
]


def test_quality_figures_worked_by_hand():
    figures = domain.quality(REQUESTS, TARGETS, date(2026, 1, 1), date(2026, 6, 30),
                             now=datetime(2026, 11, 30, tzinfo=timezone.utc))
    # received in 2026-H1: rows 1-5 = 5; in time: rows 1 and 3 = 2 of 5 = 40 %;
    # days to close of the closed ones: 5, 10, 1, 49 -> median (5 + 10) / 2 = 7.5;
    # open at the end of June 30 and past target then: row 5 (due 06-08), row 6 (due 12-27); row 4 is
    # due 07-01, not yet past -> 2
    assert figures == {"received": 5, "closed_within_target": 40.0, "median_days_to_close": 7.5,
                       "open_past_target": 2}


def test_quality_of_a_period_under_way_counts_the_backlog_now():
    figures = domain.quality(REQUESTS, TARGETS, date(2026, 7, 1), date(2026, 12, 31),
                             now=datetime(2026, 7, 12, tzinfo=timezone.utc))
    # received: row 7 only; backlog on 07-12: row 4 (due 07-01), row 5 (open till 07-20, due 06-08),
    # row 6, row 7 (due 07-09) -> 4
    assert figures == {"received": 1, "closed_within_target": 0.0, "median_days_to_close": None,
                       "open_past_target": 4}


def test_quality_of_a_period_without_requests():
    figures = domain.quality([], TARGETS, date(2026, 1, 1), date(2026, 6, 30),
                             now=datetime(2026, 11, 30, tzinfo=timezone.utc))
    assert figures == {"received": 0, "closed_within_target": None, "median_days_to_close": None,
                       "open_past_target": 0}


def test_readings_for_the_indicators_that_name_a_figure():
    indicators = [
        {"code": "PG1", "municipality": "yunusemre", "data_source": {"en": "open311:closed_within_target:CUKUR"}},
        {"code": "PG2", "municipality": "yunusemre", "data_source": {"en": "open311:median_days_to_close"}},
        {"code": "PG3", "municipality": "sehzadeler", "data_source": {"tr": "Anket"}},
        {"code": "PG4", "municipality": "sehzadeler", "data_source": "open311:median_days_to_close"},
    ]
    figures = {("yunusemre", "CUKUR"): {"closed_within_target": 50.0},
               ("yunusemre", None): {"median_days_to_close": 3.0},
               ("sehzadeler", None): {"median_days_to_close": None}}
    readings, skipped = domain.quality_readings(indicators, lambda m, s: figures[m, s], "2026-H1")
    assert readings == [
        {"indicator": "PG1", "municipality": "yunusemre", "period": "2026-H1", "value": 50.0,
         "source": "open311:closed_within_target:CUKUR"},
        {"indicator": "PG2", "municipality": "yunusemre", "period": "2026-H1", "value": 3.0,
         "source": "open311:median_days_to_close"}]
    assert [s["indicator"] for s in skipped] == ["PG4"]


# -- the figures submitted without being asked ----------------------------------------------------
PLAN = {"id": "manisa-x", "calendar": "gregorian", "period": {"start": 2025, "end": 2029}, "coordinator": "manisa",
        "members": ["yunusemre", "sehzadeler"], "coordinator_kind": "metropolitan", "indicators": [
            {"code": "PGY.1", "municipality": "yunusemre", "data_source": {"en": "open311:closed_within_target"},
             "weight": 50},
            {"code": "PGY.2", "municipality": "yunusemre", "data_source": {"tr": "Anket"}},
            {"code": "PGS.1", "municipality": "sehzadeler", "data_source": "open311:received"}]}


def test_the_quality_view_keeps_only_the_indicators_that_name_a_figure():
    view = domain.quality_view(PLAN)
    assert [i["code"] for i in view["indicators"]] == ["PGY.1", "PGS.1"]
    assert view["municipalities"] == ["sehzadeler", "yunusemre"]
    assert view["calendar"] == "gregorian" and "weight" not in view["indicators"][0]
    assert domain.quality_view({**PLAN, "indicators": PLAN["indicators"][1:2]}) is None


def test_a_change_touches_the_half_year_received_and_the_one_it_happened_in_due_once_each_ends():
    assert domain.periods_touched("gregorian", "2026-03-01T09:00:00Z", "2026-07-02T00:00:00.000Z") == {
        "2026-H1": "2026-07-01", "2026-H2": "2027-01-01"}
    assert domain.periods_touched("gregorian", "2026-03-01T09:00:00Z", "2026-03-02T09:00:00Z") == {
        "2026-H1": "2026-07-01"}
    # 1 Mehr 1405 (23 September 2026) opens the second Solar Hijri half-year; 1 Farvardin 1406 (21
    # March 2027) the next year
    assert domain.periods_touched("solar_hijri", "2026-09-22T12:00:00Z", "2026-09-23T12:00:00Z") == {
        "1405-H1": "2026-09-23", "1405-H2": "2027-03-21"}
    assert domain.due_marks({"gregorian", "solar_hijri"}, "2026-09-22T12:00:00Z") == {
        "2026-H2": "2027-01-01", "1405-H1": "2026-09-23"}
    assert domain.periods_touched("gregorian", "1899-12-30") == {"1899-H2": "1900-01-01"}   # a spreadsheet's day 0


def test_an_adoption_marks_every_half_year_begun_due_from_its_end():
    from datetime import date
    solar = {**domain.quality_view(PLAN), "calendar": "solar_hijri", "period": {"start": 1404, "end": 1408}}
    assert domain.half_years_begun(solar, date(2026, 9, 23)) == {
        "1404-H1": "2025-09-23", "1404-H2": "2026-03-21", "1405-H1": "2026-09-23", "1405-H2": "2027-03-21"}
    assert list(domain.half_years_begun(solar, date(2026, 9, 22))) == ["1404-H1", "1404-H2", "1405-H1"]


def test_only_ended_half_years_are_submitted_by_themselves():
    view = domain.quality_view(PLAN)
    assert domain.ended_half_years(view, date(2026, 12, 4)) == ["2025-H1", "2025-H2", "2026-H1"]
    assert domain.ended_half_years(view, date(2026, 7, 1)) == ["2025-H1", "2025-H2", "2026-H1"]
    assert domain.ended_half_years(view, date(2026, 6, 30)) == ["2025-H1", "2025-H2"]


def test_the_same_figures_submitted_again_carry_the_same_key():
    readings = [{"indicator": "PGY.1", "value": 70.0}, {"indicator": "PGY.3", "value": 3.0}]
    key = domain.submission_key("p", "yunusemre", "2025-H2", readings)
    assert key == domain.submission_key("p", "yunusemre", "2025-H2", readings[::-1])
    assert key != domain.submission_key("p", "yunusemre", "2025-H2", [{"indicator": "PGY.1", "value": 71.0}])
    assert 0 < len(key) <= 200
    assert not domain.recorded({"received": 0, "open_past_target": 0}) and domain.recorded({"received": 1})
    actor = domain.quality_actor("yunusemre")
    assert actor["role"] == "service" and actor["municipality"] == "yunusemre"


def test_findings_by_neighbourhood_and_service_worked_by_hand():
    where = ["Merkez", "Merkez", "Laleli", "Laleli", "Merkez", "Laleli", "Merkez"]
    placed = [{**r, "neighbourhood": n} for r, n in zip(REQUESTS, where)]
    rows = domain.findings(placed, TARGETS, date(2026, 1, 1), date(2026, 6, 30),
                           now=datetime(2026, 11, 30, tzinfo=timezone.utc))
    # Merkez CUKUR: rows 1, 2, 5 received (5 days in time, 10 and 49 late) -> 33.33 %, median 10;
    #   row 5 open at the end of June, past its 06-08 target -> 1
    # Laleli COP: rows 3, 4 (1 day in time; row 4 open, due 07-01, not yet past) -> 50 %, median 1
    # Laleli CUKUR: nothing received in the half-year, row 6 waiting since December -> 1 past target
    # Merkez CUKUR's row 7 came after the period: not counted
    assert rows == [
        {"neighbourhood": "Merkez", "service_code": "CUKUR", "received": 3, "closed_within_target": 33.33,
         "median_days_to_close": 10.0, "open_past_target": 1},
        {"neighbourhood": "Laleli", "service_code": "COP", "received": 2, "closed_within_target": 50.0,
         "median_days_to_close": 1.0, "open_past_target": 0},
        {"neighbourhood": "Laleli", "service_code": "CUKUR", "received": 0, "closed_within_target": None,
         "median_days_to_close": None, "open_past_target": 1}]
