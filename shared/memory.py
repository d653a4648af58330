"""Hand back to the system the memory a big piece of work freed.

Python frees a big figuring's objects to the C allocator, which keeps the pages for later: a
process that once figured a plan of 10,000 indicators would stay hundreds of megabytes large.
glibc's ``malloc_trim`` returns the free pages (where there is no glibc, nothing happens)."""
import ctypes
import ctypes.util
import gc
import os
import threading

BIG = 500   # indicators: work on fewer frees too little to be worth a trim
GROWTH = 16 * 1024 * 1024   # bytes a process grows by before ``settle`` hands free memory back

try:
    _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):
    _trim = None


def release(size=BIG):
    """Return free memory to the system after work on ``size`` indicators, if that was big."""
    if _trim is not None and size >= BIG:
        _hand_back(idle=False)


# "resident": the size the last trim left; "floor": the size the last trim left with no work in hand
_settled = {"resident": 0, "floor": 0, "working": 0}
_lock = threading.Lock()


def _resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settle(idle=False):
    """Return free memory to the system once the process has grown by GROWTH: since the last trim
    while work goes on, since the last trim with no work in hand when the process is ``idle``.
    A trim amid big work finds most of it still alive: what the work frees as it ends goes back
    at the next idle settle, however little the process grew after that trim. Services call it
    from a timer and as their last worker ends, the gateway as its last request ends (a
    10,000-indicator plan read is decoded into tens of megabytes, freed after)."""
    if _trim is None:
        return
    try:
        grown = _resident() - _settled["floor" if idle else "resident"] >= GROWTH
    except (OSError, ValueError, IndexError):   # no /proc: nothing to measure by
        return
    if grown:
        _hand_back(idle)


def begin():
    """A piece of work (a worker, a request) starts."""
    with _lock:
        _settled["working"] += 1


def end():
    """A piece of work ends: the last one settles the process as idle."""
    with _lock:
        _settled["working"] = max(0, _settled["working"] - 1)
        idle = _settled["working"] == 0
    settle(idle)


def _hand_back(idle):
    """Trim, and remember the size it left the process at (what ``settle`` compares with). With no
    work in hand, collect first: a big piece of work leaves cycles (a kept plan and its index)
    that only the collector frees."""
    if idle:
        gc.collect()
    _trim(0)
    try:
        after = _resident()
    except (OSError, ValueError, IndexError):
        return
    _settled["resident"] = after
    if idle:
        _settled["floor"] = after
