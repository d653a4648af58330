"""A cascade of plans in Tehran (seed 002): the city plan 1401-1404 on the Solar Hijri calendar,
and two region (منطقه) plans that cascade from it, the first with two sub-districts (ناحیه) as
members. Each region goal names the city goal it serves; the figures roll up from the
sub-districts to the region and from the regions to the city.

Hand-worked for 1402-H1 (every indicator A = 0, B = the 1402 target 20, D = C / 20 x 100):
    city   H1 (serves A1) C=16 D=80     H2 (A2) C=20 D=100           city alone: (80 + 100) / 2 = 90
    r1     N1.1 of n1 (B1 -> A1) C=10 D=50   N2.1 of n2 (B2 -> A2) C=14 D=70   r1: (50 + 70) / 2 = 60
    r2     R1.1 (C1 -> A2) C=6 D=30                                   r2: 30
    city with its regions: A1 = (80 + 50) / 2 = 65, A2 = (100 + 70 + 30) / 3 = 66.6667,
                           the plan = (65 + 66.6667) / 2 = 65.8333
"""
CITY = "tehran"
REGIONS = ["tehran-r1", "tehran-r2"]
SUB_DISTRICTS = ["tehran-r1-n1", "tehran-r1-n2"]
YEARS = ["1401", "1402", "1403", "1404"]
CITY_PLAN_ID = "tehran-1401-1404"
REGION_PLAN_IDS = {"tehran-r1": "tehran-r1-1401-1404", "tehran-r2": "tehran-r2-1401-1404"}


def _fa(fa, en):
    return {"fa": fa, "en": en}


def _municipality(fa, en, kind, parent):
    return {"name": _fa(fa, en), "kind": kind, "parent": parent, "locale": "fa", "calendar": "solar_hijri"}


MUNICIPALITIES = {
    CITY: _municipality("شهرداری تهران", "Tehran Municipality", "metropolitan", None),
    "tehran-r1": _municipality("شهرداری منطقه ۱", "Tehran Region 1", "district", CITY),
    "tehran-r2": _municipality("شهرداری منطقه ۲", "Tehran Region 2", "district", CITY),
    "tehran-r1-n1": _municipality("ناحیه ۱ منطقه ۱", "Region 1, sub-district 1", "sub_district", "tehran-r1"),
    "tehran-r1-n2": _municipality("ناحیه ۲ منطقه ۱", "Region 1, sub-district 2", "sub_district", "tehran-r1"),
}


def _plan(plan_id, fa, en, coordinator, members, parent):
    return {"id": plan_id, "title": _fa(fa, en), "coordinator": coordinator, "members": members,
            "period": {"start": 1401, "end": 1404}, "calendar": "solar_hijri", "themes": [],
            "parent_plan": parent}


def _frame(goals):
    return {"mission": _fa("خدمات رسانی مطلوب به شهروندان", "Good services to the citizens"),
            "vision": _fa("شهر امید، مشارکت و شکوفایی", "A city of hope, participation and prosperity"),
            "values": [], "goals": [{"code": code, "title": _fa(fa, en), "theme": None, "serves": serves}
                                    for code, fa, en, serves in goals]}


def _objective(code, goal, fa, en, indicator, unit="واحد خدمات شهری"):
    return {"code": code, "goal": goal, "title": _fa(fa, en), "responsible_unit": unit, "indicators": [
        {"code": indicator, "name": _fa(fa, en), "unit": "%", "weight": 100, "baseline": 0,
         "targets": {"1401": 10, "1402": 20, "1403": 30, "1404": 40}, "calculation": "increase"}]}


CITY_PLAN = _plan(CITY_PLAN_ID, "برنامه سوم توسعه شهر تهران ۱۴۰۱-۱۴۰۴", "Tehran city plan 1401-1404", CITY, [], None)
CITY_FRAME = _frame([("A1", "افزایش کیفیت خدمات شهری", "Better urban services", None),
                     ("A2", "افزایش درآمدهای پایدار", "More sustainable revenues", None)])
CITY_CONTRIBUTIONS = {CITY: {"objectives": [
    _objective("H1", "A1", "پوشش خدمات رفت و روب", "Street cleaning coverage", "T1"),
    _objective("H2", "A2", "سهم درآمدهای پایدار", "Share of sustainable revenues", "T2")]}}

REGION_PLANS = {
    "tehran-r1": _plan(REGION_PLAN_IDS["tehran-r1"], "سند توسعه منطقه ۱", "Region 1 development document",
                       "tehran-r1", SUB_DISTRICTS, CITY_PLAN_ID),
    "tehran-r2": _plan(REGION_PLAN_IDS["tehran-r2"], "سند توسعه منطقه ۲", "Region 2 development document",
                       "tehran-r2", [], CITY_PLAN_ID),
}
REGION_FRAMES = {
    "tehran-r1": _frame([("B1", "خدمات شهری محله ها", "Neighbourhood services", "A1"),
                         ("B2", "درآمد پایدار منطقه", "The region's sustainable revenue", "A2")]),
    "tehran-r2": _frame([("C1", "درآمد پایدار منطقه", "The region's sustainable revenue", "A2")]),
}
REGION_CONTRIBUTIONS = {
    "tehran-r1": {
        "tehran-r1-n1": {"objectives": [_objective("N1.1", "B1", "پوشش خدمات محله", "Neighbourhood coverage", "N1")]},
        "tehran-r1-n2": {"objectives": [_objective("N2.1", "B2", "عوارض محلی", "Local dues collected", "N2")]},
    },
    "tehran-r2": {"tehran-r2": {"objectives": [_objective("R1.1", "C1", "درآمد منطقه", "Regional revenue", "R1")]}},
}
ADOPTION = {"decision_no": "1401/1250", "decision_date": "2022-06-01"}

# 1402-H1 readings: municipality -> {indicator: value} (see the hand-worked figures above)
READINGS = {CITY: {"T1": 16, "T2": 20}, "tehran-r1-n1": {"N1": 10}, "tehran-r1-n2": {"N2": 14},
            "tehran-r2": {"R1": 6}}
