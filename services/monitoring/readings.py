"""Rules for a batch of readings (pure): every bad line is found before anything is stored."""
from marshmallow import ValidationError

from shared.calendars import PeriodKeyError
from shared.text import check_plain
from shared.validation import Problems, is_number

from .domain import period_of

MAX_BATCH = 10_000
FIELDS = {"indicator", "municipality", "period", "value", "numerator", "denominator", "weight", "note", "source"}


def _text(problems, path, value, limit):
    if value is None:
        return None
    try:
        return check_plain(value, limit)
    except ValidationError as exc:
        problems.add(path, " ".join(exc.messages))


def check_batch(plan, lines, may_write):
    """Normalised readings, or Problems naming every bad line as ``readings[i].field``.

    ``may_write(municipality)`` says whether the caller may report for that municipality.
    """
    problems = Problems()
    if not isinstance(lines, list) or not lines:
        problems.add("readings", "Send a non-empty list of readings.")
        return None, problems, set()
    if len(lines) > MAX_BATCH:
        problems.add("readings", f"At most {MAX_BATCH} readings a request; split the batch.")
        return None, problems, set()
    indicators = {i["code"]: i for i in plan["indicators"]}
    ratio_fed = {r["code"] for r in plan["regional_indicators"] if r["aggregation"] == "ratio"}
    out, seen, forbidden = [], {}, set()
    for i, line in enumerate(lines):
        path = f"readings[{i}]"
        if not isinstance(line, dict):
            problems.add(path, "A reading is an object.")
            continue
        for key in sorted(set(line) - FIELDS):
            problems.add(f"{path}.{key}", "Unknown field.")
        code, municipality = line.get("indicator"), line.get("municipality")
        indicator = indicators.get(code) if isinstance(code, str) else None
        if indicator is None:
            problems.add(f"{path}.indicator", f"Unknown indicator {code!r} in plan {plan['id']}.")
        elif municipality != indicator["municipality"]:
            problems.add(f"{path}.municipality", f"Indicator {code} is reported by {indicator['municipality']}, "
                                                 f"not {municipality!r}.")
        elif not may_write(municipality):
            forbidden.add(municipality)
        try:
            period = period_of(plan, line.get("period")).key
        except PeriodKeyError as exc:
            problems.add(f"{path}.period", str(exc))
            period = None
        value, numerator, denominator = line.get("value"), line.get("numerator"), line.get("denominator")
        if value is not None:
            if not is_number(value):
                problems.add(f"{path}.value", "Must be a number.")
            if numerator is not None or denominator is not None:
                problems.add(f"{path}.value", "Send a value or a numerator and denominator, not both.")
        elif numerator is None and denominator is None:
            problems.add(f"{path}.value", "Send a value, or a numerator and a denominator.")
        else:
            if not is_number(numerator):
                problems.add(f"{path}.numerator", "Must be a number.")
            if not is_number(denominator):
                problems.add(f"{path}.denominator", "Must be a number.")
            elif denominator == 0:
                problems.add(f"{path}.denominator", "A ratio's denominator is not zero.")
        if indicator is not None and indicator.get("contributes_to") in ratio_fed and value is not None:
            problems.add(f"{path}.value", f"Indicator {code} feeds a ratio regional indicator: send its "
                                          "numerator and denominator.")
        weight = line.get("weight")
        if weight is not None and (not is_number(weight) or weight < 0):
            problems.add(f"{path}.weight", "Must be a non-negative number.")
        note = _text(problems, f"{path}.note", line.get("note"), 2000)
        source = _text(problems, f"{path}.source", line.get("source"), 500)
        if period is not None and isinstance(code, str) and isinstance(municipality, str):
            key = (code, municipality, period)
            if key in seen:
                problems.add(path, f"Same indicator, municipality and period as readings[{seen[key]}].")
            seen.setdefault(key, i)
        out.append({"indicator": code, "municipality": municipality, "period": period, "value": value,
                    "numerator": numerator, "denominator": denominator, "weight": weight, "note": note,
                    "source": source})
    return out, problems, forbidden


def reading_id(plan_id, line):
    return f"{plan_id}|{line['indicator']}|{line['municipality']}|{line['period']}"


FIGURES = ("value", "numerator", "denominator", "weight")


def merged(plan_id, existing, line, batch_id, now):
    """The stored reading after ``line``: a correction keeps the previous figures in history,
    and waits for approval again while the approved figures keep counting."""
    doc = {"_id": reading_id(plan_id, line), "plan_id": plan_id, **line, "status": "submitted", "batch": batch_id,
           "submitted_at": now, "approved": None, "approved_at": None, "history": []}
    if existing is None:
        return doc
    same = all(existing.get(f) == line[f] for f in FIGURES)
    history = list(existing.get("history", []))
    if not same:
        history.append({**{f: existing.get(f) for f in FIGURES}, "status": existing.get("status"),
                        "batch": existing.get("batch"), "submitted_at": existing.get("submitted_at")})
    status = existing.get("status") if same else "submitted"
    return {**doc, "status": status, "approved": existing.get("approved"), "approved_at": existing.get("approved_at"),
            "history": history}
