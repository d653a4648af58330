"""Bilecik Belediyesi's own strategic plan 2020-2024: a municipality alone, no members.

From the mayor's foreword (seed 000): transparency, accountability, participation, justice and
equality; an accessible city for the disadvantaged, the elderly and children; the historic fabric
and the city's cultural and natural riches made a brand through participatory projects.
"""
PLAN_ID = "bilecik-2020-2024"
COORDINATOR = "bilecik"
YEARS = [str(y) for y in range(2020, 2025)]

MUNICIPALITIES = {
    "bilecik": {"name": {"tr": "Bilecik Belediyesi", "en": "Bilecik Municipality"}, "kind": "provincial",
                "parent": None, "locale": "tr", "calendar": "gregorian"},
}

PLAN = {
    "id": PLAN_ID,
    "title": {"tr": "2020-2024 Dönemi Bilecik Belediyesi Stratejik Planı",
              "en": "Bilecik Municipality Strategic Plan 2020-2024"},
    "coordinator": COORDINATOR,
    "members": [],
    "period": {"start": 2020, "end": 2024},
    "calendar": "gregorian",
    "themes": [{"code": "E", "name": {"tr": "Erişilebilir kent", "en": "Accessible city"}},
               {"code": "K", "name": {"tr": "Katılımcı yönetim", "en": "Participatory management"}},
               {"code": "M", "name": {"tr": "Tarih, kültür ve doğa", "en": "History, culture and nature"}}],
    "settings": {"cap_at_100": True, "goal_rollup": "mean"},
}

FRAME = {
    "mission": {"tr": "Demokrasi, insan haklarına saygı, etik değerlere bağlılık, yönetimde yenilikçi yaklaşım ve "
                      "vatandaş memnuniyeti ile hizmet sunmak.",
                "en": "To serve with democracy, respect for human rights, ethics, innovation in management and "
                      "citizens' satisfaction."},
    "vision": {"tr": "Bilecik'in her alanda örnek gösterilebileceği ve yaşanabilir şehirler arasında yer alan bir "
                     "kent olması.",
               "en": "A Bilecik that is an example in every field and among the liveable cities."},
    "values": [{"tr": "Şeffaflık", "en": "Transparency"}, {"tr": "Hesap verilebilirlik", "en": "Accountability"},
               {"tr": "Katılımcılık", "en": "Participation"}, {"tr": "Adalet ve eşitlik", "en": "Justice and equality"},
               {"tr": "Toplumsal cinsiyet eşitliği", "en": "Gender equality"}],
    "goals": [
        {"code": "A1", "theme": "E", "title": {"tr": "Kenti herkes için erişilebilir kılmak",
                                               "en": "Make the city accessible to everyone"}},
        {"code": "A2", "theme": "K", "title": {"tr": "Katılımcı ve şeffaf bir yönetim",
                                               "en": "A participatory and transparent administration"}},
        {"code": "A3", "theme": "M", "title": {"tr": "Tarihi dokuyu koruyarak kenti markalaştırmak",
                                               "en": "Make the city a brand while protecting its historic fabric"}},
    ],
    "regional_indicators": [],
    "situation": {"findings": ["Dezavantajlı vatandaşlar için ulaşım hizmeti sınırlıdır."],
                  "needs": ["Binaların ve açık alanların erişilebilirliği."]},
}


def _targets(baseline, step):
    return {year: round(baseline + step * (i + 1), 2) for i, year in enumerate(YEARS)}


def _objective(code, goal, theme, title, unit, indicators):
    return {"code": code, "goal": goal, "theme": theme, "title": title, "responsible_unit": unit,
            "indicators": indicators, "activities": [], "costs": {"2022": "400000.00"}}


# Hand-worked in tests/integration/test_shapes.py: 2022's targets are 40 buildings and 65 %.
CONTRIBUTION = {"objectives": [
    _objective("H1.1", "A1", "E", {"tr": "Kamu binalarını ve açık alanları erişilebilir kılmak",
                                   "en": "Make public buildings and open spaces accessible"},
               "Fen İşleri Müdürlüğü", [
                   {"code": "PG1.1.1", "name": {"tr": "Erişilebilir hale getirilen bina", "en": "Buildings made accessible"},
                    "unit": "adet", "weight": 60, "baseline": 10, "targets": _targets(10, 10), "calculation": "increase",
                    "class": "output"},
                   {"code": "PG1.1.2", "name": {"tr": "Erişilebilir durak oranı", "en": "Share of accessible stops"},
                    "unit": "%", "weight": 40, "baseline": 50, "targets": _targets(50, 5), "calculation": "increase"}]),
    _objective("H2.1", "A2", "K", {"tr": "Kent Konseyi ve STK'larla katılımı artırmak",
                                   "en": "More participation with the City Council and NGOs"},
               "Strateji Geliştirme Müdürlüğü", [
                   {"code": "PG2.1.1", "name": {"tr": "Katılımcı toplantı sayısı", "en": "Participatory meetings"},
                    "unit": "adet", "weight": 100, "baseline": 4, "targets": _targets(4, 2), "calculation": "increase"}]),
    _objective("H3.1", "A3", "M", {"tr": "Tarihi yapıları restore etmek", "en": "Restore historic buildings"},
               "Kültür ve Sosyal İşler Müdürlüğü", [
                   {"code": "PG3.1.1", "name": {"tr": "Restore edilen tarihi yapı", "en": "Historic buildings restored"},
                    "unit": "adet", "weight": 100, "baseline": 0, "targets": _targets(0, 3), "calculation": "cumulative",
                    "year_value": "sum"}]),
]}
ADOPTION = {"decision_no": "2019/145", "decision_date": "2019-11-06"}

# Readings hand-worked in tests/integration/test_shapes.py (2022: the plan at 90.2222 %):
# (indicator, period, value), Bilecik's own.
READINGS = [("PG1.1.1", "2022-H1", 30), ("PG1.1.1", "2022-H2", 37), ("PG1.1.2", "2022-H1", 58),
            ("PG1.1.2", "2022-H2", 62.5), ("PG2.1.1", "2022-H2", 9), ("PG2.1.1", "2022-H1", 6)] + [
    ("PG3.1.1", period, value) for period, value in
    (("2020-H1", 1), ("2020-H2", 2), ("2021-H1", 1), ("2021-H2", 2), ("2022-H1", 2), ("2022-H2", 1))]
