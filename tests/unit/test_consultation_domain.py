"""Consultation rules without RabbitMQ or a store."""
from datetime import datetime, timezone

import pytest

from services.consultation import domain
from shared.errors import Conflict
from shared.privacy import mask_contacts as mask
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
    assert "contact" not in domain.public_view(inputs[0], domain.PARTICIPANT)["stakeholder"]
    assert domain.public_view(inputs[0], domain.COORDINATOR)["stakeholder"]["contact"] == "secret@example.org"


def test_the_public_sees_no_names_and_only_published_text_with_contacts_masked():
    citizen = {"id": "i1", **item("Beni 0532 123 45 67 ya da ali@example.org adresinden arayın"), "decision": None}
    citizen["stakeholder"] = {"name": "Ali Veli", "group": "citizen", "municipality": "edremit", "contact": "x"}
    muhtar = {**citizen, "stakeholder": {**citizen["stakeholder"], "name": "Zeytinli Muhtarı", "group": "muhtar"}}
    public = domain.public_view(citizen, domain.PUBLIC)
    assert public["stakeholder"] == {"group": "citizen", "municipality": "edremit"} and public["text"] is None
    assert public["moderation"] == "pending"
    published = domain.public_view({**citizen, "moderation": "published"}, domain.PUBLIC)
    assert published["text"] == "Beni ••• ••• •• •• ya da •••@••• adresinden arayın"
    assert domain.public_view({**muhtar, "moderation": "hidden"}, domain.PARTICIPANT)["text"] is None
    participant = domain.public_view(muhtar, domain.PARTICIPANT)
    assert participant["stakeholder"]["name"] == "Zeytinli Muhtarı" and "0532" not in participant["text"]
    assert "name" not in domain.public_view(citizen, domain.PARTICIPANT)["stakeholder"]
    assert domain.public_view(citizen, domain.COORDINATOR)["text"] == citizen["text"]


def test_register_adds_everyone_who_gave_input():
    entries = [{"name": "Kent Konseyi", "group": "city_council", "municipality": None, "influence": 4,
                "importance": 2}]
    inputs = [{"stakeholder": {"name": "kent konseyi", "group": "city_council", "municipality": None}},
              {"stakeholder": {"name": "Muhtar Ali", "group": "muhtar", "municipality": "ayvalik"}}]
    rows = domain.register(entries, inputs)
    assert rows[0]["priority"] == "inform" and rows[0]["inputs"] == 1
    assert rows[1]["name"] == "Muhtar Ali" and rows[1]["analysed"] is False
    # a participant who is not the coordinator never reads a citizen's name: one row per group and place
    citizens = [{"stakeholder": {"name": n, "group": "citizen", "municipality": "ayvalik"}} for n in ("Ali", "Ayşe")]
    rows = domain.register(entries, inputs + citizens, domain.PARTICIPANT)
    assert [(r["name"], r["group"], r["inputs"]) for r in rows[1:]] == [("Muhtar Ali", "muhtar", 1),
                                                                       (None, "citizen", 2)]
    assert "Ayşe" not in str(rows) and len(domain.register(entries, inputs + citizens)) == 4   # the coordinator: all
    # the frame's names may be given per language: an input in any of them counts
    rows = domain.register([{**entries[0], "name": {"tr": "Kent Konseyi", "en": "City Council"}}],
                           [{"stakeholder": {"name": "city council", "group": "city_council", "municipality": None}}])
    assert len(rows) == 1 and rows[0]["inputs"] == 1 and rows[0]["analysed"] is True


# -- the bank of needs, capacities and opportunities ---------------------------------------------

BANK_PLAN = {"id": "alborz", "coordinator": "body", "members": ["karaj", "fardis"], "themes": [{"code": "E"}]}
BANK_INPUT = {"id": "i_1", "plan_id": "alborz", "consultation_id": "c_1", "kind": "request", "theme": "E",
              "stakeholder": {"name": "A citizen", "group": "citizen", "municipality": "fardis",
                              "contact": "a@b.example"},
              "text": {"fa": "آب شرب کافی نیست، با a@b.example تماس بگیرید"}}


def bank_data(**changes):
    return {"kind": "need", "municipality": None, "theme": None, "title": "Water", "text": None, "quantity": None,
            "unit": None, "source": None, **changes}


