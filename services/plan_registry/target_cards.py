"""Target cards (hedef kartı): one card per objective, as the guide lays it out.

A card names the goal and the objective, the one responsible unit and the collaborating units,
then the indicators (weight in the objective, baseline, one target per plan year, monitoring and
reporting frequency, calculation, class, data source and definition), the risks with their control activities, the activities and projects, the
cost estimate per year, the findings and the needs; and a card per regional indicator, with the rule
that makes the region's value and the indicators that feed it. JSON, XLSX (one sheet per goal, one
for the regional indicators) and PDF are
rendered from the same document, in the plan's language (Persian right to left).
"""
import io
from decimal import Decimal

import xlsxwriter

from shared import documents
from shared.documents import escape as e
from shared.text import pick

from .domain import years_of

LABELS = {
    "tr": {"cards": "Hedef Kartları", "goal": "Amaç", "objective": "Hedef", "municipality": "Belediye",
           "responsible": "Sorumlu Birim", "collaborators": "İşbirliği Yapılacak Birimler",
           "indicators": "Performans Göstergeleri", "weight": "Hedefe Etkisi (%)", "unit": "Birim",
           "baseline": "Plan Dönemi Başlangıç Değeri", "monitoring": "İzleme Sıklığı",
           "reporting": "Rapor Sıklığı", "calculation": "Hesaplama", "class": "Gösterge Türü",
           "source": "Veri Kaynağı", "risks": "Riskler", "controls": "Kontrol Faaliyetleri",
           "activities": "Faaliyet ve Projeler", "costs": "Maliyet Tahmini", "total": "Toplam",
           "findings": "Tespitler", "needs": "İhtiyaçlar", "code": "Kod", "name": "Gösterge",
           "definition": "Tanım", "regional": "Bölgesel Göstergeler", "aggregation": "Bölge Değeri",
           "contributors": "Katkı Veren Belediyeler", "scale": "Oran Ölçeği"},
    "fa": {"cards": "کارت‌های هدف", "goal": "هدف کلان", "objective": "هدف", "municipality": "شهرداری",
           "responsible": "واحد مسئول", "collaborators": "واحدهای همکار", "indicators": "شاخص‌های عملکرد",
           "weight": "وزن در هدف (٪)", "unit": "واحد", "baseline": "مقدار پایه", "monitoring": "تناوب پایش",
           "reporting": "تناوب گزارش‌دهی", "calculation": "نحوه محاسبه", "class": "نوع شاخص",
           "source": "منبع داده", "risks": "ریسک‌ها", "controls": "فعالیت‌های کنترلی",
           "activities": "فعالیت‌ها و پروژه‌ها", "costs": "برآورد هزینه", "total": "جمع",
           "findings": "یافته‌ها", "needs": "نیازها", "code": "کد", "name": "شاخص", "definition": "تعریف",
           "regional": "شاخص‌های منطقه‌ای", "aggregation": "مقدار منطقه", "contributors": "شهرداری‌های مشارکت‌کننده",
           "scale": "مقیاس نسبت"},
    "en": {"cards": "Target cards", "goal": "Goal", "objective": "Objective", "municipality": "Municipality",
           "responsible": "Responsible unit", "collaborators": "Collaborating units",
           "indicators": "Performance indicators", "weight": "Weight in objective (%)", "unit": "Unit",
           "baseline": "Baseline", "monitoring": "Monitoring frequency", "reporting": "Reporting frequency",
           "calculation": "Calculation", "class": "Class", "source": "Data source", "risks": "Risks",
           "controls": "Control activities", "activities": "Activities and projects", "costs": "Cost estimate",
           "total": "Total", "findings": "Findings", "needs": "Needs", "code": "Code", "name": "Indicator",
           "definition": "Definition", "regional": "Regional indicators", "aggregation": "Regional value",
           "contributors": "Contributing municipalities", "scale": "Ratio scale"},
}
AGGREGATIONS = {
    "tr": {"sum": "Toplam", "ratio": "Σpay / Σpayda", "mean": "Ortalama", "weighted_mean": "Ağırlıklı ortalama"},
    "fa": {"sum": "جمع", "ratio": "Σصورت / Σمخرج", "mean": "میانگین", "weighted_mean": "میانگین وزنی"},
    "en": {"sum": "Sum", "ratio": "Σnumerator / Σdenominator", "mean": "Mean", "weighted_mean": "Weighted mean"},
}
CALCULATIONS = {
    "tr": {"cumulative": "Kümülatif artış", "increase": "Artış", "decrease": "Azalış", "maintain": "Koruma",
           "yearly": "Her yıl ayrı değer", "one_off": "Tek seferlik"},
    "fa": {"cumulative": "افزایش تجمعی", "increase": "افزایش", "decrease": "کاهش", "maintain": "حفظ",
           "yearly": "مقدار جداگانه هر سال", "one_off": "یک‌باره"},
    "en": {"cumulative": "Cumulative increase", "increase": "Increase", "decrease": "Decrease",
           "maintain": "Maintain", "yearly": "Separate value each year", "one_off": "One-off"},
}
CLASSES = {
    "tr": {"input": "Girdi", "output": "Çıktı", "outcome": "Sonuç", "quality": "Kalite", "efficiency": "Verimlilik"},
    "fa": {"input": "ورودی", "output": "خروجی", "outcome": "پیامد", "quality": "کیفیت", "efficiency": "کارایی"},
    "en": {"input": "Input", "output": "Output", "outcome": "Outcome", "quality": "Quality",
           "efficiency": "Efficiency"},
}
FREQUENCIES = {
    "tr": {"monthly": "Aylık", "quarterly": "3 ay", "semiannual": "6 ay", "annual": "Yıllık"},
    "fa": {"monthly": "ماهانه", "quarterly": "سه‌ماهه", "semiannual": "شش‌ماهه", "annual": "سالانه"},
    "en": {"monthly": "Monthly", "quarterly": "Quarterly", "semiannual": "Six-monthly", "annual": "Yearly"},
}


