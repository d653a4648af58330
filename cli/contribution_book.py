"""A district's contribution as a workbook in the guide's target-card columns, and back.

Three sheets a planner fills (objectives, indicators, risks: one row each, indicators and risks
naming their objective), a reference sheet with the plan's goals, themes and regional indicators,
and a hidden sheet with the lists behind the drop-downs and what the book is (plan, municipality,
version, the field of each column). Texts are in the municipality's language; Persian sheets run
right to left; the target and cost columns are the plan's own years (Solar Hijri for such plans).

Reading a book back gives the contribution as the API takes it and, for every field path the
server's rules may name, the cell it came from, so errors are reported by sheet and cell.
"""
import io
from decimal import Decimal, InvalidOperation

# openpyxl and xlsxwriter (and numpy with them: some 13 MB) are imported where a book is written
# or read, so a process using only this module's columns and rules (the gateway) holds none of them.

from services.plan_registry import domain as rules
from services.plan_registry.schemas import CALCULATIONS, FREQUENCIES, INDICATOR_CLASSES, ContributionSchema
from shared.documents import right_to_left
from shared.errors import InvalidInput
from shared.text import pick
from shared.validation import Problems, load

META = "ortak"
SHEETS = {
    "tr": {"objectives": "Hedefler", "indicators": "Göstergeler", "risks": "Riskler", "plan": "Plan"},
    "fa": {"objectives": "اهداف", "indicators": "شاخص‌ها", "risks": "ریسک‌ها", "plan": "برنامه"},
    "en": {"objectives": "Objectives", "indicators": "Indicators", "risks": "Risks", "plan": "Plan"},
}
HEADERS = {
    "tr": {"code": "Kod", "goal": "Amaç", "theme": "Tema", "title": "Hedef", "responsible_unit": "Sorumlu Birim",
           "collaborators": "İşbirliği Yapılacak Birimler (belediye: birim; ...)",
           "activities": "Faaliyet ve Projeler (satır başına bir)", "findings": "Tespitler", "needs": "İhtiyaçlar",
           "cost": "Maliyet", "objective": "Hedef Kodu", "name": "Gösterge", "unit": "Birim",
           "weight": "Hedefe Etkisi (%)", "baseline": "Başlangıç Değeri", "target": "Hedef",
           "calculation": "Hesaplama", "class": "Gösterge Türü", "monitoring_frequency": "İzleme Sıklığı",
           "reporting_frequency": "Rapor Sıklığı", "data_source": "Veri Kaynağı",
           "contributes_to": "Bölgesel Gösterge", "text": "Risk", "control": "Kontrol Faaliyeti",
           "aggregation": "Toplama Kuralı"},
    "fa": {"code": "کد", "goal": "هدف کلان", "theme": "موضوع", "title": "هدف", "responsible_unit": "واحد مسئول",
           "collaborators": "واحدهای همکار (شهرداری: واحد؛ ...)", "activities": "فعالیت‌ها و پروژه‌ها (هر سطر یکی)",
           "findings": "یافته‌ها", "needs": "نیازها", "cost": "هزینه", "objective": "کد هدف", "name": "شاخص",
           "unit": "واحد", "weight": "وزن در هدف (٪)", "baseline": "مقدار پایه", "target": "هدف",
           "calculation": "نحوه محاسبه", "class": "نوع شاخص", "monitoring_frequency": "تناوب پایش",
           "reporting_frequency": "تناوب گزارش‌دهی", "data_source": "منبع داده", "contributes_to": "شاخص منطقه‌ای",
           "text": "ریسک", "control": "فعالیت کنترلی", "aggregation": "قاعده تجمیع"},
    "en": {"code": "Code", "goal": "Goal", "theme": "Theme", "title": "Objective", "responsible_unit": "Responsible unit",
           "collaborators": "Collaborating units (municipality: unit; ...)",
           "activities": "Activities and projects (one a line)", "findings": "Findings", "needs": "Needs",
           "cost": "Cost", "objective": "Objective code", "name": "Indicator", "unit": "Unit",
           "weight": "Weight in objective (%)", "baseline": "Baseline", "target": "Target",
           "calculation": "Calculation", "class": "Class", "monitoring_frequency": "Monitoring frequency",
           "reporting_frequency": "Reporting frequency", "data_source": "Data source",
           "contributes_to": "Regional indicator", "text": "Risk", "control": "Control activity",
           "aggregation": "Aggregation"},
}
LISTS = {"calculation": CALCULATIONS, "class": INDICATOR_CLASSES, "monitoring_frequency": FREQUENCIES,
         "reporting_frequency": FREQUENCIES}