@pytest.mark.parametrize("changes, source, fields", [
    ({"municipality": "karaj", "text": "x"}, None, set()),
    ({"source": {"input": "i_1"}}, BANK_INPUT, set()),                              # all from the input
    ({"source": {"input": "i_1"}}, {**BANK_INPUT, "plan_id": "other"}, {"source.input", "municipality", "text"}),
    ({"source": {"input": "i_9"}, "municipality": "karaj", "text": "x"}, None, {"source.input"}),
    ({"municipality": "bilecik", "text": "x"}, None, {"municipality"}),
    ({"municipality": "karaj", "theme": "Z", "text": "x"}, None, {"theme"}),
    ({"municipality": "karaj"}, None, {"text"}),
    ({"municipality": "karaj", "text": "x", "quantity": 12}, None, {"unit"}),
    ({"municipality": "karaj", "text": "x", "unit": "m3"}, None, {"quantity"}),
])
def test_a_bank_record_belongs_to_the_plan(changes, source, fields):
    problems = Problems()
    domain.bank_problems(BANK_PLAN, bank_data(**changes), source, problems)
    assert set(problems.errors) == fields


def test_a_bank_record_keeps_its_inputs_provenance_and_never_a_name_or_contact():
    record = domain.bank_record(bank_data(source={"input": "i_1"}, quantity=1200, unit="m3"), BANK_INPUT, "Workshop")
    assert (record["municipality"], record["theme"], record["quantity"]) == ("fardis", "E", 1200)
    assert record["source"] == {"input": "i_1", "consultation_id": "c_1", "consultation": "Workshop",
                                "kind": "request", "theme": "E", "group": "citizen", "municipality": "fardis"}
    assert "a@b.example" not in str(record) and "A citizen" not in str(record)
    # the bank is public: a pending input's text stays out of it until the coordinator publishes it
    assert record["text"] is None
    published = domain.bank_record(bank_data(source={"input": "i_1"}), {**BANK_INPUT, "moderation": "published"})
    assert published["text"] == mask(BANK_INPUT["text"]) and "a@b.example" not in str(published["text"])
    records = [record, {**record, "kind": "capacity", "municipality": "karaj"}]
    assert domain.bank_filtered(records, kind="capacity") == records[1:]
    assert domain.bank_filtered(records, municipality="fardis", theme="E") == records[:1]


FINDING = {"municipality": "fardis", "period": "1404-H1", "calendar": "solar_hijri", "neighbourhood": "Mehrshahr", "service_code": "ASPHALT",
           "service_name": "آسفالت", "received": 42, "closed_within_target": 61.9, "median_days_to_close": 4.0,
           "open_past_target": 3}


def test_a_bank_record_made_from_a_finding_of_the_requests_keeps_it_as_its_source():
    named = {"finding": {k: FINDING[k] for k in ("municipality", "period", "neighbourhood", "service_code")}}
    problems = Problems()
    domain.bank_problems(BANK_PLAN, bank_data(source=named), None, problems, FINDING)
    assert problems.errors == {}
    domain.bank_problems(BANK_PLAN, bank_data(source=named), None, problems, None)
    assert set(problems.errors) == {"source.finding", "municipality", "text"}
    record = domain.bank_record(bank_data(source=named, title="Roads of Mehrshahr"), None, finding=FINDING)
    assert record["municipality"] == "fardis" and record["source"]["finding"]["received"] == 42
    assert record["text"]["en"] == ("first half of 1404: 42 «آسفالت» requests in Mehrshahr; 61.9 % closed within "
                                    "the target, 3 still open past it.")
    assert record["text"]["fa"].startswith("نیمهٔ اول ۱۴۰۴: ۴۲ درخواست") and "۶۱٫۹٪" in record["text"]["fa"]
    assert record["text"]["tr"].startswith("1404 yılı 1. altı ay: Mehrshahr mahallesinde 42") and "%61,9" in \
        record["text"]["tr"]


def test_the_regional_table_puts_situation_items_and_bank_records_per_municipality_and_theme():
    view = {"plan": "p", "version": 7, "coordinator": "body", "members": ["karaj", "hashtgerd"], "items": [
        {"municipality": "karaj", "theme": None, "kind": "opportunity", "text": "Railway", "source": {"plan": "k"}},
        {"municipality": "body", "theme": None, "kind": "need", "text": "Data", "source": {"plan": "p"}},
        {"municipality": "karaj", "theme": "T1", "kind": "need", "text": "Water", "source": {"plan": "p"}}]}
    records = [{"id": "b1", "kind": "capacity", "municipality": "hashtgerd", "theme": "T1", "title": "Land",
                "text": None, "quantity": 12, "unit": "ha", "source": None, "created_at": "x"}]
    table = domain.regional_table(view, records)
    assert [(r["municipality"], r["theme"]) for r in table["rows"]] == [
        ("body", None), ("karaj", None), ("karaj", "T1"), ("hashtgerd", "T1")]
    assert table["rows"][1]["opportunities"] == [{"text": "Railway", "source": {"plan": "k"}}]
    assert table["rows"][2]["needs"][0]["text"] == "Water" and table["rows"][2]["bank"] == []
    assert table["rows"][3]["bank"] == [{"id": "b1", "kind": "capacity", "title": "Land", "text": None,
                                         "quantity": 12, "unit": "ha", "source": None}]
    assert (table["plan"], table["version"]) == ("p", 7)
