"""Rules for a batch of readings (pure): every bad line is found before anything is stored."""
from marshmallow import ValidationError

from shared import idempotency
from shared.calendars import PeriodKeyError
from shared.guide import outside_range, range_text
from shared.text import check_plain
from shared.validation import MAX_MAGNITUDE, NUMBER_RULE, Problems, is_number

from .domain import index, period_of, reading_value, uncomputable_years

MAX_BATCH = 10_000
# what a reading says beside its number: a note, its data source, and (for the evaluation and
# activity reports) why it deviates from the target and the measures taken (sapma nedeni, tedbirler)
TEXTS = {"note": 2000, "source": 500, "deviation_reason": 2000, "measures": 2000}
FIELDS = {"indicator", "municipality", "period", "value", "numerator", "denominator", "weight", *TEXTS}
NO_TEXTS = dict.fromkeys(TEXTS)   # a reading with no text (most): copied into each, never changed


def _text(problems, path, value, limit):
    if value is None:
        return None
    try:
        return check_plain(value, limit)
    except ValidationError as exc:
        problems.add(path, " ".join(exc.messages))


def check_batch(plan, lines, may_write, today=None):
    """Normalised readings, or Problems naming every bad line as ``readings[i].field``.

    ``may_write(municipality)`` says whether the caller may report for that municipality; a
    period that has not begun by ``today`` (a Gregorian date) is refused.
    """
    problems = Problems()
    if not isinstance(lines, list) or not lines:
        problems.add("readings", "Send a non-empty list of readings.")
        return None, problems, set()
    if len(lines) > MAX_BATCH:
        problems.add("readings", f"At most {MAX_BATCH} readings a request; split the batch.")
        return None, problems, set()
    found = index(plan)
    indicators, computable = found.indicator, found.always_computable
    periods = {}   # each key parsed once: a batch names one period or a few
    ratio_fed = {r["code"] for r in plan["regional_indicators"] if r["aggregation"] == "ratio"}
    weight_fed = {r["code"] for r in plan["regional_indicators"] if r["aggregation"] == "weighted_mean"}
    out, seen, forbidden = [], {}, set()
    for i, line in enumerate(lines):
        path = f"readings[{i}]"
        if not isinstance(line, dict):
            problems.add(path, "A reading is an object.")
            continue
        if not FIELDS.issuperset(line):
            for key in sorted(set(line) - FIELDS):
                problems.add(f"{path}.{key}", "Unknown field.")
        code, municipality = line.get("indicator"), line.get("municipality")
        indicator = indicators.get(code) if isinstance(code, str) else None
        if indicator is None:
            problems.add(f"{path}.indicator", f"Unknown indicator {code!r} in plan {plan['id']}.")
        elif indicator.get("reported_in"):
            problems.add(f"{path}.indicator", f"Indicator {code} is reported in plan {indicator['reported_in']}: "
                                              "enter its readings there; once approved they count here too.")
        elif municipality != indicator["municipality"]:
            problems.add(f"{path}.municipality", f"Indicator {code} is reported by {indicator['municipality']}, "
                                                 f"not {municipality!r}.")
        elif not may_write(municipality):
            forbidden.add(municipality)
        try:
            parsed = _period(plan, line.get("period"), periods)
            period = parsed.key
            if today is not None and parsed.first_day > today:
                problems.add(f"{path}.period", f"{period} has not begun (it starts on "
                                               f"{parsed.native(parsed.first_day)}); report it once it has.")
        except PeriodKeyError as exc:
            problems.add(f"{path}.period", str(exc))
            period = None
        value, numerator, denominator = line.get("value"), line.get("numerator"), line.get("denominator")
        numbers_ok = False
        if value is not None:
            if not is_number(value):
                problems.add(f"{path}.value", NUMBER_RULE)
            if numerator is not None or denominator is not None:
                problems.add(f"{path}.value", "Send a value or a numerator and denominator, not both.")
            numbers_ok = is_number(value)
        elif numerator is None and denominator is None:
            problems.add(f"{path}.value", "Send a value, or a numerator and a denominator.")
        else:
            if not is_number(numerator):
                problems.add(f"{path}.numerator", NUMBER_RULE)
            if not is_number(denominator):
                problems.add(f"{path}.denominator", NUMBER_RULE)
            elif denominator == 0:
                problems.add(f"{path}.denominator", "A ratio's denominator is not zero.")
            numbers_ok = is_number(numerator) and is_number(denominator) and denominator != 0
        if numbers_ok and indicator is not None and value is None and indicator.get("ratio_scale") is None:
            numbers_ok = False
            problems.add(f"{path}.numerator", f"Indicator {code} declares no ratio_scale (100 for a percentage, "
                                              "1000 per mille, 1 for a plain ratio): send its value, or have the "
                                              "plan declare the scale.")
        reached = reading_value({"value": value, "numerator": numerator, "denominator": denominator},
                                indicator) if numbers_ok and indicator is not None else None
        if outside_range(indicator and indicator.get("range"), reached):
            numbers_ok = False
            field = "value" if value is not None else "numerator"
            problems.add(f"{path}.{field}", f"Indicator {code} takes values in {range_text(indicator['range'])} "
                                            f"(its declared range), not {reached:g}; check the number and its unit.")
        # most indicators compute any number within range: their years are not figured here
        if numbers_ok and indicator is not None and not (code in computable and reached is not None
                                                         and abs(reached) <= MAX_MAGNITUDE):
            years = uncomputable_years(indicator, {"value": value, "numerator": numerator, "denominator": denominator})
            if years:
                field = "value" if value is not None else "denominator"
                problems.add(f"{path}.{field}", f"Indicator {code}'s realization cannot be computed from this reading"
                                                f" (it overflows against the {', '.join(years)} target); check the "
                                                "number and its unit.")
        if indicator is not None and indicator.get("contributes_to") in ratio_fed and value is not None:
            problems.add(f"{path}.value", f"Indicator {code} feeds a ratio regional indicator: send its "
                                          "numerator and denominator.")
        weight = line.get("weight")
        if weight is not None and (not is_number(weight) or weight < 0):
            problems.add(f"{path}.weight", "Must be a non-negative number up to 1e15.")
        elif weight is None and indicator is not None and indicator.get("contributes_to") in weight_fed:
            problems.add(f"{path}.weight", f"Indicator {code} feeds the weighted mean "
                                           f"{indicator['contributes_to']}: send the reading's weight.")
        texts = NO_TEXTS if TEXTS.keys().isdisjoint(line) else {
            name: _text(problems, f"{path}.{name}", line.get(name), limit) for name, limit in TEXTS.items()}
        if period is not None and isinstance(code, str) and isinstance(municipality, str):
            key = (code, municipality, period)
            if key in seen:
                problems.add(path, f"Same indicator, municipality and period as readings[{seen[key]}].")
            seen.setdefault(key, i)
        out.append({"indicator": code, "municipality": municipality, "period": period, "value": value,
                    "numerator": numerator, "denominator": denominator, "weight": weight, **texts})
    return out, problems, forbidden