def document(plan, version, language, municipality=None):
    """The cards of every objective (or one municipality's) as JSON, texts in ``language``."""
    years = [str(y) for y in years_of(plan)]
    goals = {g["code"]: g for g in (plan["frame"] or {}).get("goals", [])}
    cards = []
    for owner, contribution in sorted(plan["contributions"].items()):
        if municipality is not None and owner != municipality:
            continue
        for objective in contribution["objectives"]:
            costs = {y: objective["costs"].get(y) for y in years}
            cards.append({
                "goal": {"code": objective["goal"], "title": pick(goals.get(objective["goal"], {}).get("title"),
                                                                   language)},
                "objective": {"code": objective["code"], "title": pick(objective["title"], language)},
                "municipality": owner, "theme": objective["theme"],
                "responsible_unit": objective["responsible_unit"],
                "collaborators": objective["collaborators"],
                "indicators": [{
                    "code": i["code"], "name": pick(i["name"], language), "unit": i["unit"], "weight": i["weight"],
                    "baseline": i["baseline"], "targets": {y: i["targets"].get(y) for y in years},
                    "monitoring_frequency": i["monitoring_frequency"],
                    "reporting_frequency": i["reporting_frequency"], "calculation": i["calculation"],
                    "class": i["class"], "data_source": pick(i.get("data_source"), language),
                    "definition": pick(i.get("definition"), language),
                    "calculation_label": CALCULATIONS[language][i["calculation"]],
                    "class_label": CLASSES[language][i["class"]],
                    "contributes_to": i.get("contributes_to")} for i in objective["indicators"]],
                "risks": [{"text": pick(r["text"], language), "control": pick(r["control"], language)}
                          for r in objective["risks"]],
                "activities": [{"title": pick(a["title"], language), "kind": a["kind"]}
                               for a in objective["activities"]],
                "costs": costs,
                "total_cost": str(sum((Decimal(c) for c in costs.values() if c is not None), Decimal("0.00"))),
                "findings": [pick(f, language) for f in objective["findings"]],
                "needs": [pick(n, language) for n in objective["needs"]],
            })
    return {"plan_id": plan["id"], "title": pick(plan["title"], language), "version": version,
            "status": plan["status"], "calendar": plan["calendar"], "language": language,
            "municipality": municipality, "years": years, "cards": cards,
            "regional": regional_cards(plan, language, years, goals, municipality)}


