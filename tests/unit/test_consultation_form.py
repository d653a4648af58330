"""The coordinator's consultation form: what it sends for what a person writes (dates in their
calendar and the municipality's zone, sessions from the rows filled), and where problems land."""
import datetime

from werkzeug.datastructures import MultiDict

from services.web import consultation_form as cf
from services.web.i18n import zone

TODAY = datetime.date(2026, 12, 4)
ISTANBUL, TEHRAN = zone("tr"), zone("fa")


def form(**fields):
    values = {"title": "Körfez kıyı çalıştayı", "kind": "workshop", "opens": "2026-12-10", "closes": "2027-01-31",
              **fields}
    themes = values.pop("themes", ["T1", "T3"])
    return MultiDict([*values.items(), *(("themes", t) for t in themes)])


def test_a_workshop_with_one_session_opens_at_the_start_of_its_first_day_in_the_municipalitys_zone():
    values = cf.read(form(public="yes", location="Edremit Kültür Merkezi", **{
        "s1-theme": "T3", "s1-date": "12.12.2026", "s1-time": "14:30", "s1-facilitator": "Planlama Müdürlüğü"}))
    body, errors, rows = cf.check(values, {"T1", "T2", "T3"}, ISTANBUL, "tr", TODAY)
    assert errors == {} and rows == [1]
    assert body["title"] == {"tr": "Körfez kıyı çalıştayı"} and body["themes"] == ["T1", "T3"]
    assert body["opens_at"] == "2026-12-10T00:00:00+03:00" and body["closes_at"] == "2027-01-31T23:59:00+03:00"
    assert body["public"] is True and body["location"] == "Edremit Kültür Merkezi"
    assert body["sessions"] == [{"theme": "T3", "facilitator": "Planlama Müdürlüğü",
                                 "starts_at": "2026-12-12T14:30:00+03:00"}]


def test_persian_dates_and_digits_are_solar_hijri_in_tehran():
    values = cf.read(form(title="کارگاه محله", opens="۱۴۰۵-۰۹-۲۰", closes="۱۴۰۵-۱۰-۳۰",
                          **{"s0-theme": "T1", "s0-date": "۱۴۰۵-۰۹-۲۵", "s0-time": "۱۰:۰۰"}))
    body, errors, _ = cf.check(values, {"T1", "T3"}, TEHRAN, "fa", TODAY)
    assert errors == {}
    assert body["title"] == {"fa": "کارگاه محله"}
    assert body["opens_at"] == "2026-12-11T00:00:00+03:30"
    assert body["sessions"][0]["starts_at"] == "2026-12-16T10:00:00+03:30"


def test_every_problem_is_at_its_field_and_nothing_is_sent():
    values = cf.read(form(title="", kind="party", themes=["T9"], opens="2026-13-01", closes="2026-11-30",
                          **{"s0-theme": "T2", "s0-date": "tomorrow", "s0-time": "25:00",
                             "s2-facilitator": "x" * 201}))
    body, errors, rows = cf.check(values, {"T1", "T3"}, ISTANBUL, "en", TODAY)
    assert body is None and rows == []
    assert set(errors) == {"title", "kind", "themes", "opens", "closes", "s0-theme", "s0-date", "s0-time",
                           "s2-theme", "s2-date", "s2-time", "s2-facilitator"}


def test_a_consultation_closes_on_or_after_it_opens_and_not_before_today():
    early = cf.check(cf.read(form(opens="2026-12-10", closes="2026-12-09")), {"T1", "T3"}, ISTANBUL, "tr", TODAY)[1]
    past = cf.check(cf.read(form(opens="2026-11-01", closes="2026-11-30")), {"T1", "T3"}, ISTANBUL, "tr", TODAY)[1]
    one_day = cf.check(cf.read(form(opens="2026-12-04", closes="2026-12-04")), {"T1", "T3"}, ISTANBUL, "tr", TODAY)
    assert list(early) == ["closes"] and list(past) == ["closes"] and one_day[1] == {}


def test_the_services_errors_land_on_the_rows_they_came_from():
    errors = cf.from_service({"sessions[0].theme": ["Theme 'T2' is not one of this consultation's."],
                              "themes[1]": ["Unknown theme"], "closes_at": ["A consultation closes after it opens."],
                              "audience": ["Too long"]}, rows=[2])
    assert set(errors) == {"s2-theme", "themes", "closes", "audience"}
