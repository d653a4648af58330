"""A process hands free memory back once it has grown by some megabytes: while work goes on, since
it last did; once the work is done and none came for a moment, since it last did with no work in
hand (a trim amid big work finds most of the work's objects still alive)."""
import os
import time

from shared import memory

MB = 1024 * 1024
CLOCK = time.monotonic   # the real one: the fake processes below set their own


def _process(monkeypatch, resident):
    """A fake process of ``resident`` bytes, last trimmed (idle) at that size: its trims, size and
    clock (``state["clock"]``); no watcher thread, the test calls settle_if_quiet itself."""
    trims, state = [], {"now": resident, "gives_back": 0, "clock": 1000.0}

    def trim(pad):
        trims.append(pad)
        state["now"] -= state["gives_back"]
    monkeypatch.setattr(memory, "_trim", trim)
    monkeypatch.setattr(memory, "_resident", lambda: state["now"])
    monkeypatch.setattr(memory, "_settled", {"resident": resident, "floor": resident, "idle_at": -memory.IDLE_EVERY,
                                             "working": 0, "quiet_since": None})
    monkeypatch.setattr(memory, "_watcher", {"pid": os.getpid()})
    monkeypatch.setattr(memory.time, "monotonic", lambda: state["clock"])
    return trims, state


def _pause(state, seconds=memory.IDLE_AFTER):
    """No work for ``seconds``, and the watcher looks."""
    state["clock"] += seconds
    memory.settle_if_quiet()


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
    memory.end()
    assert trims == [0]                                       # not at once: the next request may come
    _pause(state, memory.IDLE_AFTER / 2)
    assert trims == [0]
    _pause(state, memory.IDLE_AFTER / 2)                      # not grown since that trim, but since the last idle one
    assert trims == [0, 0] and state["now"] == 110 * MB and memory._settled["floor"] == 110 * MB
    state["clock"] += memory.IDLE_EVERY
    memory.begin()
    memory.end()
    _pause(state)
    assert trims == [0, 0]                                    # nothing grew since: not again


def test_a_process_never_idle_still_trims_as_its_work_ends_once_it_has_grown(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    memory.begin()
    memory.begin()
    state["now"] += memory.GROWTH - 1
    memory.end()
    assert trims == []
    memory.begin()
    state["now"] += 1                                         # grown since the last trim, other work in hand
    memory.end()
    assert trims == [0] and memory._settled["working"] == 1


def test_work_that_comes_within_the_pause_puts_the_idle_trim_off(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    memory.begin()
    state["now"] += memory.GROWTH
    memory.end()
    _pause(state, memory.IDLE_AFTER / 2)
    memory.begin()                                            # a client's next request
    _pause(state, memory.IDLE_AFTER)
    assert trims == []                                        # work in hand: no idle trim
    memory.end()
    _pause(state, memory.IDLE_AFTER / 2)
    assert trims == []
    _pause(state, memory.IDLE_AFTER / 2)
    assert trims == [0]
    _pause(state)
    assert trims == [0]                                       # once per pause


def test_only_the_last_work_to_end_settles_as_idle(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    memory.begin()
    memory.begin()
    state["now"] += 20 * MB
    memory._settled["resident"] = state["now"]                # trimmed amid the work at this size
    memory.end()
    _pause(state)
    assert trims == []                                        # other work still in hand: not grown since that trim
    memory.end()
    _pause(state)
    assert trims == [0] and memory._settled["working"] == 0


def test_the_resident_size_is_read_from_the_system():
    assert 10 * MB < memory._resident() < 4 * 1024 ** 3


def test_a_busy_process_trims_when_idle_at_most_so_often(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    for _ in range(2):   # an event, then a pause: each grew the process
        memory.begin()
        state["now"] += memory.GROWTH
        memory.end()
        _pause(state)
    assert len(trims) == 1                                    # the second pause came too soon after
    _pause(state, memory.IDLE_EVERY)
    assert len(trims) == 2                                    # owed, and paid once that time has passed


def test_a_process_settles_by_itself_once_its_work_pauses(monkeypatch):
    trims, state = _process(monkeypatch, 100 * MB)
    monkeypatch.setattr(memory.time, "monotonic", CLOCK)   # the real clock, and the real watcher
    monkeypatch.setattr(memory, "_watcher", {"pid": None})
    monkeypatch.setattr(memory, "IDLE_AFTER", 0.05)
    memory.begin()
    state["now"] += memory.GROWTH
    memory.end()
    deadline = CLOCK() + 5
    while not trims and CLOCK() < deadline:
        time.sleep(0.01)
    assert trims == [0] and memory._watcher["pid"] == os.getpid()


def test_a_service_collects_cycles_after_thousands_of_new_objects_not_hundreds():
    import subprocess
    import sys
    # a process of its own: importing the services' entrypoints sets the collector for the process
    found = subprocess.run([sys.executable, "-c", "import gc, shared.entrypoints; print(gc.get_threshold()[0])"],
                           capture_output=True, text=True, check=True).stdout
    assert int(found) == memory.COLLECT_AFTER > 10 * 700


def test_every_service_timer_leaves_pauses_long_enough_for_an_idle_trim():
    """A timer's run is work: one that runs more often than IDLE_AFTER (and the watcher's look
    after it) would keep its process from ever being idle, and from handing memory back."""
    import importlib
    import inspect

    from nameko.timer import Timer
    intervals = {}
    for name in ("plan_registry", "consultation", "monitoring", "requests", "programme"):
        module = importlib.import_module(f"services.{name}.service")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            for method_name, method in inspect.getmembers(cls):
                for entrypoint in getattr(method, "nameko_entrypoints", ()):
                    if isinstance(entrypoint, Timer):
                        intervals[f"{name}.{method_name}"] = entrypoint.interval
    assert "monitoring.carry_forward" in intervals and "monitoring.settle_memory" in intervals
    shortest = min(intervals, key=intervals.get)
    assert intervals[shortest] >= memory.IDLE_AFTER * 1.5 + 0.05, shortest   # the watcher looks every IDLE_AFTER / 2
