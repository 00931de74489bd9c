"""Index checks (IDX): foreign keys without an index, duplicates, invalid and unused indexes, bloat."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditor.base.names import column_list, index_name, qualified, quote_ident, quote_literal
from auditor.catalog.model import FK_ACTIONS, Index, IndexStats, Snapshot, Table
from auditor.rules.common import (
    LARGE_TABLE_ROWS,
    SMALL_TABLE_ROWS,
    TENANT_COLUMNS,
    constraint_obj,
    create_index_sql,
    human_bytes,
    index_obj,
    leads_with,
    plain_btree,
    table_obj,
)
from auditor.rules.registry import Hit, Skip, rule, threshold

INDEX_STATS_MIN_DAYS = threshold(
    "index_stats_min_days", 7, "usage statistics younger than this many days leave usage-based rules not evaluated"
)
UNUSED_INDEX_DAYS = threshold(
    "unused_index_days", 35, "PostgreSQL 16+: an index whose last scan is older than this many days counts as unused"
)
INDEX_MIN_BYTES = threshold(
    "index_min_bytes", 1024 * 1024, "indexes smaller than this are not worth a finding in size-driven index rules"
)
SEQ_SCAN_MIN_ROWS = threshold("seq_scan_min_rows", 10_000, "tables with fewer estimated rows are never seq-scan heavy")
SEQ_SCAN_MIN_COUNT = threshold("seq_scan_min_count", 100, "sequential scans a table needs before it can be flagged")
SEQ_SCAN_MAX_INDEX_SHARE = threshold(
    "seq_scan_max_index_share", 0.95, "a table whose share of index scans is under this is read mostly sequentially"
)
SEQ_SCAN_MIN_ROWS_PER_SCAN = threshold(
    "seq_scan_min_rows_per_scan", 1_000, "average rows a sequential scan must read (LIMIT probes read few)"
)
INDEX_BLOAT_MIN_BYTES = threshold("index_bloat_min_bytes", 50 * 1024 * 1024, "estimated wasted bytes worth a rebuild")
INDEX_BLOAT_MIN_PERCENT = threshold("index_bloat_min_percent", 30, "estimated wasted share of an index worth a rebuild")
LOW_CARDINALITY_MAX_DISTINCT = threshold(
    "low_cardinality_max_distinct", 3, "a single-column index on a column with at most this many values is suspect"
)
WRITE_HEAVY_MAX_INDEXES = threshold(
    "write_heavy_max_indexes", 8, "indexes from which a write-heavy table counts as over-indexed"
)
WRITE_HEAVY_MIN_WRITES = threshold(
    "write_heavy_min_writes", 100_000, "rows written (inserted, updated, deleted) before a table can be write-heavy"
)
PARTIAL_INDEX_NULL_FRACTION = threshold(
    "partial_index_null_fraction", 0.5, "share of NULLs in an index's leading column from which a partial index pays"
)


_NOT_NULL_TERM = re.compile(r'^\(*\s*("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s+IS\s+NOT\s+NULL\s*\)*$', re.I)


def not_null_columns(predicate: str) -> set[str] | None:
    """The columns of a predicate made only of `col IS NOT NULL` terms joined by AND; None otherwise."""
    out: set[str] = set()
    for term in re.split(r"\s+AND\s+", predicate.strip()):
        m = _NOT_NULL_TERM.match(term.strip())
        if not m:
            return None
        name = m.group(1)
        out.add(name[1:-1].replace('""', '"') if name.startswith('"') else name)
    return out


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
    implied = not_null_columns(i.predicate)
    return implied is not None and implied <= set(columns)


def why_not_serving(i: Index, columns: list[str]) -> str:
    """Why an index holding a foreign key's columns still cannot serve its lookups."""
    if not i.is_valid:
        return "invalid"
    if not leads_with(i, columns):
        return "the key columns do not lead"
    if i.predicate is not None:
        return f"partial: WHERE {i.predicate}"
    return f"{i.method}, not btree"


@rule(
    "IDX001",
    "unindexed-foreign-key",
    severity="medium",
    subject="constraint",
    requires=("constraints", "indexes"),
    population="foreign_keys",
)
def unindexed_foreign_key(snap: Snapshot) -> Iterator[Hit]:
    """Foreign key with no index leading with its columns.

    ## Why is this bad?
    Deleting or updating a referenced row makes PostgreSQL look up the referencing rows. With no
    index leading with the foreign key's columns that is a sequential scan of the referencing table
    per parent row, under a lock: ON DELETE CASCADE and SET NULL turn one delete into many scans.
    Joins from parent to child suffer the same way.

    ## What counts as covered
    A valid btree index whose first columns are exactly the key's columns, in any order, with no
    predicate or only `col IS NOT NULL` on key columns (the lookup `col = $1` implies it, so the
    planner uses such an index for the check). A hash index on exactly a one-column key also serves
    the lookup. Any other partial index, an invalid one (failed CREATE INDEX CONCURRENTLY) or one
    where the key columns come after another column does not count. A partitioned table is judged
    on its parent.

    ## Example
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers ON DELETE CASCADE);
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY invoices_customer_id_idx ON invoices (customer_id);
    ```
    When an index already leads with the tenant column and then the key column, a tenant-scoped
    composite foreign key `(org_id, customer_id) REFERENCES customers (org_id, id)` uses it and also
    stops rows of one tenant pointing at another tenant's rows.
    """
    tenant_names = TENANT_COLUMNS(snap)
    large, small = LARGE_TABLE_ROWS(snap), SMALL_TABLE_ROWS(snap)
    user = {t.oid for t in snap.user_tables}
    for con in snap.constraints:
        if con.type != "f" or con.parent_oid is not None or con.table_oid not in user:
            continue
        table = snap.table_by_oid[con.table_oid]
        indexes = snap.indexes_of.get(table.oid, [])
        if any(serves_lookup(i, con.columns) for i in indexes):
            continue
        ref = snap.table_by_oid.get(con.ref_table_oid or 0)
        rows = snap.estimated_rows(table)
        on_delete = FK_ACTIONS.get(con.on_delete or "a", "NO ACTION")
        cascades = con.on_delete in ("c", "n", "d")
        if rows >= large or (cascades and rows >= small * 10):
            severity = "high"
        elif rows < small and not cascades:
            severity = "low"
        else:
            severity = "medium"
        evidence = {
            "columns": con.columns,
            "references": f"{ref.qualified}({column_list(con.ref_columns)})" if ref else None,
            "on_delete": on_delete,
            "estimated_rows": rows,
            "table_size": human_bytes(snap.total_bytes(table)),
        }
        near = {i.name: why_not_serving(i, con.columns) for i in indexes if set(con.columns) <= set(i.columns)}
        if near:
            evidence["indexes_with_these_columns_that_do_not_serve_it"] = [
                f"{name} ({why})" for name, why in sorted(near.items())
            ]
        fix = create_index_sql(snap, table, con.columns)
        tenant = next(
            (
                i
                for name in tenant_names
                for i in indexes
                if plain_btree(i)
                and i.columns[:1] == [name]
                and leads_with(i, [name, *con.columns])
                and name not in con.columns
            ),
            None,
        )
        if tenant is not None and ref is not None:
            tcol = tenant.columns[0]
            evidence["tenant_index"] = tenant.name
            fix = (
                f"-- {tenant.name} leads with {tcol} then the key: a tenant-scoped composite key uses it and keeps\n"
                f"-- rows from pointing at another tenant's rows (needs UNIQUE ({tcol}, "
                f"{column_list(con.ref_columns)}) on {ref.qualified}):\n"
                f"ALTER TABLE {table.qualified} ADD CONSTRAINT {con.name}_tenant FOREIGN KEY "
                f"({column_list([tcol, *con.columns])}) REFERENCES {ref.qualified} "
                f"({column_list([tcol, *con.ref_columns])}) NOT VALID;\n"
                f"ALTER TABLE {table.qualified} VALIDATE CONSTRAINT {con.name}_tenant;\n"
                f"-- or, keeping the key as it is:\n{fix}"
            )
        yield Hit(
            obj=constraint_obj(table, con),
            message=(
                f"foreign key {con.name} ({column_list(con.columns)}) has no index leading with its columns"
                + (f"; ON DELETE {on_delete} scans {table.qualified} for every deleted parent row" if cascades else "")
            ),
            evidence=evidence,
            fix=fix,
            severity=severity,
        )


