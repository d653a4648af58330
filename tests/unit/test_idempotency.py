"""An Idempotency-Key's fingerprint: a retry of the same body replays, another body is refused,
and a fingerprint a release before stored still tells them apart."""
import hashlib
import json

import pytest

from shared import idempotency
from shared.errors import InvalidInput

BODY = {"readings": [{"indicator": "G1.1", "municipality": "ayvalik", "period": "2025-H1", "value": 12.5,
                      "note": "Körfez kıyısı"}]}


def test_the_same_body_in_another_key_order_has_the_same_fingerprint():
    again = {"readings": [dict(reversed(list(BODY["readings"][0].items())))]}
    assert idempotency.fingerprint(again) == idempotency.fingerprint(BODY)
    assert idempotency.fingerprint({**BODY, "x": 1}) != idempotency.fingerprint(BODY)


def test_a_retry_replays_and_another_body_is_refused():
    stored = idempotency.fingerprint(BODY)
    assert idempotency.replay(stored, BODY, {"batch": "b1"}) == {"batch": "b1"}
    with pytest.raises(InvalidInput) as refused:
        idempotency.replay(stored, {"readings": []}, {"batch": "b1"})
    assert "Idempotency-Key" in refused.value.errors


def test_a_fingerprint_stored_by_the_release_before_still_replays_its_body():
    before = hashlib.sha256(json.dumps(BODY, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert before != idempotency.fingerprint(BODY)
    assert idempotency.replay(before, BODY, "first answer") == "first answer"
    with pytest.raises(InvalidInput):
        idempotency.replay(before, {"readings": []}, "first answer")


def test_a_body_orjson_cannot_write_has_a_fingerprint_too():
    huge = {"readings": [{"value": 2 ** 70}]}
    assert idempotency.replay(idempotency.fingerprint(huge), huge, "ok") == "ok"
    assert idempotency.fingerprint(huge) != idempotency.fingerprint({"readings": [{"value": 2 ** 71}]})
