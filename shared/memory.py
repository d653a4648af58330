"""Hand back to the system the memory a big piece of work freed.

Python frees a big figuring's objects to the C allocator, which keeps the pages for later: a
process that once figured a plan of 10,000 indicators would stay hundreds of megabytes large.
glibc's ``malloc_trim`` returns the free pages (where there is no glibc, nothing happens)."""
import ctypes
import ctypes.util
import os

BIG = 500   # indicators: work on fewer frees too little to be worth a trim
GROWTH = 16 * 1024 * 1024   # bytes a process grows by before ``settle`` hands free memory back

try:
    _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):
    _trim = None


def release(size=BIG):
    """Return free memory to the system after work on ``size`` indicators, if that was big."""
    if _trim is not None and size >= BIG:
        _hand_back()


_settled = {"resident": 0}


def _resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settle():
    """Return free memory to the system once the process has grown by GROWTH since it last did: a
    service's timer and the gateway's requests call it, for the big answers and plans no figuring
    call names (a 10,000-indicator plan read is decoded into tens of megabytes, freed after)."""
    if _trim is None:
        return
    try:
        grown = _resident() - _settled["resident"] >= GROWTH
    except (OSError, ValueError, IndexError):   # no /proc: nothing to measure by
        return
    if grown:
        _hand_back()


def _hand_back():
    """Trim, and remember the size it left the process at (what ``settle`` compares with)."""
    _trim(0)
    try:
        _settled["resident"] = _resident()
    except (OSError, ValueError, IndexError):
        pass