# ---- shared helpers for the index rules ---------------------------------------------------------


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


def block_size(snap: Snapshot) -> int:
    return int(snap.server.settings.get("block_size") or 8192)


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


def definition_on(i: Index, table: Table, target: Table, name: str) -> str | None:
    """The index's definition rewritten for another name and table (a partition), CONCURRENTLY where allowed."""
    d = i.definition
    for marker in (f" ON ONLY {table.qualified} USING ", f" ON {table.qualified} USING "):
        at = d.find(marker)
        if at >= 0:
            rest = d[at + len(marker) - len(" USING ") :]
            unique = "UNIQUE " if d.startswith("CREATE UNIQUE ") else ""
            conc = "" if target.is_partitioned else "CONCURRENTLY "
            return f"CREATE {unique}INDEX {conc}{quote_ident(name)} ON {target.qualified}{rest}"
    return None


def drop_index_sql(snap: Snapshot, t: Table, i: Index) -> str:
    """DROP that runs as-is: CONCURRENTLY on a plain table; a constraint's index goes with its constraint.
    Foreign keys that reference through this (unique) index block the drop: they are named first."""
    if i.constraint_name:
        sql = f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(i.constraint_name)};"
    elif i.is_partitioned:
        sql = (
            f"-- a partitioned index cannot be dropped CONCURRENTLY: this locks {t.qualified} and its partitions\n"
            f"DROP INDEX {qualified(t.schema, i.name)};"
        )
    else:
        sql = f"DROP INDEX CONCURRENTLY {qualified(t.schema, i.name)};"
    users = sorted(
        f"{snap.table_by_oid[c.table_oid].qualified}.{c.name}"
        for c in snap.foreign_keys_by_index.get(i.oid, [])
        if c.parent_oid is None and c.table_oid in snap.table_by_oid
    )
    if users:
        sql = f"-- foreign keys rely on this index and block the drop; re-point them first: {', '.join(users)}\n{sql}"
    return sql


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


def kept_because(i: Index) -> str:
    if i.is_primary:
        return "backs the primary key"
    if i.constraint_name:
        return f"backs constraint {i.constraint_name}"
    if i.is_unique:
        return "is unique"
    return "sorts first by name"


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


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    out = dt.datetime.fromisoformat(value)
    return out if out.tzinfo else out.replace(tzinfo=dt.UTC)


@dataclass
class StatsWindow:
    since: str
    days: float
    basis: str

    def evidence(self) -> dict[str, Any]:
        return {
            "statistics_since": self.since,
            "statistics_age_days": round(self.days, 1),
            "statistics_basis": self.basis,
        }


def stats_window(snap: Snapshot) -> StatsWindow:
    """How long the usage counters have been counting; Skip (not evaluated) when too short to judge."""
    collected = parse_time(snap.server.collected_at) or dt.datetime.now(dt.UTC)
    if snap.server.stats_reset:
        since, basis = snap.server.stats_reset, "pg_stat_database.stats_reset"
    elif snap.server.postmaster_start:
        since = snap.server.postmaster_start
        basis = "server start: statistics never reset, so this is a lower bound of their age"
    else:
        raise Skip("the age of the usage statistics is unknown", not_evaluated=True)
    start = parse_time(since)
    assert start is not None
    window = StatsWindow(since, (collected - start).total_seconds() / 86400, basis)
    minimum = INDEX_STATS_MIN_DAYS(snap)
    if window.days < minimum:
        raise Skip(
            f"usage statistics cover {window.days:.1f} days (since {since}, {basis}); "
            f"at least {minimum} are needed (threshold index_stats_min_days)",
            not_evaluated=True,
        )
    return window


def index_sizes(snap: Snapshot, a: Index, b: Index, children: dict[int, list[Index]]) -> dict[str, str]:
    return {
        a.name: human_bytes(index_bytes(snap, family(a, children))),
        b.name: human_bytes(index_bytes(snap, family(b, children))),
    }


# ---- IDX002 duplicate indexes -------------------------------------------------------------------


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


