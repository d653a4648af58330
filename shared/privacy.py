"""Personal data in what the public reads: e-mail addresses and phone numbers typed into free
text are masked in every public answer (a citizen writes "call me on 0532 …" into a request)."""
import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# ten or more digits (any script's) in one run, with the separators people type between them:
# a phone number with its area code, not a year or an amount
PHONE = re.compile(r"(?:\+|\b00)?\d(?:[ \t\-./()]{0,2}\d){9,}")
EMAIL_MASK, PHONE_MASK = "•••@•••", "••• ••• •• ••"  # no words: the text may be in any language


def mask_contacts(text):
    """``text`` (a string or a map of languages) with e-mail addresses and phone numbers masked."""
    if isinstance(text, dict):
        return {lang: mask_contacts(value) for lang, value in text.items()}
    if not isinstance(text, str):
        return text
    return PHONE.sub(PHONE_MASK, EMAIL.sub(EMAIL_MASK, text))
