"""Hand back to the system the memory a big piece of work freed.

Python frees a big figuring's objects to the C allocator, which keeps the pages for later: a
process that once figured a plan of 10,000 indicators would stay hundreds of megabytes large.
glibc's ``malloc_trim`` returns the free pages (where there is no glibc, nothing happens).

Each piece of work (a service's worker, a gateway request) is counted from ``begin`` to ``end``;
once the process has had none in hand for IDLE_AFTER seconds, what the work freed goes back. A
timer's ``settle`` hands memory back amid long work too, once the process has grown."""
import ctypes
import ctypes.util
import gc
import os
import threading
import time

# Python's cyclic collector runs after every 700 new container objects by default. Figuring makes
# hundreds of thousands (each reading, each figure a dict), so it ran thousands of times in an
# ingest, its older generations' passes walking every object the process keeps (its plans): a
# quarter of monitoring's time. After every 20,000 it runs a few times; the cycles it frees later
# are a few megabytes at most, and nearly everything figured is freed by reference counting anyway.
COLLECT_AFTER = 20_000
GROWTH = 16 * 1024 * 1024   # bytes a process grows by before it hands free memory back
IDLE_EVERY = 2.0   # seconds: at most one idle trim so often (a busy service is idle between its every event)
# seconds with no work in hand before an idle trim: its full collection (a tenth of a second in a
# process holding a big plan) is not made between one request of a client and its next. Shorter
# than the pauses between a service's most frequent timer (monitoring's carries, every 0.5 s),
# whose runs count as work: at 0.5 s monitoring was never idle and never trimmed
IDLE_AFTER = 0.25

try:
    _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):
    _trim = None

# "resident": the size the last trim left; "floor": the size the last trim left with no work in
# hand; "idle_at": when that was; "working": pieces of work in hand; "quiet_since": when the last
# ended (None: work in hand, or settled since)
_settled = {"resident": 0, "floor": 0, "idle_at": -IDLE_EVERY, "working": 0, "quiet_since": None}
_lock = threading.Lock()
_watcher = {"pid": None}   # the process whose watcher thread runs (a forked worker starts its own)


def tune_collector():
    """Run the cyclic collector after COLLECT_AFTER new objects: at a process's start (services, gateway)."""
    gc.set_threshold(COLLECT_AFTER, *gc.get_threshold()[1:])


def _resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settle(idle=False):
    """Return free memory to the system once the process has grown by GROWTH: since the last trim
    while work goes on, since the last trim with no work in hand when the process is ``idle``. A
    trim amid big work finds most of its objects still alive: what the work frees as it ends goes
    back once the process is idle, however little it grew after that trim."""
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
        _settled["quiet_since"] = None


def end():
    """A piece of work ends: amid others, the process settles if it has grown since its last trim
    (a gateway under steady load is never idle); once the last one has ended, it settles as idle
    when it stays so."""
    with _lock:
        _settled["working"] = max(0, _settled["working"] - 1)
        idle = _settled["working"] == 0
        if idle:
            _settled["quiet_since"] = time.monotonic()
    if not idle:
        settle()
    if _watcher["pid"] != os.getpid():
        _watch()


def settle_if_quiet():
    """Settle as idle if no work has been in hand for IDLE_AFTER seconds, once per such pause and at
    most once in IDLE_EVERY seconds (a pause too soon after the last is settled once that has passed)."""
    with _lock:
        since, now = _settled["quiet_since"], time.monotonic()
        quiet = (_settled["working"] == 0 and since is not None and now - since >= IDLE_AFTER
                 and now - _settled["idle_at"] >= IDLE_EVERY)
        if quiet:
            _settled["quiet_since"] = None
    if quiet:
        settle(idle=True)


def _watch():
    """Start the thread that settles the process once it is quiet (a green thread in a service)."""
    _watcher["pid"] = os.getpid()

    def watch():
        while True:
            time.sleep(IDLE_AFTER / 2)
            try:
                settle_if_quiet()
            except Exception:   # never let the watcher die: the next pause tries again
                pass
    threading.Thread(target=watch, name="memory-settle", daemon=True).start()


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
        _settled["floor"], _settled["idle_at"] = after, time.monotonic()