@rule("IDX002", "duplicate-index", severity="medium", subject="index", requires=("indexes",), population="indexes")
def duplicate_index(snap: Snapshot) -> Iterator[Hit]:
    """Index identical to another index on the same table.

    ## Why is this bad?
    Two indexes with the same method, keys (columns or expressions), operator classes, collations,
    sort order, INCLUDE columns and predicate answer exactly the same queries. The second one is
    pure cost: every INSERT, every non-HOT UPDATE and every DELETE's vacuum writes both, both take
    cache and disk, and both slow down backups and replicas. A plain index that repeats a PRIMARY
    KEY or UNIQUE constraint is the most common case (`id bigint PRIMARY KEY` plus `CREATE INDEX ON
    t (id)`, often from an ORM migration).

    ## Which one is kept
    The one backing the primary key, then a unique constraint, then another constraint, then a
    unique index, then a plain one; between equals, the first by name. Partition copies of a
    partitioned index are judged once, on the parent. Invalid indexes are IDX004's business.

    ## Example
    ```sql
    CREATE TABLE accounts (id bigint PRIMARY KEY, email text UNIQUE);
    CREATE INDEX accounts_id_idx ON accounts (id);
    CREATE UNIQUE INDEX accounts_email_key2 ON accounts (email);
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY accounts_id_idx;
    DROP INDEX CONCURRENTLY accounts_email_key2;
    ```
    A duplicate that backs a constraint is dropped with `ALTER TABLE ... DROP CONSTRAINT`; foreign
    keys that use its index must be re-pointed first (the fix says which).
    """
    children = snap.attached_indexes_of
    for t, keep, dups in duplicate_groups(snap):
        for d in dups:
            yield Hit(
                obj=index_obj(t, d),
                message=(
                    f"index {d.name} duplicates {keep.name} (same keys, method, operator classes and predicate); "
                    f"keep {keep.name}, which {kept_because(keep)}"
                ),
                evidence={
                    "duplicate": d.definition,
                    "kept": keep.definition,
                    "sizes": index_sizes(snap, d, keep, children),
                },
                fix=f"{drop_index_sql(snap, t, d)}\n-- undo: {recreate_sql(d)}",
            )


# ---- IDX003 redundant (left-prefix) indexes -------------------------------------------------------


def covers_prefix(a: Index, b: Index) -> bool:
    """b serves every lookup a serves: same method and predicate, a's keys are a left prefix of b's."""
    if a.oid == b.oid or not b.is_valid or b.is_exclusion or a.method != "btree" or b.method != "btree":
        return False
    n = a.key_count
    if n > b.key_count or (a.predicate or "") != (b.predicate or ""):
        return False
    sa, sb = key_signature(a), key_signature(b)
    if any(x[:n] != y[:n] for x, y in zip(sa[1:4], sb[1:4], strict=True)):
        return False
    if sort_order(a.options, n) != sort_order(b.options, n):
        return False
    carried = {c for c in b.columns if c} | set(b.include_columns)
    if not set(a.include_columns) <= carried:
        return False
    return n < b.key_count or set(a.include_columns) < set(b.include_columns)


@rule("IDX003", "redundant-index", severity="low", subject="index", requires=("indexes",), population="indexes")
def redundant_index(snap: Snapshot) -> Iterator[Hit]:
    """Index whose keys are a left prefix of another index's keys.

    ## Why is this bad?
    A btree index on `(a, b)` serves every lookup and sort an index on `(a)` serves, so `(a)` costs
    writes, cache and disk for nothing the longer index cannot do. Almost always an index added
    before (or after) a composite index, by hand or by an ORM.

    ## What is not redundant
    A unique index or one that backs a constraint (it enforces uniqueness on fewer columns); a
    partial index unless the longer index has the very same predicate; a full index next to a
    partial one; indexes with different operator classes, collations or sort order on the shared
    keys; an index whose INCLUDE columns the longer one does not carry; other access methods.
    When the longer index is much wider (see `sizes`), a lookup on `a` alone reads more pages
    through it: keep the short one if that lookup is the hot path.

    ## Example
    ```sql
    CREATE INDEX orders_customer_idx ON orders (customer_id);
    CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY orders_customer_idx;
    ```
    """
    children = snap.attached_indexes_of
    dropped = {d.oid for _, _, dups in duplicate_groups(snap) for d in dups}
    by_first_key: dict[tuple[int, str], list[Index]] = {}  # a covering index starts with the same key
    for t, i in user_indexes(snap):
        by_first_key.setdefault((t.oid, i.keys[0]), []).append(i)
    for t, a in user_indexes(snap):
        if a.oid in dropped or not a.is_valid or a.is_unique or a.constraint_name or a.method != "btree":
            continue
        covering = [b for b in by_first_key[(t.oid, a.keys[0])] if b.oid not in dropped and covers_prefix(a, b)]
        if not covering:
            continue
        b = min(covering, key=lambda x: (x.key_count, keep_rank(x)))
        a_bytes, b_bytes = index_bytes(snap, family(a, children)), index_bytes(snap, family(b, children))
        evidence: dict[str, Any] = {"redundant": a.definition, "covered_by": b.definition}
        evidence["sizes"] = {a.name: human_bytes(a_bytes), b.name: human_bytes(b_bytes)}
        if len(covering) > 1:
            evidence["also_covered_by"] = sorted(x.name for x in covering if x.oid != b.oid)
        message = f"index {a.name} ({', '.join(a.keys)}) is a left prefix of {b.name} ({', '.join(b.keys)})"
        if a_bytes and b_bytes > 3 * a_bytes:
            message += f"; {b.name} is {b_bytes / a_bytes:.0f}x larger, so keep {a.name} if lookups on its keys are hot"
        yield Hit(
            obj=index_obj(t, a),
            message=message,
            evidence=evidence,
            fix=f"{drop_index_sql(snap, t, a)}\n-- undo: {recreate_sql(a)}",
            severity="medium" if a_bytes >= 100 * 1024 * 1024 else None,
        )


# ---- IDX004 invalid indexes ------------------------------------------------------------------------