PROJECT = "[project] "


def columns(plan):
    """The field behind each column of each sheet ("targets.2026", "costs.2026" for the years)."""
    years = [str(y) for y in range(plan["period"]["start"], plan["period"]["end"] + 1)]
    return {
        "objectives": ["code", "goal", "theme", "title", "responsible_unit", "collaborators", "activities",
                       *[f"costs.{y}" for y in years], "findings", "needs"],
        "indicators": ["objective", "code", "name", "unit", "weight", "baseline", *[f"targets.{y}" for y in years],
                       "calculation", "class", "monitoring_frequency", "reporting_frequency", "data_source",
                       "contributes_to"],
        "risks": ["objective", "text", "control"],
    }


def _header(field, language):
    labels = HEADERS[language]
    if "." in field:
        kind, year = field.split(".")
        return f"{labels['target' if kind == 'targets' else 'cost']} {year}"
    return labels[field]


def _rows(contribution, language):
    """The contribution's rows, sheet by sheet, as {field: cell value}."""
    objectives, indicators, risks = [], [], []
    for objective in contribution.get("objectives", []):
        unit = objective.get("responsible_unit") or {}
        objectives.append({
            "code": objective["code"], "goal": objective["goal"], "theme": objective.get("theme"),
            "title": pick(objective["title"], language),
            "responsible_unit": unit.get("unit") if isinstance(unit, dict) else unit,
            "collaborators": "; ".join(f"{c['municipality']}: {c['unit']}" for c in objective.get("collaborators", [])),
            "activities": "\n".join((PROJECT if a.get("kind") == "project" else "") + pick(a["title"], language)
                                    for a in objective.get("activities", [])),
            **{f"costs.{y}": float(c) for y, c in objective.get("costs", {}).items()},
            "findings": "\n".join(pick(f, language) for f in objective.get("findings", [])),
            "needs": "\n".join(pick(n, language) for n in objective.get("needs", []))})
        for indicator in objective["indicators"]:
            indicators.append({
                "objective": objective["code"], **{k: indicator.get(k) for k in (
                    "code", "unit", "weight", "baseline", "calculation", "class", "monitoring_frequency",
                    "reporting_frequency", "contributes_to")},
                "name": pick(indicator["name"], language), "data_source": pick(indicator.get("data_source"), language),
                **{f"targets.{y}": t for y, t in indicator["targets"].items()}})
        for risk in objective.get("risks", []):
            risks.append({"objective": objective["code"], "text": pick(risk["text"], language),
                          "control": pick(risk["control"], language)})
    return {"objectives": objectives, "indicators": indicators, "risks": risks}


