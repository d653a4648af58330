"""Neighbourhood service requests over HTTP: the catalogue, Open311 GeoReport v2 in JSON and XML
with form-encoded posts, a muhtar's request from filing to closed, and Manisa's service quality
from five hundred requests submitted as readings by the requests service itself and approved.""" 
import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
import requests as http

from ops.processes import wait_until
from tests.stack import until_monitoring_has

pytestmark = pytest.mark.stack

OPEN311 = "/open311/v2"
SPEC_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
               "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
               "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
PERSONAL = {"first_name": "Ayşe", "last_name": "Yılmazoğlu", "email": "ayse.yilmazoglu@example.org",
            "phone": "0532 987 65 43"}
MANISA = {
    "manisa": {"name": {"tr": "Manisa Büyükşehir Belediyesi"}, "kind": "metropolitan", "parent": None,
               "locale": "tr", "calendar": "gregorian"},
    "yunusemre": {"name": {"tr": "Yunusemre Belediyesi"}, "kind": "district", "parent": "manisa",
                  "locale": "tr", "calendar": "gregorian"},
    "sehzadeler": {"name": {"tr": "Şehzadeler Belediyesi"}, "kind": "district", "parent": "manisa",
                   "locale": "tr", "calendar": "gregorian"},
}
CUKUR = {"name": {"tr": "Yol çukuru", "en": "Pothole"}, "description": {"tr": "Asfalttaki çukurlar"},
         "group": "Yollar", "keywords": ["yol", "asfalt"], "target_days": 7, "responsible_unit": "Fen İşleri Müdürlüğü",
         "public": True}
COP = {"name": {"tr": "Çöp toplama", "en": "Waste collection"}, "group": "Temizlik", "keywords": ["çöp"],
       "target_days": 2, "responsible_unit": "Temizlik İşleri Müdürlüğü", "public": False}


def open311(stack, method, path, **kwargs):
    return http.request(method, stack.url + OPEN311 + path, timeout=30, **kwargs)


def xml_items(response, item="request"):
    root = ET.fromstring(response.content)
    return root, [{child.tag: (child.text or "") for child in element} for element in root.iter(item)]


@pytest.fixture(scope="module")
def manisa(admin, token_for):
    for mid, body in MANISA.items():
        admin.put(f"/municipalities/{mid}", body)
    coordinator = token_for("coordinator", "manisa")
    for district in ("yunusemre", "sehzadeler"):
        coordinator.put(f"/municipalities/{district}/services/CUKUR", CUKUR)
        coordinator.put(f"/municipalities/{district}/services/COP", COP)
    return coordinator


# -- the catalogue -------------------------------------------------------------------------------------

def test_the_catalogue_is_kept_by_the_municipalitys_staff(manisa, token_for, public):
    planner = token_for("planner", "yunusemre")
    response = planner.request("PUT", "/municipalities/yunusemre/services/PARK",
                               json={"name": {"tr": "Park bakımı"}, "target_days": 10}, expect=201)
    assert response.json()["code"] == "PARK" and response.json()["public"] is False
    planner.put("/municipalities/yunusemre/services/PARK", {"name": {"tr": "Park bakımı"}, "target_days": 12},
                expect=200)
    assert {s["code"]: s["target_days"] for s in public.get("/municipalities/yunusemre/services")}["PARK"] == 12
    other = token_for("planner", "sehzadeler")
    assert other.request("PUT", "/municipalities/yunusemre/services/PARK", json={"name": "x", "target_days": 1}
                         ).status_code == 403
    assert public.request("PUT", "/municipalities/yunusemre/services/PARK", json={"name": "x", "target_days": 1}
                          ).status_code == 401
    bad = planner.request("PUT", "/municipalities/yunusemre/services/PARK", json={"name": "x", "target_days": 0})
    assert bad.status_code == 422 and "target_days" in bad.json()["errors"]