@rule("IDX004", "invalid-index", severity="high", subject="index", requires=("indexes",), population="indexes")
def invalid_index(snap: Snapshot) -> Iterator[Hit]:
    """Invalid index, left by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY.

    ## Why is this bad?
    When `CREATE INDEX CONCURRENTLY` fails (a deadlock, a cancelled statement, a duplicate value for
    a unique index) it leaves the index behind, marked invalid. The planner never uses it, yet once
    it is "ready" every write still maintains it, and an invalid unique index still rejects
    duplicates. Migrations that believe the index exists run slow queries; a later `CREATE INDEX IF
    NOT EXISTS` silently keeps the broken one. `REINDEX CONCURRENTLY` leaves `_ccnew`/`_ccold`
    indexes the same way. (A partitioned index left invalid by `ON ONLY` is reported by PAR007,
    with the partitions that lack it.)

    An index being built by a running `CREATE INDEX CONCURRENTLY` is also invalid until it
    finishes: tables with a build in progress (`pg_stat_progress_create_index`) are left out; a
    role without pg_read_all_stats cannot see other users' builds, so the fix says to check.

    ## Example
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
    -- ERROR: could not create unique index ... Key (email)=(a@x) is duplicated.
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY users_email_key;            -- not wanted, or leftover _ccnew/_ccold
    REINDEX INDEX CONCURRENTLY users_email_key;          -- wanted (fix duplicates first if unique)
    ```
    """
    building = {b.table_oid for b in snap.index_builds}
    for t, i in user_indexes(snap):
        if i.is_valid or t.oid in building:
            continue  # an index being built right now is invalid until the build finishes
        evidence: dict[str, Any] = {"definition": i.definition, "ready": i.is_ready}
        if i.is_partitioned:
            continue  # an invalid partitioned index is PAR007's, with the partitions that lack it
        leftover = re.search(r"_cc(new|old)\d*$", i.name) is not None
        evidence["bytes"] = human_bytes(index_bytes(snap, [i]))
        drop = f"DROP INDEX CONCURRENTLY {qualified(t.schema, i.name)};"
        if leftover:
            message = f"index {i.name} is an invalid leftover of a failed REINDEX CONCURRENTLY"
            fix = drop
        else:
            what = "unique index" if i.is_unique else "index"
            message = f"{what} {i.name} is invalid (a failed CREATE INDEX CONCURRENTLY?): the planner never uses it"
            if i.is_ready:
                message += ", yet every write still maintains it"
            fix = (
                "-- first make sure it is not being built right now: SELECT * FROM pg_stat_progress_create_index;\n"
                + ("-- unique: remove the duplicate values first, or the rebuild fails again\n" if i.is_unique else "")
                + f"REINDEX INDEX CONCURRENTLY {qualified(t.schema, i.name)};\n-- or, if it is not wanted:\n{drop}"
            )
        yield Hit(
            obj=index_obj(t, i),
            message=message,
            evidence=evidence,
            fix=fix,
            severity="high" if i.is_ready or i.is_unique else "medium",
        )


# ---- IDX005 unused indexes ---------------------------------------------------------------------------


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


@rule(
    "IDX005",
    "unused-index",
    severity="low",
    subject="index",
    requires=("indexes", "index_usage"),
    population="indexes",
)
def unused_index(snap: Snapshot) -> Iterator[Hit]:
    """Index never scanned since the usage statistics were reset.

    ## Why is this bad?
    An index nobody reads still costs on every write (and stops HOT updates when its columns
    change), takes disk, cache, backup and replication bandwidth, and lengthens every VACUUM.

    ## How it is judged
    `pg_stat_user_indexes.idx_scan` is 0 for the index and, for a partitioned index, for every
    partition's copy; on PostgreSQL 16+ an index whose `last_idx_scan` is older than
    `unused_index_days` (35) also counts. Indexes that back a primary key, unique or exclusion
    constraint, unique indexes (they enforce something even unread), the only index serving a
    foreign key's lookups (IDX001 would fire), invalid indexes (IDX004) and indexes under
    `index_min_bytes` (1 MB) are left out. The finding gives the size and the statistics' age;
    with statistics younger than `index_stats_min_days` (7) the rule is *not evaluated*.

    Counters are per server: an index unused on the primary may serve queries on a replica, and a
    monthly report may need it once a month. Counters start at zero after a `pg_restore`, a
    failover, a crash or `pg_stat_reset()`. Look at the replicas and the calendar before dropping.

    ## Example
    ```sql
    CREATE INDEX orders_legacy_ref_idx ON orders (legacy_ref);  -- idx_scan = 0 for months
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY orders_legacy_ref_idx;
    ```
    The finding's fix also carries the statement that recreates it.
    """
    window = stats_window(snap)
    children = snap.attached_indexes_of
    collected = parse_time(snap.server.collected_at) or dt.datetime.now(dt.UTC)
    max_days = UNUSED_INDEX_DAYS(snap)
    min_bytes = INDEX_MIN_BYTES(snap)
    for t, i in user_indexes(snap):
        if not droppable(i):
            continue
        members = family(i, children)
        usage = family_usage(snap, members)
        if not usage:
            continue  # no counters for it (a partitioned index without partitions, or unreadable)
        size = index_bytes(snap, members)
        if size < min_bytes:
            continue
        scans = sum(u.idx_scan for u in usage)
        last = max((u.last_idx_scan for u in usage if u.last_idx_scan), default=None)
        last_at = parse_time(last)
        idle_days = (collected - last_at).total_seconds() / 86400 if last_at else None
        if scans and (idle_days is None or idle_days < max_days):
            continue
        fks = sole_fk_cover(snap, t, i)
        if fks:
            continue
        evidence: dict[str, Any] = {"definition": i.definition, "size": human_bytes(size), "idx_scan": scans}
        if last:
            evidence["last_idx_scan"] = last
        evidence |= window.evidence()
        tstats = table_stats(snap, t)
        if tstats:
            evidence["table_seq_scan"] = sum(s.seq_scan for s in tstats)
            evidence["table_idx_scan"] = sum(s.idx_scan or 0 for s in tstats)
            evidence["table_writes"] = sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del for s in tstats)
        if snap.server.in_recovery:
            evidence["note"] = "collected on a standby: these counters say nothing about the primary"
        if scans:
            message = f"index {i.name} ({human_bytes(size)}) was last scanned {idle_days:.0f} days ago"
        else:
            span = f"{window.days:.0f} days" if window.days >= 1 else "less than a day"
            message = f"index {i.name} ({human_bytes(size)}) has not been scanned in {span} of statistics"
        yield Hit(
            obj=index_obj(t, i),
            message=message,
            evidence=evidence,
            fix=f"{drop_index_sql(snap, t, i)}\n-- undo: {recreate_sql(i)}",
            severity="medium" if size >= 100 * 1024 * 1024 else None,
        )