def write(plan, municipality, language, contribution=None, version=None):
    """The workbook (bytes), filled with ``contribution`` when given."""
    language = language if language in SHEETS else "en"
    names, cols = SHEETS[language], columns(plan)
    buffer = io.BytesIO()
    import xlsxwriter
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#e8eef2", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    meta = book.add_worksheet(META)
    meta.hide()
    meta.write_row(0, 0, ["plan", plan["id"], "municipality", municipality, "version", version or plan.get("version"),
                          "language", language])
    lists = choice_lists(meta, {**LISTS, "goal": [g["code"] for g in plan["frame"]["goals"]],
                                "theme": [t["code"] for t in plan["themes"]],
                                "contributes_to": [r["code"] for r in plan["frame"].get("regional_indicators", [])]})

    def checked(field):
        if field in ("weight", "baseline") or "." in field:
            return {"validate": "decimal", "criteria": "between", "minimum": -1e15, "maximum": 1e15,
                    "error_type": "warning"}
        return None
    data_sheets(book, meta, ("objectives", "indicators", "risks"), names, cols,
                _rows(contribution or {"objectives": []}, language), lambda field: _header(field, language),
                language, head, lists, checked, wide=("title", "name", "activities", "text", "control"), width=40,
                cell_format=wrap)
    _reference(book, plan, language, names["plan"], head)
    book.close()
    return buffer.getvalue()


def choice_lists(meta, choices):
    """Each drop-down's values in a column of the hidden sheet ``meta``; field → the range its
    cells are validated against."""
    from xlsxwriter.utility import xl_col_to_name
    lists = {}
    for c, (field, values) in enumerate(sorted(choices.items())):
        meta.write(2, c, field)
        meta.write_column(3, c, list(values))
        column = xl_col_to_name(c)
        lists[field] = f"={META}!${column}$4:${column}${3 + max(len(values), 1)}"
    return lists


def data_sheets(book, meta, sheets, names, cols, rows, header, language, head, lists, checked, wide, width,
                cell_format=None):
    """The sheets a user fills: named in their language (the hidden sheet keeps which is which and
    its columns), right to left for Persian, headed, each column with its drop-down or its
    ``checked(field)`` validation, and the ``rows`` already there."""
    for n, sheet in enumerate(sheets):
        meta.write_row(10 + n, 0, [sheet, names[sheet], *cols[sheet]])
        ws = book.add_worksheet(names[sheet])
        if right_to_left(language):
            ws.right_to_left()
        ws.freeze_panes(1, 1)
        ws.set_row(0, 45)
        for c, field in enumerate(cols[sheet]):
            ws.write(0, c, header(field), head)
            ws.set_column(c, c, width if field in wide else 14, cell_format)
            rule = {"validate": "list", "source": lists[field]} if field in lists else checked(field)
            if rule:
                ws.data_validation(1, c, 5000, c, rule)
        for r, row in enumerate(rows[sheet], start=1):
            for c, field in enumerate(cols[sheet]):
                if row.get(field) not in (None, ""):
                    ws.write(r, c, row[field])


def _reference(book, plan, language, name, head):
    ws = book.add_worksheet(name)
    if right_to_left(language):
        ws.right_to_left()
    labels = HEADERS[language]
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 60)
    ws.write_row(0, 0, [labels["goal"], labels["title"], labels["theme"]], head)
    r = 1
    for goal in plan["frame"]["goals"]:
        ws.write_row(r, 0, [goal["code"], pick(goal["title"], language), goal.get("theme")])
        r += 1
    r += 1
    ws.write_row(r, 0, [labels["theme"], labels["name"]], head)
    for theme in plan["themes"]:
        r += 1
        ws.write_row(r, 0, [theme["code"], pick(theme["name"], language)])
    r += 2
    ws.write_row(r, 0, [labels["contributes_to"], labels["name"], labels["unit"], labels["aggregation"],
                        labels["goal"]], head)
    for regional in plan["frame"].get("regional_indicators", []):
        r += 1
        ws.write_row(r, 0, [regional["code"], pick(regional["name"], language), regional["unit"],
                            regional["aggregation"], regional["goal"]])