def test_the_service_list_and_definition_as_the_specification_writes_them(stack, manisa):
    listed = open311(stack, "GET", "/services.json", params={"jurisdiction_id": "yunusemre", "locale": "en"})
    assert listed.status_code == 200 and listed.headers["Content-Type"].startswith("application/json")
    services = {s["service_code"]: s for s in listed.json()}
    assert services["CUKUR"] == {"service_code": "CUKUR", "service_name": "Pothole",
                                 "description": "Asfalttaki çukurlar", "metadata": False, "type": "realtime",
                                 "keywords": "yol, asfalt", "group": "Yollar"}
    as_xml = open311(stack, "GET", "/services.xml", params={"jurisdiction_id": "yunusemre"})
    assert as_xml.headers["Content-Type"].startswith("text/xml") and as_xml.content.startswith(b"<?xml")
    root, items = xml_items(as_xml, "service")
    assert root.tag == "services"
    assert {i["service_code"]: i["service_name"] for i in items}["COP"] == "Çöp toplama"
    definition = open311(stack, "GET", "/services/CUKUR.json", params={"jurisdiction_id": "yunusemre"})
    assert definition.json() == {"service_code": "CUKUR", "attributes": []}
    root = ET.fromstring(open311(stack, "GET", "/services/CUKUR.xml", params={"jurisdiction_id": "yunusemre"}).content)
    assert root.tag == "service_definition" and root.findtext("service_code") == "CUKUR"
    missing = open311(stack, "GET", "/services/NOPE.xml", params={"jurisdiction_id": "yunusemre"})
    assert missing.status_code == 404
    root, errors = xml_items(missing, "error")
    assert root.tag == "errors" and errors[0]["code"] == "404"
    no_jurisdiction = open311(stack, "GET", "/services.json")
    assert no_jurisdiction.status_code == 400
    assert no_jurisdiction.json()[0]["code"] == 400 and "jurisdiction_id" in no_jurisdiction.json()[0]["description"]
    assert open311(stack, "GET", "/services.json", params={"jurisdiction_id": "atlantis"}).status_code == 404


# -- filing and reading --------------------------------------------------------------------------------

def a_request(**fields):
    return {"jurisdiction_id": "yunusemre", "service_code": "CUKUR", "lat": "38.6191", "long": "27.4289",
            "description": "Laleli Mahallesi 12. sokakta derin bir çukur var.", "neighbourhood": "Laleli",
            **fields}


def test_the_public_files_where_the_municipality_allows_it_and_never_reads_a_name(stack, manisa, token_for):
    filed = open311(stack, "POST", "/requests.json",
                    data=a_request(**PERSONAL, description="Çukur büyüdü. Bana 0532 987 65 43 veya "
                                                           "ayse.yilmazoglu@example.org üzerinden ulaşın."))
    assert filed.status_code == 201, filed.text
    [created] = filed.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    rid = created["service_request_id"]
    # COP takes requests through muhtars and staff only
    refused = open311(stack, "POST", "/requests.json", data=a_request(service_code="COP"))
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    # a key that names nobody, and a viewer's key
    bad_key = open311(stack, "POST", "/requests.xml", data=a_request(api_key="not-a-token"))
    root, errors = xml_items(bad_key, "error")
    assert bad_key.status_code == 403 and root.tag == "errors" and "api_key" in errors[0]["description"]
    viewer_key = token_for("viewer", "yunusemre").session.headers["Authorization"].split()[1]
    assert open311(stack, "POST", "/requests.json", data=a_request(api_key=viewer_key)).status_code == 403
    # nothing public names the requester, whatever the format or the filter
    answers = [open311(stack, "GET", f"/requests/{rid}.json", params={"jurisdiction_id": "yunusemre"}),
               open311(stack, "GET", f"/requests/{rid}.xml", params={"jurisdiction_id": "yunusemre"}),
               open311(stack, "GET", "/requests.json", params={"jurisdiction_id": "yunusemre"}),
               open311(stack, "GET", "/requests.xml", params={"jurisdiction_id": "yunusemre", "status": "open"})]
    for answer in answers:
        assert answer.status_code == 200
        text = answer.content.decode()
        for value in (*PERSONAL.values(), "05329876543", "yilmazoglu"):
            assert value not in text, (answer.url, value)
    [item] = answers[0].json()
    assert SPEC_FIELDS <= set(item)
    assert item["status"] == "open" and item["service_name"] == "Yol çukuru" and item["lat"] == 38.6191
    assert item["agency_responsible"] == "Fen İşleri Müdürlüğü"
    requested = datetime.fromisoformat(item["requested_datetime"].replace("Z", "+00:00"))
    assert item["expected_datetime"].startswith((requested + timedelta(days=7)).date().isoformat())
    # the municipality's staff read who it was
    planner = token_for("planner", "yunusemre")
    assert planner.get(f"/requests/{rid}")["requester"] == PERSONAL
    assert http.get(stack.url + f"/api/v1/requests/{rid}", timeout=10).status_code == 401


