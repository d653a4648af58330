"""A municipality's activities and projects as a workbook, and back.

Two sheets a planner fills: projects (one row each, a budget column per plan year, partners and
funding written "name: kind; ..." and "source: amount; ...") and milestones (one row each, naming
its project by code); a hidden sheet says what the book is (plan, language, the field of each
column). Texts are in the book's language, Persian sheets run right to left, the budget columns are
the plan's own years (Solar Hijri for such plans).

Reading a book back gives each row as the API takes it and, for every field path the server's
rules may name, the cell it came from, so the local check and the server's refusals name cells.
"""
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

# openpyxl and xlsxwriter (and numpy with them: some 13 MB) are imported where a book is written
# or read, so a process using only this module's columns and rules (the gateway) holds none of them.

from services.programme import domain
from services.programme.domain import HORIZONS, KINDS, PARTNER_KINDS, plan_years
from services.programme.schemas import ProjectSchema, as_stored
from shared.errors import InvalidInput
from shared.text import pick
from shared.validation import Problems, load

from .contribution_book import _keep, _number, choice_lists, data_sheets

META = "ortak"
KIND = "projects"
SHEETS = {"tr": {"projects": "Projeler", "milestones": "Aşamalar"},
          "fa": {"projects": "پروژه‌ها", "milestones": "مراحل"},
          "en": {"projects": "Projects", "milestones": "Milestones"}}
HEADERS = {
    "tr": {"code": "Kod", "title": "Faaliyet / Proje", "kind": "Tür (activity/project)", "municipality": "Belediye",
           "objective": "Hedef", "goal": "Amaç", "strategy": "Strateji", "responsible_unit": "Sorumlu Birim",
           "partners": "Ortaklar (ad: tür; ...)", "horizon": "Vade (short/mid/long)", "priority": "Öncelik (1-5)",
           "start": "Başlangıç", "end": "Bitiş", "budget": "Bütçe", "funding": "Finansman (kaynak: tutar; ...)",
           "bank": "Veri bankası kayıtları (; ile)", "description": "Açıklama", "project": "Proje Kodu",
           "due": "Son Tarih", "done_on": "Tamamlandığı Tarih", "milestone": "Aşama"},
    "fa": {"code": "کد", "title": "فعالیت / پروژه", "kind": "نوع (activity/project)", "municipality": "شهرداری",
           "objective": "هدف", "goal": "هدف کلان", "strategy": "راهبرد", "responsible_unit": "واحد مسئول",
           "partners": "شرکا (نام: نوع؛ ...)", "horizon": "افق (short/mid/long)", "priority": "اولویت (۱-۵)",
           "start": "شروع", "end": "پایان", "budget": "بودجه", "funding": "تأمین مالی (منبع: مبلغ؛ ...)",
           "bank": "سوابق بانک داده (با ;)", "description": "توضیح", "project": "کد پروژه", "due": "موعد",
           "done_on": "تاریخ انجام", "milestone": "مرحله"},
    "en": {"code": "Code", "title": "Activity / project", "kind": "Kind (activity/project)",
           "municipality": "Municipality", "objective": "Objective", "goal": "Goal", "strategy": "Strategy",
           "responsible_unit": "Responsible unit", "partners": "Partners (name: kind; ...)",
           "horizon": "Horizon (short/mid/long)", "priority": "Priority (1-5)", "start": "Start", "end": "End",
           "budget": "Budget", "funding": "Funding (source: amount; ...)", "bank": "Bank records (; between)",
           "description": "Description", "project": "Project code", "due": "Due", "done_on": "Done on",
           "milestone": "Milestone"},
}
TEXTS = ("title", "description")
DATES = ("start", "end", "due", "done_on")


def columns(plan):
    """The field behind each column of each sheet ("budget.2026" for the years)."""
    return {"projects": ["code", "title", "kind", "municipality", "objective", "goal", "strategy",
                         "responsible_unit", "partners", "horizon", "priority", "start", "end",
                         *[f"budget.{y}" for y in plan_years(plan)], "funding", "bank", "description"],
            "milestones": ["project", "milestone", "due", "done_on"]}


def _header(field, language):
    labels = HEADERS[language]
    if field.startswith("budget."):
        return f"{labels['budget']} {field[7:]}"
    return labels[field]


