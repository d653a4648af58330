"""The Körfez joint plan 2025-2029: Balıkesir Büyükşehir and its five Körfez districts.

From the Burhaniye meeting of 12 June 2024 (seed 001): 10 themes worked in groups over 4
sessions. Goals follow the themes; each district contributes two objectives.
"""
PLAN_ID = "korfez-2025-2029"
COORDINATOR = "balikesir"
YEARS = [str(y) for y in range(2025, 2030)]

MUNICIPALITIES = {
    "balikesir": {"name": {"tr": "Balıkesir Büyükşehir Belediyesi", "en": "Balıkesir Metropolitan Municipality"},
                  "kind": "metropolitan", "parent": None, "locale": "tr", "calendar": "gregorian"},
    "ayvalik": {"name": {"tr": "Ayvalık Belediyesi", "en": "Ayvalık Municipality"}, "kind": "district"},
    "burhaniye": {"name": {"tr": "Burhaniye Belediyesi", "en": "Burhaniye Municipality"}, "kind": "district"},
    "edremit": {"name": {"tr": "Edremit Belediyesi", "en": "Edremit Municipality"}, "kind": "district"},
    "gomec": {"name": {"tr": "Gömeç Belediyesi", "en": "Gömeç Municipality"}, "kind": "district"},
    "havran": {"name": {"tr": "Havran Belediyesi", "en": "Havran Municipality"}, "kind": "district"},
}
DISTRICTS = ["ayvalik", "burhaniye", "edremit", "gomec", "havran"]
for _district in DISTRICTS:
    MUNICIPALITIES[_district].update(parent=COORDINATOR, locale="tr", calendar="gregorian")

THEMES = [
    ("T1", "Şehir Çevre ve İklim Değişikliği", "Urban environment and climate change"),
    ("T2", "Kültür Sanat Spor", "Culture, arts, sports"),
    ("T3", "Sağlık ve Sosyal Hizmetler", "Health and social services"),
    ("T4", "Dirençli ve Güvenli Şehir", "Resilient and safe city"),
    ("T5", "Turizm ve Tanıtım", "Tourism and promotion"),
    ("T6", "Tarım ve Kırsal Kalkınma", "Agriculture and rural development"),
    ("T7", "Kentsel Ulaşım ve Altyapı", "Urban transport and infrastructure"),
    ("T8", "Ekonomik Kalkınma ve İstihdam", "Economic development and employment"),
    ("T9", "Kurumsal Kapasitenin Geliştirilmesi", "Institutional capacity"),
    ("T10", "Teknoloji ve İnovasyon", "Technology and innovation"),
]

PLAN = {
    "id": PLAN_ID,
    "title": {"tr": "2025-2029 Körfez Bölgesi Ortak Stratejik Planı",
              "en": "Körfez Region Joint Strategic Plan 2025-2029"},
    "coordinator": COORDINATOR,
    "members": DISTRICTS,
    "period": {"start": 2025, "end": 2029},
    "calendar": "gregorian",
    "themes": [{"code": c, "name": {"tr": tr, "en": en}} for c, tr, en in THEMES],
    "settings": {"cap_at_100": True, "goal_rollup": "mean", "off_track_threshold": 70},
}


def _targets(baseline, step):
    return {year: round(baseline + step * (i + 1), 2) for i, year in enumerate(YEARS)}


