"""Schema drift between two runs: which tables, columns, indexes, constraints and policies came or went.

A run keeps a digest of object identities (schema-qualified names, nothing else), small enough to
store with every run in the history. Partitions are left out: pg_partman creates and drops them
every night by design, and listing them would bury the one table somebody dropped by hand.
Objects of extension schemas (partman's own tables) are left out for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.base.names import qualified
from auditor.catalog.model import Snapshot

KINDS = ("tables", "columns", "indexes", "constraints", "policies")
DIGEST_VERSION = 1


def digest(snap: Snapshot) -> dict[str, Any]:
    """Object identities by kind, each a sorted list of display names."""
    tables = {t.oid: t for t in snap.user_tables if not t.is_partition}
    # Names repeat (tenant_id in every table, one schema for hundreds): quote each one once.
    quoted: dict[str | None, str] = {}

    def q(name: str) -> str:
        out = quoted.get(name)
        if out is None:
            out = quoted[name] = qualified(None, name)
        return out

    table_names: dict[int, str] = {}
    schema_names: dict[int, str] = {}
    out: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for oid, t in tables.items():
        table_names[oid] = name = f"{q(t.schema)}.{q(t.name)}"
        schema_names[oid] = t.schema
        label = "partitioned table" if t.is_partitioned else ("foreign table" if t.kind == "f" else "table")
        out["tables"].append(f"{name} ({label})" if label != "table" else name)
    members: tuple[tuple[str, list[Any], Callable[[str, Any, int], str]], ...] = (
        ("columns", snap.columns, lambda t, c, _: f"{t}.{q(c.name)} {c.type}"),
        ("indexes", snap.indexes, lambda t, i, oid: f"{q(schema_names[oid])}.{q(i.name)} on {t}"),
        ("constraints", snap.constraints, lambda t, k, _: f"{q(k.name)} on {t}"),
        ("policies", snap.policies, lambda t, p, _: f"{q(p.name)} on {t}"),
    )
    for kind, rows, name in members:
        found = out[kind]
        for row in rows:
            oid = row.table_oid
            t = table_names.get(oid)
            if t is not None:
                found.append(name(t, row, oid))
    return {"version": DIGEST_VERSION, **{kind: sorted(set(names)) for kind, names in out.items()}}


def compare(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, dict[str, list[str]]] | None:
    """{"added": {kind: [names]}, "dropped": {kind: [names]}}; None when either side has no digest.

    A column whose type changed shows as dropped with the old type and added with the new one,
    which is how a DBA reads an ALTER COLUMN ... TYPE in a diff anyway.
    """
    if not old or not new or old.get("version") != new.get("version"):
        return None
    added: dict[str, list[str]] = {}
    dropped: dict[str, list[str]] = {}
    for kind in KINDS:
        before, after = set(old.get(kind) or []), set(new.get(kind) or [])
        if after - before:
            added[kind] = sorted(after - before)
        if before - after:
            dropped[kind] = sorted(before - after)
    gone_tables = {name.split(" (")[0] for name in dropped.get("tables", [])}
    new_tables = {name.split(" (")[0] for name in added.get("tables", [])}
    # A dropped table takes its columns, indexes, constraints and policies with it: say it once.
    for side, tables in ((dropped, gone_tables), (added, new_tables)):
        for kind in ("columns", "indexes", "constraints", "policies"):
            if kind in side:
                kept = [n for n in side[kind] if not _belongs(n, kind, tables)]
                if kept:
                    side[kind] = kept
                else:
                    del side[kind]
    return {"added": added, "dropped": dropped}


def _belongs(name: str, kind: str, tables: set[str]) -> bool:
    if not tables:
        return False
    if kind == "columns":
        return any(name.startswith(t + ".") for t in tables)
    return name.rsplit(" on ", 1)[-1] in tables