# -- reading back ---------------------------------------------------------------------------------
def read(data):
    """(about, contribution, cells, errors): what the book is, the contribution as the API takes
    it, field path -> "Sheet!B3", and the cells that cannot be taken as they are (text in a number
    cell, a row naming an objective the book does not have)."""
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, data_only=True)
    if META not in book.sheetnames:
        raise ValueError("This is not an ortak contribution workbook (its hidden 'ortak' sheet is missing).")
    meta = book[META]
    first = [c.value for c in meta[1]]
    about = {k: v for k, v in zip(first[0::2], first[1::2]) if k}
    layout = {}
    for row in meta.iter_rows(min_row=11, max_row=13, values_only=True):
        layout[row[0]] = (row[1], [v for v in row[2:] if v])
    cells, errors, rows = {}, {}, {}
    for sheet, (name, fields) in layout.items():
        rows[sheet] = []
        for r, values in enumerate(book[name].iter_rows(min_row=2, max_col=len(fields), values_only=True), start=2):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            row = {"_cell": lambda field, r=r, name=name, fields=fields: _cell(name, r, fields.index(field))}
            for c, (field, value) in enumerate(zip(fields, values)):
                row[field] = value.strip() if isinstance(value, str) else value
                if _numeric(field) and value is not None and not isinstance(value, (int, float)):
                    number = _number(value)
                    if number is None:
                        errors[_cell(name, r, c)] = [f"{_header(field, about['language'])}: {value!r} is not a number."]
                        number = 0  # the book is refused for this cell; 0 lets the other rules be checked too
                    row[field] = number
            rows[sheet].append(row)
    contribution = _contribution(rows, cells, errors)
    return about, contribution, cells, errors


def _numeric(field):
    return field in ("weight", "baseline") or "." in field


def _number(value):
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _cell(sheet, row, column):
    from xlsxwriter.utility import xl_rowcol_to_cell
    return f"{sheet}!{xl_rowcol_to_cell(row - 1, column)}"


def _text(value):
    return None if value is None or value == "" else str(value)


def _lines(value):
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _contribution(rows, cells, errors):
    objectives, by_code = [], {}
    for i, row in enumerate(rows.get("objectives", [])):
        path = f"objectives[{i}]"
        for field in ("code", "goal", "theme", "title", "responsible_unit", "collaborators", "activities"):
            cells[f"{path}.{field}"] = row["_cell"](field)
        collaborators = []
        for part in (row.get("collaborators") or "").split(";"):
            if part.strip():
                municipality, _, unit = part.partition(":")
                collaborators.append({"municipality": municipality.strip(), "unit": unit.strip()})
        costs = {}
        for field, value in row.items():
            if field.startswith("costs.") and value is not None:
                costs[field[6:]] = f"{Decimal(str(value)):.2f}"
                cells[f"{path}.{field}"] = row["_cell"](field)
        objective = {
            "code": _text(row.get("code")), "goal": _text(row.get("goal")), "theme": _text(row.get("theme")),
            "title": _text(row.get("title")), "responsible_unit": _text(row.get("responsible_unit")),
            "collaborators": collaborators,
            "activities": [{"title": a[len(PROJECT):], "kind": "project"} if a.startswith(PROJECT) else
                           {"title": a, "kind": "activity"} for a in _lines(row.get("activities"))],
            "costs": costs, "findings": _lines(row.get("findings")), "needs": _lines(row.get("needs")),
            "indicators": [], "risks": []}
        objectives.append(objective)
        by_code[objective["code"]] = (i, objective)
    for key in ("indicators", "risks"):
        for row in rows.get(key, []):
            code = _text(row.get("objective"))
            if code not in by_code:  # refused, not dropped: the row would be lost
                errors[row["_cell"]("objective")] = [f"Objective {code!r} is not on the objectives sheet."]
                continue
            i, objective = by_code[code]
            j = len(objective[key])
            path = f"objectives[{i}].{key}[{j}]"
            if key == "risks":
                objective[key].append({"text": _text(row.get("text")), "control": _text(row.get("control"))})
                for field in ("text", "control"):
                    cells[f"{path}.{field}"] = row["_cell"](field)
                continue
            indicator = {field: row.get(field) for field in ("weight", "baseline")}
            indicator.update({field: _text(row.get(field)) for field in (
                "code", "name", "unit", "calculation", "class", "monitoring_frequency", "reporting_frequency",
                "data_source", "contributes_to")})
            indicator["targets"] = {f[8:]: v for f, v in row.items() if f.startswith("targets.") and v is not None}
            for field in row:
                if field != "_cell" and field != "objective":
                    cells[f"{path}.{field}"] = row["_cell"](field)
            for field in ("class", "monitoring_frequency", "reporting_frequency", "data_source", "contributes_to"):
                if indicator[field] is None:
                    del indicator[field]  # the server's defaults
            objective[key].append(indicator)
    return {"objectives": objectives}


