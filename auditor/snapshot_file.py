"""Save a snapshot as versioned JSON and load it back, so an audit can run with no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.errors import SnapshotError
from auditor.model import SECTIONS, SNAPSHOT_FORMAT, Server, Snapshot, Unavailable, row_fields


def to_dict(snap: Snapshot) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": snap.format,
        "tool_version": snap.tool_version,
        "server": {f: getattr(snap.server, f) for f in row_fields(Server)},
    }
    for name, cls in SECTIONS.items():
        names = row_fields(cls)
        out[name] = [{f: getattr(row, f) for f in names} for row in getattr(snap, name)]
    out["unavailable"] = {k: {"reason": v.reason, "grant": v.grant} for k, v in sorted(snap.unavailable.items())}
    if snap.limited:
        out["limited"] = {k: {"reason": v.reason, "grant": v.grant} for k, v in sorted(snap.limited.items())}
    out["filters"] = snap.filters
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
    except TypeError as exc:
        raise SnapshotError(f"snapshot does not match format {SNAPSHOT_FORMAT}: {exc}") from None
    return snap


def save(snap: Snapshot, path: Path) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(to_dict(snap), indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def load(path: Path) -> Snapshot:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"snapshot file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
    return from_dict(data)
