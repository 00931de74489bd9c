"""Progress of long work, said by the layers that do it and shown by whoever listens (the command line).

A layer calls `step(stage, detail, done, total)` as it starts or finishes a piece of work: "connect",
"read" (one catalog section stored, `done` of `total`), "rules", "write", "target" (one database of a
fleet finished). Nobody listening (the Python API, the tests) costs one empty-list check. The listeners
are process-wide, not per thread, so a fleet's worker threads reach the display the command line set up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    stage: str
    detail: str = ""
    done: int | None = None
    total: int | None = None


Listener = Callable[[Step], None]

_LISTENERS: list[Listener] = []


def step(stage: str, detail: str = "", done: int | None = None, total: int | None = None) -> None:
    """Say that work of `stage` starts (or, with done/total, how far it is)."""
    if _LISTENERS:
        event = Step(stage, detail, done, total)
        for listener in list(_LISTENERS):
            listener(event)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send every step to `listener` while the block runs."""
    _LISTENERS.append(listener)
    try:
        yield
    finally:
        _LISTENERS.remove(listener)