# ---- IDX006 tables read mostly by sequential scans -----------------------------------------------------


@rule(
    "IDX006",
    "seq-scan-heavy-table",
    severity="medium",
    subject="table",
    requires=("tables", "table_stats"),
    population="tables",
)
def seq_scan_heavy_table(snap: Snapshot) -> Iterator[Hit]:
    """Large table read mostly by sequential scans: a missing index.

    ## Why is this bad?
    A query that filters a large table on a column no index leads with reads the whole table, every
    time. Few index scans against many sequential scans that each read many rows is the signal (the
    one pghero calls "missing indexes"): a table of `seq_scan_min_rows` (10,000) estimated rows or
    more, at least `seq_scan_min_count` (100) sequential scans, under `seq_scan_max_index_share`
    (95 %) of its scans through an index, and sequential scans that read at least
    `seq_scan_min_rows_per_scan` (1,000) rows on average (a `LIMIT 1` probe reads few and is
    harmless). Partitions count toward their partitioned parent. With statistics younger than
    `index_stats_min_days` the rule is *not evaluated*.

    Batch jobs, `pg_dump` and analytics legitimately read whole tables; the counters cannot tell
    them apart from a missing index, so the fix is a query that finds the statements first.

    ## Example
    ```sql
    -- 40 000 rows, 12 000 sequential scans, 30 index scans:
    SELECT * FROM invoices WHERE external_id = $1;   -- external_id has no index
    ```

    ## Fix
    ```sql
    SELECT calls, round(total_exec_time) AS total_ms, rows, query
    FROM pg_stat_statements WHERE query ILIKE '%invoices%' ORDER BY total_exec_time DESC LIMIT 20;
    CREATE INDEX CONCURRENTLY invoices_external_id_idx ON invoices (external_id);
    ```
    """
    window = stats_window(snap)
    min_rows, min_count = SEQ_SCAN_MIN_ROWS(snap), SEQ_SCAN_MIN_COUNT(snap)
    max_share, per_scan_min = SEQ_SCAN_MAX_INDEX_SHARE(snap), SEQ_SCAN_MIN_ROWS_PER_SCAN(snap)
    large = LARGE_TABLE_ROWS(snap)
    for t in sorted(snap.user_tables, key=lambda x: (x.schema, x.name)):
        if t.is_partition or t.kind not in ("r", "p"):
            continue
        rows = snap.estimated_rows(t)
        if rows < min_rows:
            continue
        stats = table_stats(snap, t)
        seq = sum(s.seq_scan for s in stats)
        idx = sum(s.idx_scan or 0 for s in stats)
        read = sum(s.seq_tup_read for s in stats)
        if seq < min_count:
            continue
        share = idx / (seq + idx)
        per_scan = read / seq
        if share >= max_share or per_scan < per_scan_min:
            continue
        evidence: dict[str, Any] = {
            "seq_scan": seq,
            "seq_tup_read": read,
            "rows_per_seq_scan": round(per_scan),
            "idx_scan": idx,
            "index_scan_share": round(share, 4),
            "estimated_rows": rows,
            "table_size": human_bytes(snap.total_bytes(t)),
            "indexes": sorted(i.name for i in snap.indexes_of.get(t.oid, [])),
        }
        last = max((s.last_seq_scan for s in stats if s.last_seq_scan), default=None)
        if last:
            evidence["last_seq_scan"] = last
        evidence |= window.evidence()
        pgss = snap.installed("pg_stat_statements")
        if pgss:
            view = qualified(pgss.schema, "pg_stat_statements") if pgss.schema else "pg_stat_statements"
            fix = (
                "-- find the statements that read it, EXPLAIN them, index their WHERE/JOIN columns:\n"
                f"SELECT calls, round(total_exec_time) AS total_ms, rows, query FROM {view}\n"
                f"WHERE query ILIKE {quote_literal('%' + t.name + '%')} ORDER BY total_exec_time DESC LIMIT 20;"
            )
        else:
            preloaded = "pg_stat_statements" in (snap.server.preloaded or [])
            fix = (
                "-- pg_stat_statements is not installed in this database: install it"
                + (" (it is preloaded already)" if preloaded else " (needs shared_preload_libraries and a restart)")
                + ",\n-- or find the statements in the logs (log_min_duration_statement); then EXPLAIN them and\n"
                "-- index their WHERE/JOIN columns:\nCREATE EXTENSION IF NOT EXISTS pg_stat_statements;"
            )
        severity = "high" if rows >= large and share < 0.5 else ("low" if rows < 10 * min_rows else None)
        yield Hit(
            obj=table_obj(t),
            message=(
                f"{seq:,} sequential scans read {read:,} rows ({per_scan:,.0f} a scan) against {idx:,} index scans: "
                f"{share:.0%} of scans use an index on a table of ~{rows:,} rows"
            ),
            evidence=evidence,
            fix=fix,
            severity=severity,
        )


# ---- IDX007 index bloat (statistical estimate) ----------------------------------------------------------

NO_STATS = "no index has planner statistics for its keys (run ANALYZE, or let this role read the tables' pg_stats)"
BLOAT_METHOD = (
    "btree size estimate from planner statistics (pg_stats avg_width and null_frac, reltuples, fillfactor; "
    "the ioguardian/pgexperts method), compared with relpages; no pgstattuple, no scan"
)


@dataclass
class BloatEstimate:
    real_pages: int
    expected_pages: int

    @property
    def wasted_pages(self) -> int:
        return max(self.real_pages - self.expected_pages, 0)


def estimate_btree(i: Index, st: IndexStats, bs: int, maxalign: int) -> BloatEstimate | None:
    """Pages a freshly built btree of this many tuples and this width would take, against what it takes."""
    if i.method != "btree" or i.relpages < 10 or i.reltuples <= 0 or st.with_stats < st.attributes:
        return None
    header = 8 + (4 if st.max_null_frac > 0 else 0)  # IndexTupleData, plus the null bitmap when NULLs occur
    header += (maxalign - header % maxalign) % maxalign
    width = st.data_width
    width += (maxalign - math.ceil(width) % maxalign) % maxalign if width else 0
    fillfactor = st.fillfactor or 90
    per_page = math.floor((bs - 24 - 16) * fillfactor / 100 / (4 + header + width))  # page header, btree opaque
    if per_page < 1:
        return None
    return BloatEstimate(i.relpages, 1 + math.ceil(i.reltuples / per_page))