def locate(path, cells):
    """The cell (or cells) a server field path names: an exact field, a list of fields
    (``indicators[*].weight``), or the row of the nearest enclosing item."""
    if path in cells:
        return [cells[path]]
    if "[*]" in path:
        prefix, _, field = path.partition("[*]")
        found = [cell for key, cell in cells.items() if key.startswith(prefix + "[") and key.endswith(field)
                 and key[len(prefix):].count(".") == field.count(".")]
        if found:
            return found
    parent = path
    while "." in parent or "[" in parent:
        parent = parent.rsplit(".", 1)[0] if "." in parent else parent.rsplit("[", 1)[0]
        found = [cell for key, cell in cells.items() if key.startswith(parent + ".") and key.endswith(".code")
                 and key.count(".") == parent.count(".") + 1]
        if found:
            return found[:1]
    return []


# -- against what the server has ------------------------------------------------------------------
def _keep(cell, stored, language):
    """A text as the book has it, keeping the languages the book does not show: the server's text
    itself when the cell still shows it, else the cell's value in the book's language beside the
    server's other languages. New texts and plain server texts stay as the cell has them."""
    if cell is None or stored is None:
        return cell
    if cell == pick(stored, language):
        return stored
    if isinstance(stored, dict):
        return {**stored, language: cell}
    return cell


def _keep_items(items, stored, display, keep_item):
    """A list of items with texts, kept against the server's list: an item that shows as one of the
    server's is that item. When the rest are as many as the server's rest (texts edited, none added
    or taken out), each keeps the other languages of the server's item in the same order; otherwise
    they are new texts, as written."""
    pool, used, out = {}, set(), [None] * len(items)
    for j, item in enumerate(stored):
        pool.setdefault(display(item), []).append(j)
    for i, item in enumerate(items):
        if pool.get(display(item)):
            j = pool[display(item)].pop(0)
            used.add(j)
            out[i] = stored[j]
    edited = [i for i in range(len(items)) if out[i] is None]
    before = [j for j in range(len(stored)) if j not in used]
    for n, i in enumerate(edited):
        out[i] = keep_item(items[i], stored[before[n]]) if len(edited) == len(before) else items[i]
    return out


# how an indicator is measured, which the book has no column for: kept from the server's contribution
MEASURE_FIELDS = ("direction", "year_value", "ratio_scale", "range")