def _rows(projects, language):
    """The server's projects as rows of the two sheets."""
    rows, milestones = [], []
    for p in projects:
        rows.append({
            "code": p["code"], "title": pick(p["title"], language), "kind": p["kind"],
            "municipality": p["municipality"], "objective": p.get("objective"), "goal": p.get("goal"),
            "strategy": p.get("strategy"), "responsible_unit": p["responsible_unit"],
            "partners": "; ".join(f"{x['name']}: {x['kind']}" for x in p.get("partners") or []),
            "horizon": p["horizon"], "priority": p["priority"], "start": p["start"], "end": p["end"],
            **{f"budget.{y}": float(a) for y, a in p.get("budget", {}).items()},
            "funding": "; ".join(f"{f['source']}: {f['amount']}" for f in p.get("funding") or []),
            "bank": "; ".join(p.get("bank") or []), "description": pick(p.get("description"), language)})
        milestones += [{"project": p["code"], "milestone": m["title"], "due": m["due"], "done_on": m.get("done_on")}
                       for m in p.get("milestones") or []]
    return {"projects": rows, "milestones": milestones}


def write(plan, language, projects=()):
    """The workbook (bytes): the plan's objectives, goals, members and the lists behind the
    drop-downs; filled with ``projects`` (as the API gives them) when given."""
    language = language if language in SHEETS else "en"
    names, cols = SHEETS[language], columns(plan)
    buffer = io.BytesIO()
    import xlsxwriter
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#e8eef2", "border": 1, "text_wrap": True, "valign": "top"})
    meta = book.add_worksheet(META)
    meta.hide()
    meta.write_row(0, 0, ["plan", plan["id"], "kind", KIND, "language", language])
    lists = choice_lists(meta, {
        "kind": KINDS, "horizon": HORIZONS, "municipality": domain.members(plan),
        "objective": [o["code"] for o in plan["objectives"]], "goal": [g["code"] for g in plan["goals"]],
        "strategy": sorted({s for g in plan["goals"] for s in g.get("strategies") or []}),
        "partner_kind": PARTNER_KINDS})
    priority = {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5}
    data_sheets(book, meta, ("projects", "milestones"), names, cols, _rows(projects, language),
                lambda field: _header(field, language), language, head, lists,
                lambda field: priority if field == "priority" else None,
                wide=("title", "partners", "funding", "milestone"), width=36)
    book.close()
    return buffer.getvalue()


# -- reading back ---------------------------------------------------------------------------------
def _cell(sheet, row, column):
    from xlsxwriter.utility import xl_rowcol_to_cell
    return f"{sheet}!{xl_rowcol_to_cell(row - 1, column)}"


def _text(value):
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _day(value):
    """A date cell as ISO (a text is kept for the schema to judge)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _text(value)


def _amount(value):
    """A number cell or text as the API's decimal string, or None if it is not an amount."""
    number = value if isinstance(value, (int, float)) else _number(value)
    if number is None or isinstance(number, bool):
        return None
    try:
        return f"{Decimal(str(number)):.2f}"
    except InvalidOperation:
        return None


def _pairs(value):
    """ "a: b; c: d" as [("a", "b"), ("c", "d")] (a part without a colon has an empty second)."""
    found = []
    for part in str(value or "").replace("؛", ";").split(";"):
        if part.strip():
            first, _, second = part.rpartition(":") if ":" in part else (part, "", "")
            found.append((first.strip(), second.strip()))
    return found