def regional_cards(plan, language, years, goals, municipality=None):
    """A card per regional indicator of the frame: its goal, the rule that makes the region's value
    from the districts' (sum, Σnumerator / Σdenominator, mean, weighted mean), baseline and targets,
    and the indicators that feed it; with ``municipality``, only those it contributes to."""
    feeding = {}
    for owner, contribution in sorted(plan["contributions"].items()):
        for objective in contribution["objectives"]:
            for indicator in objective["indicators"]:
                if indicator.get("contributes_to"):
                    feeding.setdefault(indicator["contributes_to"], []).append(
                        {"municipality": owner, "objective": objective["code"], "code": indicator["code"],
                         "name": pick(indicator["name"], language)})
    cards = []
    for regional in (plan["frame"] or {}).get("regional_indicators", []):
        contributors = feeding.get(regional["code"], [])
        if municipality is not None and municipality not in {c["municipality"] for c in contributors}:
            continue
        cards.append({
            "code": regional["code"], "name": pick(regional["name"], language), "unit": regional["unit"],
            "goal": {"code": regional["goal"], "title": pick(goals.get(regional["goal"], {}).get("title"), language)},
            "aggregation": regional["aggregation"], "aggregation_label": AGGREGATIONS[language][regional["aggregation"]],
            "ratio_scale": regional.get("ratio_scale"), "baseline": regional["baseline"],
            "targets": {y: regional["targets"].get(y) for y in years}, "calculation": regional["calculation"],
            "calculation_label": CALCULATIONS[language][regional["calculation"]],
            "definition": pick(regional.get("definition"), language), "contributors": contributors})
    return cards


def _contributors(card):
    return "; ".join(f"{c['code']} ({c['municipality']})" for c in card["contributors"])


def _unit(ref):
    return f"{ref['unit']} ({ref['municipality']})" if ref.get("municipality") else ref["unit"]


def xlsx(doc):
    """One sheet per goal, its objectives' cards one below the other in the guide's columns."""
    language, years = doc["language"], doc["years"]
    label, frequency = LABELS[language], FREQUENCIES[language]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#e8eef2", "border": 1, "text_wrap": True})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    sheets, rows = {}, {}
    columns = [label["code"], label["name"], label["unit"], label["weight"], label["baseline"], *years,
               label["monitoring"], label["reporting"], label["calculation"], label["class"], label["source"],
               label["definition"]]
    for card in doc["cards"]:
        code = card["goal"]["code"]
        if code not in sheets:
            sheets[code] = documents.sheet(book, f"{label['goal']} {code}", language)
            sheets[code].set_column(0, 0, 24)
            sheets[code].set_column(1, 1, 40)
            sheets[code].set_column(2, len(columns), 14)
            rows[code] = 0
        ws, r = sheets[code], rows[code]

        def pair(name, value):
            nonlocal r
            ws.write(r, 0, name, bold)
            ws.write(r, 1, value)
            r += 1

        pair(label["goal"], f"{code} {card['goal']['title'] or ''}")
        pair(label["objective"], f"{card['objective']['code']} {card['objective']['title']}")
        pair(label["municipality"], card["municipality"])
        pair(label["responsible"], _unit(card["responsible_unit"]))
        pair(label["collaborators"], "; ".join(_unit(c) for c in card["collaborators"]))
        ws.write_row(r, 0, columns, head)
        for indicator in card["indicators"]:
            r += 1
            ws.write_row(r, 0, [indicator["code"], indicator["name"], indicator["unit"], indicator["weight"],
                                indicator["baseline"], *[indicator["targets"][y] for y in years],
                                frequency[indicator["monitoring_frequency"]],
                                frequency[indicator["reporting_frequency"]], indicator["calculation_label"],
                                indicator["class_label"], indicator["data_source"] or "",
                                indicator["definition"] or ""], cell)
        r += 1
        ws.write_row(r, 0, [label["risks"], label["controls"]], head)
        for risk in card["risks"]:
            r += 1
            ws.write_row(r, 0, [risk["text"], risk["control"]], cell)
        r += 1
        pair(label["activities"], "; ".join(a["title"] for a in card["activities"]))
        ws.write_row(r, 0, [label["costs"], *years, label["total"]], head)
        ws.write_row(r + 1, 0, ["", *[float(card["costs"][y]) if card["costs"][y] else 0 for y in years],
                                float(card["total_cost"])], cell)
        r += 2
        pair(label["findings"], "; ".join(card["findings"]))
        pair(label["needs"], "; ".join(card["needs"]))
        rows[code] = r + 2
    if doc["regional"]:
        ws = documents.sheet(book, label["regional"], language)
        ws.set_column(0, 0, 14)
        ws.set_column(1, 1, 40)
        ws.set_column(2, 8 + len(years), 16)
        ws.write_row(0, 0, [label["code"], label["name"], label["unit"], label["goal"], label["aggregation"],
                            label["scale"], label["baseline"], *years, label["calculation"], label["definition"],
                            label["contributors"]], head)
        for r, card in enumerate(doc["regional"], start=1):
            ws.write_row(r, 0, [card["code"], card["name"], card["unit"], card["goal"]["code"],
                                card["aggregation_label"], card["ratio_scale"] or "", card["baseline"],
                                *[card["targets"][y] for y in years], card["calculation_label"],
                                card["definition"] or "", _contributors(card)], cell)
    if not sheets and not doc["regional"]:
        documents.sheet(book, label["cards"], language).write(0, 0, label["cards"], bold)
    book.close()
    return buffer.getvalue()


