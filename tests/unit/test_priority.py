"""Callers first: background work in a service process waits while the process answers callers,
for a bounded time, and never for itself."""
import time

import eventlet

from shared import priority


def _answer(seconds, order):
    priority.answering()
    order.append("answering")
    eventlet.sleep(seconds)
    order.append("answered")
    priority.answered()


def test_background_work_gives_way_until_the_answers_in_hand_are_sent():
    order = []
    answers = [eventlet.spawn(_answer, 0.05, order), eventlet.spawn(_answer, 0.1, order)]
    eventlet.sleep(0)   # both have started
    priority.give_way(most=1.0)   # well past the answers: the default (0.1 s) would race the second
    order.append("figuring")
    for answer in answers:
        answer.wait()
    assert order == ["answering", "answering", "answered", "answered", "figuring"]
    started = time.monotonic()
    priority.give_way()   # nothing answered now: on at once
    assert time.monotonic() - started < 0.01


def test_a_steady_stream_of_answers_does_not_starve_it():
    order = []
    answer = eventlet.spawn(_answer, 1.0, order)
    eventlet.sleep(0)
    started = time.monotonic()
    priority.give_way(most=0.05)
    waited = time.monotonic() - started
    assert 0.04 <= waited < 0.5 and order == ["answering"]
    answer.kill()


def test_an_answer_whose_worker_died_before_its_end_is_not_waited_for():
    order = []
    answer = eventlet.spawn(_answer, 1.0, order)
    eventlet.sleep(0)
    answer.kill()   # as when sending the reply fails: nameko then skips the worker's teardown
    assert order == ["answering"]
    started = time.monotonic()
    priority.give_way()
    assert time.monotonic() - started < 0.01 and not priority._answering


def test_an_answer_that_figures_on_the_spot_does_not_wait_for_itself():
    priority.answering()
    try:
        started = time.monotonic()
        priority.give_way()
        assert time.monotonic() - started < 0.01
    finally:
        priority.answered()
    assert not priority._answering


def test_a_worker_holding_what_an_answer_waits_for_does_not_give_way():
    order = []
    answer = eventlet.spawn(_answer, 1.0, order)
    eventlet.sleep(0)
    started = time.monotonic()
    with priority.holding():
        priority.give_way()   # the answer may be waiting for this worker's claim
    assert time.monotonic() - started < 0.01
    priority.give_way(most=0.02)   # once released, it gives way again
    assert time.monotonic() - started >= 0.015
    answer.kill()


def _figure(key, steps, order):
    with priority.under_way(key):
        for _ in range(steps):
            priority.give_way(most=1.0)   # a waiting reader is not an answer it gives way to
            eventlet.sleep(0.01)
        order.append("figured")


def test_an_answer_needing_what_is_being_figured_waits_for_it_and_it_does_not_give_way():
    order = []
    figuring = eventlet.spawn(_figure, ("plan", "2026-H1"), 5, order)
    eventlet.sleep(0)
    priority.answering()
    try:
        started = time.monotonic()
        priority.wait_for(("plan", "2026-H1"), most=1.0)
        waited = time.monotonic() - started
        order.append("read")
        assert order == ["figured", "read"] and 0.04 <= waited < 0.5
        assert eventlet.getcurrent() in priority._answering   # answering again once it has waited
        started = time.monotonic()
        priority.wait_for(("plan", "2026-H1"), most=1.0)   # nothing under way now: at once
        priority.wait_for(("plan", "2026-H2"), most=1.0)
        assert time.monotonic() - started < 0.01
    finally:
        priority.answered()
    figuring.wait()
    assert not priority._under_way


def test_a_wait_for_what_is_being_figured_is_bounded():
    order = []
    figuring = eventlet.spawn(_figure, "key", 100, order)
    eventlet.sleep(0)
    started = time.monotonic()
    priority.wait_for("key", most=0.05)
    assert 0.04 <= time.monotonic() - started < 0.5 and order == []
    figuring.kill()
