"""Plan calendars and period keys.

A plan runs on the Gregorian or the Solar Hijri calendar, and its monitoring periods are keyed
in that calendar: ``2026`` and ``2026-H1``/``2026-H2`` for a Gregorian plan, ``1405`` and
``1405-H1``/``1405-H2`` for a Solar Hijri one. A Solar Hijri year starts on 1 Farvardin
(about 21 March); its first half (Farvardin-Shahrivar, months 1-6 of 31 days) has 186 days and
never matches a Gregorian half.
"""
import re
from dataclasses import dataclass
from datetime import date, timedelta

import jdatetime

GREGORIAN = "gregorian"
SOLAR_HIJRI = "solar_hijri"
CALENDARS = (GREGORIAN, SOLAR_HIJRI)

# Plausible year ranges: they tell a Gregorian key sent to a Solar Hijri plan from a typo.
YEAR_RANGE = {GREGORIAN: (1900, 2200), SOLAR_HIJRI: (1300, 1580)}

_KEY = re.compile(r"^(?P<year>[0-9]{4})(?:-(?P<half>H[12]))?$")
# Persian (U+06F0-U+06F9) and Arabic-Indic (U+0660-U+0669) digits, as Persian keyboards type them
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class PeriodKeyError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    calendar: str
    year: int
    half: int | None = None  # None for the whole year, 1 or 2 for a half-year

    @property
    def key(self):
        return f"{self.year}" if self.half is None else f"{self.year}-H{self.half}"

    @property
    def first_day(self):
        """First Gregorian day of the period."""
        if self.half == 2:
            return _first_day_of_month(self.calendar, self.year, 7)
        return _first_day_of_month(self.calendar, self.year, 1)

    @property
    def last_day(self):
        """Last Gregorian day of the period."""
        if self.half == 1:
            return _first_day_of_month(self.calendar, self.year, 7) - timedelta(days=1)
        return _first_day_of_month(self.calendar, self.year + 1, 1) - timedelta(days=1)

    @property
    def days(self):
        return (self.last_day - self.first_day).days + 1

    def native(self, day):
        """A Gregorian day written in this period's calendar, e.g. ``1402/01/01``."""
        if self.calendar == SOLAR_HIJRI:
            j = jdatetime.date.fromgregorian(date=day)
            return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
        return day.isoformat()

    def as_dict(self):
        return {
            "key": self.key,
            "calendar": self.calendar,
            "year": self.year,
            "half": self.half,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "first_day_native": self.native(self.first_day),
            "last_day_native": self.native(self.last_day),
        }


def _first_day_of_month(calendar, year, month):
    if calendar == SOLAR_HIJRI:
        return jdatetime.date(year, month, 1).togregorian()
    return date(year, month, 1)


def check_calendar(calendar):
    if calendar not in CALENDARS:
        raise PeriodKeyError(f"unknown calendar {calendar!r}: use one of {', '.join(CALENDARS)}")


def check_year(calendar, year):
    low, high = YEAR_RANGE[calendar]
    if not low <= year <= high:
        kind = "Solar Hijri" if calendar == SOLAR_HIJRI else "Gregorian"
        raise PeriodKeyError(f"{year} is not a {kind} year (expected {low}-{high})")


def parse_period(key, calendar, start=None, end=None):
    """Parse ``key`` for a plan on ``calendar`` running from year ``start`` to ``end``.

    Raises PeriodKeyError with a sentence a district planner can act on.
    """
    check_calendar(calendar)
    if not isinstance(key, str):
        raise PeriodKeyError("a period key is a string such as '2026' or '2026-H1'")
    match = _KEY.fullmatch(key.translate(_DIGITS))
    if not match:
        example = "1405-H1" if calendar == SOLAR_HIJRI else "2026-H1"
        raise PeriodKeyError(f"{key!r} is not a period key: write a year or a half-year such as {example!r}")
    year = int(match["year"])
    check_year(calendar, year)
    if start is not None and end is not None and not start <= year <= end:
        raise PeriodKeyError(f"{key} is outside the plan period {start}-{end}")
    half = int(match["half"][1]) if match["half"] else None
    return Period(calendar, year, half)


def plan_years(start, end):
    return [str(year) for year in range(start, end + 1)]


def plan_periods(calendar, start, end):
    """Every period of a plan in order: for each year its two halves, then the year."""
    periods = []
    for year in range(start, end + 1):
        periods += [Period(calendar, year, 1), Period(calendar, year, 2), Period(calendar, year)]
    return periods


def period_containing(calendar, day, half=True):
    """The period of ``calendar`` that holds the Gregorian ``day``."""
    check_calendar(calendar)
    if calendar == SOLAR_HIJRI:
        j = jdatetime.date.fromgregorian(date=day)
        year, month = j.year, j.month
    else:
        year, month = day.year, day.month
    return Period(calendar, year, (1 if month <= 6 else 2) if half else None)
