"""Municipalities with their hierarchy, and tokens stored as hashes and revoked at once."""
import secrets

import pymongo
import pytest

from ops.client import Client

pytestmark = pytest.mark.stack


def test_put_creates_then_replaces(admin):
    mid = "mun-" + secrets.token_hex(3)
    body = {"name": {"tr": "Deneme", "fa": "آزمایش"}, "kind": "metropolitan", "parent": None}
    assert admin.request("PUT", f"/municipalities/{mid}", json=body).status_code == 201
    replaced = admin.request("PUT", f"/municipalities/{mid}", json={**body, "locale": "fa", "calendar": "solar_hijri"})
    assert replaced.status_code == 200
    got = admin.get(f"/municipalities/{mid}")
    assert (got["locale"], got["calendar"], got["name"]["fa"]) == ("fa", "solar_hijri", "آزمایش")
    assert mid in [m["id"] for m in admin.get("/municipalities")]


def test_the_hierarchy_is_checked(admin, region):
    district = {"name": "X", "kind": "district"}
    cases = [
        ({**district, "parent": None}, "parent"),             # a district needs a metropolitan parent
        ({**district, "parent": "ayvalik"}, "parent"),        # not a district
        ({**district, "parent": "nowhere"}, "parent"),
        ({"name": "X", "kind": "metropolitan", "parent": "balikesir"}, "parent"),
        ({"name": "", "kind": "village"}, "kind"),
    ]
    for body, field in cases:
        response = admin.request("PUT", "/municipalities/new-one", json=body)
        assert response.status_code == 422, body
        assert field in response.json()["errors"], (body, response.json())
    # turning Balıkesir into a district would orphan its districts
    response = admin.request("PUT", "/municipalities/balikesir", json={"name": "B", "kind": "district",
                                                                       "parent": None})
    assert response.status_code == 422
    assert admin.request("GET", "/municipalities/new-one").status_code == 404


def test_tokens_are_hashed_roles_enforced_and_revocation_immediate(stack, admin, region, store_uri, run_id):
    issued = admin.post("/tokens", {"role": "viewer", "municipality": "havran", "label": "havran dashboard"},
                        expect=201)
    viewer = Client(stack.url, issued["token"])
    assert viewer.request("GET", "/municipalities").status_code == 200
    assert viewer.request("POST", "/tokens", json={"role": "admin"}).status_code == 403
    stored = pymongo.MongoClient(store_uri)[f"ortak_{run_id}_plan_registry"]["tokens"].find_one({"_id": issued["id"]})
    assert issued["token"] not in str(stored) and len(stored["hash"]) == 64
    assert admin.request("DELETE", f"/tokens/{issued['id']}").status_code == 204
    response = viewer.request("GET", "/municipalities")
    assert response.status_code == 401 and response.json()["status"] == 401
    assert Client(stack.url, "not-a-token").request("GET", "/municipalities").status_code == 401
    assert admin.request("POST", "/tokens", json={"role": "planner"}).status_code == 422  # needs a municipality


def test_a_client_guessing_tokens_is_stopped_for_the_minute(stack):
    """After 10 bad tokens in a minute a client's bad tokens get 429 with Retry-After; valid tokens
    from the same address (an office behind one router) keep working, and other clients too."""
    from tests.stack import ADMIN_TOKEN

    def call(token, client):
        return Client(stack.url, token).request("GET", "/municipalities",
                                                headers={"X-Forwarded-For": client})
    guesser = f"203.0.113.{secrets.randbelow(250) + 1}"
    answers = [call("ortak_" + secrets.token_urlsafe(32), guesser).status_code for _ in range(10)]
    assert answers == [401] * 10
    refused = call("ortak_" + secrets.token_urlsafe(32), guesser)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 61
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert call("ortak_" + secrets.token_urlsafe(32), guesser).status_code == 429
    assert call(ADMIN_TOKEN, guesser).status_code == 200                 # failures are limited, not credentials
    assert call(ADMIN_TOKEN, "198.51.100.7").status_code == 200          # others carry on
