"""Period keys in both calendars: parsing, first and last days, and refusing what does not fit."""
from datetime import date, timedelta

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.calendars import GREGORIAN, SOLAR_HIJRI, PeriodKeyError, parse_period, period_containing, plan_periods


def test_solar_hijri_first_half_is_farvardin_to_shahrivar():
    period = parse_period("1402-H1", SOLAR_HIJRI, 1401, 1404)
    assert period.first_day == date(2023, 3, 21)
    assert period.last_day == date(2023, 9, 22)
    assert (period.native(period.first_day), period.native(period.last_day)) == ("1402/01/01", "1402/06/31")
    assert period.days == 186


def test_solar_hijri_leap_year_ends_on_30_esfand():
    year = parse_period("1403", SOLAR_HIJRI)
    assert year.native(year.last_day) == "1403/12/30"
    assert year.days == 366
    assert parse_period("1402", SOLAR_HIJRI).native(parse_period("1402", SOLAR_HIJRI).last_day) == "1402/12/29"


def test_gregorian_halves():
    h1, h2 = parse_period("2026-H1", GREGORIAN), parse_period("2026-H2", GREGORIAN)
    assert (h1.first_day, h1.last_day, h2.first_day, h2.last_day) == (
        date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1), date(2026, 12, 31))


@pytest.mark.parametrize("key, calendar, start, end, message", [
    ("2026", SOLAR_HIJRI, 1401, 1404, "not a Solar Hijri year"),
    ("1405-H1", GREGORIAN, 2025, 2029, "not a Gregorian year"),
    ("2030", GREGORIAN, 2025, 2029, "outside the plan period 2025-2029"),
    ("2026-H3", GREGORIAN, 2025, 2029, "not a period key"),
    ("2026-Q1", GREGORIAN, 2025, 2029, "not a period key"),
    (" 2026", GREGORIAN, 2025, 2029, "not a period key"),
    ("1402-h1", SOLAR_HIJRI, 1401, 1404, "not a period key"),
])
def test_keys_that_do_not_fit_are_refused_with_a_reason(key, calendar, start, end, message):
    with pytest.raises(PeriodKeyError, match=message):
        parse_period(key, calendar, start, end)


@given(st.sampled_from([GREGORIAN, SOLAR_HIJRI]), st.integers(0, 150))
def test_halves_tile_the_year_without_gap_or_overlap(calendar, offset):
    year = (1950 if calendar == GREGORIAN else 1330) + offset
    h1, h2, whole = (parse_period(k, calendar) for k in (f"{year}-H1", f"{year}-H2", f"{year}"))
    assert h1.first_day == whole.first_day
    assert h1.last_day + timedelta(days=1) == h2.first_day
    assert h2.last_day == whole.last_day
    assert h1.days + h2.days == whole.days
    next_year = parse_period(str(year + 1), calendar)
    assert whole.last_day + timedelta(days=1) == next_year.first_day
    if calendar == SOLAR_HIJRI:
        assert h1.days == 186
        assert jdatetime.date.fromgregorian(date=h2.first_day).month == 7


@given(st.sampled_from([GREGORIAN, SOLAR_HIJRI]), st.dates(date(1960, 1, 1), date(2150, 12, 31)))
def test_every_day_falls_in_the_period_that_contains_it(calendar, day):
    period = period_containing(calendar, day)
    assert period.first_day <= day <= period.last_day
    assert parse_period(period.key, calendar) == period


def test_persian_digits_are_read_as_the_same_key():
    assert parse_period("۱۴۰۲-H1", SOLAR_HIJRI, 1401, 1404).key == "1402-H1"


def test_plan_periods_run_in_order():
    keys = [p.key for p in plan_periods(SOLAR_HIJRI, 1401, 1402)]
    assert keys == ["1401-H1", "1401-H2", "1401", "1402-H1", "1402-H2", "1402"]
