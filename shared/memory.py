"""Hand back to the system the memory a big piece of work freed.

Python frees a big figuring's objects to the C allocator, which keeps the pages for later: a
process that once figured a plan of 10,000 indicators would stay hundreds of megabytes large.
glibc's ``malloc_trim`` returns the free pages (where there is no glibc, nothing happens)."""
import ctypes
import ctypes.util

BIG = 500   # indicators: work on fewer frees too little to be worth a trim

try:
    _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):
    _trim = None


def release(size=BIG):
    """Return free memory to the system after work on ``size`` indicators, if that was big."""
    if _trim is not None and size >= BIG:
        _trim(0)
