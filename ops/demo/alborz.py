"""The strategic document of Alborz province's municipalities' cooperation organisation (seed 003,
سازمان همیاری شهرداریهای استان البرز): a cooperation body whose members are the province's
municipalities (members, not children). Seven goals (اهداف) and nine strategies (راهکارها),
each strategy put under the goal it serves; a plan of goals and strategies, without indicators.
"""
PLAN_ID = "alborz-1403-1404"
BODY = "alborz-hamyari"
YEARS = ["1403", "1404"]


def _fa(fa, en):
    return {"fa": fa, "en": en}


def _member(fa, en, kind="town"):
    return {"name": _fa(fa, en), "kind": kind, "parent": None, "locale": "fa", "calendar": "solar_hijri"}


# the members first: a body names only municipalities that exist
MUNICIPALITIES = {
    "karaj": _member("شهرداری کرج", "Karaj Municipality", "metropolitan"),
    "fardis": _member("شهرداری فردیس", "Fardis Municipality"),
    "nazarabad": _member("شهرداری نظرآباد", "Nazarabad Municipality"),
    "hashtgerd": _member("شهرداری هشتگرد", "Hashtgerd Municipality"),
    "mohammadshahr": _member("شهرداری محمدشهر", "Mohammadshahr Municipality"),
}
MEMBERS = list(MUNICIPALITIES)
MUNICIPALITIES[BODY] = {**_member("سازمان همیاری شهرداریهای استان البرز",
                                  "Alborz Province Municipalities' Cooperation Organisation", "cooperation_body"),
                        "members": MEMBERS}

GOALS = [
    _fa("تامین شرایط تحقق توسعه پایدار شهری در حوزه خدمات متنوع شهرداریها",
        "Conditions for sustainable urban development in the municipalities' services"),
    _fa("ایجاد زیرساختهای مورد نیاز جهت ارائه خدمات با کیفیت و متناسب با نیازهای روز شهروندان و تجهیز شهرداریها "
        "به سخت افزار و نرم افزارهای پیشرفته",
        "Infrastructure for quality services and equipping municipalities with advanced hardware and software"),
    _fa("ارتقا روابط و همکاریهای شهرداریهای استان با همتایان موفق و متفاوت خود در داخل و خارج از کشور",
        "Better relations and cooperation with successful peers at home and abroad"),
    _fa("ایجاد تسهیل در روابط بین شهرداریها با موسسات و نهادهای عمومی و خدماتی بین المللی و انتقال تجربیات و "
        "برنامه های توسعه خدمات",
        "Easier relations with international public and service institutions; transfer of experience"),
    _fa("مشارکت بهینه شهرداریها در برنامه های بلند مدت و پایدار و ایجاد منابع و استقلال مالی بدون اتکا به "
        "درآمدهای جاری",
        "Municipalities in long-term programmes; own resources and financial independence"),
    _fa("ایجاد ارتقا همه جانبه نیروی انسانی شاغل در شهرداریها و ارائه خدمات وسیع و پوششهای حمایتی",
        "All-round development of the municipalities' staff, with wide services and support"),
    _fa("تامین شرایط استفاده از ظرفیتها و منابع پیش بینی شده در اسناد چشم انداز توسعه ملی و استانی",
        "Use of the capacities and resources foreseen in the national and provincial vision documents"),
]

