"""Compiling from several threads at once."""

from __future__ import annotations

import gc
import sys
import threading

import hnncompile
from hnncompile import lower


def test_two_compiles_interleaved_at_the_worst_moment_leave_the_collector_on(
    monkeypatch,
):
    """A pauses the collector; B asks whether it is on (no) just as A
    finishes and turns it back on; B then pauses it, and, believing it was
    off, leaves it off for good. The schedule is forced with events."""
    a_inside, a_may_finish, b_asked, b_may_go = (threading.Event() for _ in range(4))
    real_lower, real_isenabled = lower.lower, gc.isenabled

    def lower_of_a_waits(program, *rest):
        if threading.current_thread().name == "A":
            a_inside.set()
            a_may_finish.wait(10)
        return real_lower(program, *rest)

    def isenabled_of_b_waits() -> bool:
        answer = real_isenabled()
        if threading.current_thread().name == "B":
            b_asked.set()
            b_may_go.wait(10)
        return answer

    monkeypatch.setattr(lower, "lower", lower_of_a_waits)
    monkeypatch.setattr(gc, "isenabled", isenabled_of_b_waits)
    a = threading.Thread(target=hnncompile.compile, args=("a * b",), name="A")
    b = threading.Thread(target=hnncompile.compile, args=("a + b",), name="B")
    try:
        a.start()
        assert a_inside.wait(10)
        b.start()
        b_asked.wait(0.5)  # B may not ask at all: then it cannot get it wrong
        a_may_finish.set()
        a.join(10)
        b_may_go.set()
        b.join(10)
    finally:
        a_may_finish.set()
        b_may_go.set()
        enabled = real_isenabled()
        gc.enable()
    assert enabled


def test_compiling_from_many_threads_leaves_the_garbage_collector_on():
    assert gc.isenabled()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(300):
                hnncompile.compile("a")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    try:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
        enabled = gc.isenabled()
        gc.enable()
    assert not errors
    assert enabled


def test_a_collector_the_user_turned_off_stays_off():
    gc.disable()
    try:
        hnncompile.compile("a * b")
        assert not gc.isenabled()
    finally:
        gc.enable()
    hnncompile.compile("a * b")
    assert gc.isenabled()
