"""People who log in (API.md "People, sessions and the web"), as pure rules: who may add whom,
what a password must be, when repeated failures lock a login. Tokens are for programs; people
get the same role and municipality rules (domain.check_role_and_municipality) through the actor
their session stands for."""
import functools
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.roles import role

MIN_PASSWORD = 10
MAX_PASSWORD = 200
LOCK_AFTER, LOCK_WINDOW, LOCK_FOR = 5, timedelta(minutes=15), timedelta(minutes=15)
SETUP_VALID = timedelta(hours=72)
SESSION_VALID = timedelta(hours=12)


_HASHER = PasswordHasher()   # argon2id with the library's current parameters
_NOBODY = _HASHER.hash("a password no account has")


def hash_password(password):
    return _HASHER.hash(password)


def password_matches(stored_hash, password):
    """Also costs one verification when there is no such person, so a wrong username takes as long
    as a wrong password and does not tell which usernames exist."""
    try:
        return _HASHER.verify(stored_hash or _NOBODY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def common_passwords():
    """The 10,000 most common passwords (zxcvbn's list, most common first), loaded when a password is
    first checked: the list's module holds some 11 MB that a process importing this module for its
    limits alone (the gateway's pages) need not keep."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    return frozenset(FREQUENCY_LISTS["passwords"][:10_000])


def password_problems(password, username):
    """What is wrong with ``password`` as a sentence a person can act on, or None."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters; a few words in a row are easy to remember."
    lowered = password.lower()
    if lowered in common_passwords() or lowered == (username or "").lower():
        return "This password is among the most common ones (or is the username); choose another."
    return None


def may_manage(actor, municipality, role_asked, coordinated):
    """Admin adds anyone; a coordinator adds non-admin people of the municipalities of the plans it
    coordinates (``coordinated``: that set, its own included)."""
    if role(actor) == "admin":
        return True
    return (role(actor) == "coordinator" and role_asked != "admin" and municipality is not None
            and municipality in coordinated)


def recent_failures(failures, now):
    """The failed logins (ISO times) still inside the lock window."""
    return [f for f in failures if now - datetime.fromisoformat(f) < LOCK_WINDOW]


def locked_until(failures, now):
    """After LOCK_AFTER failures inside the window, the login is locked until the last one + LOCK_FOR."""
    recent = recent_failures(failures, now)
    if len(recent) < LOCK_AFTER:
        return None
    until = max(datetime.fromisoformat(f) for f in recent) + LOCK_FOR
    return until if until > now else None


def actor_of(person):
    """The actor a session stands for: the same shape a token gives, so one access rule set serves."""
    return {"token_id": None, "person_id": person["id"], "username": person["username"],
            "display_name": person.get("display_name"), "role": person["role"], "municipality": person["municipality"]}
