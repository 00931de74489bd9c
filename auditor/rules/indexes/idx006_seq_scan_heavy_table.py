"""IDX006: a large table read mostly by full sequential scans, the counters' sign of a missing index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.base.names import qualified, quote_literal
from auditor.catalog.model import Snapshot
from auditor.rules.common import LARGE_TABLE_ROWS, human_bytes, table_obj
from auditor.rules.indexes._shared import stats_window, table_stats
from auditor.rules.registry import Hit, rule, threshold

SEQ_SCAN_MIN_ROWS = threshold("seq_scan_min_rows", 10_000, "tables with fewer estimated rows are never seq-scan heavy")
SEQ_SCAN_MIN_COUNT = threshold("seq_scan_min_count", 100, "sequential scans a table needs before it can be flagged")
SEQ_SCAN_MAX_INDEX_SHARE = threshold(
    "seq_scan_max_index_share", 0.95, "a table whose share of index scans is under this is read mostly sequentially"
)
SEQ_SCAN_MIN_ROWS_PER_SCAN = threshold(
    "seq_scan_min_rows_per_scan", 1_000, "average rows a sequential scan must read (LIMIT probes read few)"
)


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

    ## Why it matters
    A query that filters a large table on a column no index leads with reads the whole table, every
    time. Few index scans against many sequential scans that each read many rows is the signal (the
    one pghero calls "missing indexes").

    ## What it checks
    A table of `seq-scan-min-rows` (10,000) estimated rows or more, with at least
    `seq-scan-min-count` (100) sequential scans, under `seq-scan-max-index-share` (95 %) of its scans
    through an index, and sequential scans that read at least `seq-scan-min-rows-per-scan` (1,000)
    rows on average (a `LIMIT 1` probe reads few and is harmless). Partitions count toward their
    partitioned parent. The finding is high on a table of `large-table-rows` (1,000,000) or more
    read under half through indexes, low under 100,000 rows. With statistics younger than
    `index-stats-min-days` (7) the rule is *not evaluated*.

    ## Bad (not run: it needs table scan counters gathered over at least 7 days)
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, external_id text NOT NULL);
    -- 40 000 rows; over a week, 12 000 sequential scans against 30 index scans, from:
    SELECT * FROM invoices WHERE external_id = $1;   -- external_id has no index
    ```

    ## Good (not run: it needs table scan counters gathered over at least 7 days)
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, external_id text NOT NULL);
    CREATE INDEX invoices_external_id_idx ON invoices (external_id);
    SELECT * FROM invoices WHERE external_id = $1;   -- an index scan
    ```

    ## Fix
    ```sql
    SELECT calls, round(total_exec_time) AS total_ms, rows, query
    FROM pg_stat_statements WHERE query ILIKE '%invoices%' ORDER BY total_exec_time DESC LIMIT 20;
    CREATE INDEX CONCURRENTLY invoices_external_id_idx ON invoices (external_id);
    ```
    Find the statements first, EXPLAIN them, then index their WHERE and JOIN columns. Without
    pg_stat_statements the finding's fix says how to install it, or to find the statements in the
    logs (`log_min_duration_statement`).

    ## False positives
    Batch jobs, `pg_dump` and analytics legitimately read whole tables; the counters cannot tell
    them apart from a missing index. For a table only such jobs read, ignore the rule
    (`--ignore IDX006`, `ignore = ["IDX006"]`) or tag the table:
    ```sql
    COMMENT ON TABLE invoices IS 'pg-auditor: ignore IDX006 -- read in full by the nightly export';
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