# (goal number, strategy text): the document's nine strategies under the goals they serve
STRATEGIES = [
    (1, _fa("مطالعه و شناخت جامع از ظرفیتها و منابع و فرصتهای موجود در حوزه استان و تدوین ضرورتهای زیربنایی و "
            "تعریف طرحها و پروژه ها بر اساس اولویت و برنامه های زمانی کوتاه مدت، میان مدت و بلند مدت",
            "Study the province's capacities, resources and opportunities; define projects by priority over the "
            "short, medium and long term")),
    (7, _fa("ایجاد بانک اطلاعاتی جامع در حوزه نیازمندی ها، ظرفیتها و فرصتهای اقتصادی استان و شهرداریها",
            "A bank of the needs, capacities and economic opportunities of the province and its municipalities")),
    (5, _fa("ایجاد ساختار برنامه ریزی شده حوزه امور اقتصادی در سازمان",
            "A planned structure for economic affairs in the organisation")),
    (5, _fa("تاسیس شرکتها و موسسات اجرایی در حوزه های مورد نیاز بر اساس اولویت بندی و همچنین تشکیل کنسرسیومهای "
            "همکاری در حوزه های مورد نیاز با بخش خصوصی",
            "Found companies and executive institutions by priority, and consortia with the private sector")),
    (4, _fa("ایجاد ساختار اجرائی مشارکتهای اقتصادی بین المللی با ظرفیتهای موجود در سطح استان",
            "An executive structure for international economic partnerships")),
    (3, _fa("ایجاد برنامه همکاریهای مشترک اقتصادی و اجتماعی با سایر سازمان همیاری شهرداری های کشور",
            "Joint economic and social programmes with the other cooperation organisations of the country")),
    (5, _fa("سازماندهی و استفاده از بخش خصوصی و فعالین موفق اقتصادی در برنامه های مشارکتی در حوزه مناطق آزاد "
            "ویژه اقتصادی",
            "The private sector and successful entrepreneurs in partnership programmes in the free zones")),
    (7, _fa("برگزاری نمایشگاههای معرفی ظرفیتهای اقتصادی، تولیدی استان و سرمایه گذاریهای مشترک در داخل و خارج از "
            "کشور",
            "Exhibitions of the province's economic and productive capacities and joint investments")),
    (6, _fa("ایجاد دبیرخانه همکاریهای حوزه برنامه ریزی های اقتصادی و اجرائی با دانشگاه ها و مراکز پژوهشی و بنیاد "
            "ملی نخبگان و حوزه های دانش بنیان",
            "A secretariat of cooperation with universities, research centres, the National Elites Foundation "
            "and knowledge-based firms")),
]


def _goals():
    goals = []
    for number, title in enumerate(GOALS, start=1):
        mine = [text for goal, text in STRATEGIES if goal == number]
        goals.append({"code": f"A{number}", "title": title, "theme": None,
                      "strategies": [{"code": f"S{number}.{i}", "text": text} for i, text in enumerate(mine, 1)]})
    return goals


PLAN = {
    "id": PLAN_ID,
    "title": _fa("سند راهبردی سازمان همیاری شهرداریهای استان البرز ۱۴۰۳-۱۴۰۴",
                 "Strategic document of the Alborz municipalities' cooperation organisation 1403-1404"),
    "coordinator": BODY,
    "members": MEMBERS,
    "period": {"start": 1403, "end": 1404},
    "calendar": "solar_hijri",
    "themes": [],
    "settings": {"indicators_required": False},
}

FRAME = {
    "mission": _fa("خدمت به شهروندان استان با تامین پیش نیازها و ابزارهای شهرداریها",
                   "To serve the province's citizens by providing the municipalities' prerequisites and tools"),
    "vision": _fa("رونق اقتصادی استان، رفع بیکاری و افزایش امید به زندگی",
                  "A prosperous province, less unemployment and more hope in life"),
    "values": [],
    "goals": _goals(),
}
ADOPTION = {"decision_no": "1403/27", "decision_date": "2024-05-12"}

# The body's projects, ranked over the short, medium and long term as its first strategy asks, each
# serving a strategy and carried out with the partners the document names (universities, companies,
# consortia); budgets per Solar Hijri year, in rials.
PROJECTS = [
    {"code": "AL-01", "title": _fa("بانک اطلاعات نیازها، ظرفیت‌ها و فرصت‌های اقتصادی استان",
                                   "Bank of the province's needs, capacities and economic opportunities"),
     "kind": "project", "strategy": "S7.1", "municipality": BODY, "responsible_unit": "معاونت برنامه‌ریزی",
     "partners": [{"name": "دانشگاه خوارزمی", "kind": "university"}], "horizon": "short", "priority": 1,
     "start": "2024-04-20", "end": "2025-03-20", "budget": {"1403": "25000000000.00"},
     "funding": [{"source": "بودجه سازمان", "amount": "25000000000.00"}], "milestones": []},
    {"code": "AL-02", "title": _fa("نمایشگاه ظرفیت‌های اقتصادی و تولیدی استان",
                                   "Exhibition of the province's economic and productive capacities"),
     "kind": "activity", "strategy": "S7.2", "municipality": BODY, "responsible_unit": "معاونت اقتصادی",
     "partners": [{"name": "شرکت نمایشگاه‌های البرز", "kind": "company"}], "horizon": "short", "priority": 2,
     "start": "2024-09-22", "end": "2025-01-20", "budget": {"1403": "8000000000.00"},
     "funding": [{"source": "بودجه سازمان", "amount": "8000000000.00"}], "milestones": []},
    {"code": "AL-03", "title": _fa("کنسرسیوم مدیریت پسماند شهرداری‌های استان",
                                   "Consortium of the province's municipalities for waste management"),
     "kind": "project", "strategy": "S5.2", "municipality": BODY, "responsible_unit": "معاونت اقتصادی",
     "partners": [{"name": "کنسرسیوم پسماند البرز", "kind": "consortium"}, {"name": "karaj", "kind": "municipality"}],
     "horizon": "mid", "priority": 1, "start": "2024-06-21", "end": "2027-03-20",
     "budget": {"1403": "40000000000.00", "1404": "60000000000.00"},
     "funding": [{"source": "مشارکت بخش خصوصی", "amount": "100000000000.00"}], "milestones": []},
    {"code": "AL-04", "title": _fa("دبیرخانه همکاری با دانشگاه‌ها و شرکت‌های دانش‌بنیان",
                                   "Secretariat of cooperation with universities and knowledge-based firms"),
     "kind": "activity", "strategy": "S6.1", "municipality": BODY, "responsible_unit": "معاونت برنامه‌ریزی",
     "partners": [{"name": "بنیاد ملی نخبگان", "kind": "public_institution"}], "horizon": "mid", "priority": 2,
     "start": "2025-03-21", "end": "2026-03-20", "budget": {"1404": "5000000000.00"}, "milestones": []},
    {"code": "AL-05", "title": _fa("شهرک صنعتی مشترک شهرداری‌ها در منطقه ویژه اقتصادی",
                                   "The municipalities' joint industrial estate in the special economic zone"),
     "kind": "project", "strategy": "S5.3", "municipality": BODY, "responsible_unit": "معاونت اقتصادی",
     "partners": [{"name": "شرکت توسعه سرمایه‌گذاری البرز", "kind": "company"}], "horizon": "long", "priority": 1,
     "start": "2025-03-21", "end": "2030-03-20", "budget": {"1404": "20000000000.00"},
     "funding": [{"source": "سرمایه‌گذاری مشترک", "amount": "20000000000.00"}], "milestones": []},
]