def keep_languages(contribution, current, language):
    """The book's contribution with what a one-language workbook cannot carry taken back from the
    contribution the server has now (``current``): every other language of each text (objectives
    and indicators matched by code; activities, findings, needs and risks by their text, else in
    order when only edited), each indicator's definition, direction, year_value, ratio_scale and range and
    each objective's goal_weight, which the book has no column for."""
    language = language if language in SHEETS else "en"
    # objectives counted from another plan: the book does not show them, and they stay
    contribution.setdefault("references", (current or {}).get("references", []))
    objectives = {o["code"]: o for o in (current or {}).get("objectives", [])}
    indicators = {i["code"]: i for o in objectives.values() for i in o.get("indicators", [])}

    def text(value):
        return pick(value, language)

    for objective in contribution["objectives"]:
        old = objectives.get(objective["code"])
        if old is not None:
            objective["title"] = _keep(objective["title"], old.get("title"), language)
            objective["activities"] = _keep_items(
                objective["activities"], old.get("activities", []),
                lambda a: (a.get("kind", "activity"), text(a["title"])) if isinstance(a, dict) else ("activity", text(a)),
                lambda a, s: {**a, "title": _keep(a["title"], s.get("title") if isinstance(s, dict) else s, language)})
            for key in ("findings", "needs"):
                objective[key] = _keep_items(objective[key], old.get(key, []), text,
                                             lambda t, s: _keep(t, s, language))
            objective["risks"] = _keep_items(
                objective["risks"], old.get("risks", []), lambda r: (text(r["text"]), text(r["control"])),
                lambda r, s: {"text": _keep(r["text"], s["text"], language),
                              "control": _keep(r["control"], s["control"], language)})
        for indicator in objective["indicators"]:
            before = indicators.get(indicator["code"])
            if before is None:
                continue
            indicator["name"] = _keep(indicator["name"], before.get("name"), language)
            if "data_source" in indicator:
                indicator["data_source"] = _keep(indicator["data_source"], before.get("data_source"), language)
            for key in ("definition", *MEASURE_FIELDS):
                if before.get(key) is not None and key not in indicator:
                    indicator[key] = before[key]
        if old is not None and old.get("goal_weight") is not None and "goal_weight" not in objective:
            objective["goal_weight"] = old["goal_weight"]
    return contribution


def removals(contribution, current, language):
    """The objectives and indicators the server has that sending ``contribution`` would remove."""
    objectives = {o["code"] for o in contribution["objectives"]}
    indicators = {i["code"] for o in contribution["objectives"] for i in o["indicators"]}
    found = []
    for objective in (current or {}).get("objectives", []):
        if objective["code"] not in objectives:
            found.append({"kind": "objective", "code": objective["code"],
                          "title": pick(objective["title"], language)})
        for indicator in objective.get("indicators", []):
            if indicator["code"] not in indicators:
                found.append({"kind": "indicator", "code": indicator["code"], "objective": objective["code"],
                              "title": pick(indicator["name"], language)})
    return found


# -- the server's rules, by cell --------------------------------------------------------------------
def check(plan, municipality, contribution, cells, unreadable, name=lambda path, message: f"{path}: {message}"):
    """Every problem of the workbook by cell, with the server's own rules; ``name`` writes a rule's
    message for its field path (the path and the message, unless told otherwise)."""
    found = dict(unreadable)
    problems = Problems()
    try:
        loaded = load(ContributionSchema(), contribution)
    except InvalidInput as exc:
        problems.errors.update(exc.errors)
    else:
        rules.contribution_problems(plan, municipality, loaded, problems)
    for path, messages in problems.errors.items():
        places = locate(path, cells) or [path]
        for place in places:
            if place in found:   # a cell already unreadable: that is its problem
                continue
            found.setdefault(place, []).extend(name(path, m) for m in messages)
    return found


def _stored_form(plan, municipality, contribution):
    """The objectives as the server keeps them once it has taken ``contribution``."""
    loaded = rules.normalized_contribution(plan, municipality, load(ContributionSchema(), contribution))
    return loaded["objectives"]


def as_written(plan, municipality, empty=None):
    """The municipality's contribution as it writes it (objectives counted from another plan stay
    references: they are written there), or ``empty`` when it has none."""
    found = plan["contributions"].get(municipality)
    return empty if found is None else rules.written_here(found)


def has_already(plan, municipality, contribution):
    """Whether the server's contribution of ``municipality`` is exactly ``contribution``."""
    stored = as_written(plan, municipality)
    if stored is None or stored["references"] != contribution.get("references", []):
        return False
    try:
        return stored["objectives"] == _stored_form(plan, municipality, contribution)
    except InvalidInput:
        return False
