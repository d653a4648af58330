"""A process hands free memory back once it has grown by some megabytes: while work goes on, since
it last did; once the work is done, since it last did with no work in hand (a trim amid big work
finds most of the work's objects still alive)."""
from shared import memory

MB = 1024 * 1024


def _process(monkeypatch, resident):
    """A fake process of ``resident`` bytes, last trimmed (idle) at that size: its trims and size."""
    trims, state = [], {"now": resident, "gives_back": 0}

    def trim(pad):
        trims.append(pad)
        state["now"] -= state["gives_back"]
    monkeypatch.setattr(memory, "_trim", trim)
    monkeypatch.setattr(memory, "_resident", lambda: state["now"])
    monkeypatch.setattr(memory, "_settled", {"resident": resident, "floor": resident, "idle_at": -memory.IDLE_EVERY,
                                             "working": 0})
    return trims, state


def test_settle_trims_once_the_process_has_grown_and_not_before(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    memory.settle()
    assert trims == []                                        # not grown
    state["now"] += memory.GROWTH - 1
    memory.settle()
    assert trims == []
    state["now"] += 1                                         # grown by GROWTH since the last trim
    memory.settle()
    assert trims == [0] and memory._settled["resident"] == state["now"]
    memory.settle()
    assert trims == [0]


def test_what_work_frees_after_a_trim_amid_it_goes_back_once_the_work_ends(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    memory.begin()
    state["now"] += 60 * MB                                   # big work, its objects alive
    memory.settle()                                           # a timer amid it: trims little
    assert trims == [0] and memory._settled["resident"] == 160 * MB
    state["gives_back"] = 50 * MB                             # the work ends and frees its objects
    memory.end()                                              # not grown since that trim, but since the last idle one
    assert trims == [0, 0] and state["now"] == 110 * MB and memory._settled["floor"] == 110 * MB
    memory.begin()
    memory.end()
    assert trims == [0, 0]                                    # nothing grew since: not again


def test_only_the_last_work_to_end_settles_as_idle(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    memory.begin()
    memory.begin()
    state["now"] += 20 * MB
    memory._settled["resident"] = state["now"]                # trimmed amid the work at this size
    memory.end()
    assert trims == []                                        # other work still in hand: not grown since that trim
    memory.end()
    assert trims == [0] and memory._settled["working"] == 0


def test_the_resident_size_is_read_from_the_system():
    assert 10 * MB < memory._resident() < 4 * 1024 ** 3


def test_a_busy_process_trims_when_idle_at_most_so_often(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    clock = {"now": 1000.0}
    monkeypatch.setattr(memory.time, "monotonic", lambda: clock["now"])
    for _ in range(2):   # an event, then idle: each grew the process
        memory.begin()
        state["now"] += memory.GROWTH
        memory.end()
    assert len(trims) == 1                                    # the second idle moment came too soon after
    clock["now"] += memory.IDLE_EVERY
    memory.begin()
    memory.end()
    assert len(trims) == 2                                    # owed, and paid at the next idle moment


def test_a_service_collects_cycles_after_thousands_of_new_objects_not_hundreds():
    import subprocess
    import sys
    # a process of its own: importing the services' entrypoints sets the collector for the process
    found = subprocess.run([sys.executable, "-c", "import gc, shared.entrypoints; print(gc.get_threshold()[0])"],
                           capture_output=True, text=True, check=True).stdout
    assert int(found) == memory.COLLECT_AFTER > 10 * 700
