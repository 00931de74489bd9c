"""What two or more health rules share: reading a server setting as a number, and an "off" value."""

from __future__ import annotations

from auditor.catalog.model import Snapshot

OFF = ("false", "off", "0", "no")  # how a boolean setting or storage parameter says "off"


def is_off(value: str | None) -> bool:
    return (value or "").lower() in OFF


def setting_number(snap: Snapshot, name: str, default: float) -> float:
    """A numeric server setting, or the default when it is missing or not a number."""
    try:
        return float(snap.server.settings.get(name, default))
    except ValueError:
        return default