def _period(plan, key, parsed):
    if not isinstance(key, str):
        return period_of(plan, key)   # refused with the reason
    if key not in parsed:
        parsed[key] = period_of(plan, key)
    return parsed[key]


def keyed_batch_id(plan_id, actor, idempotency_key):
    """The batch an Idempotency-Key names: a key belongs to its caller (token) and plan."""
    return idempotency.keyed_id(f"{plan_id}:key:", actor, idempotency_key)


def reading_id(plan_id, line):
    return f"{plan_id}|{line['indicator']}|{line['municipality']}|{line['period']}"


FIGURES = ("value", "numerator", "denominator", "weight")


def merged(plan_id, existing, line, batch_id, now, by=None):
    """The stored reading after ``line`` submitted by ``by``: a correction keeps the previous
    figures in history, and waits for approval again while the approved figures keep counting.
    ``trail`` records who submitted, approved or rejected each value, and when."""
    doc = {"_id": reading_id(plan_id, line), "plan_id": plan_id, **line, "status": "submitted", "batch": batch_id,
           "submitted_at": now, "submitted_by": by, "approved": None, "approved_at": None, "approved_by": None,
           "rejected": None, "history": [],
           "trail": [{"action": "submitted", "by": by, "at": now, "batch": batch_id,
                      **{f: line.get(f) for f in FIGURES}}]}
    if existing is None:
        return doc
    same = all(existing.get(f) == line[f] for f in FIGURES) and existing.get("status") != "rejected"
    history = list(existing.get("history", []))
    trail = list(existing.get("trail", []))
    if not same:
        history.append({**{f: existing.get(f) for f in FIGURES}, "status": existing.get("status"),
                        "batch": existing.get("batch"), "submitted_at": existing.get("submitted_at"),
                        "submitted_by": existing.get("submitted_by"), "approved_by": existing.get("approved_by"),
                        "rejected": existing.get("rejected")})
        trail += doc["trail"]
    if same:
        return {**existing, **{k: line[k] for k in TEXTS if k in line},
                "batch": batch_id}
    return {**doc, "approved": existing.get("approved"), "approved_at": existing.get("approved_at"),
            "approved_by": existing.get("approved_by"), "history": history, "trail": trail}
