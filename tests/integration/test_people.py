"""People log in: accounts with argon2id passwords or a one-time setup link, sessions that act
exactly as a token of the same role and municipality would, lock-out, logout, disabling."""
import copy
import secrets

import pytest

from ops.client import Client
from ops.demo import korfez
from tests.stack import login

pytestmark = pytest.mark.stack


def a_person(role="coordinator", municipality=korfez.COORDINATOR, **extra):
    return {"username": f"p.{secrets.token_hex(4)}", "display_name": "Ayşe Kaya", "email": "ayse@example.org",
            "role": role, "municipality": municipality, **extra}


def test_a_session_acts_with_its_persons_role_and_is_in_the_audit(stack, admin, draft):
    person = a_person(password="Zeytin dalı ve deniz 2025")
    created = admin.post("/users", person, expect=201)
    assert created["username"] == person["username"] and "password" not in str(created)
    session = login(stack.url, person["username"], person["password"])
    cookie = session.session.cookies
    assert cookie.get("ortak_session") and "HttpOnly" in session.request(
        "POST", "/sessions", json={"username": person["username"], "password": person["password"]}).headers[
        "Set-Cookie"]
    assert session.get(f"/plans/{draft}")["status"] == "draft"               # a participant reads the draft
    frame = copy.deepcopy(korfez.FRAME)
    frame["vision"] = {"tr": "Kıyıları ortak yöneten bir körfez"}
    session.put(f"/plans/{draft}/frame", frame)
    change = session.get(f"/plans/{draft}/audit?limit=1")[0]
    assert change["by"]["username"] == person["username"] and change["by"]["role"] == "coordinator"
    assert Client(stack.url).request("PUT", f"/plans/{draft}/frame", json=frame).status_code == 404

    planner = login(stack.url, *_made(admin, "planner", "edremit"))
    assert planner.request("PUT", f"/plans/{draft}/frame", json=frame).status_code == 403


def _made(admin, role, municipality):
    person = a_person(role, municipality, password="Edremit körfezi " + secrets.token_hex(3))
    admin.post("/users", person, expect=201)
    return person["username"], person["password"]


def test_a_setup_link_sets_a_password_once_and_refuses_a_common_one(stack, admin):
    person = a_person("viewer", None)
    created = admin.post("/users", person, expect=201)
    assert created["setup_url"].startswith(stack.url + "/setup?token=")
    token = created["setup_url"].split("token=", 1)[1]
    weak = admin.request("POST", "/users/password", json={"token": token, "password": "password123"})
    assert weak.status_code == 422 and "password" in weak.json()["errors"]
    short = admin.request("POST", "/users/password", json={"token": token, "password": "kısa"})
    assert short.status_code == 422
    public = Client(stack.url)
    assert public.post("/users/password", {"token": token, "password": "Ayvalık adaları 1923"}, expect=200) == {
        "username": person["username"]}
    assert public.request("POST", "/users/password", json={"token": token, "password": "Başka bir şifre 1"}
                          ).status_code == 404                                  # spent
    assert login(stack.url, person["username"], "Ayvalık adaları 1923").get("/users", expect=403)


def test_five_failures_lock_the_login_for_fifteen_minutes(stack, admin):
    username, password = _made(admin, "planner", "gomec")
    public = Client(stack.url)
    for _ in range(5):
        wrong = public.request("POST", "/sessions", json={"username": username, "password": "yanlış şifre!"})
        assert wrong.status_code == 401 and "ortak_session" not in wrong.headers.get("Set-Cookie", "")
    locked = public.request("POST", "/sessions", json={"username": username, "password": password})
    assert locked.status_code == 429 and 800 < int(locked.headers["Retry-After"]) <= 901
    assert locked.headers["Content-Type"].startswith("application/problem+json")
    other_username, other_password = _made(admin, "planner", "havran")    # others are not affected
    login(stack.url, other_username, other_password)
    unknown = public.request("POST", "/sessions", json={"username": "nobody-here", "password": "x" * 12})
    assert unknown.status_code == 401 and unknown.json()["detail"] == wrong.json()["detail"]


def test_logout_and_disabling_end_the_session(stack, admin, draft):
    username, password = _made(admin, "coordinator", korfez.COORDINATOR)
    first, second = login(stack.url, username, password), login(stack.url, username, password)
    assert first.request("DELETE", "/sessions/current").status_code == 204
    assert first.session.cookies.get("ortak_session") is None
    first.session.cookies.clear()
    assert first.request("GET", f"/plans/{draft}").status_code == 404        # the public again
    assert second.get(f"/plans/{draft}")["id"] == draft
    uid = next(u["id"] for u in admin.get("/users") if u["username"] == username)
    assert admin.request("DELETE", f"/users/{uid}").status_code == 204
    assert second.request("GET", f"/plans/{draft}").status_code == 404       # disabled: its sessions ended
    assert Client(stack.url).request("POST", "/sessions", json={"username": username, "password": password}
                                     ).status_code == 401
    assert next(u for u in admin.get("/users") if u["username"] == username)["disabled_at"]


def test_a_coordinator_adds_people_of_its_own_plans_municipalities_only(stack, admin, adopted, coordinator):
    assert coordinator.post("/users", a_person("planner", "edremit"), expect=201)["role"] == "planner"
    assert coordinator.request("POST", "/users", json=a_person("admin", None)).status_code == 403
    admin.put("/municipalities/izmir", {"name": "İzmir", "kind": "metropolitan", "parent": None,
                                        "locale": "tr", "calendar": "gregorian"})
    assert coordinator.request("POST", "/users", json=a_person("planner", "izmir")).status_code == 403
    taken = a_person("viewer", None)
    admin.post("/users", taken, expect=201)
    assert admin.request("POST", "/users", json=taken).status_code == 409
    listed = coordinator.get("/users")
    assert listed and all(u["municipality"] in [korfez.COORDINATOR, *korfez.DISTRICTS] for u in listed)
    assert all("password" not in str(u).lower().replace("password_set", "") for u in listed)
