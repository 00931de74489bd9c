"""Tunable numbers and lists that rules and analyzers read from the run's settings, never from globals.

Declared where they are used (`X = threshold("key", default, "help")`), read as `X(snap)`; the config
layer validates configured values against the declarations here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Threshold:
    """A tunable number or list a check reads from the run's settings (config file or CLI), never a global."""

    key: str
    default: Any
    help: str
    check: Callable[[Any], str | None] | None = None  # what is wrong with a configured value, or None

    def __call__(self, snap: Any) -> Any:
        return snap.settings.get(self.key, self.default)


THRESHOLDS: dict[str, Threshold] = {}


def threshold(key: str, default: Any, help: str, check: Callable[[Any], str | None] | None = None) -> Threshold:
    if key in THRESHOLDS:
        raise ValueError(f"threshold {key} declared twice")
    THRESHOLDS[key] = Threshold(key, default, help, check)
    return THRESHOLDS[key]