def _objective(code, goal, fa, en, unit, needs):
    return {"code": code, "goal": goal, "title": _fa(fa, en), "responsible_unit": unit, "indicators": [],
            "needs": needs}


# The members' parts of the body's plan: objectives carried by projects, without indicators, with
# the needs their situation analysis found (the regional table shows them beside the bank).
CONTRIBUTIONS = {
    "karaj": {"objectives": [
        _objective("K1", "A2", "سامانه یکپارچه اطلاعات مکانی شهرداری", "An integrated GIS of the municipality",
                   "معاونت فناوری اطلاعات", [_fa("نقشه های به روز شبکه معابر", "Up-to-date maps of the street network")]),
        _objective("K2", "A5", "درآمد پایدار از سرمایه گذاری مشترک", "Sustainable revenue from joint investment",
                   "معاونت اقتصادی", [_fa("منابع مالی غیر از عوارض جاری", "Revenue other than current dues")])]},
    "fardis": {"objectives": [
        _objective("F1", "A6", "آموزش کارکنان شهرداری", "Training the municipality's staff", "واحد منابع انسانی",
                   [_fa("دوره های آموزش مدیریت شهری", "Courses in urban management")])]},
    "hashtgerd": {"objectives": [
        _objective("H1", "A1", "حمل و نقل عمومی به کرج", "Public transport to Karaj", "واحد حمل و نقل",
                   [_fa("خط اتوبوس مستقیم به کرج", "A direct bus line to Karaj")])]},
}

# The bank of needs, capacities and opportunities (strategy S7.1), a few records of the members
BANK = [
    {"kind": "need", "municipality": "hashtgerd", "theme": None, "title": _fa("ناوگان اتوبوس", "Bus fleet"),
     "text": _fa("اتوبوس برای خط هشتگرد-کرج", "Buses for the Hashtgerd-Karaj line"), "quantity": 12, "unit": "bus"},
    {"kind": "capacity", "municipality": "karaj", "theme": None, "title": _fa("مرکز داده", "Data centre"),
     "text": _fa("ظرفیت خالی مرکز داده شهرداری کرج", "Spare capacity of Karaj's data centre"),
     "quantity": 40, "unit": "TB"},
    {"kind": "opportunity", "municipality": "nazarabad", "theme": None,
     "title": _fa("زمین صنعتی", "Industrial land"),
     "text": _fa("زمین آماده برای شهرک صنعتی مشترک", "Land ready for a joint industrial park"),
     "quantity": 35, "unit": "ha"},
    {"kind": "need", "municipality": "fardis", "theme": None, "title": _fa("آموزش کارکنان", "Staff training"),
     "text": _fa("دوره های مدیریت شهری برای کارکنان", "Urban management courses for the staff"),
     "quantity": 120, "unit": "person"},
]
