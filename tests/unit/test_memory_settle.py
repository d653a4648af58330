"""A process hands free memory back once it has grown by some megabytes since it last did."""
from shared import memory


def test_settle_trims_once_the_process_has_grown_and_not_before(monkeypatch):
    trims, resident = [], {"now": 100 * 1024 * 1024}
    monkeypatch.setattr(memory, "_trim", lambda pad: trims.append(pad))
    monkeypatch.setattr(memory, "_resident", lambda: resident["now"])
    monkeypatch.setattr(memory, "_settled", {"resident": resident["now"]})
    memory.settle()
    assert trims == []                                        # not grown
    resident["now"] += memory.GROWTH - 1
    memory.settle()
    assert trims == []
    resident["now"] += 1                                      # grown by GROWTH since the last trim
    memory.settle()
    assert trims == [0] and memory._settled["resident"] == resident["now"]
    memory.settle()
    assert trims == [0]


def test_the_resident_size_is_read_from_the_system():
    assert 10 * 1024 * 1024 < memory._resident() < 4 * 1024 ** 3


def test_a_release_after_big_work_counts_as_the_last_trim(monkeypatch):
    trims, resident = [], {"now": 200 * 1024 * 1024}
    monkeypatch.setattr(memory, "_trim", lambda pad: trims.append(pad))
    monkeypatch.setattr(memory, "_resident", lambda: resident["now"])
    monkeypatch.setattr(memory, "_settled", {"resident": 0})
    memory.release(memory.BIG)
    assert trims == [0] and memory._settled["resident"] == resident["now"]
    memory.settle()
    assert trims == [0]                                       # not grown since that trim: not again
