"""The reader's language, and numbers, dates and periods written the way that language writes them.

The language is chosen by ``?lang=tr|fa|en`` (remembered in a cookie), else the cookie, else the
``Accept-Language`` header, else the page's plan coordinator's locale, else Turkish. Persian pages
write Persian digits and Solar Hijri dates; Turkish writes a decimal comma.
"""
import datetime
import os
import re
import tempfile
from zoneinfo import ZoneInfo

import jdatetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, has_app_context, request
from persiantools import digits

from shared.documents import period_words
from shared.text import LANGUAGES, pick

DEFAULT_LANGUAGE = "tr"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
RTL = {"fa"}
NAMES = {"tr": "Türkçe", "fa": "فارسی", "en": "English"}
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_CATALOGUES = os.path.join(HERE, "translations")


def offered_language():
    """The language the reader asked for in this request (?lang=), if it is one we write."""
    lang = request.args.get("lang", "")
    return lang if lang in LANGUAGES else None


# the zone a municipality of each locale keeps its days in: a moment is shown as the date it is there
ZONES = {"tr": "Europe/Istanbul", "fa": "Asia/Tehran"}


def zone(locale=None):
    """The time zone of a municipality's locale; without one, the page's own (set by the plan it shows)."""
    if locale is None and has_app_context():
        return g.get("zone") or ZoneInfo(ZONES.get(g.get("lang"), "UTC"))
    return ZoneInfo(ZONES.get(locale, "UTC"))


def choose_language(plan_locale=None):
    if plan_locale is not None:
        g.zone = zone(plan_locale)
    chosen = offered_language()
    if chosen:
        return chosen
    remembered = request.cookies.get(COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    best = request.accept_languages.best_match(LANGUAGES) if request.accept_languages else None
    if best:
        return best
    if plan_locale in LANGUAGES:
        return plan_locale
    return DEFAULT_LANGUAGE


def current():
    lang = g.get("lang")
    if lang is None:
        lang = g.lang = choose_language()
    return lang


def direction(lang=None):
    return "rtl" if (lang or current()) in RTL else "ltr"


def text(value, lang=None):
    """A plan text (a string or a map of languages) in the reader's language, else another."""
    lang = lang or current()
    # a Persian reader reads English before Turkish; the others fall back to the plan's language
    fallback = ("en", "tr", "fa") if lang == "fa" else ("tr", "en", "fa")
    picked = pick(value, lang, fallback)
    return "" if picked is None else picked


def text_language(value, lang=None):
    """The language ``text`` actually returned (for the ``lang`` attribute of a fallback)."""
    lang = lang or current()
    if not isinstance(value, dict):
        return None
    if value.get(lang):
        return lang
    for other in (("en", "tr", "fa") if lang == "fa" else ("tr", "en", "fa")):
        if value.get(other):
            return other
    return None


def local_digits(value, lang=None):
    """Western digits in ``value`` as the language writes them (Persian digits for fa)."""
    value = "" if value is None else str(value)
    return digits.en_to_fa(value) if (lang or current()) == "fa" else value


SEPARATORS = {"tr": (".", ","), "en": (",", "."), "fa": ("٬", "٫")}   # (thousands, decimal), as CLDR has them


def number(value, places=None, lang=None):
    """A number in the reader's locale: ``12.345,7`` in Turkish, ``۱۲٬۳۴۵٫۷`` in Persian.

    ``places`` fixes the decimals; by default as many as the value has, at most two (one from a
    hundred on). Written by hand, not with Babel's pattern formatter: a plan page writes hundreds."""
    if value is None:
        return ""
    lang = lang or current()
    if places is None:
        written = f"{abs(value):,.{1 if abs(value) >= 100 else 2}f}".rstrip("0").rstrip(".")
    else:
        written = f"{abs(value):,.{places}f}"
    if written in ("0", "") or float(value) == 0:
        negative = False
    else:
        negative = value < 0
    thousands, decimal = SEPARATORS.get(lang, SEPARATORS["en"])
    written = written.replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    if negative:
        written = "-" + written
    return digits.en_to_fa(written) if lang == "fa" else written


def percent(value, places=1, lang=None):
    """A realization figure (already in per cent): ``%72,6`` in Turkish, ``۷۲٫۶٪`` in Persian."""
    if value is None:
        return ""
    lang = lang or current()
    written = number(value, places, lang)
    if lang == "tr":
        return f"%{written}"
    if lang == "fa":
        return f"{written}٪"
    return f"{written}%"


PERSIAN_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی",
                  "بهمن", "اسفند")
