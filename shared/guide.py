"""Lookup tables of the strategic planning guide that more than one service applies.

The stakeholder priority matrix is used by the registry (the frame's situation analysis) and by
consultation (the stakeholder register), so it is defined once here; likewise the sentence that
tells a clerk what to enter for a period, which the readings workbook and the web form both show.
"""
import re

PRIORITIES = {
    # (high influence, high importance) -> the guide's advice
    (False, False): "watch",          # İzle
    (True, False): "inform",          # Bilgilendir
    (False, True): "consider",        # Çıkarlarını gözet
    (True, True): "work_together",    # Birlikte çalış
}
HIGH = 3  # on the 1-5 scale, 3 and above counts as high


def stakeholder_priority(influence, importance):
    return PRIORITIES[(influence >= HIGH, importance >= HIGH)]


# -- indicators: what the registry validates and monitoring computes with (DOMAIN.md) ---------
DIRECTIONS = ("higher", "lower")          # higher-is-better or lower-is-better
YEAR_VALUES = ("sum", "last", "mean")     # how a year's value is made from its two half-years
RATIO_SCALES = (100, 1000, 1)             # percentage, per mille, plain ratio


def direction_of(indicator):
    """An indicator's declared direction; undeclared, a 'decrease' is lower-is-better and every
    other calculation higher-is-better. It never depends on one year's target."""
    return indicator.get("direction") or ("lower" if indicator.get("calculation") == "decrease" else "higher")


def outside_range(bounds, value):
    """Whether ``value`` lies outside an indicator's declared ``range`` (either end may be open)."""
    if not bounds or value is None:
        return False
    return ((bounds.get("min") is not None and value < bounds["min"])
            or (bounds.get("max") is not None and value > bounds["max"]))


def range_text(bounds):
    low, high = bounds.get("min"), bounds.get("max")
    return f"{'−∞' if low is None else f'{low:g}'} … {'∞' if high is None else f'{high:g}'}"


def year_value_of(indicator):
    """How the half-years make the year: declared, else 'sum' for cumulative and 'last' otherwise."""
    return indicator.get("year_value") or ("sum" if indicator.get("calculation") == "cumulative" else "last")


# -- what a clerk enters -----------------------------------------------------------------------
# What the clerk enters for a period, by how the indicator's half-years make its year (year_value)
ENTER = {
    "tr": {"H1": {"sum": "İlk altı ayın kendi tutarı", "last": "Haziran sonundaki düzey",
                  "mean": "İlk altı ayın ortalaması"},
           "H2": {"sum": "Yalnız ikinci altı ayın tutarı (yıl = 1. + 2. altı ay)",
                  "last": "Yıl sonundaki düzey (yıl = 2. altı ay)",
                  "mean": "Yalnız ikinci altı ayın ortalaması (yıl = iki altı ayın ortalaması)"},
           "year": {"sum": "Yılın toplam tutarı", "last": "Yıl sonundaki düzey", "mean": "Yılın ortalaması"},
           "ratio": "pay ve payda (x{scale})", "weight": "ağırlık zorunlu"},
    "fa": {"H1": {"sum": "مقدار خود شش‌ماهه نخست", "last": "سطح در پایان شهریور",
                  "mean": "میانگین شش‌ماهه نخست"},
           "H2": {"sum": "فقط مقدار شش‌ماهه دوم (سال = نیمه نخست + نیمه دوم)",
                  "last": "سطح در پایان سال (سال = نیمه دوم)",
                  "mean": "فقط میانگین شش‌ماهه دوم (سال = میانگین دو نیمه)"},
           "year": {"sum": "مقدار کل سال", "last": "سطح در پایان سال", "mean": "میانگین سال"},
           "ratio": "صورت و مخرج (x{scale})", "weight": "وزن الزامی است"},
    "en": {"H1": {"sum": "The first half's own amount", "last": "The level at the half-year's end",
                  "mean": "The first half's mean"},
           "H2": {"sum": "The second half's own amount only (the year = H1 + H2)",
                  "last": "The level at the year's end (the year = H2)",
                  "mean": "The second half's own mean only (the year = the mean of H1 and H2)"},
           "year": {"sum": "The whole year's amount", "last": "The level at the year's end",
                    "mean": "The year's mean"},
           "ratio": "numerator and denominator (x{scale})", "weight": "weight required"},
}


def what_to_enter(indicator, period, language, weighted=False):
    """The sentence that tells the clerk what ``period``'s figure of ``indicator`` is."""
    words = ENTER.get(language, ENTER["en"])
    part = period.rsplit("-", 1)[1] if "-H" in period else "year"
    text = words.get(part, words["year"])[year_value_of(indicator)]
    if indicator.get("ratio_scale") is not None:
        text += "; " + words["ratio"].format(scale=indicator["ratio_scale"])
    if weighted:
        text += "; " + words["weight"]
    return text


# -- indicators measured from the service requests ---------------------------------------------
QUALITY_FIGURES = ("received", "closed_within_target", "median_days_to_close", "open_past_target")
_QUALITY_SOURCE = re.compile(r"^open311:(?P<figure>[a-z_]+)(?::(?P<service>[^\s:]+))?$")


def quality_source(data_source):
    """(figure, service code or None for every service) an indicator's ``data_source`` names, or None.

    The convention: any language of the data source reads ``open311:<figure>`` or
    ``open311:<figure>:<service_code>``, e.g. ``{"tr": "Başvuru kayıtları",
    "en": "open311:closed_within_target:CUKUR"}``: the requests service figures it, the
    coordinator's dashboard shows it beside the plan's figures."""
    texts = [data_source] if isinstance(data_source, str) else list((data_source or {}).values())
    for text in texts:
        match = _QUALITY_SOURCE.fullmatch(text.strip()) if isinstance(text, str) else None
        if match and match["figure"] in QUALITY_FIGURES:
            return match["figure"], match["service"]
    return None
