"""Callers first: background work gives way to the requests a caller is waiting for.

A green thread keeps the CPU until it waits for I/O, so an event's figuring (tens of milliseconds
of computing between store calls) holds up every request that reaches the process meanwhile.
Background work calls ``give_way()`` between its steps: it pauses while the process answers
requests, for a bounded time so that a steady stream of them does not starve it. A request that
needs what some background work is about to write waits for it instead (``under_way``, ``wait_for``),
and that work does not give way to it meanwhile.
"""
import contextlib
import contextvars
import time

import eventlet
from eventlet.event import Event

_answering = set()   # the green threads answering a caller now
_holding = contextvars.ContextVar("ortak_holding", default=False)
_under_way = {}   # key -> [how many pieces of background work on it, the Event sent when the last ends]


def answering():
    """The worker now running answers a caller (an RPC): until ``answered()``."""
    _answering.add(eventlet.getcurrent())


def answered():
    _answering.discard(eventlet.getcurrent())


def _in_hand():
    """Whether callers are being answered: a worker that died before its end (nameko skips the
    teardown when sending the reply fails) is not counted."""
    for thread in [t for t in _answering if t.dead]:
        _answering.discard(thread)
    return bool(_answering)


@contextlib.contextmanager
def holding():
    """Within it the worker holds what an answer may wait for (a claim on a period's figuring): it
    does not give way, or the answer would wait for it while it waits for the answer."""
    token = _holding.set(True)
    try:
        yield
    finally:
        _holding.reset(token)


def give_way(most=0.1):
    """Pause while other workers of this process answer callers, at most ``most`` seconds; at once
    when the caller is itself answering one, or holds what an answer may wait for."""
    if _holding.get() or eventlet.getcurrent() in _answering:
        return
    deadline = time.monotonic() + most
    while _in_hand() and time.monotonic() < deadline:
        eventlet.sleep(0.002)


@contextlib.contextmanager
def under_way(key):
    """Background work on ``key`` (say, a plan's period being figured): ``wait_for(key)`` waits for it."""
    entry = _under_way.setdefault(key, [0, Event()])
    entry[0] += 1
    try:
        yield
    finally:
        entry[0] -= 1
        if entry[0] == 0:
            del _under_way[key]
            entry[1].send()


@contextlib.contextmanager
def _waiting():
    """The caller waits for background work: that work does not give way to it meanwhile."""
    current = eventlet.getcurrent()
    answering = current in _answering
    _answering.discard(current)
    try:
        yield
    finally:
        if answering:
            _answering.add(current)


def wait_for(key, most):
    """Wait, at most ``most`` seconds, until no background work on ``key`` is under way; that work
    does not give way to this caller meanwhile (it waits for the work, not the work for it)."""
    entry = _under_way.get(key)
    if entry is None:
        return
    with _waiting(), eventlet.Timeout(most, False):
        entry[1].wait()


def pause(seconds):
    """Sleep while work elsewhere (another process) is awaited: this process's background work goes
    on meanwhile, as for ``wait_for``."""
    with _waiting():
        eventlet.sleep(seconds)