TURKISH_MONTHS = ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim",
                  "Kasım", "Aralık")
ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December")


def _as_date(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return _local(value).date()
    if isinstance(value, datetime.date):
        return value
    text_value = str(value)
    try:
        if len(text_value) > 10:
            return _local(datetime.datetime.fromisoformat(text_value.replace("Z", "+00:00"))).date()
        return datetime.date.fromisoformat(text_value)
    except ValueError:
        return None


def _local(moment):
    """A moment in the zone of the municipality the page is about (a day starts at its midnight)."""
    return moment.astimezone(zone()) if moment.tzinfo is not None else moment


def date(value, lang=None):
    """A date written in full: ``14 Kasım 2024``, ``November 14, 2024``, ``۲۴ آبان ۱۴۰۳`` (Solar Hijri)."""
    day = _as_date(value)
    if day is None:
        return "" if value is None else str(value)
    lang = lang or current()
    if lang == "fa":
        solar = jdatetime.date.fromgregorian(date=day)
        return digits.en_to_fa(f"{solar.day} {PERSIAN_MONTHS[solar.month - 1]} {solar.year}")
    if lang == "tr":
        return f"{day.day} {TURKISH_MONTHS[day.month - 1]} {day.year}"
    return f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}"


def parse_date(text):
    """A date as a person writes it: 2024-11-14, 14.11.2024 or 14/11/2024, in any digits; a year
    before 1700 is a Solar Hijri one (1403-08-24). None when it is no date."""
    text = digits.fa_to_en(text.strip()).replace("/", ".")
    found = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if not found:
        return None
    parts = [int(p) for p in found.groups()]
    year, month, day = parts if len(found.group(1)) == 4 else parts[::-1]
    try:
        if year < 1700:
            return jdatetime.date(year, month, day).togregorian()
        return datetime.date(year, month, day)
    except ValueError:
        return None


def iso_date(value):
    day = _as_date(value)
    return day.isoformat() if day else ""


def compile_catalogues(source=SOURCE_CATALOGUES):
    """The gettext catalogues compiled (.po to .mo) where they are, or in a temporary directory when
    the tree is read-only; returns the directory Flask-Babel should read. Only stale ones are written,
    each whole (renamed into place), so gunicorn workers starting together never read half a file."""
    try:
        return _compile_into(source, source)
    except OSError:
        target = os.path.join(tempfile.gettempdir(), f"ortak-translations-{os.getuid()}")
        return _compile_into(source, target)


def _compile_into(source, target):
    for lang in sorted(os.listdir(source)):
        po_path = os.path.join(source, lang, "LC_MESSAGES", "messages.po")
        if not os.path.isfile(po_path):
            continue
        out_dir = os.path.join(target, lang, "LC_MESSAGES")
        mo_path = os.path.join(out_dir, "messages.mo")
        if os.path.exists(mo_path) and os.path.getmtime(mo_path) >= os.path.getmtime(po_path):
            continue
        os.makedirs(out_dir, exist_ok=True)
        with open(po_path, "rb") as f:
            catalogue = read_po(f, locale=lang)
        tmp = f"{mo_path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            write_mo(f, catalogue)
        os.replace(tmp, mo_path)
    return target


def period_short(period, lang=None):
    """A half-year or a year as a chart label: ``2026/I``, ``H1 2026``, ``۲۰۲۶/۱``."""
    lang = lang or current()
    if period.half is None:
        return local_digits(period.year, lang)
    if lang == "tr":
        return f"{period.year}/{'I' * period.half}"
    if lang == "fa":
        return local_digits(f"{period.year}/{period.half}", lang)
    return f"H{period.half} {period.year}"


def period_long(period, lang=None):
    """A period written out: ``2026 yılı 1. altı ay``, ``first half of 2026``, ``نیمهٔ اول ۲۰۲۶``."""
    return period_words(period, lang or current())