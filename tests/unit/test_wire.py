"""The services' JSON on the wire: orjson's where it can, kombu's markers read back as kombu reads them."""
import datetime
import decimal

from shared import wire


def test_plain_values_round_trip_from_bytes_and_from_text():
    value = {"readings": [{"indicator": "G1.1", "value": 12.5, "note": "Körfez"}], "n": 3}
    text = wire.dumps(value)
    assert wire.loads(text) == value
    assert wire.loads(text.decode()) == value


def test_what_only_kombu_writes_is_read_back_as_the_value_it_stands_for():
    value = {"at": datetime.datetime(2026, 12, 7, 10, 30), "amount": decimal.Decimal("1.50"), "half": "\ud800"}
    text = wire.dumps(value)
    assert b"__type__" in text if isinstance(text, bytes) else "__type__" in text
    back = wire.loads(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    assert back["at"] == datetime.datetime(2026, 12, 7, 10, 30)
    assert back["half"] == "\ud800"
