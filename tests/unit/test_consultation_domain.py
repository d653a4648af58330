"""Consultation rules without RabbitMQ or a store."""
from datetime import datetime, timezone

import pytest

from services.consultation import domain
from shared.errors import Conflict
from shared.validation import Problems

CONSULTATION = {"id": "c1", "plan_id": "p", "themes": ["T1", "T2"], "sessions": [{"theme": "T1"}],
                "opens_at": "2026-06-12T07:00:00.000Z", "closes_at": "2026-06-12T16:00:00.000Z"}
PLAN = {"id": "p", "coordinator": "balikesir", "members": ["ayvalik", "edremit"], "themes": [{"code": "T1"}],
        "goals": [{"code": "A1"}], "objectives": [{"code": "H1.1", "municipality": "ayvalik"}]}


def moment(hour):
    return datetime(2026, 6, 12, hour, tzinfo=timezone.utc)


@pytest.mark.parametrize("hour, state", [(6, "scheduled"), (7, "open"), (15, "open"), (16, "closed")])
def test_status_follows_the_times(hour, state):
    assert domain.status(CONSULTATION, moment(hour)) == state


def test_a_closed_consultation_names_its_times():
    with pytest.raises(Conflict, match="closed at 2026-06-12T16:00:00.000Z"):
        domain.require_open(CONSULTATION, moment(17))


def item(text, name="Ayşe Yılmaz", group="citizen"):
    return {"stakeholder": {"name": name, "group": group, "municipality": "ayvalik"}, "kind": "request",
            "theme": "T1", "text": text}


def test_the_same_words_typed_differently_are_one_input():
    a = domain.fingerprint("c1", item("Sahil yolunun bakımı  yapılsın"))
    assert a == domain.fingerprint("c1", item("SAHIL YOLUNUN BAKIMI yapılsın", name="AYŞE YILMAZ"))
    assert a != domain.fingerprint("c2", item("Sahil yolunun bakımı yapılsın"))
    assert a != domain.fingerprint("c1", item("Sahil yolunun bakımı yapılsın", group="muhtar"))


@pytest.mark.parametrize("decision, expected", [
    ({"decision": "accepted", "links": [], "reason": None, "merged_into": None}, {"links"}),
    ({"decision": "rejected", "links": [], "reason": None, "merged_into": None}, {"reason"}),
    ({"decision": "merged", "links": [], "reason": None, "merged_into": None}, {"merged_into"}),
    ({"decision": "accepted", "reason": None, "merged_into": None,
      "links": [{"objective": "H1.1", "municipality": "edremit", "goal": None}]}, {"links[0].municipality"}),
    ({"decision": "accepted", "reason": None, "merged_into": None,
      "links": [{"objective": None, "municipality": None, "goal": "A9"}]}, {"links[0].goal"}),
    ({"decision": "accepted", "reason": None, "merged_into": None,
      "links": [{"objective": "H1.1", "municipality": None, "goal": None}]}, set()),
])
def test_decisions_are_checked(decision, expected):
    problems = Problems()
    domain.decision_problems(PLAN, {"id": "i1"}, decision, problems)
    assert set(problems.errors) == expected


def test_links_are_resolved_to_the_objectives_municipality():
    links = [{"objective": "H1.1", "municipality": None, "goal": None}, {"objective": None, "goal": "A1",
                                                                          "municipality": None}]
    assert domain.resolved_links(PLAN, links) == [{"objective": "H1.1", "municipality": "ayvalik", "goal": None},
                                                  {"goal": "A1"}]


def test_summary_counts_and_contacts_stay_out_of_public_views():
    inputs = [
        {"id": "i1", **item("a"), "decision": {"decision": "accepted", "links": [{"goal": "A1"}]}},
        {"id": "i2", **item("b"), "decision": None},
    ]
    inputs[0]["stakeholder"]["contact"] = "secret@example.org"
    summary = domain.summary(CONSULTATION, inputs)
    assert summary["by_decision"] == {"accepted": 1, "undecided": 1}
    assert summary["decided_share"] == 50.0 and summary["accepted_by_link"] == {"goal A1": ["i1"]}
    assert "contact" not in domain.public_view(inputs[0], with_contact=False)["stakeholder"]
    assert domain.public_view(inputs[0], with_contact=True)["stakeholder"]["contact"] == "secret@example.org"


def test_register_adds_everyone_who_gave_input():
    entries = [{"name": "Kent Konseyi", "group": "city_council", "municipality": None, "influence": 4,
                "importance": 2}]
    inputs = [{"stakeholder": {"name": "kent konseyi", "group": "city_council", "municipality": None}},
              {"stakeholder": {"name": "Muhtar Ali", "group": "muhtar", "municipality": "ayvalik"}}]
    rows = domain.register(entries, inputs)
    assert rows[0]["priority"] == "inform" and rows[0]["inputs"] == 1
    assert rows[1]["name"] == "Muhtar Ali" and rows[1]["analysed"] is False