def test_bad_fields_are_named_in_the_specifications_error_format(stack, manisa):
    cases = [(a_request(lat="95"), "lat"), (a_request(long="-190"), "long"), (a_request(lat="", long=""),
                                                                                "address_string"),
             (a_request(service_code="YOK"), "service_code"), (a_request(description="x" * 4001), "description"),
             (a_request(media_url="javascript:alert(1)"), "media_url"), (a_request(lat="kuzey"), "lat")]
    for form, field in cases:
        response = open311(stack, "POST", "/requests.json", data=form)
        assert response.status_code == 400, (field, response.text)
        assert any(e["code"] == 400 and e["description"].startswith(field) for e in response.json()), response.json()
    as_xml = open311(stack, "POST", "/requests.xml", data=a_request(lat="95"))
    root, errors = xml_items(as_xml, "error")
    assert root.tag == "errors" and errors[0]["code"] == "400" and errors[0]["description"].startswith("lat")
    assert open311(stack, "POST", "/requests.json", data={"service_code": "CUKUR"}).status_code == 400


def test_markup_is_kept_as_text_and_escaped_in_xml(stack, manisa, token_for):
    hostile = '<script>alert("x")</script> & <b>kalın</b> ]]>'
    key = token_for("planner", "yunusemre").session.headers["Authorization"].split()[1]
    filed = open311(stack, "POST", "/requests.xml", data=a_request(api_key=key, description=hostile,
                                                                    address_string="<img src=x onerror=alert(1)>"))
    assert filed.status_code == 201
    root, [created] = xml_items(filed)
    assert root.tag == "service_requests"
    rid = created["service_request_id"]
    as_xml = open311(stack, "GET", f"/requests/{rid}.xml", params={"jurisdiction_id": "yunusemre"})
    assert b"<script>" not in as_xml.content and b"&lt;script&gt;" in as_xml.content
    _, [item] = xml_items(as_xml)
    assert item["description"] == hostile and item["address"] == "<img src=x onerror=alert(1)>"
    assert open311(stack, "GET", f"/requests/{rid}.json",
                   params={"jurisdiction_id": "yunusemre"}).json()[0]["description"] == hostile


def test_requests_are_filtered_as_the_specification_says(stack, manisa, token_for):
    key = token_for("planner", "sehzadeler").session.headers["Authorization"].split()[1]
    ids = []
    for code in ("CUKUR", "COP", "COP"):
        filed = open311(stack, "POST", "/requests.json",
                        data=a_request(jurisdiction_id="sehzadeler", service_code=code, api_key=key))
        ids.append(filed.json()[0]["service_request_id"])
    planner = token_for("planner", "sehzadeler")
    for status in ("assigned", "in_progress", "closed"):
        planner.request("PATCH", f"/requests/{ids[2]}", json={"status": status}, expect=200)

    def listed(**params):
        answer = open311(stack, "GET", "/requests.json", params={"jurisdiction_id": "sehzadeler", **params})
        assert answer.status_code == 200, answer.text
        return {i["service_request_id"] for i in answer.json()} & set(ids)

    assert listed() == set(ids)
    assert listed(service_code="COP") == {ids[1], ids[2]}
    assert listed(status="closed") == {ids[2]}
    assert listed(status="open") == {ids[0], ids[1]}
    assert listed(status="open,closed", service_code="CUKUR,COP") == set(ids)
    assert listed(service_request_id=f"{ids[0]},{ids[2]}") == {ids[0], ids[2]}
    future = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed(start_date=future) == set()
    assert listed(end_date="2020-01-01T00:00:00Z") == set()
    assert listed(start_date="2020-01-01T00:00:00+03:00", end_date=future) == set(ids)
    bad = open311(stack, "GET", "/requests.json", params={"jurisdiction_id": "sehzadeler", "status": "done"})
    assert bad.status_code == 400 and bad.json()[0]["description"].startswith("status")
    # another municipality's request is not found under this jurisdiction
    assert open311(stack, "GET", f"/requests/{ids[0]}.json",
                   params={"jurisdiction_id": "yunusemre"}).status_code == 404


