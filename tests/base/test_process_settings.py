"""Interpreter settings held during a read are restored once, even when audits overlap in threads."""

from __future__ import annotations

import gc
import sys
import threading

from auditor.base.process import GC_PAUSED, QUICK_SWITCHES, Held


def test_overlapping_holders_restore_the_setting_after_the_last():
    state = {"value": "original"}
    setting = Held(lambda: state["value"], lambda v: state.update(value=v), "held")
    first, second = setting.held(), setting.held()
    first.__enter__()
    second.__enter__()
    assert state["value"] == "held"
    first.__exit__(None, None, None)  # the first audit ends while the second still reads
    assert state["value"] == "held"
    second.__exit__(None, None, None)
    assert state["value"] == "original"


def test_threads_leave_gc_and_switch_interval_as_they_found_them():
    before = sys.getswitchinterval()
    barrier = threading.Barrier(4)
    seen: list[tuple[bool, float]] = []

    def audit() -> None:
        with GC_PAUSED.held(), QUICK_SWITCHES.held():
            barrier.wait()  # all four inside at once
            seen.append((gc.isenabled(), sys.getswitchinterval()))
            barrier.wait()

    threads = [threading.Thread(target=audit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all(not enabled and interval < before for enabled, interval in seen)
    assert gc.isenabled() and sys.getswitchinterval() == before
