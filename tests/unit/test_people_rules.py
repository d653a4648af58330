"""The rules of people who log in, by hand: passwords, lock-out, who adds whom."""
from datetime import datetime, timedelta, timezone

from services.plan_registry import people

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def ago(minutes):
    return (NOW - timedelta(minutes=minutes)).isoformat()


def test_a_password_is_long_enough_and_not_among_the_common_ones():
    assert people.password_problems("kısa", "ayse").startswith("Use 10 to 200 characters")
    assert "most common" in people.password_problems("password123", "ayse")
    assert "most common" in people.password_problems("Qwertyuiop", "ayse")           # case does not hide it
    assert "most common" in people.password_problems("ayse.kaya.1", "ayse.kaya.1")   # nor the username
    assert people.password_problems("Zeytin dalı ve deniz", "ayse") is None
    assert people.password_problems(None, "ayse") is not None


def test_five_failures_in_fifteen_minutes_lock_for_fifteen_minutes_from_the_last():
    assert people.locked_until([ago(m) for m in (1, 2, 3, 4)], NOW) is None
    assert people.locked_until([ago(m) for m in (1, 2, 3, 4, 5)], NOW) == NOW - timedelta(minutes=1) + people.LOCK_FOR
    assert people.locked_until([ago(m) for m in (1, 2, 3, 4, 16)], NOW) is None       # one is out of the window
    assert people.recent_failures([ago(3), ago(20)], NOW) == [ago(3)]


def test_a_password_hash_is_argon2id_and_a_missing_person_never_matches():
    stored = people.hash_password("Zeytin dalı ve deniz")
    assert stored.startswith("$argon2id$")
    assert people.password_matches(stored, "Zeytin dalı ve deniz")
    assert not people.password_matches(stored, "zeytin dalı ve deniz")
    assert not people.password_matches(None, "a password no account has")


def test_who_adds_whom():
    coordinated = {"balikesir", "edremit"}
    coordinator = {"role": "coordinator", "municipality": "balikesir"}
    assert people.may_manage({"role": "admin"}, None, "admin", set())
    assert people.may_manage(coordinator, "edremit", "planner", coordinated)
    assert not people.may_manage(coordinator, "izmir", "planner", coordinated)
    assert not people.may_manage(coordinator, None, "admin", coordinated)
    assert not people.may_manage({"role": "planner", "municipality": "edremit"}, "edremit", "viewer", coordinated)