def test_a_muhtars_request_from_filing_to_closed_is_audited_and_announced(stack, manisa, token_for, listen):
    listener = listen("requests", "service_request_filed", "service_request_status_changed")
    planner = token_for("planner", "yunusemre")
    key = planner.session.headers["Authorization"].split()[1]
    filed = open311(stack, "POST", "/requests.json",
                    data=a_request(api_key=key, filed_by="muhtar", service_code="COP", first_name="Mehmet",
                                   last_name="Kaya", phone="0236 111 22 33",
                                   description="Laleli pazar yerinde çöp konteynerleri taşıyor."))
    assert filed.status_code == 201, filed.text
    rid = filed.json()[0]["service_request_id"]
    event = listener.wait_for("service_request_filed", lambda e: e["payload"]["request_id"] == rid)
    assert event["producer"] == "requests" and event["municipality"] == "yunusemre"
    assert event["payload"]["filed_by"] == "muhtar" and event["payload"]["service_code"] == "COP"
    assert "Mehmet" not in repr(event) and "0236 " not in repr(event)   # the phone; ids are hex, spaceless
    # a move that skips the lifecycle is refused, naming the field
    skipped = planner.request("PATCH", f"/requests/{rid}", json={"status": "closed"})
    assert skipped.status_code == 422 and "status" in skipped.json()["errors"]
    assert planner.request("PATCH", f"/requests/{rid}", json={"status": "reopened"}).status_code == 422
    metropolitan = manisa
    steps = [(metropolitan, {"status": "assigned", "agency_responsible": "Temizlik İşleri Müdürlüğü",
                             "status_notes": "Ekip yönlendirildi"}),
             (planner, {"status": "in_progress", "status_notes": "Ekip sahada"}),
             (planner, {"status": "closed", "status_notes": "Konteynerler boşaltıldı"})]
    for client, change in steps:
        changed = client.request("PATCH", f"/requests/{rid}", json=change, headers={
            "X-Request-Id": f"req-{change['status']}-{secrets.token_hex(4)}"}, expect=200).json()
        assert changed["status"] == change["status"]
        event = listener.wait_for("service_request_status_changed",
                                  lambda e: e["payload"]["request_id"] == rid and e["payload"]["to"] == change["status"])
        assert event["payload"]["status_notes"] == change["status_notes"]
    assert planner.request("PATCH", f"/requests/{rid}", json={"status": "in_progress"}).status_code == 422
    assert token_for("planner", "sehzadeler").request("PATCH", f"/requests/{rid}",
                                                     json={"status_notes": "x"}).status_code == 403
    history = planner.get(f"/requests/{rid}")["history"]
    assert [(h["action"], h.get("to")) for h in history] == [("filed", None), ("status_changed", "assigned"),
                                                            ("status_changed", "in_progress"),
                                                            ("status_changed", "closed")]
    assert history[0]["filed_by"] == "muhtar" and history[0]["by"]["role"] == "planner"
    assert history[1]["by"] == {"token_id": history[1]["by"]["token_id"], "role": "coordinator",
                                "municipality": "manisa"}
    assert all(h["request_id"] for h in history)
    assert history[3]["request_id"].startswith("req-closed-")
    [public_view] = open311(stack, "GET", f"/requests/{rid}.json", params={"jurisdiction_id": "yunusemre"}).json()
    assert public_view["status"] == "closed" and public_view["ortak_status"] == "closed"
    assert public_view["status_notes"] == "Konteynerler boşaltıldı"
    assert public_view["agency_responsible"] == "Temizlik İşleri Müdürlüğü" and public_view["filed_by"] == "muhtar"
    assert "Mehmet" not in repr(public_view) and "Kaya" not in repr(public_view)


# -- Manisa: service quality as readings --------------------------------------------------------------

def rows(prefix, code, start, count, close_after=None, spacing_days=1, wrap=140):
    """``count`` requests received at 09:00 on successive days from ``start``; each closed
    ``close_after`` days later, or left open."""
    made = []
    for i in range(count):
        received = start + timedelta(days=(i * spacing_days) % wrap)
        row = {"id": f"{prefix}-{i}", "service_code": code, "neighbourhood": "Merkez",
               "address_string": f"{i}. Sokak", "requested_datetime": received.isoformat(), "filed_by": "muhtar"}
        if close_after is not None:
            row.update(status="closed", closed_datetime=(received + timedelta(days=close_after)).isoformat())
        else:
            row["status"] = "assigned"
        made.append(row)
    return made


def h2_2025(day=1):
    return datetime(2025, 7, day, 9, tzinfo=timezone.utc)


def h1_2026(day=2):
    return datetime(2026, 1, day, 9, tzinfo=timezone.utc)


