"""The public comment form: what it offers, what it checks before sending, and what it sends.

The consultation service has the last word (its rules answer 422 by field); this only catches
what a person can fix at once, in their language, and maps the service's fields onto the form's.
"""
import re

from flask_babel import lazy_gettext as _l

from shared.text import check_plain

from ..consultation.schemas import GROUPS, INPUT_KINDS, MAX_TEXT
from . import i18n

FIELDS = ("name", "contact", "group", "municipality", "kind", "theme", "text")
REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NAME, MAX_CONTACT = 200, 200

GROUP_LABELS = {
    "citizen": _l("Citizen"), "muhtar": _l("Muhtar (neighbourhood head)"), "city_council": _l("City council"),
    "ngo": _l("Association or foundation (NGO)"), "chamber": _l("Professional chamber"),
    "university": _l("University"), "public_institution": _l("Public institution"),
    "private_sector": _l("Private sector"), "municipality": _l("Municipality"),
}
KIND_LABELS = {
    "request": _l("Request"), "suggestion": _l("Suggestion"), "complaint": _l("Complaint"),
    "strength": _l("Strength"), "weakness": _l("Weakness"), "opportunity": _l("Opportunity"), "threat": _l("Threat"),
}
# the kinds a citizen is offered (the SWOT kinds belong to workshops, but are accepted too)
PUBLIC_KINDS = ("suggestion", "request", "complaint", "strength", "weakness", "opportunity", "threat")

# the service's field paths -> the form's fields
SERVICE_FIELDS = {"stakeholder.name": "name", "stakeholder.contact": "contact", "stakeholder.group": "group",
                  "stakeholder.municipality": "municipality", "kind": "kind", "theme": "theme", "text": "text"}


def choices(consultation):
    return {"groups": [g for g in GROUPS], "kinds": [k for k in PUBLIC_KINDS if k in INPUT_KINDS],
            "themes": list(consultation.get("themes") or [])}


def read(form):
    return {name: (form.get(name) or "").strip() for name in FIELDS}


def _plain_problem(value, most):
    try:
        check_plain(value, most)
    except Exception:
        return _l("Remove the control characters from this text.") if len(value) <= most else \
            _l("Write at most %(count)s characters.", count=i18n.number(most))
    return None


def check(values, consultation, members):
    errors = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not values["name"]:
        add("name", _l("Write your name, or the name of your organisation."))
    elif problem := _plain_problem(values["name"], MAX_NAME):
        add("name", problem)
    if values["contact"] and (problem := _plain_problem(values["contact"], MAX_CONTACT)):
        add("contact", problem)
    if values["group"] not in GROUPS:
        add("group", _l("Choose who you are writing as."))
    if values["municipality"] and values["municipality"] not in members:
        add("municipality", _l("Choose one of the plan's municipalities, or none."))
    if values["kind"] not in INPUT_KINDS:
        add("kind", _l("Choose what kind of comment this is."))
    if values["theme"] not in (consultation.get("themes") or []):
        add("theme", _l("Choose the theme your comment is about."))
    if not values["text"]:
        add("text", _l("Write your comment."))
    elif problem := _plain_problem(values["text"], MAX_TEXT):
        add("text", problem)
    return errors


def body(values):
    return {"stakeholder": {"name": values["name"], "group": values["group"],
                            "municipality": values["municipality"] or None, "contact": values["contact"] or None},
            "kind": values["kind"], "theme": values["theme"], "text": values["text"]}


def from_service(service_errors):
    """The service's 422 errors on the form's fields (anything else on the text)."""
    errors = {}
    for path, messages in (service_errors or {}).items():
        field = SERVICE_FIELDS.get(path, "text")
        errors.setdefault(field, []).append(_l("This was not accepted: %(reason)s",
                                               reason="; ".join(str(m) for m in messages)))
    return errors