@rule(
    "IDX007",
    "index-bloat",
    severity="medium",
    subject="index",
    requires=("indexes", "index_stats"),
    population="indexes",
)
def index_bloat(snap: Snapshot) -> Iterator[Hit]:
    """Btree index much larger than its rows need (estimated bloat).

    ## Why is this bad?
    Deleted and updated rows leave btree pages half empty; VACUUM makes the space reusable for the
    same key range but never gives it back. A bloated index reads more pages per lookup, takes more
    cache and disk, and slows down every VACUUM and base backup. Rebuilding it reclaims the space.

    ## How it is estimated
    Without pgstattuple and without reading the index: the size a freshly built btree would take,
    from the index's `reltuples`, the average width and NULL fraction of each key in `pg_stats`,
    the tuple and page overheads and the fillfactor (default 90), compared with `relpages`. This is
    the ioguardian/pgexperts estimate; it is off for indexes on `name` columns and right after bulk
    loads, and needs fresh statistics (ANALYZE). Btree deduplication (PostgreSQL 13+) makes indexes
    on repeated values smaller than the estimate: their bloat is under-estimated, never over.
    Indexes without statistics for every key are not estimated. A finding needs
    `index_bloat_min_bytes` (50 MB) and `index_bloat_min_percent` (30 %) of waste; a partitioned
    index sums its partitions' copies and names the worst ones.

    ## Example
    An index on `events (created_at)` of 12 GB where 3 GB would hold its 40 M rows, after a purge
    of old events.

    ## Fix
    ```sql
    REINDEX INDEX CONCURRENTLY events_created_at_idx;
    ```
    `REINDEX CONCURRENTLY` needs free disk for a second copy of the index while it runs.
    """
    bs = block_size(snap)
    maxalign = 8 if re.search(r"64-bit|x86_64|aarch64|amd64|ppc64", snap.server.version) else 4
    min_bytes, min_pct = INDEX_BLOAT_MIN_BYTES(snap), INDEX_BLOAT_MIN_PERCENT(snap)
    children = snap.attached_indexes_of
    estimated = 0
    for t, i in user_indexes(snap):
        leaves = [m for m in family(i, children) if not m.is_partitioned]
        found: list[tuple[Index, BloatEstimate]] = []
        for leaf in leaves:
            st = snap.index_stats_of.get(leaf.oid)
            est = estimate_btree(leaf, st, bs, maxalign) if st else None
            if est is not None:
                found.append((leaf, est))
        estimated += len(found)
        real = sum(e.real_pages for _, e in found) * bs
        wasted = sum(e.wasted_pages for _, e in found) * bs
        if not real or wasted < min_bytes or 100 * wasted / real < min_pct:
            continue
        worst = sorted(found, key=lambda le: (-le[1].wasted_pages, le[0].name))
        bloated = [(leaf, e) for leaf, e in worst if e.wasted_pages * bs >= min_bytes / max(len(found), 1)]
        evidence: dict[str, Any] = {
            "method": BLOAT_METHOD,
            "size": human_bytes(real),
            "expected_size": human_bytes(real - wasted),
            "wasted": human_bytes(wasted),
            "wasted_percent": round(100 * wasted / real, 1),
            "estimated_rows": round(sum(leaf.reltuples for leaf, _ in found)),
        }
        if i.is_partitioned:
            evidence["worst_partitions"] = [
                {"index": leaf.name, "wasted": human_bytes(e.wasted_pages * bs)} for leaf, e in worst[:5]
            ]
        schema_of = {m.oid: snap.table_by_oid[m.table_oid].schema for m in leaves if m.table_oid in snap.table_by_oid}
        fix = "\n".join(
            f"REINDEX INDEX CONCURRENTLY {qualified(schema_of.get(leaf.oid, t.schema), leaf.name)};"
            for leaf, _ in (bloated or worst[:1])
        )
        yield Hit(
            obj=index_obj(t, i),
            message=(
                f"index {i.name} is ~{100 * wasted / real:.0f}% bloat by estimate: {human_bytes(real)} where "
                f"~{human_bytes(real - wasted)} would hold its rows"
            ),
            evidence=evidence,
            fix=fix + "\n-- needs free disk for a second copy of the index while it runs",
            severity="high" if wasted >= 1024**3 else None,
        )
    if not estimated and any(i.method == "btree" and i.relpages >= 10 for i in snap.indexes):
        raise Skip(NO_STATS, not_evaluated=True)


# ---- IDX008 btree on array / jsonb / hstore / tsvector ------------------------------------------------

CONTAINER_TYPES = {"jsonb", "hstore", "tsvector"}


def is_container(col: Any) -> bool:
    return col.type_category == "A" or col.base_type in CONTAINER_TYPES


