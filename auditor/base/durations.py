"""Durations as PostgreSQL writes them (`500ms`, `60s`, `2min`, a bare number of milliseconds), checked
before connecting. PostgreSQL reads 0 as "no limit": an audit's limits are its safety, so turning one
off takes the word `off`, and `0` is refused rather than silently disabling it."""

from __future__ import annotations

import re

from auditor.base.errors import ConfigError

_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$")
OFF = "off"


def duration_ms(text: str) -> float | None:
    """Milliseconds of a PostgreSQL duration (bare numbers are milliseconds), 0 for off; None if unreadable."""
    if text.strip().lower() == OFF:
        return 0
    m = _DURATION.match(text)
    if not m:
        return None
    return float(m.group(1)) * _UNITS_MS[m.group(2) or "ms"]


def check_timeout(option: str, text: str) -> str:
    """The value to give PostgreSQL for a timeout option: validated, `off` as 0, never an accidental 0."""
    value = text.strip()
    if value.lower() == OFF:
        return "0"
    ms = duration_ms(value)
    if ms is None:
        raise ConfigError(f"{option}: {text!r} is not a duration (e.g. 500ms, 60s, 2min, or off for no limit)")
    if ms == 0:
        raise ConfigError(f"{option} 0 would turn the limit off: write {option} off if that is meant")
    if ms < 1:
        raise ConfigError(f"{option}: {text!r} is under a millisecond")
    return value
