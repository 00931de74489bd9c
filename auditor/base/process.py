"""Process-wide interpreter settings an audit changes while it reads, and restores after.

A fleet runs audits in threads of one process, so a setting is changed when the first audit needs it
and restored when the last one is done, never by one audit under another's feet.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Held:
    """A setting held at `value` while at least one caller is inside `held()`."""

    def __init__(self, read: Callable[[], Any], write: Callable[[Any], Any], value: Any) -> None:
        self.read, self.write, self.value = read, write, value
        self.lock = threading.Lock()
        self.holders = 0
        self.saved: Any = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self.lock:
            if self.holders == 0:
                self.saved = self.read()
                self.write(self.value)
            self.holders += 1
        try:
            yield
        finally:
            with self.lock:
                self.holders -= 1
                if self.holders == 0:
                    self.write(self.saved)


def _set_gc(enabled: bool) -> None:
    if enabled:
        # What was allocated meanwhile (the snapshot) still sits in the youngest generation: the next
        # young collection would walk all of it. Frozen, cyclic collection leaves it alone for good;
        # reference counting still frees it when the snapshot is dropped.
        gc.freeze()
        gc.enable()
    else:
        gc.disable()


# No cyclic garbage collection while rows are built and rules run: the snapshot's objects (750,000 on
# the M benchmark) are kept, not garbage, yet each full collection walked every one of them again
# (half the client's CPU while reading rows; 2-4 collections of 0.25 s while the rules ran). Rules
# build acyclic data that reference counting frees; collection resumes after.
GC_PAUSED = Held(gc.isenabled, _set_gc, False)

# The fetch thread needs the GIL each time a piece of a result arrives; at the default 5 ms switch
# interval a main thread busy building rows or running rules delays every read, and the server
# stalls on a full socket.
QUICK_SWITCHES = Held(sys.getswitchinterval, sys.setswitchinterval, 0.0005)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim  # glibc; elsewhere there is none, and nothing to do
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim() if sys.platform.startswith("linux") else None


def give_back() -> None:
    """Return the C heap's free pages to the system (glibc's malloc_trim). A query's result is tens of
    MB of C memory, freed once its rows are built; glibc keeps such pages (the reader thread's arena
    above all) and Python's own allocator cannot reuse them: 60 MB of a 10,000-table audit's peak."""
    if _TRIM is not None:
        _TRIM(0)
