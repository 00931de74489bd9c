"""PAR015: a large unpartitioned table that partitioning would help, with an outline of the migration."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.analysis.partbounds import TIME_TYPES
from auditor.analysis.partman import partman_major, partman_schema, partman_sets, split_name
from auditor.base.names import qualified, quote_ident, quote_literal
from auditor.catalog.model import Snapshot
from auditor.rules.common import human_bytes, new_name, table_obj
from auditor.rules.registry import Hit, rule, threshold

CANDIDATE_BYTES = threshold(
    "partition_candidate_bytes", 50 * 1024**3, "plain tables from this size are partitioning candidates"
)

CANDIDATE_ROWS = threshold(
    "partition_candidate_rows", 100_000_000, "plain tables from this many estimated rows are partitioning candidates"
)

APPEND_ONLY_NAMES = re.compile(r"(event|audit|log|history|activit|metric|telemetr|message|notification|trace|click)")

TIME_COLUMN_NAMES = ("created_at", "occurred_at", "inserted_at", "logged_at", "timestamp", "ts", "time", "at")


@rule(
    "PAR015",
    "partitioning-candidate",
    severity="low",
    subject="table",
    requires=("tables", "columns"),
    population="tables",
)
def partitioning_candidate(snap: Snapshot) -> Iterator[Hit]:
    """Large unpartitioned table that is a partitioning candidate.

    ## Why it matters
    Past tens of gigabytes or a hundred million rows, one table means vacuum, index builds and deletes of
    old data all work on the whole heap. Append-only, time-ordered tables (events, audit, logs) gain the
    most: retention becomes DROP/DETACH of old partitions instead of DELETE, and queries on recent data
    prune to a few partitions.

    ## What it checks
    Ordinary tables that are neither partitions nor part of an inheritance tree nor a pg_partman template,
    from `partition-candidate-bytes` (50 GB) or `partition-candidate-rows` (100 million estimated rows). It
    looks for a time column (`created_at`, `occurred_at`, ... first, else the first date or timestamp
    column) and whether the table is append-only (updates and deletes under 1% of inserts) or named like a
    log (`event`, `audit`, `log`, `history`, ...): medium with a time column and one of those, low otherwise.

    ## Bad (not run: needs a table of 100 million rows or 50 GB)
    ```sql
    CREATE TABLE audit_log (
        id          bigint GENERATED ALWAYS AS IDENTITY,
        org_id      bigint      NOT NULL,
        actor_id    bigint,
        action      text        NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now()
    );
    -- 300 million rows, only INSERTs, queried by occurred_at for the last week
    ```

    ## Good
    ```sql
    CREATE TABLE audit_log (
        id          bigint GENERATED ALWAYS AS IDENTITY,
        org_id      bigint      NOT NULL,
        actor_id    bigint,
        action      text        NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now()
    ) PARTITION BY RANGE (occurred_at);
    CREATE TABLE audit_log_2025_01 PARTITION OF audit_log FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
    ```

    ## Fix
    Plan a migration: a partitioned copy by the time column (pg_partman can create and maintain it),
    then backfill in batches and swap names. Not a one-statement change:
    ```sql
    CREATE TABLE audit_log_partitioned (LIKE audit_log INCLUDING ALL) PARTITION BY RANGE (occurred_at);
    -- the primary key must include occurred_at
    SELECT partman.create_parent('public.audit_log_partitioned', 'occurred_at', '1 month');  -- pg_partman 5.x
    -- backfill in batches by occurred_at, then swap names in one transaction
    ```

    ## False positives
    A large table that is mostly read by primary key and rarely purged gains little: partitioning adds
    planning cost and a primary key that must include the partition key. Accept it on the table:
    `COMMENT ON TABLE documents IS 'pg-auditor: ignore PAR015 -- key lookups only, no retention'`, or raise
    the thresholds (`--set partition-candidate-bytes=...`).
    """
    min_bytes, min_rows = CANDIDATE_BYTES(snap), CANDIDATE_ROWS(snap)
    templates = {split_name(p.template_table) for p in partman_sets(snap) if p.template_table}
    inherit_parents = {o for t in snap.tables for o in t.inherits_from}
    for t in snap.user_tables:
        if t.kind != "r" or t.is_partition or t.inherits_from or t.oid in inherit_parents:
            continue
        if (t.schema, t.name) in templates:
            continue
        size, rows = t.total_bytes or 0, t.estimated_rows
        if size < min_bytes and rows < min_rows:
            continue
        cols = sorted(snap.columns_of.get(t.oid, []), key=lambda c: c.position)
        time_cols = [c.name for c in cols if c.base_type in TIME_TYPES]
        time_col = next((n for n in TIME_COLUMN_NAMES if n in time_cols), time_cols[0] if time_cols else None)
        stats = snap.stats_of.get(t.oid)
        append_only = bool(stats and stats.n_tup_ins > 0 and stats.n_tup_upd + stats.n_tup_del <= stats.n_tup_ins / 100)
        named = bool(APPEND_ONLY_NAMES.search(t.name))
        strong = time_col is not None and (append_only or named)
        ev = {
            "size": human_bytes(size),
            "estimated_rows": rows,
            "time_column": time_col,
            "append_only": append_only if stats else None,
            "name_suggests_log": named,
        }
        why = [f"{human_bytes(size)}, ~{rows} rows"]
        if append_only:
            why.append("append-only")
        if time_col:
            why.append(f"time column {time_col}")
        key = quote_ident(time_col) if time_col else "<key>"
        new_table = new_name(snap, t, [t.name], "partitioned")
        new = qualified(t.schema, new_table)
        fix = [
            f"-- outline (test on a copy first):\n-- CREATE TABLE {new} (LIKE {t.qualified} INCLUDING ALL) "
            f"PARTITION BY RANGE ({key});  -- the primary key must include {key}",
        ]
        if snap.installed("pg_partman") and time_col:
            fix.append(
                f"-- SELECT {quote_ident(partman_schema(snap))}.create_parent("
                f"{quote_literal(t.schema + '.' + new_table)}, {quote_literal(time_col)}, "
                + ("'native', 'monthly');" if (partman_major(snap) or 5) < 5 else "'1 month');")
            )
        fix.append(f"-- backfill in batches by {key}, then swap names in one transaction")
        yield Hit(
            obj=table_obj(t),
            message="partitioning candidate: " + ", ".join(why),
            evidence=ev,
            fix="\n".join(fix),
            severity="medium" if strong else "low",
        )