def pdf(doc):
    language, years = doc["language"], doc["years"]
    label, frequency = LABELS[language], FREQUENCIES[language]

    def n(value):
        return documents.number(value, language)

    def listed(items):
        return "<br>".join(e(i) for i in items) or "–"

    parts = [f"<h1>{e(doc['title'])}: {e(label['cards'])}</h1>"]
    year_heads = "".join(f"<th>{n(y)}</th>" for y in years)
    def cells(values):
        return "".join(f"<td>{n(v)}</td>" for v in values)

    for card in doc["cards"]:
        indicators = "".join(
            f"<tr><td>{e(i['code'])}</td><td>{e(i['name'])}</td><td>{e(i['unit'])}</td><td>{n(i['weight'])}</td>"
            f"<td>{n(i['baseline'])}</td>{cells(i['targets'][y] for y in years)}"
            f"<td>{e(frequency[i['monitoring_frequency']])}</td><td>{e(frequency[i['reporting_frequency']])}</td>"
            f"<td>{e(i['calculation_label'])}</td><td>{e(i['class_label'])}</td><td>{e(i['data_source'] or '')}</td>"
            f"<td>{e(i['definition'] or '')}</td></tr>"
            for i in card["indicators"])
        risks = "".join(f"<tr><td>{e(r['text'])}</td><td>{e(r['control'])}</td></tr>" for r in card["risks"])
        costs = cells(card["costs"][y] for y in years)
        parts.append(f"""<div class="card">
<h2>{e(card['objective']['code'])} {e(card['objective']['title'])}</h2>
<table>
<tr><th>{e(label['goal'])}</th><td>{e(card['goal']['code'])} {e(card['goal']['title'] or '')}</td></tr>
<tr><th>{e(label['municipality'])}</th><td>{e(card['municipality'])}</td></tr>
<tr><th>{e(label['responsible'])}</th><td>{e(_unit(card['responsible_unit']))}</td></tr>
<tr><th>{e(label['collaborators'])}</th><td>{listed(_unit(c) for c in card['collaborators'])}</td></tr>
</table>
<table><tr><th>{e(label['code'])}</th><th>{e(label['name'])}</th><th>{e(label['unit'])}</th>
<th>{e(label['weight'])}</th><th>{e(label['baseline'])}</th>{year_heads}<th>{e(label['monitoring'])}</th>
<th>{e(label['reporting'])}</th><th>{e(label['calculation'])}</th><th>{e(label['class'])}</th>
<th>{e(label['source'])}</th><th>{e(label['definition'])}</th></tr>{indicators}</table>
<table><tr><th>{e(label['risks'])}</th><th>{e(label['controls'])}</th></tr>{risks}</table>
<table><tr><th>{e(label['costs'])}</th>{year_heads}<th>{e(label['total'])}</th></tr>
<tr><td></td>{costs}<td>{n(card['total_cost'])}</td></tr></table>
<table><tr><th>{e(label['activities'])}</th><td>{listed(a['title'] for a in card['activities'])}</td></tr>
<tr><th>{e(label['findings'])}</th><td>{listed(card['findings'])}</td></tr>
<tr><th>{e(label['needs'])}</th><td>{listed(card['needs'])}</td></tr></table>
</div>""")
    if doc["regional"]:
        rows = "".join(
            f"<tr><td>{e(c['code'])}</td><td>{e(c['name'])}</td><td>{e(c['unit'])}</td><td>{e(c['goal']['code'])}</td>"
            f"<td>{e(c['aggregation_label'])}</td><td>{n(c['baseline'])}</td>{cells(c['targets'][y] for y in years)}"
            f"<td>{e(c['calculation_label'])}</td><td>{e(c['definition'] or '')}</td>"
            f"<td>{e(_contributors(c))}</td></tr>" for c in doc["regional"])
        parts.append(f"""<div class="card"><h2>{e(label['regional'])}</h2>
<table><tr><th>{e(label['code'])}</th><th>{e(label['name'])}</th><th>{e(label['unit'])}</th><th>{e(label['goal'])}</th>
<th>{e(label['aggregation'])}</th><th>{e(label['baseline'])}</th>{year_heads}<th>{e(label['calculation'])}</th>
<th>{e(label['definition'])}</th><th>{e(label['contributors'])}</th></tr>{rows}</table></div>""")
    return documents.pdf("".join(parts), language, landscape=True)   # a card's table has a column per year
