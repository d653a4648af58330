"""The frame form: one language is written, the others are kept, what the form does not show goes
back untouched, and the registry's errors land on the rows they came from."""
import copy

from werkzeug.datastructures import MultiDict

from ops.demo import korfez
from services.web import frame_form as ff

THEMES = {t["code"] for t in korfez.PLAN["themes"]}


def stored():
    frame = copy.deepcopy(korfez.FRAME)
    frame["situation"]["stakeholders"][0]["priority"] = "key"   # as the registry stores it
    for goal in frame["goals"]:
        goal["inputs"] = []                                      # and shows the inputs each came from
    return frame


def posted(values):
    form = MultiDict({"mission": values["mission"], "vision": values["vision"], "values": values["values"]})
    for i, goal in enumerate(values["goals"]):
        form.update({f"g{i}-code": goal["code"], f"g{i}-theme": goal["theme"], f"g{i}-title": goal["title"]})
        if goal["remove"]:
            form[f"g{i}-remove"] = "yes"
    return form


def test_the_form_shows_one_language_and_a_save_of_it_unchanged_sends_the_same_frame_back():
    values = ff.values_of(stored(), "en")
    assert values["mission"] == korfez.FRAME["mission"]["en"]
    assert values["values"].splitlines() == [v["en"] for v in korfez.FRAME["values"]]
    assert [g["code"] for g in values["goals"] if g["known"]] == [g["code"] for g in korfez.FRAME["goals"]]
    body, errors, rows = ff.check(ff.read(posted(values), stored()), stored(), THEMES, "en")
    assert errors == {} and rows == list(range(len(korfez.FRAME["goals"])))
    assert body["goals"] == korfez.FRAME["goals"] and body["mission"] == korfez.FRAME["mission"]
    assert body["regional_indicators"] == korfez.FRAME["regional_indicators"]
    assert "priority" not in body["situation"]["stakeholders"][0]          # the registry derives it


def test_writing_in_english_keeps_the_turkish_texts_and_a_new_goal_has_only_english():
    values = ff.read(posted(ff.values_of(stored(), "en")), stored())
    values["mission"] = "To plan and measure the Körfez region together."
    values["values"] += "\nSolidarity"
    new = len(korfez.FRAME["goals"])
    values["goals"][new].update(code="A99", theme="T1", title="Clean bays")
    body, errors, _ = ff.check(values, stored(), THEMES, "en")
    assert errors == {}
    assert body["mission"] == {"tr": korfez.FRAME["mission"]["tr"], "en": "To plan and measure the Körfez region together."}
    assert body["values"][-1] == {"en": "Solidarity"} and body["values"][0] == korfez.FRAME["values"][0]
    assert body["goals"][-1] == {"code": "A99", "theme": "T1", "title": {"en": "Clean bays"}, "strategies": []}


def test_problems_are_at_their_fields_and_nothing_is_sent():
    values = ff.read(posted(ff.values_of(stored(), "tr")), stored())
    values["vision"] = ""
    values["goals"][1]["code"] = values["goals"][0]["code"]
    new = len(korfez.FRAME["goals"])
    values["goals"][new].update(code="bad code!", theme="T99", title="")
    body, errors, rows = ff.check(values, stored(), THEMES, "tr")
    assert body is None and rows == []
    assert set(errors) == {"vision", "g1-code", f"g{new}-code", f"g{new}-theme", f"g{new}-title"}


def test_a_goal_removed_is_not_sent_and_the_registrys_refusal_lands_on_its_rows():
    values = ff.read(posted(ff.values_of(stored(), "tr")), stored())
    values["goals"][0]["remove"] = True
    body, errors, rows = ff.check(values, stored(), THEMES, "tr")
    assert errors == {} and rows[0] == 1 and body["goals"][0]["code"] == korfez.FRAME["goals"][1]["code"]
    found = ff.from_service({"goals": ["Goal A1 is used by objective H1.1 of edremit.",
                                       "Goal A1 is used by objective H1.2 of gomec."],
                             "regional_indicators[0].goal": ["Unknown goal 'A1'."],
                             "goals[0].title": ["Too long"], "values[2]": ["Must not be empty."],
                             "regional_indicators": ["Regional indicator BG1 is used by indicator X of y."]}, rows, body)
    assert set(found) == {"goals", "g1-title", "values", "frame"}
    assert len(found["goals"]) == 1      # one message for the goal, naming all that serve it
    assert found["goals"][0]._kwargs == {"goal": "A1", "users": "H1.1 (edremit), H1.2 (gomec), BG1"}
