"""Rendering what users print: numbers in their digits, HTML pages as PDF, worksheets' direction.

Persian documents read right to left with Persian digits; the reports and the target cards
render through these helpers so they look alike.
"""
import html

from persiantools import digits

PAGE_CSS = """
 @page { size: A4; margin: 1.5cm; }
 body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; }
 table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
 td, th { border: 1px solid #bbb; padding: 2px 4px; vertical-align: top; }
 th { background: #e8eef2; text-align: start; } img { width: 100%; }
 h2 { font-size: 12pt; margin-top: 1.2em; } .card { page-break-inside: avoid; margin-bottom: 1.5em; }
"""


def right_to_left(language):
    return language == "fa"


def number(value, language):
    """A figure as the reader writes it: one decimal for fractions, Persian digits in Persian."""
    text = "–" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)
    return digits.en_to_fa(text) if right_to_left(language) else text


def escape(value):
    return html.escape("" if value is None else str(value))


def pdf(body, language):
    """An A4 PDF of an HTML body, right to left for Persian."""
    from weasyprint import HTML  # heavy: loaded only when a PDF is asked for

    page = (f'<!doctype html><html lang="{language}" dir="{"rtl" if right_to_left(language) else "ltr"}">'
            f'<head><meta charset="utf-8"><style>{PAGE_CSS}</style></head><body>{body}</body></html>')
    return HTML(string=page).write_pdf()


def sheet(book, name, language):
    """A worksheet, right to left for Persian (sheet names are at most 31 characters)."""
    worksheet = book.add_worksheet(name[:31])
    if right_to_left(language):
        worksheet.right_to_left()
    return worksheet
