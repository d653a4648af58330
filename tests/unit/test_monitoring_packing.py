"""The figures' big parts are stored packed: what is unpacked is what was packed."""
from services.monitoring.models import Slice, pack, unpack, unpacked


def test_packed_figures_come_back_as_they_were():
    figures = [{"code": "PG1.1.1", "name": "Kişi başı yeşil alan", "C": 12.5, "D": None, "capped": 100.0,
                "missing": False, "missing_periods": ["۱۴۰۳-H1"], "reason": None}]
    packed = pack(figures)
    assert isinstance(packed, bytes) and len(packed) < len(repr(figures))
    assert unpack(packed) == figures


def test_a_document_stored_before_packing_reads_as_it_is():
    old = {"_id": "p:2025:edremit", "indicators": [{"code": "PG1"}], "objectives": [], "rev": 2}
    assert unpacked(old, Slice.PACKED) == old
    assert unpacked({**old, "indicators": pack(old["indicators"])}, Slice.PACKED) == old


def test_a_value_packed_by_an_earlier_release_reads_as_it_was():
    """Releases before Zstandard packed with zlib: their stored figures still read, and a value
    packed now is Zstandard."""
    import zlib

    import orjson

    from services.monitoring.models import ZSTD_FRAME
    figures = {"PG1.1.1": {"value": 12.5, "approved_at": "2026-07-01T10:00:00Z"}}
    assert unpack(zlib.compress(orjson.dumps(figures), 1)) == figures
    assert pack(figures)[:4] == ZSTD_FRAME and unpack(pack(figures)) == figures
