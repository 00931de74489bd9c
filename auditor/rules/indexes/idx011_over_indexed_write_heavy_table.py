"""IDX011: a table written more than read that carries many indexes, each costing every write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.catalog.model import Snapshot
from auditor.rules.common import human_bytes, table_obj
from auditor.rules.indexes._shared import (
    drop_index_sql,
    droppable,
    family,
    family_usage,
    index_bytes,
    sole_fk_cover,
    stats_window,
    table_stats,
)
from auditor.rules.registry import Hit, rule, threshold

WRITE_HEAVY_MAX_INDEXES = threshold(
    "write_heavy_max_indexes", 8, "indexes from which a write-heavy table counts as over-indexed"
)
WRITE_HEAVY_MIN_WRITES = threshold(
    "write_heavy_min_writes", 100_000, "rows written (inserted, updated, deleted) before a table can be write-heavy"
)


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

    ## Why it matters
    Every INSERT and DELETE, and every UPDATE that cannot be HOT, writes each index: ten indexes make
    a row write eleven page writes, eleven WAL records, and as many pages for VACUUM to visit. On a
    table that is written more than it is read, each index must earn that cost.

    ## What it checks
    At least `write-heavy-max-indexes` (8) indexes, at least `write-heavy-min-writes` (100,000) rows
    written since the statistics reset, and more rows written than scans run (sequential plus index).
    Partitions count toward their parent. The evidence lists the indexes with no scans, the first
    to question (those that enforce something or alone serve a foreign key aside); the finding is
    medium from three of them. With statistics younger than `index-stats-min-days` (7) it is *not
    evaluated*.

    ## Bad (not run: it needs table and index counters gathered over at least 7 days)
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, org_id bigint NOT NULL, user_id bigint, session_id uuid,
                         type text NOT NULL, source text, legacy_source text, created_at timestamptz NOT NULL);
    CREATE INDEX events_org_id_idx ON events (org_id);
    CREATE INDEX events_user_id_idx ON events (user_id);
    CREATE INDEX events_session_id_idx ON events (session_id);
    CREATE INDEX events_type_idx ON events (type);
    CREATE INDEX events_source_idx ON events (source);
    CREATE INDEX events_legacy_source_idx ON events (legacy_source);
    CREATE INDEX events_created_at_idx ON events (created_at);
    -- 5 million inserts a day, a few thousand scans; 4 of the 8 indexes are never scanned
    ```

    ## Good (not run: it needs table and index counters gathered over at least 7 days)
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, org_id bigint NOT NULL, user_id bigint, session_id uuid,
                         type text NOT NULL, source text, legacy_source text, created_at timestamptz NOT NULL);
    CREATE INDEX events_org_id_created_at_idx ON events (org_id, created_at);
    CREATE INDEX events_user_id_idx ON events (user_id);
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY events_legacy_source_idx;   -- indexes with no scans, after checking replicas
    ```
    Then merge indexes sharing a leading column into one composite index where the queries allow.

    ## False positives
    A log or audit table written all day and read rarely may need each index to answer fast when
    it is read, and counters are per server (a replica may be reading). Ignore the rule
    (`--ignore IDX011`, `ignore = ["IDX011"]`) or tag the table:
    ```sql
    COMMENT ON TABLE events IS 'pg-auditor: ignore IDX011 -- every index serves incident forensics';
    ```
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