YUNUSEMRE = (rows("y25c-fast", "CUKUR", h2_2025(), 40, 3) + rows("y25c-slow", "CUKUR", h2_2025(), 20, 10)
             + rows("y25g-fast", "COP", h2_2025(), 30, 1) + rows("y25g-slow", "COP", h2_2025(), 10, 5)
             + rows("y26c-fast", "CUKUR", h1_2026(), 25, 2) + rows("y26c-slow", "CUKUR", h1_2026(), 25, 8)
             + rows("y26g", "COP", h1_2026(), 30, 2)
             + rows("y26c-open", "CUKUR", datetime(2026, 5, 1, 9, tzinfo=timezone.utc), 10, None, spacing_days=0))
SEHZADELER = (rows("s25-in", "CUKUR", h2_2025(), 30, 7) + rows("s25-late", "CUKUR", h2_2025(), 30, 14)
              + rows("s25g-late", "COP", h2_2025(), 100, 3)
              + rows("s26-in", "CUKUR", h1_2026(), 40, 5) + rows("s26g-in", "COP", h1_2026(), 100, 1)
              + rows("s26-open", "CUKUR", datetime(2026, 6, 28, 9, tzinfo=timezone.utc), 10, None, spacing_days=0))

# Worked by hand (targets: CUKUR 7 days, COP 2 days; "in time" = closed within the target):
# Yunusemre 2025-H2: 100 received; in time 40 + 30 = 70 -> 70 %; CUKUR 40 of 60 -> 66.67 %;
#   days to close 30x1, 40x3, 10x5, 20x10 -> the 50th and 51st are 3 -> median 3; nothing open -> 0.
# Yunusemre 2026-H1: 90 received; in time 25 + 30 = 55 -> 61.11 %; CUKUR 25 of 60 -> 41.67 %;
#   closed: 55x2, 25x8 -> median 2; 10 CUKUR open since 1 May, due 8 May -> 10 past target at 30 June.
# Şehzadeler 2025-H2: 160 received; 30 CUKUR in time, 30 CUKUR and 100 COP (3 days of 2) late ->
#   30 / 160 = 18.75 %; 100x3, 30x7, 30x14 -> the 80th and 81st are 3 -> median 3.
# Şehzadeler 2026-H1: 150 received; 40 CUKUR in 5 days and 100 COP in 1 day in time -> 140 / 150 =
#   93.33 %; 100x1, 40x5 -> median 1; 10 open since 28 June are due 5 July, not yet past at the end
#   of June -> 0.
# Nothing was recorded in 2025-H1: no figure of it is submitted by itself.
EXPECTED = {
    ("yunusemre", "2025-H2"): {"PGY.1": 70.0, "PGY.2": 66.67, "PGY.3": 3.0, "PGY.4": 0},
    ("yunusemre", "2026-H1"): {"PGY.1": 61.11, "PGY.2": 41.67, "PGY.3": 2.0, "PGY.4": 10},
    ("sehzadeler", "2025-H2"): {"PGS.1": 18.75, "PGS.2": 160, "PGS.3": 3.0},
    ("sehzadeler", "2026-H1"): {"PGS.1": 93.33, "PGS.2": 150, "PGS.3": 1.0},
}


def indicator(code, source, name, unit, weight, calculation="increase", baseline=50):
    return {"code": code, "name": {"tr": name}, "unit": unit, "weight": weight, "baseline": baseline,
            "targets": {str(y): baseline + (i + 1) * (-1 if calculation == "decrease" else 5)
                        for i, y in enumerate(range(2025, 2030))}, "calculation": calculation,
            "data_source": {"tr": "Başvuru kayıtları (Open311)", "en": source}}