@rule(
    "IDX008",
    "btree-on-container-column",
    severity="low",
    subject="index",
    requires=("indexes", "columns"),
    population="indexes",
)
def btree_on_container_column(snap: Snapshot) -> Iterator[Hit]:
    """Btree index on an array, jsonb, hstore or tsvector column, where GIN fits.

    ## Why is this bad?
    A btree compares whole values: it serves `tags = '{a,b}'` but none of the operators these types
    are queried with (`@>`, `<@`, `&&`, `?`, `@@`), so containment searches still read the table.
    Large values also hit the btree row limit (about 2.7 kB): an INSERT with a big document or
    array then fails with "index row size exceeds btree maximum". Unique indexes and constraints are
    left out (they enforce whole-value uniqueness on purpose).

    ## Example
    ```sql
    CREATE INDEX documents_tags_idx ON documents (tags);        -- tags text[]
    SELECT * FROM documents WHERE tags @> ARRAY['invoice'];    -- cannot use it
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY documents_tags_gin_idx ON documents USING gin (tags);
    DROP INDEX CONCURRENTLY documents_tags_idx;
    ```
    For jsonb queried only with `@>`, `USING gin (doc jsonb_path_ops)` is smaller and faster. When the
    btree serves whole-value equality on purpose, keep it.
    """
    for t, i in user_indexes(snap):
        if i.method != "btree" or i.is_unique or i.constraint_name or not i.is_valid:
            continue
        cols = [snap.column_by_name.get((t.oid, c)) for c in i.columns[: i.key_count] if c]
        bad = [c for c in cols if c is not None and is_container(c)]
        if not bad:
            continue
        names = [c.name for c in bad]
        gin = [
            o.name
            for o in snap.indexes_of.get(t.oid, [])
            if o.method in ("gin", "gist") and any(n in o.columns for n in names)
        ]
        lines = [
            f"-- {c.name} ({c.type}): if queries test containment or overlap rather than whole-value equality"
            if not gin
            else f"-- {c.name} ({c.type}) already has {', '.join(sorted(gin))}: this btree only serves equality"
            for c in bad
        ]
        if not gin:
            lines += [create_index_sql(snap, t, [c.name], using="gin") for c in bad]
        if i.key_count > len(bad):
            lines.append("-- the other keys need the btree_gin extension to go into the same GIN index")
        lines.append(drop_index_sql(snap, t, i))
        yield Hit(
            obj=index_obj(t, i),
            message=(
                f"btree index {i.name} on {', '.join(f'{c.name} ({c.type})' for c in bad)}: "
                "serves whole-value equality only, not containment"
            ),
            evidence={"definition": i.definition, "columns": {c.name: c.type for c in bad}, "gin_indexes": sorted(gin)},
            fix="\n".join(lines),
        )


# ---- IDX009 single-column index on a low-cardinality column ---------------------------------------------


@rule(
    "IDX009",
    "low-cardinality-index",
    severity="low",
    subject="index",
    requires=("indexes", "columns"),
    population="indexes",
)
def low_cardinality_index(snap: Snapshot) -> Iterator[Hit]:
    """Single-column index on a boolean or a column with only a few distinct values.

    ## Why is this bad?
    An index on `is_active` or on a three-valued `status` can only narrow a scan to the rows with
    the rare value; for the common value the planner rightly prefers a sequential scan. The index
    still indexes every row, and every write maintains it. When the values are skewed, a partial
    index on the rare value(s) is a fraction of the size and does the same job; when they are
    even, the index serves nothing.

    ## How it is judged
    A valid, non-unique, non-partial btree on one column that is boolean or has at most
    `low_cardinality_max_distinct` (3) distinct values in `pg_stats`, at least `index_min_bytes`
    (1 MB). Composite indexes that start with such a column are fine (the next key narrows).

    ## Example
    ```sql
    CREATE INDEX jobs_done_idx ON jobs (done);    -- 99 % of rows are done = true
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY jobs_done_partial_idx ON jobs (done) WHERE NOT done;
    DROP INDEX CONCURRENTLY jobs_done_idx;
    ```
    Better still, index what the queries for the rare rows sort or filter by next, e.g.
    `ON jobs (created_at) WHERE NOT done`.
    """
    max_distinct, min_bytes = LOW_CARDINALITY_MAX_DISTINCT(snap), INDEX_MIN_BYTES(snap)
    children = snap.attached_indexes_of
    for t, i in user_indexes(snap):
        if i.method != "btree" or i.is_unique or i.constraint_name or i.predicate or not i.is_valid:
            continue
        if i.key_count != 1 or i.columns[0] is None:
            continue
        col = snap.column_by_name.get((t.oid, i.columns[0]))
        if col is None:
            continue
        st = snap.index_stats_of.get(i.oid)
        distinct = st.lead_n_distinct if st and st.lead_n_distinct and st.lead_n_distinct > 0 else None
        boolean = col.base_type == "bool"
        if not boolean and (distinct is None or distinct > max_distinct):
            continue
        size = index_bytes(snap, family(i, children))
        if size < min_bytes:
            continue
        evidence: dict[str, Any] = {"definition": i.definition, "column_type": col.type, "size": human_bytes(size)}
        if distinct is not None:
            evidence["distinct_values"] = round(distinct)
        usage = family_usage(snap, family(i, children))
        if usage:
            evidence["idx_scan"] = sum(u.idx_scan for u in usage)
        top, freq = (st.lead_top_value, st.lead_top_frequency) if st else (None, None)
        qcol = quote_ident(col.name)
        if top is not None and freq is not None and freq >= 0.75:
            evidence["most_common"] = {"value": top, "frequency": round(freq, 3)}
            rare = f"{qcol} <> {quote_literal(top)}"
            if boolean:
                rare = f"NOT {qcol}" if top in ("t", "true") else qcol
            name = index_name(t.name, [col.name], "partial_idx")
            fix = (
                f"-- {freq:.0%} of rows hold {top}: index the others only (if queries look for them)\n"
                f"{create_index_sql(snap, t, [col.name], name, where=rare)}\n{drop_index_sql(snap, t, i)}"
            )
        else:
            fix = (
                "-- the values are spread evenly (or unknown before ANALYZE): a lookup on any of them reads a large\n"
                "-- share of the table, so the planner prefers a sequential scan; check idx_scan, then:\n"
                f"{drop_index_sql(snap, t, i)}"
            )
        what = "boolean" if boolean else f"{round(distinct or 0)}-valued"
        yield Hit(
            obj=index_obj(t, i),
            message=f"index {i.name} ({human_bytes(size)}) is on the {what} column {col.name} alone",
            evidence=evidence,
            fix=fix + f"\n-- undo: {recreate_sql(i)}",
        )


# ---- IDX010 index whose leading column is mostly NULL ------------------------------------------------------


