"""Save a snapshot as versioned JSON and load it back, so an audit can run with no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from auditor.base.errors import SnapshotError
from auditor.base.process import GC_PAUSED
from auditor.catalog.model import SECTIONS, SNAPSHOT_FORMAT, Server, Snapshot, Unavailable, row_fields


def to_dict_head(snap: Snapshot) -> dict[str, Any]:
    """Everything but the catalog sections."""
    return {
        "format": snap.format,
        "tool_version": snap.tool_version,
        "server": {f: getattr(snap.server, f) for f in row_fields(Server)},
        "unavailable": {k: {"reason": v.reason, "grant": v.grant} for k, v in sorted(snap.unavailable.items())},
        "limited": {k: {"reason": v.reason, "grant": v.grant} for k, v in sorted(snap.limited.items())},
        "filters": snap.filters,
    }


def to_dict(snap: Snapshot) -> dict[str, Any]:
    out = to_dict_head(snap)
    for name, cls in SECTIONS.items():
        names = row_fields(cls)
        out[name] = [{f: getattr(row, f) for f in names} for row in getattr(snap, name)]
    return out


def from_dict(data: dict[str, Any]) -> Snapshot:
    if not isinstance(data, dict) or "server" not in data:
        raise SnapshotError("not a pg-auditor snapshot (no 'server' key)")
    if data.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(
            f"snapshot format {data.get('format')!r} is not supported (this pg-auditor reads format {SNAPSHOT_FORMAT})"
        )
    try:
        snap = Snapshot(server=Server(**data["server"]), tool_version=data.get("tool_version", "unknown"))
        for name, cls in SECTIONS.items():
            setattr(snap, name, [cls(**row) for row in data.get(name, [])])
        snap.unavailable = {k: Unavailable(**v) for k, v in data.get("unavailable", {}).items()}
        snap.limited = {k: Unavailable(**v) for k, v in data.get("limited", {}).items()}
        snap.filters = data.get("filters", {})
    except (TypeError, AttributeError, ValueError, KeyError) as exc:  # a section of the wrong shape
        raise SnapshotError(f"snapshot does not match format {SNAPSHOT_FORMAT}: {type(exc).__name__}: {exc}") from None
    return snap


def save(snap: Snapshot, path: Path) -> None:
    """Write the snapshot as JSON, one row per line, streamed section by section: a 10,000-table
    catalog is 250,000 rows, and building the whole document in memory first tripled peak RSS."""
    tmp = path.with_name(path.name + ".partial")
    with tmp.open("w", encoding="utf-8") as fh:
        write(snap, fh)
    tmp.replace(path)


def write(snap: Snapshot, fh: TextIO) -> None:
    """The snapshot's JSON into an open text stream (a file, or stdout for `collect -o -`)."""
    head = to_dict_head(snap)
    keys = sorted([*head, *SECTIONS])
    fh.write("{")
    for n, key in enumerate(keys):
        fh.write(("\n" if n == 0 else ",\n") + json.dumps(key) + ": ")
        if key not in SECTIONS:
            fh.write(json.dumps(head[key], sort_keys=True, ensure_ascii=False))
            continue
        names = row_fields(SECTIONS[key])
        rows = getattr(snap, key)
        fh.write("[")
        for i, row in enumerate(rows):
            fh.write(
                ("\n" if i == 0 else ",\n")
                + json.dumps({f: getattr(row, f) for f in names}, sort_keys=True, ensure_ascii=False)
            )
        fh.write("\n]" if rows else "]")
    fh.write("\n}\n")


def load(path: Path) -> Snapshot:
    with GC_PAUSED.held():  # hundreds of thousands of rows that are kept, not garbage
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SnapshotError(f"snapshot file not found: {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
        return from_dict(data)
