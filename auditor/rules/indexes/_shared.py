"""What two or more index rules share: index families, drop/recreate SQL, key signatures (the statistics window
and page size live in rules/common, which the health rules read too)."""

from __future__ import annotations

import re
from typing import Any

from auditor.analysis.notnull import not_null_columns
from auditor.base.names import qualified, quote_ident
from auditor.base.text import sql_comment
from auditor.catalog.model import Index, Snapshot, Table
from auditor.rules.common import (  # noqa: F401  (the index rules read these from here too)
    INDEX_STATS_MIN_DAYS,
    StatsWindow,
    block_size,
    leads_with,
    parse_time,
    stats_window,
)
from auditor.rules.guarded import drop_index_guarded_sql
from auditor.rules.registry import threshold

INDEX_MIN_BYTES = threshold(
    "index_min_bytes", 1024 * 1024, "indexes smaller than this are not worth a finding in size-driven index rules"
)


def serves_lookup(i: Index, columns: list[str]) -> bool:
    """Can the index serve `WHERE col1 = $1 AND ...` on exactly these columns (the lookup behind a foreign key)?"""
    if not i.is_valid:
        return False
    if i.method == "hash":
        return i.predicate is None and i.columns == columns
    if i.method != "btree" or not leads_with(i, columns):
        return False
    if i.predicate is None:
        return True
    implied = not_null_columns(i.predicate)  # `col IS NOT NULL` terms: the lookup `col = $1` implies them
    return implied is not None and set(implied) <= set(columns)


def user_indexes(snap: Snapshot) -> list[tuple[Table, Index]]:
    """Top-level indexes (not a partition's attached copy) on the application's tables, sorted by name."""
    return snap.once("user_indexes", lambda: _user_indexes(snap))


def _user_indexes(snap: Snapshot) -> list[tuple[Table, Index]]:
    out = []
    for t in snap.user_tables:
        for i in snap.indexes_of.get(t.oid, []):
            if i.parent_index_oid is None or i.parent_index_oid not in snap.index_by_oid:
                out.append((t, i))
    return sorted(out, key=lambda ti: (ti[0].schema, ti[0].name, ti[1].name))


def family(i: Index, children: dict[int, list[Index]]) -> list[Index]:
    """The index and every index attached below it (a partitioned index's per-partition copies)."""
    out, stack = [], [i]
    while stack:
        cur = stack.pop()
        out.append(cur)
        stack.extend(children.get(cur.oid, []))
    return out


def family_usage(snap: Snapshot, members: list[Index]) -> list[Any]:
    """Usage counters of an index and its partition copies (pg_stat_user_indexes has no row for a parent)."""
    return [snap.usage_of[m.oid] for m in members if m.oid in snap.usage_of]


def index_bytes(snap: Snapshot, members: list[Index]) -> int:
    return sum(m.bytes if m.bytes is not None else m.relpages * block_size(snap) for m in members)


def concurrently(definition: str) -> str:
    """pg_get_indexdef output as a CREATE INDEX CONCURRENTLY (for a plain table's index)."""
    return re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX CONCURRENTLY ", definition, count=1)


def recreate_sql(i: Index) -> str:
    """The statement that brings a dropped index back."""
    if i.is_partitioned:
        return i.definition.replace(" ON ONLY ", " ON ", 1) + ";"
    return concurrently(i.definition) + ";"


def _fk_users_note(snap: Snapshot, t: Table, i: Index) -> str:
    """A comment naming the foreign keys that look their rows up through this (unique) index: they block
    its drop, and must be re-pointed first."""
    users = sorted(
        f"{snap.table_by_oid[c.table_oid].qualified}.{quote_ident(c.name)}"
        for c in snap.foreign_keys_by_index.get(i.oid, [])
        if c.parent_oid is None and c.table_oid in snap.table_by_oid
    )
    if not users:
        return ""
    return (
        f"-- foreign keys rely on this index and block the drop; re-point them first: {sql_comment(', '.join(users))}\n"
    )


def drop_index_sql(snap: Snapshot, t: Table, i: Index) -> str:
    """DROP that runs as-is, for an index that enforces nothing and that nothing replaces (unused, or
    useless): CONCURRENTLY IF EXISTS on a plain table; a constraint's index goes with its constraint.
    Foreign keys that reference through this (unique) index block the drop: they are named first."""
    if i.constraint_name:
        sql = f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(i.constraint_name)};"
    elif i.is_partitioned:
        sql = (
            f"-- a partitioned index cannot be dropped CONCURRENTLY: this locks {t.qualified} and its partitions\n"
            f"DROP INDEX IF EXISTS {qualified(t.schema, i.name)};"
        )
    else:
        sql = f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(t.schema, i.name)};"
    return _fk_users_note(snap, t, i) + sql