FRAME = {
    "mission": {"tr": "Körfez bölgesinde yaşam kalitesini birlikte planlayarak ve ölçerek yükseltmek.",
                "en": "To raise the quality of life in the Körfez region by planning and measuring together."},
    "vision": {"tr": "Dirençli, yeşil ve paylaşan bir Körfez.", "en": "A resilient, green and sharing Körfez."},
    "values": [{"tr": "Katılımcılık", "en": "Participation"}, {"tr": "Şeffaflık", "en": "Transparency"},
               {"tr": "Sürdürülebilirlik", "en": "Sustainability"}, {"tr": "Hesap verebilirlik", "en": "Accountability"}],
    "goals": [{"code": f"A{i}", "title": {"tr": f"{tr} alanında bölgeyi güçlendirmek", "en": f"Strengthen the region: {en}"},
               "theme": code} for i, (code, tr, en) in enumerate(THEMES, start=1)],
    "regional_indicators": [
        {"code": "BG1", "goal": "A1", "name": {"tr": "Yeni yeşil alan", "en": "New green area"}, "unit": "m²",
         "aggregation": "sum", "baseline": 0, "targets": _targets(0, 40000), "calculation": "cumulative"},
        {"code": "BG2", "goal": "A3", "name": {"tr": "Sosyal yardım başvurularının yanıtlanma oranı",
                                               "en": "Share of social aid requests answered"},
         "unit": "%", "aggregation": "ratio", "ratio_scale": 100, "baseline": 70, "targets": _targets(70, 4),
         "calculation": "increase"},
    ],
    "situation": {
        "stakeholders": [
            {"name": "Körfez ilçe belediyeleri", "group": "municipality", "internal": True, "influence": 5, "importance": 5},
            {"name": "Kent Konseyi", "group": "city_council", "influence": 3, "importance": 4},
            {"name": "Muhtarlar", "group": "muhtar", "influence": 2, "importance": 4},
            {"name": "Balıkesir Üniversitesi BUBFA", "group": "university", "influence": 2, "importance": 2},
            {"name": "Ticaret ve Sanayi Odası", "group": "chamber", "influence": 4, "importance": 2},
        ],
        "pestle": [{"factor": "environmental", "text": "Kıyı ekosistemi üzerinde iklim baskısı", "effect": "threat"},
                   {"factor": "economic", "text": "Turizmde mevsimsellik", "effect": "threat"}],
        "swot": {"strengths": ["Beş ilçenin ortak planlama geleneği"], "weaknesses": ["Veri altyapısı dağınık"],
                 "opportunities": ["Kırsal kalkınma destekleri"], "threats": ["Orman yangını riski"]},
        "findings": ["İlçeler arasında hizmet standartları farklıdır."],
        "needs": ["Ortak izleme ve raporlama sistemi."],
    },
}

UNITS = {"T1": "Park ve Bahçeler Müdürlüğü", "T2": "Kültür ve Sosyal İşler Müdürlüğü",
         "T3": "Sosyal Yardım İşleri Müdürlüğü", "T4": "İtfaiye Müdürlüğü", "T5": "Basın Yayın Müdürlüğü",
         "T6": "Tarımsal Hizmetler Müdürlüğü", "T7": "Fen İşleri Müdürlüğü", "T8": "İmar ve Şehircilik Müdürlüğü",
         "T9": "İnsan Kaynakları Müdürlüğü", "T10": "Bilgi İşlem Müdürlüğü"}


def _objective(district, goal_number, number):
    code, tr, en = THEMES[goal_number - 1]
    objective = f"H{goal_number}.{number}"
    indicators = [
        {"code": f"PG{goal_number}.{number}.1", "name": {"tr": f"{tr}: tamamlanan iş", "en": f"{en}: works done"},
         "unit": "adet", "weight": 60, "baseline": 10, "targets": _targets(10, 5), "calculation": "increase",
         "class": "output", "data_source": {"tr": "Birim faaliyet kayıtları"}},
        {"code": f"PG{goal_number}.{number}.2", "name": {"tr": f"{tr}: memnuniyet", "en": f"{en}: satisfaction"},
         "unit": "%", "weight": 40, "baseline": 60, "targets": _targets(60, 3), "calculation": "increase",
         "class": "outcome", "data_source": {"tr": "Yıllık memnuniyet anketi"}},
    ]
    if goal_number == 1:
        indicators[0].update(name={"tr": "Yeni yeşil alan", "en": "New green area"}, unit="m²", baseline=0,
                             targets=_targets(0, 8000), calculation="cumulative", contributes_to="BG1")
    if goal_number == 3:
        indicators[1].update(name={"tr": "Yanıtlanan sosyal yardım başvurusu oranı",
                                   "en": "Share of social aid requests answered"},
                             baseline=70, targets=_targets(70, 4), contributes_to="BG2", ratio_scale=100)
    name = MUNICIPALITIES[district]["name"]
    return {
        "code": objective, "goal": f"A{goal_number}", "theme": code,
        "title": {"tr": f"{name['tr']}: {tr.lower()} hizmetlerini geliştirmek",
                  "en": f"{name['en']}: improve {en.lower()}"},
        "responsible_unit": UNITS[code],
        "collaborators": [{"municipality": COORDINATOR, "unit": "Strateji Geliştirme Dairesi Başkanlığı"}],
        "indicators": indicators,
        "risks": [{"text": "Bütçe kısıtı", "control": "Dış kaynak başvuruları ve önceliklendirme"}],
        "activities": [f"{tr} eylem planının hazırlanması"],
        "costs": {year: f"{250000 + 50000 * i}.00" for i, year in enumerate(YEARS)},
        "findings": [], "needs": [],
    }


