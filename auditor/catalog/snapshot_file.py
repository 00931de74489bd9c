"""Save a snapshot as versioned JSON and load it back, so an audit can run with no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from auditor.base.errors import SnapshotError
from auditor.base.process import GC_PAUSED
from auditor.catalog.model import SECTIONS, SNAPSHOT_FORMAT, Server, Snapshot, Strings, Unavailable, row_fields


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


_BATCH = 1000


class _Layout(Exception):
    """The file is not laid out as `write` lays it out (or not a snapshot at all): read it whole instead."""


def _streamed(fh: TextIO) -> Snapshot:
    """A snapshot read as `write` lays it out, one row per line, each row built as its line is read: the
    document is never held whole (a 10,000-table catalog is 127 MB of text, and twice that as dicts).
    Anything else raises _Layout; so does any error, which the whole-document reading then says."""
    if fh.readline() != "{\n":
        raise _Layout
    strings = Strings()
    head: dict[str, Any] = {}
    sections: dict[str, list[Any]] = {}
    try:
        for line in fh:
            if line.rstrip("\n") == "}":
                break
            key, sep, rest = line.partition(": ")
            key = json.loads(key)
            rest = rest.rstrip("\n").removesuffix(",")
            if not sep or not isinstance(key, str):
                raise _Layout
            if key not in SECTIONS or rest != "[":
                head[key] = json.loads(rest)
                continue
            cls, rows, batch = SECTIONS[key], sections.setdefault(key, []), []
            keys: tuple[str, ...] | None = None  # what to share, from the first batch
            for line in fh:
                end = line.startswith("]")
                if not end:
                    batch.append(line.rstrip("\n").removesuffix(","))
                if end or len(batch) == _BATCH:  # one decoding per batch of rows: half the time of one per row
                    decoded = json.loads(f"[{','.join(batch)}]")
                    keys = Strings.repeating(decoded) if keys is None else keys
                    rows += [cls(**row) for row in strings.rows(decoded, keys)]
                    batch.clear()
                if end:
                    break
            else:
                raise _Layout
        else:
            raise _Layout
    except (ValueError, TypeError, AttributeError, KeyError):
        raise _Layout from None
    if head.get("format") != SNAPSHOT_FORMAT or not isinstance(head.get("server"), dict):
        raise _Layout
    for name, value in head.items():
        if name in SECTIONS and value != []:
            raise _Layout
    try:
        snap = from_dict(head)  # the head's checks, and the sections it holds: empty
    except SnapshotError:
        raise _Layout from None
    for name, rows in sections.items():
        setattr(snap, name, rows)
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
            with path.open(encoding="utf-8", newline="\n") as fh:
                return _streamed(fh)
        except _Layout:
            pass  # hand-made or hand-edited: read whole, which also says what is wrong with it
        except FileNotFoundError:
            raise SnapshotError(f"snapshot file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SnapshotError(f"snapshot file not found: {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
        return from_dict(data)
