"""Loading input through marshmallow into InvalidInput with flat field paths.

Marshmallow reports ``{"objectives": {0: {"weight": [...]}}}``; clients get
``{"objectives[0].weight": [...]}``, the form used in every problem+json answer.
"""
import math
import re
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from shared.errors import InvalidInput


def flatten(messages, prefix=""):
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):  # list positions are ints, map keys (years) are strings
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "_schema"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for p, msgs in flatten(value, path).items():
                flat.setdefault(p, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for m in messages:
            for p, msgs in flatten(m, prefix).items():
                flat.setdefault(p, []).extend(msgs)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def load(schema, data, detail="The request breaks the rules listed in 'errors'.", prefix=""):
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.", {prefix or "_schema": ["Expected an object."]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput(detail, flatten(exc.messages, prefix)) from None


class Problems:
    """Collects rule violations by field path so all of them are reported at once."""

    def __init__(self):
        self.errors = {}

    def add(self, path, message):
        self.errors.setdefault(path, []).append(message)

    def __bool__(self):
        return bool(self.errors)

    def raise_if_any(self, detail):
        if self.errors:
            raise InvalidInput(detail, self.errors)


# Every figure is computed in floating point: a number beyond this could overflow a sum, a
# product or a ratio into infinity, which no figure document can store.
MAX_MAGNITUDE = 1e15
NUMBER_RULE = "Must be a number from -1e15 to 1e15 (a quadrillion)."


def is_number(value):
    """A JSON number no larger than MAX_MAGNITUDE: not a string, a boolean, NaN or infinity."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and abs(value) <= MAX_MAGNITUDE)


class Number(fields.Field):
    """A JSON number no larger than MAX_MAGNITUDE: not a string, a boolean, NaN or infinity."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not is_number(value):
            raise ValidationError(NUMBER_RULE)
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class Money(fields.Field):
    """An amount as a decimal string with at most two decimals, e.g. "1250000.00"."""

    _FORM = re.compile(r"^\d{1,15}(\.\d{1,2})?$", re.ASCII)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self._FORM.fullmatch(value):
            raise ValidationError('Must be a non-negative decimal string such as "1250000.00".')
        try:
            return str(Decimal(value).quantize(Decimal("0.01")))
        except InvalidOperation:
            raise ValidationError("Not a valid amount.") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class YearMap(fields.Field):
    """A map from a four-digit year to a value; errors are reported at ``targets.2026``."""

    def __init__(self, value_field, *args, **kwargs):
        self.value_field = value_field
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError('Must be a map of years, e.g. {"2026": 10}.')
        errors, result = {}, {}
        for year, item in value.items():
            if not (isinstance(year, str) and re.fullmatch(r"[0-9]{4}", year)):
                errors[str(year)] = ["Years are four digits, e.g. 2026 or 1405."]
                continue
            try:
                result[year] = self.value_field.deserialize(item)
            except ValidationError as exc:
                errors[year] = exc.messages
        if errors:
            raise ValidationError(errors)
        return dict(sorted(result.items()))

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class Code(fields.String):
    """A short code such as A1, H1.1 or G1.1.2."""

    FORM = re.compile(r"^[A-Za-z0-9ÇĞİÖŞÜçğıöşü][A-Za-z0-9ÇĞİÖŞÜçğıöşü._-]{0,31}$")

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not self.FORM.fullmatch(value):
            raise ValidationError("Codes are 1-32 letters, digits, '.', '_' or '-', e.g. 'H1.1'.")
        return value


class Identifier(fields.String):
    """An id chosen by people: lowercase ASCII letters, digits, '-' and '_' (e.g. 'balikesir')."""

    FORM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not self.FORM.fullmatch(value):
            raise ValidationError("Ids are 1-64 lowercase ASCII letters, digits, '-' or '_'.")
        return value


def is_identifier(value):
    return isinstance(value, str) and bool(Identifier.FORM.fullmatch(value))
