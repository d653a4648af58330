"""Callers first: background work gives way to the requests a caller is waiting for.

A green thread keeps the CPU until it waits for I/O, so an event's figuring (tens of milliseconds
of computing between store calls) holds up every request that reaches the process meanwhile.
Background work calls ``give_way()`` between its steps: it pauses while the process answers
requests, for a bounded time so that a steady stream of them does not starve it.
"""
import contextlib
import contextvars
import time

import eventlet

_answering = set()   # the green threads answering a caller now
_holding = contextvars.ContextVar("ortak_holding", default=False)


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