def drop_kept_elsewhere_sql(snap: Snapshot, t: Table, i: Index, keep: list[str]) -> str:
    """DROP of an index another one replaces (a twin, a wider index, a partial or GIN index the fix builds
    first): guarded.drop_index_guarded_sql, which drops it only once the replacement (`keep`, index_there
    conditions) is there and valid when the fix runs, and never one a constraint, replica identity or
    foreign key needs. The drop runs in the check's block, so without CONCURRENTLY."""
    note = f"-- dropped inside the check, not CONCURRENTLY: a brief lock on {t.qualified} (lock_timeout 5s if unset)\n"
    return _fk_users_note(snap, t, i) + note + drop_index_guarded_sql(t, i, keep)


def keep_rank(i: Index) -> tuple[int, int, str]:
    """Which of two equivalent indexes to keep: primary key, unique constraint, unique index, then plain."""
    if i.is_primary:
        kind = 0
    elif i.constraint_type == "u":
        kind = 1
    elif i.constraint_name:
        kind = 2
    elif i.is_unique:
        kind = 3
    else:
        kind = 4
    return (kind, 0 if i.is_valid else 1, i.name)


def sort_order(options: list[int], n: int) -> tuple[int, ...]:
    """The key order up to a backward scan: (a DESC NULLS FIRST) reads as (a) backwards, so both map to
    the same tuple (indoption bit 1 is DESC, bit 2 NULLS FIRST; inverting every key flips both)."""
    opts = tuple(options[:n])
    return min(opts, tuple(o ^ 3 for o in opts))


def key_signature(i: Index) -> tuple[Any, ...]:
    """What makes two indexes answer the same lookups: method, keys, opclasses, collations, order, predicate."""
    n = i.key_count
    return (
        i.method,
        tuple(i.keys),
        tuple(i.opclasses[:n]),
        tuple(i.collations[:n]),
        sort_order(i.options, n) if i.method == "btree" else tuple(i.options[:n]),
        i.predicate or "",
        i.nulls_not_distinct,
    )


def duplicate_groups(snap: Snapshot) -> list[tuple[Table, Index, list[Index]]]:
    """(table, index kept, indexes that duplicate it) for every set of identical valid indexes.

    A partition's attached copy of its parent's index takes part (a local index on the partition can
    repeat it) and is kept first, since it cannot be dropped alone; attached copies are never reported:
    their parents are. Built once per snapshot: IDX002 reports the groups, IDX003 leaves them out."""
    return snap.once("duplicate_groups", lambda: _duplicate_groups(snap))


def _duplicate_groups(snap: Snapshot) -> list[tuple[Table, Index, list[Index]]]:
    same_keys: dict[tuple[int, tuple[str, ...]], list[tuple[Table, Index]]] = {}
    for t in snap.user_tables:
        for i in snap.indexes_of.get(t.oid, []):
            if i.is_valid and not i.is_exclusion:
                same_keys.setdefault((t.oid, tuple(i.keys)), []).append((t, i))
    groups: dict[tuple[int, tuple[Any, ...]], list[tuple[Table, Index]]] = {}
    for candidates in same_keys.values():
        if len(candidates) < 2:
            continue  # duplicates share their table and keys: only those that do need the full signature
        for t, i in candidates:
            key = (t.oid, (*key_signature(i), tuple(sorted(i.include_columns))))
            groups.setdefault(key, []).append((t, i))
    out = []
    for members in groups.values():
        ranked = sorted((i for _, i in members), key=lambda i: (i.parent_index_oid is None, keep_rank(i)))
        dups = [i for i in ranked[1:] if i.parent_index_oid is None]
        if dups:
            out.append((members[0][0], ranked[0], dups))
    return sorted(out, key=lambda g: (g[0].schema, g[0].name, g[1].name))


def sole_fk_cover(snap: Snapshot, t: Table, i: Index) -> list[str]:
    """Foreign keys on t that only this index serves (dropping it would make IDX001 fire)."""
    out = []
    for con in snap.constraints_of.get(t.oid, []):
        if con.type != "f" or con.parent_oid is not None or not serves_lookup(i, con.columns):
            continue
        if not any(o.oid != i.oid and serves_lookup(o, con.columns) for o in snap.indexes_of.get(t.oid, [])):
            out.append(con.name)
    return sorted(out)


def droppable(i: Index) -> bool:
    """An index that enforces nothing: valid, not unique, backing no constraint."""
    return i.is_valid and not i.is_unique and not i.constraint_name and not i.is_exclusion


def table_stats(snap: Snapshot, t: Table) -> list[Any]:
    """Activity counters of a table, or of every leaf partition of a partitioned one."""
    parts = snap.leaf_partitions(t) if t.is_partitioned else [t]
    return [snap.stats_of[p.oid] for p in parts if p.oid in snap.stats_of]


NO_STATS = "no index has planner statistics for its keys (run ANALYZE, or let this role read the tables' pg_stats)"
