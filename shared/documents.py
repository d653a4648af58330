"""Rendering what users print: numbers in their digits, HTML pages as PDF, worksheets' direction.

Persian documents read right to left with Persian digits; the reports and the target cards
render through these helpers so they look alike.
"""
import html
import re

from persiantools import digits

PAGE_CSS = """
 @page { size: A4; margin: 1.5cm; }
 body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; }
 table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
 td, th { border: 1px solid #bbb; padding: 2px 4px; vertical-align: top; overflow-wrap: break-word; }
 th { background: #e8eef2; text-align: start; } img { width: 100%; }
 h2 { font-size: 12pt; margin-top: 1.2em; } .card { page-break-inside: avoid; margin-bottom: 1.5em; }
"""


def right_to_left(language):
    return language == "fa"


# the decimal and thousands separators each language writes (Persian: momayyez and its own comma)
SEPARATORS = {"tr": (",", "."), "fa": ("٫", "٬"), "en": (".", ",")}
_DECIMAL_TEXT = re.compile(r"-?[0-9]+\.[0-9]+")


def number(value, language, decimals=1):
    """A figure as the reader writes it: one decimal for fractions, thousands grouped, the
    language's separators (Turkish 87,5 and 40.000; Persian digits with ٫ and ٬). Texts are kept,
    but a decimal number sent as text (an amount such as "250000.00") is written the same way."""
    if value is None:
        return "–"
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        places = len(value.split(".")[1])
        value, decimals = float(value), places
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value)
    else:
        text = f"{value:,.{decimals}f}" if isinstance(value, float) else f"{value:,}"
        point, group = SEPARATORS.get(language, SEPARATORS["en"])
        text = text.replace(",", "\0").replace(".", point).replace("\0", group)
    return digits.en_to_fa(text) if right_to_left(language) else text


def escape(value):
    return html.escape("" if value is None else str(value))


def pdf(body, language, landscape=False):
    """An A4 PDF of an HTML body, right to left for Persian; ``landscape`` for wide tables."""
    from weasyprint import HTML  # heavy: loaded only when a PDF is asked for

    css = PAGE_CSS + (" @page { size: A4 landscape; }" if landscape else "")
    page = (f'<!doctype html><html lang="{language}" dir="{"rtl" if right_to_left(language) else "ltr"}">'
            f'<head><meta charset="utf-8"><style>{css}</style></head><body>{body}</body></html>')
    return HTML(string=page).write_pdf()


def sheet(book, name, language):
    """A worksheet, right to left for Persian (sheet names are at most 31 characters)."""
    worksheet = book.add_worksheet(name[:31])
    if right_to_left(language):
        worksheet.right_to_left()
    return worksheet


def period_words(period, language):
    """A period (shared.calendars.Period) written out: ``2026 yılı 1. altı ay``, ``first half of
    2026``, ``نیمهٔ اول ۱۴۰۴``."""
    if period.half is None:
        text = {"tr": f"{period.year} yılı", "fa": f"سال {period.year}", "en": f"the year {period.year}"}[language]
    elif language == "tr":
        text = f"{period.year} yılı {period.half}. altı ay"
    elif language == "fa":
        text = f"نیمهٔ {'اول' if period.half == 1 else 'دوم'} {period.year}"
    else:
        text = f"{'first' if period.half == 1 else 'second'} half of {period.year}"
    return digits.en_to_fa(text) if right_to_left(language) else text