@rule(
    "IDX010",
    "mostly-null-index",
    severity="low",
    subject="index",
    requires=("indexes", "index_stats"),
    population="indexes",
)
def mostly_null_index(snap: Snapshot) -> Iterator[Hit]:
    """Index whose leading column is mostly NULL: a partial index would be a fraction of its size.

    ## Why is this bad?
    A btree stores a NULL entry for every row, so an index on `deleted_at`, `parent_id` or
    `external_ref` that is NULL in 90 % of rows is mostly NULL entries that lookups like
    `col = $1` never read. `WHERE col IS NOT NULL` keeps only the useful entries; `col = $1`, range
    conditions, joins and foreign-key checks imply it, so the planner still uses the partial index.

    ## How it is judged
    A valid, non-unique, non-partial btree whose first key column has a `null_frac` of at least
    `partial_index_null_fraction` (0.5) in `pg_stats`, at least `index_min_bytes` (1 MB). Queries
    that look for `col IS NULL` need the full index: check them before swapping.

    ## Example
    ```sql
    CREATE INDEX subscriptions_canceled_at_idx ON subscriptions (canceled_at);  -- 95 % NULL
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY subscriptions_canceled_at_partial_idx ON subscriptions (canceled_at)
        WHERE canceled_at IS NOT NULL;
    DROP INDEX CONCURRENTLY subscriptions_canceled_at_idx;
    ```
    """
    min_frac, min_bytes = PARTIAL_INDEX_NULL_FRACTION(snap), INDEX_MIN_BYTES(snap)
    children = snap.attached_indexes_of
    if not any(st.with_stats for st in snap.index_stats) and any(i.relpages >= 10 for i in snap.indexes):
        raise Skip(NO_STATS, not_evaluated=True)
    for t, i in user_indexes(snap):
        if i.method != "btree" or i.is_unique or i.constraint_name or i.predicate or not i.is_valid:
            continue
        lead = i.columns[0] if i.columns else None
        st = snap.index_stats_of.get(i.oid)
        if lead is None or st is None or st.lead_null_frac is None or st.lead_null_frac < min_frac:
            continue
        size = index_bytes(snap, family(i, children))
        if size < min_bytes:
            continue
        where = f"{quote_ident(lead)} IS NOT NULL"
        name = index_name(t.name, [c or "expr" for c in i.columns], "partial_idx")
        if i.is_partitioned and all(i.columns) and not i.include_columns and not any(i.options):
            create = create_index_sql(snap, t, [c for c in i.columns if c], name, where=where)
        else:
            body = definition_on(i, t, t, name)
            create = f"{body} WHERE {where};" if body else f"-- recreate {i.name} with WHERE {where}"
        yield Hit(
            obj=index_obj(t, i),
            message=(
                f"index {i.name} ({human_bytes(size)}) leads with {lead}, NULL in {st.lead_null_frac:.0%} of rows: "
                f"a partial index WHERE {where} would be ~{human_bytes(round(size * (1 - st.lead_null_frac)))}"
            ),
            evidence={
                "definition": i.definition,
                "null_fraction": round(st.lead_null_frac, 3),
                "size": human_bytes(size),
                "estimated_saving": human_bytes(round(size * st.lead_null_frac)),
            },
            fix=(
                f"-- only if no query looks for {quote_ident(lead)} IS NULL through this index\n"
                f"{create}\n{drop_index_sql(snap, t, i)}"
            ),
        )


# ---- IDX011 write-heavy table with many indexes --------------------------------------------------------


@rule(
    "IDX011",
    "over-indexed-write-heavy-table",
    severity="low",
    subject="table",
    requires=("tables", "indexes", "table_stats", "index_usage"),
    population="tables",
)
def over_indexed_write_heavy_table(snap: Snapshot) -> Iterator[Hit]:
    """Write-heavy table carrying many indexes.

    ## Why is this bad?
    Every INSERT and DELETE, and every UPDATE that cannot be HOT, writes each index: ten indexes make
    a row write eleven page writes, eleven WAL records, and as many pages for VACUUM to visit. On a
    table that is written more than it is read, each index must earn that cost.

    ## How it is judged
    At least `write_heavy_max_indexes` (8) indexes, at least `write_heavy_min_writes` (100,000) rows
    written since the statistics reset, and more rows written than scans run (sequential plus index).
    Partitions count toward their parent. The evidence lists the indexes with no scans: the first
    to question. With statistics younger than `index_stats_min_days` it is *not evaluated*.

    ## Example
    An `events` table taking 5 M inserts a day with 12 indexes, 4 of them never scanned.

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY events_legacy_source_idx;   -- indexes with no scans, after checking replicas
    ```
    Then merge indexes sharing a leading column into one composite index where the queries allow.
    """
    window = stats_window(snap)
    max_indexes, min_writes = WRITE_HEAVY_MAX_INDEXES(snap), WRITE_HEAVY_MIN_WRITES(snap)
    children = snap.attached_indexes_of
    for t in sorted(snap.user_tables, key=lambda x: (x.schema, x.name)):
        if t.is_partition or t.kind not in ("r", "p"):
            continue
        indexes = [i for i in snap.indexes_of.get(t.oid, []) if i.parent_index_oid is None]
        if len(indexes) < max_indexes:
            continue
        stats = table_stats(snap, t)
        writes = sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del for s in stats)
        reads = sum(s.seq_scan + (s.idx_scan or 0) for s in stats)
        if writes < min_writes or writes <= reads:
            continue
        unused = []
        for i in sorted(indexes, key=lambda x: x.name):
            usage = family_usage(snap, family(i, children))
            if usage and droppable(i) and not sum(u.idx_scan for u in usage) and not sole_fk_cover(snap, t, i):
                unused.append(i)
        heap = sum(p.table_bytes or 0 for p in (snap.leaf_partitions(t) if t.is_partitioned else [t]))
        index_total = index_bytes(snap, [m for i in indexes for m in family(i, children)])
        evidence: dict[str, Any] = {
            "indexes": len(indexes),
            "rows_written": writes,
            "scans": reads,
            "index_size": human_bytes(index_total),
            "table_size": human_bytes(heap),
            "never_scanned": [i.name for i in unused],
        } | window.evidence()
        fix = "\n".join(drop_index_sql(snap, t, i) for i in unused) if unused else None
        yield Hit(
            obj=table_obj(t),
            message=(
                f"{len(indexes)} indexes ({human_bytes(index_total)}) on a table written {writes:,} rows against "
                f"{reads:,} scans" + (f"; {len(unused)} of them never scanned" if unused else "")
            ),
            evidence=evidence,
            fix=(
                "-- never scanned since the statistics reset (check replicas first):\n" + fix
                if fix
                else "-- every index is scanned: look for indexes sharing a leading column that one could replace"
            ),
            severity="medium" if len(unused) >= 3 else None,
        )