def manisa_plan(coordinator):
    plan_id = "manisa-" + secrets.token_hex(3)
    coordinator.post("/plans", {"id": plan_id, "title": {"tr": "Manisa Hizmet Kalitesi Ortak Planı 2025-2029"},
                                "coordinator": "manisa", "members": ["yunusemre", "sehzadeler"],
                                "period": {"start": 2025, "end": 2029}, "calendar": "gregorian",
                                "themes": [{"code": "T7", "name": {"tr": "Kentsel altyapı"}}]}, expect=201)
    coordinator.put(f"/plans/{plan_id}/frame", {
        "mission": {"tr": "Vatandaş başvurularını daha hızlı yanıtlamak"}, "vision": {"tr": "Hızlı yanıt veren Manisa"},
        "goals": [{"code": "A1", "title": {"tr": "Hizmet kalitesini yükseltmek"}, "theme": "T7"}]})
    contributions = {
        "yunusemre": [indicator("PGY.1", "open311:closed_within_target", "Hedef sürede kapanan başvuru", "%", 40),
                      indicator("PGY.2", "open311:closed_within_target:CUKUR", "Hedef sürede kapanan çukur", "%", 20),
                      indicator("PGY.3", "open311:median_days_to_close", "Medyan kapanma süresi", "gün", 20,
                                "decrease", 10),
                      indicator("PGY.4", "open311:open_past_target", "Süresi geçmiş açık başvuru", "adet", 20,
                                "decrease", 30)],
        "sehzadeler": [indicator("PGS.1", "open311:closed_within_target", "Hedef sürede kapanan başvuru", "%", 50),
                       indicator("PGS.2", "open311:received", "Alınan başvuru", "adet", 25),
                       indicator("PGS.3", "open311:median_days_to_close", "Medyan kapanma süresi", "gün", 25,
                                 "decrease", 10)],
    }
    for n, (district, indicators) in enumerate(contributions.items(), start=1):
        coordinator.put(f"/plans/{plan_id}/contributions/{district}", {"objectives": [{
            "code": f"H1.{n}", "goal": "A1", "title": {"tr": "Başvuruları hedef sürede yanıtlamak"},
            "responsible_unit": "Fen İşleri Müdürlüğü", "indicators": indicators}]})
    coordinator.post(f"/plans/{plan_id}/adopt", {"decision_no": "2025/77", "decision_date": "2025-01-15"})
    until_monitoring_has(coordinator, plan_id, "2025")
    return plan_id


def test_manisa_service_quality_from_five_hundred_requests_becomes_approved_readings_by_itself(
        stack, manisa, token_for, person_for):
    for district, made in (("yunusemre", YUNUSEMRE), ("sehzadeler", SEHZADELER)):
        planner = token_for("planner", district)
        first = planner.post(f"/municipalities/{district}/requests", {"requests": made})
        assert first["received"] == len(made)
        again = planner.post(f"/municipalities/{district}/requests", {"requests": made[:5]})
        assert again == {"received": 5, "created": 0, "ids": first["ids"][:5]}   # a row imported again: once
    assert len(YUNUSEMRE) + len(SEHZADELER) == 500
    # the figures the municipalities read
    quality = token_for("viewer", None).get("/municipalities/yunusemre/service-quality?period=2026-H1")
    assert (quality["received"], quality["closed_within_target"], quality["median_days_to_close"],
            quality["open_past_target"]) == (90, 61.11, 2.0, 10)
    # the plan adopted: the requests service (consuming the adoption and its own request events)
    # submits the figures of every ended half-year in which the districts recorded requests
    plan_id = manisa_plan(manisa)

    def stored(district, period):
        return {r["indicator"]: r for r in manisa.get(f"/plans/{plan_id}/readings?municipality={district}"
                                                      f"&period={period}")}
    wait_until(lambda: all(set(stored(d, p)) == set(f) for (d, p), f in EXPECTED.items()), 60,
               what="the service-quality readings submitted by the requests service")
    for (district, period), figures in EXPECTED.items():
        readings = stored(district, period)
        assert {code: readings[code]["value"] for code in figures} == figures
        # readings wait for a second pair of eyes, as any other; the service is who submitted them
        assert all(not r.get("approved") for r in readings.values()), readings
        assert {r["submitted_by"]["service"] for r in readings.values()} == {"requests"}
        assert readings[next(iter(figures))]["source"].startswith("open311:")
    assert stored("yunusemre", "2025-H1") == {} and stored("sehzadeler", "2026-H2") == {}
    # approved by the coordinator, they are the region's figures
    for district, period in EXPECTED:
        assert manisa.post(f"/plans/{plan_id}/readings/approve", {"municipality": district, "period": period}
                           )["approved"] == len(EXPECTED[district, period])
    for period in ("2025-H2", "2026-H1"):
        wanted = {code: value for (d, p), figures in EXPECTED.items() if p == period
                  for code, value in figures.items()}

        def figured():
            progress = manisa.get(f"/plans/{plan_id}/progress?period={period}&level=indicators")
            return {i["code"]: i["C"] for i in progress["indicators"]} == wanted
        wait_until(figured, 30, what=f"the region's progress of {period}")
    # a request closed late moves its half-year's figures again: submitted anew, to be approved again
    late = token_for("planner", "sehzadeler").post("/municipalities/sehzadeler/requests", {"requests": rows(
        "s26g-late", "COP", h1_2026(), 10, 6)})
    assert late["created"] == 10   # 160 received, 140 in time -> 87.5 %; 100x1, 40x5, 10x6 -> median 1
    wait_until(lambda: stored("sehzadeler", "2026-H1")["PGS.1"]["value"] == 87.5, 60,
               what="Şehzadeler's 2026-H1 figures submitted again")
    assert stored("sehzadeler", "2026-H1")["PGS.2"]["value"] == 160
    # the figures may also be asked for, by whoever speaks for the district
    neighbour = token_for("planner", "sehzadeler")
    assert neighbour.request("POST", f"/plans/{plan_id}/service-quality",
                             json={"period": "2026-H1", "municipality": "yunusemre"}).status_code == 403
    own = neighbour.post(f"/plans/{plan_id}/service-quality", {"period": "2026-H2"})
    assert {r["municipality"] for r in own["readings"]} == {"sehzadeler"}
    submitted = manisa.post(f"/plans/{plan_id}/service-quality", {"period": "2025-H2"})
    assert {(r["municipality"], r["indicator"]): r["value"] for r in submitted["readings"]} == {
        (m, code): value for (m, p), figures in EXPECTED.items() if p == "2025-H2" for code, value in figures.items()}
    bad = manisa.request("POST", f"/plans/{plan_id}/service-quality", json={"period": "2031-H1"})
    assert bad.status_code == 422 and "period" in bad.json()["errors"]
    findings_become_bank_records(plan_id, token_for)
    the_dashboard_shows_them_beside_the_plans_figures(stack, plan_id, person_for)


