"""The JSON of RPC and event messages, written and read by orjson.

kombu's own JSON is the standard library's, and nameko writes every RPC answer twice (once to
check that it can, once to send it): a district's 1,000-indicator progress took a quarter of its
answer's time in writing JSON. This is the same JSON on the wire (``application/json``, UTF-8), so
a process without it reads what one with it writes. What orjson does not write as kombu would (a
date, a Decimal, bytes) is written as kombu writes it, and read back by kombu's reader, which turns
those markers into the values they stand for; so is what orjson cannot write or read at all (a
string holding half a surrogate pair). An infinite number or NaN is written as null (the gateway
takes none), an integer over 64 bits read back as a float (Ortak sends none).
"""
import kombu.serialization
import orjson
from kombu.utils import json as kombu_json

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_default = kombu_json.JSONEncoder().default
MARKER = "__type__"
MARKER_BYTES = MARKER.encode()   # looked for in a message's bytes as they came, not decoded first


def dumps(value):
    try:
        return orjson.dumps(value, default=_default, option=OPTIONS)
    except TypeError:   # what orjson cannot write: as kombu writes it
        return kombu_json.dumps(value)


def loads(text):
    if (MARKER if isinstance(text, str) else MARKER_BYTES) in text:
        return kombu_json.loads(text)   # a value kombu wrote as {"__type__": ..., "__value__": ...}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:   # what only kombu writes (half a surrogate pair, Infinity)
        return kombu_json.loads(text)


def register():
    kombu.serialization.registry.register("json", dumps, loads, content_type="application/json",
                                          content_encoding="utf-8")
