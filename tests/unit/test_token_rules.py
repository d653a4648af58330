"""The registry's token rules (domain.py): which secrets are looked up, who is stopped from
guessing, and which roles go with a municipality, for tokens and people alike."""
import pytest

from services.plan_registry import domain
from shared.errors import InvalidInput, RateLimited


@pytest.mark.parametrize("secret, looked_up", [
    ("ortak_abc", True), ("x" * 200, True), ("x" * 201, False), ("", False), (None, False), (42, False),
    (["ortak_abc"], False)])
def test_only_secrets_of_an_issued_shape_are_looked_up(secret, looked_up):
    assert domain.presented(secret) is looked_up


def test_bad_tokens_are_counted_per_client_by_a_hash_of_its_address():
    key = domain.bad_token_key("10.0.0.1")
    assert key == domain.bad_token_key("10.0.0.1") != domain.bad_token_key("10.0.0.2")
    assert key.startswith("token-failures:") and "10.0.0.1" not in key
    assert domain.bad_token_key(None) == domain.bad_token_key("unknown")


def test_a_client_is_stopped_only_after_more_bad_tokens_than_the_limit():
    for failures in range(domain.BAD_TOKEN_LIMIT + 1):
        domain.refuse_token_guessing(failures, domain.BAD_TOKEN_LIMIT)
    with pytest.raises(RateLimited) as refused:
        domain.refuse_token_guessing(domain.BAD_TOKEN_LIMIT + 1, domain.BAD_TOKEN_LIMIT)
    assert "More than 10 bad tokens a minute" in str(refused.value)
    assert 1 <= refused.value.extra["retry_after"] <= domain.BAD_TOKEN_WINDOW + 1


@pytest.mark.parametrize("role, municipality, detail, message", [
    ("planner", None, "A planner is bound to one municipality.", "Required for this role."),
    ("coordinator", None, "A coordinator is bound to one municipality.", "Required for this role."),
    ("admin", "edremit", "An admin is bound to no municipality.", "Must be null for an admin.")])
def test_a_role_that_does_not_go_with_its_municipality_is_refused(role, municipality, detail, message):
    assert domain.municipality_problem(role, municipality) == (detail, message)
    with pytest.raises(InvalidInput) as refused:
        domain.check_role_and_municipality(role, municipality)
    assert str(refused.value) == detail and refused.value.errors == {"municipality": [message]}


@pytest.mark.parametrize("role, municipality", [
    ("planner", "edremit"), ("coordinator", "balikesir"), ("admin", None), ("viewer", None), ("viewer", "edremit")])
def test_roles_that_go_with_their_municipality_pass(role, municipality):
    assert domain.municipality_problem(role, municipality) is None
    domain.check_role_and_municipality(role, municipality)