def read(data):
    """(about, projects, cells, errors): what the book is; each project row as the API takes it;
    per row, field path -> "Sheet!B3"; and the cells that cannot be taken as they are."""
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, data_only=True)
    if META not in book.sheetnames:
        raise ValueError("This is not an ortak workbook (its hidden 'ortak' sheet is missing).")
    meta = book[META]
    first = [c.value for c in meta[1]]
    about = {k: v for k, v in zip(first[0::2], first[1::2]) if k}
    if about.get("kind") != KIND:
        raise ValueError("This is not an ortak projects workbook (`ortak template projects` makes one).")
    layout = {}
    for row in meta.iter_rows(min_row=11, max_row=12, values_only=True):
        layout[row[0]] = (row[1], [v for v in row[2:] if v])
    language = about.get("language") or "en"
    errors, projects, cells, by_code = {}, [], [], {}
    name, fields = layout["projects"]
    for r, values in enumerate(book[name].iter_rows(min_row=2, max_col=len(fields), values_only=True), start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        row = dict(zip(fields, values))
        where = {f: _cell(name, r, c) for c, f in enumerate(fields)}
        body = {f: _text(row.get(f)) for f in ("code", "title", "kind", "municipality", "objective", "goal",
                                                  "strategy", "responsible_unit", "horizon", "description")}
        for f in ("kind", "description"):
            if body[f] is None:
                del body[f]   # the server's defaults
        body["start"], body["end"] = _day(row.get("start")), _day(row.get("end"))
        priority = row.get("priority")
        number = priority if isinstance(priority, (int, float)) else _number(priority) if priority else None
        body["priority"] = int(number) if isinstance(number, (int, float)) and float(number).is_integer() \
            else priority
        budget = {}
        for f in fields:
            if f.startswith("budget.") and row.get(f) not in (None, ""):
                budget[f[7:]] = _amount(row[f])
                if budget[f[7:]] is None:
                    errors[where[f]] = [f"{_header(f, language)}: {row[f]!r} is not an amount."]
                    budget[f[7:]] = "0.00"   # the book is refused for this cell; the other rules are checked too
        body["budget"] = budget
        place = {**{f: where[f] for f in fields}, "budget": where.get("code")}
        body["partners"] = []
        for i, (partner, kind) in enumerate(_pairs(row.get("partners"))):
            body["partners"].append({"name": partner, "kind": kind})
            place[f"partners[{i}].name"] = place[f"partners[{i}].kind"] = where["partners"]
        body["funding"] = []
        for i, (source, amount) in enumerate(_pairs(row.get("funding"))):
            money = _amount(amount)
            if money is None:
                errors[where["funding"]] = [f"{_header('funding', language)}: {amount!r} is not an amount."]
            body["funding"].append({"source": source, "amount": money or "0.00"})
            place[f"funding[{i}].source"] = place[f"funding[{i}].amount"] = where["funding"]
        body["bank"] = [b.strip() for b in str(row.get("bank") or "").split(";") if b.strip()]
        body["milestones"] = []
        if body["code"] in by_code:
            errors[where["code"]] = [f"Code {body['code']!r} is on two rows."]
        by_code[body["code"]] = len(projects)
        projects.append(body)
        cells.append(place)
    name, fields = layout["milestones"]
    for r, values in enumerate(book[name].iter_rows(min_row=2, max_col=len(fields), values_only=True), start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        row = dict(zip(fields, values))
        code = _text(row.get("project"))
        if code not in by_code:   # refused, not dropped: the row would be lost
            errors[_cell(name, r, 0)] = [f"Project {code!r} is not on the projects sheet."]
            continue
        i = by_code[code]
        j = len(projects[i]["milestones"])
        projects[i]["milestones"].append({"title": _text(row.get("milestone")), "due": _day(row.get("due")),
                                          "done_on": _day(row.get("done_on"))})
        for c, f in enumerate(fields[1:], start=1):
            cells[i][f"milestones[{j}].{'title' if f == 'milestone' else f}"] = _cell(name, r, c)
    return about, projects, cells, errors


def place_of(path, cells):
    """The cell a server field path names, else the row's code cell."""
    while path:
        if path in cells:
            return cells[path]
        path = path.rsplit(".", 1)[0] if "." in path else path.rsplit("[", 1)[0] if "[" in path else ""
    return cells.get("code")


def check(plan, projects, cells, unreadable):
    """Every problem of the book by cell, with the server's own schema and rules (plan: the
    programme's view of it; None when it cannot be had, offline: the schema alone)."""
    found = dict(unreadable)
    for body, place in zip(projects, cells):
        problems = Problems()
        try:
            data = as_stored(load(ProjectSchema(), body))
        except InvalidInput as exc:
            problems.errors.update(exc.errors)
        else:
            if plan is not None:
                domain.project_problems(data, plan, problems)
        for path, messages in problems.errors.items():
            cell = place_of(path, place)
            if cell in unreadable:
                continue   # a cell already unreadable: that is its problem
            found.setdefault(cell, []).extend(f"{path}: {m}" for m in messages)
    return found


def keep_languages(body, current, language):
    """A row's texts with the other languages of the server's project kept (a one-language book
    cannot carry them)."""
    if current is None:
        return body
    kept = {**body}
    for field in TEXTS:
        if field in kept:
            kept[field] = _keep(kept[field], current.get(field), language)
    return kept


def same(body, current):
    """Whether the server's project is what the row says."""
    try:
        data = as_stored(load(ProjectSchema(), body))
    except InvalidInput:
        return False
    return all(current.get(k) == v for k, v in data.items())
