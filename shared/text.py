"""Text users read: a plain string or a map of languages {"tr", "fa", "en"}."""
from marshmallow import ValidationError, fields

LANGUAGES = ("tr", "fa", "en")

# Bidi embedding/override controls can disguise what a text says; isolates and marks are fine.
_BIDI_OVERRIDES = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e"}


def check_plain(value, max_length):
    if not isinstance(value, str):
        raise ValidationError("Not a valid string.")
    if "\x00" in value:
        raise ValidationError("Text must not contain NUL characters.")
    if _BIDI_OVERRIDES & set(value):
        raise ValidationError("Text must not contain bidi override characters (U+202A-U+202E).")
    if len(value) > max_length:
        raise ValidationError(f"Longer than {max_length} characters.")
    return value


class LocalizedText(fields.Field):
    """A string, or a map from language code to string with at least one non-empty text."""

    def __init__(self, *args, max_length=4000, **kwargs):
        self.max_length = max_length
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            text = check_plain(value, self.max_length).strip()
            if not text:
                raise ValidationError("Must not be empty.")
            return text
        if isinstance(value, dict):
            unknown = [k for k in value if k not in LANGUAGES]
            if unknown:
                raise ValidationError(f"Unknown language {unknown[0]!r}: use {', '.join(LANGUAGES)}.")
            texts = {k: check_plain(v, self.max_length).strip() for k, v in value.items()}
            texts = {k: v for k, v in texts.items() if v}
            if not texts:
                raise ValidationError("Give the text in at least one language.")
            return texts
        raise ValidationError('Must be a string or a map of languages such as {"tr": "...", "en": "..."}.')

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class PlainText(fields.String):
    """A string checked for NUL bytes, bidi overrides and length."""

    def __init__(self, *args, max_length=4000, **kwargs):
        self.max_length = max_length
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return check_plain(super()._deserialize(value, attr, data, **kwargs), self.max_length).strip()


def pick(text, language, fallback=LANGUAGES):
    """The text in ``language``, else the first available one."""
    if text is None or isinstance(text, str):
        return text
    for lang in (language, *fallback):
        if text.get(lang):
            return text[lang]
    return next(iter(text.values()), None)