def the_dashboard_shows_them_beside_the_plans_figures(stack, plan_id, person_for):
    import re
    coordinator = person_for("coordinator", "manisa")
    page = coordinator.session.get(f"{stack.url}/workspace/plans/{plan_id}?period=2026-H1&lang=en", timeout=30)
    assert page.status_code == 200
    section = page.text[page.text.index('<section id="quality"'):]
    section = section[:section.index("</section>")]
    cells = {mid: [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
             for mid, row in re.findall(r'<tr data-municipality="([^"]+)">(.*?)</tr>', section, re.S)}
    assert cells == {"yunusemre": ["90", "61.1%", "2", "10", "By neighbourhood and service (XLSX)"],
                     "sehzadeler": ["160", "87.5%", "1", "0", "By neighbourhood and service (XLSX)"]}
    assert "/municipalities/yunusemre/request-findings?period=2026-H1&amp;format=xlsx" in section


def findings_become_bank_records(plan_id, token_for):
    """Where the requests came from, by neighbourhood and service, is public (figures, no person),
    and one click of a planner keeps a row in the plan's bank with the finding as its source."""
    from io import BytesIO

    import openpyxl
    public = token_for("viewer", None)
    table = public.get("/municipalities/yunusemre/request-findings?period=2026-H1")
    # Yunusemre 2026-H1, all in Merkez: CUKUR 25 in 2 days, 25 in 8 days, 10 open since 1 May (due
    # 8 May) -> 60 received, 41.67 % in time, median (2 + 8) / 2 = 5, 10 past target; COP 30 in 2 days
    assert [(r["neighbourhood"], r["service_code"], r["service_name"], r["received"], r["closed_within_target"],
             r["median_days_to_close"], r["open_past_target"]) for r in table["rows"]] == [
        ("Merkez", "CUKUR", "Yol çukuru", 60, 41.67, 5.0, 10), ("Merkez", "COP", "Çöp toplama", 30, 100.0, 2.0, 0)]
    now = public.get("/municipalities/yunusemre/request-findings?period=2026-H2")
    assert now["rows"] and not any(v in repr(now) for v in PERSONAL.values())
    book = public.request("GET", "/municipalities/yunusemre/request-findings?period=2026-H1&format=xlsx", expect=200)
    sheet = openpyxl.load_workbook(BytesIO(book.content)).active
    assert [c.value for c in sheet[3]] == ["Mahalle", "Hizmet kodu", "Hizmet", "Alınan başvuru",
                                          "Hedef sürede kapanan (%)", "Medyan kapanma süresi (gün)",
                                          "Süresi geçmiş açık başvuru"]
    assert [c.value for c in sheet[4]] == ["Merkez", "CUKUR", "Yol çukuru", 60, 41.67, 5, 10]
    finding = {"municipality": "yunusemre", "period": "2026-H1", "neighbourhood": "Merkez", "service_code": "CUKUR"}
    planner = token_for("planner", "yunusemre")
    record = planner.post(f"/plans/{plan_id}/bank", {"kind": "need", "theme": "T7", "title": {
        "tr": "Merkez mahallesinde yol çukurları"}, "source": {"finding": finding}}, expect=201)
    assert record["municipality"] == "yunusemre" and record["source"]["finding"]["received"] == 60
    assert record["text"]["tr"] == ("2026 yılı 1. altı ay: Merkez mahallesinde 60 «Yol çukuru» başvurusu; %41,7 "
                                    "hedef sürede kapandı, 10 başvuru süresi geçtiği hâlde açık.")
    assert [r["id"] for r in public.get(f"/plans/{plan_id}/bank?municipality=yunusemre")] == [record["id"]]
    for wrong, field in (({**finding, "neighbourhood": "Laleli"}, "source.finding"),
                         ({**finding, "period": "2026-H7"}, "source.finding")):
        refused = planner.request("POST", f"/plans/{plan_id}/bank", json={
            "kind": "need", "title": "x", "source": {"finding": wrong}})
        assert refused.status_code == 422 and field in refused.json()["errors"], refused.json()
    assert len(public.get(f"/plans/{plan_id}/bank")) == 1   # nothing stored by the refusals


def test_a_district_pushes_its_request_book_with_the_command_line(stack, manisa, token_for, tmp_path):
    import csv
    import json
    import os
    import subprocess
    import sys

    from ops.stack import ROOT

    planner = token_for("planner", "sehzadeler")
    path = tmp_path / "defter.csv"
    prefix = "cli-" + secrets.token_hex(3)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "service_code", "requested_datetime", "status", "closed_datetime", "neighbourhood",
                         "address_string", "filed_by"])
        for i in range(25):
            writer.writerow([f"{prefix}-{i}", "COP", "2026-02-01 09:00", "closed", "2026-02-02 09:00", "Merkez",
                             f"{i}. Sokak", "muhtar"])

    def ortak(*args):
        done = subprocess.run([sys.executable, "-m", "cli", "--url", stack.url, "--token",
                               planner.session.headers["Authorization"].split()[1], "--json", *args],
                              env=dict(os.environ, ORTAK_HOME=str(tmp_path), PYTHONPATH=ROOT), capture_output=True,
                              text=True, timeout=300)
        return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])

    assert ortak("push", "requests", str(path), "--municipality", "sehzadeler", "--batch-size", "10") == (
        0, {"requests": 25, "created": 25, "batches": 3, "skipped": 0, "queued": 0, "unreachable": None})
    # run again: the batches the server acknowledged are not sent twice, and a new cut stores nothing twice
    assert ortak("push", "requests", str(path), "--municipality", "sehzadeler", "--batch-size", "10")[1]["skipped"] == 3
    assert ortak("push", "requests", str(path), "--municipality", "sehzadeler")[1]["created"] == 0
    filed = open311(stack, "GET", "/requests.json", params={"jurisdiction_id": "sehzadeler",
                                                            "start_date": "2026-02-01T05:00:00Z",
                                                            "end_date": "2026-02-01T07:00:00Z"}).json()
    assert len(filed) == 25 and {r["filed_by"] for r in filed} == {"muhtar"}   # 09:00 in Istanbul is 06:00 UTC
    with open(path, "a", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow([f"{prefix}-x", "YOK", "2026-02-01 09:00", "open", "", "Merkez", "Sokak", ""])
    code, refused = ortak("push", "requests", str(path), "--municipality", "sehzadeler")
    assert code == 1 and "line 27, service_code" in refused["errors"]
    # collected on paper with no connection: queued, and sent by `ortak sync` later
    later = tmp_path / "defter-2.csv"
    with open(later, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "service_code", "requested_datetime", "status", "neighbourhood", "address_string"])
        for i in range(4):
            writer.writerow([f"{prefix}-later-{i}", "COP", "2026-02-03 10:00", "open", "Merkez", f"{i}. Sokak"])
    code, queued = ortak("push", "requests", str(later), "--municipality", "sehzadeler", "--offline")
    assert code == 4 and (queued["queued"], queued["created"]) == (1, 0)
    assert open311(stack, "GET", "/requests.json", params={"jurisdiction_id": "sehzadeler", "start_date":
                   "2026-02-03T06:00:00Z", "end_date": "2026-02-03T08:00:00Z"}).json() == []
    code, synced = ortak("sync")
    assert code == 0 and (synced["sent"], synced["requests"], synced["refused"]) == (1, 4, {})
    assert len(open311(stack, "GET", "/requests.json", params={"jurisdiction_id": "sehzadeler", "start_date":
                       "2026-02-03T06:00:00Z", "end_date": "2026-02-03T08:00:00Z"}).json()) == 4