# Goals served by each district: two goals of its own, and every district feeds the two
# regional indicators (A1's green area, A3's answered requests).
GOALS_BY_DISTRICT = {"ayvalik": [1, 2, 3], "burhaniye": [3, 4, 1], "edremit": [5, 6, 1, 3],
                     "gomec": [7, 8, 1, 3], "havran": [9, 10, 1, 3]}


def _contributions():
    numbers, contributions = {}, {}
    for district in DISTRICTS:
        objectives = []
        for goal in GOALS_BY_DISTRICT[district]:
            numbers[goal] = numbers.get(goal, 0) + 1
            objectives.append(_objective(district, goal, numbers[goal]))
        contributions[district] = {"objectives": objectives}
    return contributions


CONTRIBUTIONS = _contributions()
ADOPTION = {"decision_no": "2024/512", "decision_date": "2024-11-14"}

# Ayvalık's own statutory plan (a municipality alone): its three objectives of the joint plan count
# in it by reference, written and measured once, in the joint plan.
OWN_PLAN_ID = "ayvalik-2025-2029"
OWN_PLAN = {
    "id": OWN_PLAN_ID,
    "title": {"tr": "Ayvalık Belediyesi 2025-2029 Stratejik Planı", "en": "Ayvalık Municipality Strategic Plan 2025-2029"},
    "coordinator": "ayvalik",
    "members": [],
    "period": PLAN["period"],
    "calendar": "gregorian",
    "themes": PLAN["themes"][:3],
    "settings": {"cap_at_100": True, "goal_rollup": "mean"},
}
OWN_FRAME = {
    "mission": {"tr": "Ayvalık'ın doğasını ve kültürünü koruyarak herkese eşit hizmet sunmak.",
                "en": "To serve everyone equally while protecting Ayvalık's nature and culture."},
    "vision": {"tr": "Zeytinliği, kıyısı ve kültürüyle yaşanabilir bir Ayvalık.",
               "en": "A liveable Ayvalık of olive groves, coast and culture."},
    "values": [{"tr": "Katılımcılık", "en": "Participation"}, {"tr": "Şeffaflık", "en": "Transparency"}],
    "goals": [{"code": "A1", "theme": "T1", "title": {"tr": "Yeşil ve iklime dirençli bir Ayvalık",
                                                      "en": "A green Ayvalık, resilient to the climate"}},
              {"code": "A2", "theme": "T2", "title": {"tr": "Kültür, sanat ve sporla yaşayan bir kent",
                                                      "en": "A town alive with culture, arts and sports"}},
              {"code": "A3", "theme": "T3", "title": {"tr": "Sosyal hizmette kimseyi geride bırakmamak",
                                                      "en": "Social services that leave no one behind"}}],
    "regional_indicators": [],
    "situation": {"needs": ["Zeytinlik alanlarında yangın önleme.", "Yaz nüfusuna göre ölçeklenen hizmetler."]},
}
OWN_CONTRIBUTION = {"objectives": [], "references": [
    {"plan": PLAN_ID, "objective": objective, "goal": goal}
    for objective, goal in (("H1.1", "A1"), ("H2.1", "A2"), ("H3.1", "A3"))]}
OWN_ADOPTION = {"decision_no": "2024/131", "decision_date": "2024-12-04"}
