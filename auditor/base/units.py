"""Sizes as PostgreSQL writes them (`8kB`, `50MB`, `1GB`, `2TB`; 1024-based, as in postgresql.conf), for
the thresholds a DBA types in bytes. Durations are in durations.py."""

from __future__ import annotations

import re

SIZE_UNITS = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?[bB])\s*$")


def size_bytes(text: str) -> int | None:
    """Bytes of a size with a unit (`50MB`, `1.5GB`, `512kB`; the unit's case is forgiven: `50mb`),
    or None when the text is not one. A bare number has no unit and is not read as a size here."""
    m = _SIZE.match(text)
    if not m:
        return None
    unit = m.group(2).upper().replace("KB", "kB")
    value = float(m.group(1)) * SIZE_UNITS[unit]
    return round(value) if value == int(value) else None  # 1.5B is no number of bytes


def format_size(n: int) -> str:
    """A byte count in the largest unit that writes it whole: 5242880 -> 5MB, 1000 -> 1000B."""
    for unit, factor in reversed(SIZE_UNITS.items()):
        if n and n % factor == 0:
            return f"{n // factor}{unit}"
    return f"{n}B"
