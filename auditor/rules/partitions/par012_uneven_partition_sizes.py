"""PAR012: one partition far larger than the others, or too large for its interval."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from auditor.analysis.partbounds import TIME_TYPES
from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.common import human_bytes, table_obj
from auditor.rules.partitions._shared import layout_of, now_of, user_parents
from auditor.rules.registry import Hit, rule, threshold

SKEW_RATIO = threshold("partition_skew_ratio", 10, "largest / median partition size that counts as uneven")

LARGEST_PARTITION_BYTES = threshold(
    "partition_max_bytes", 100 * 1024**3, "a partition larger than this suggests a finer interval"
)


@rule(
    "PAR012",
    "uneven-partition-sizes",
    severity="low",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def uneven_partition_sizes(snap: Snapshot) -> Iterator[Hit]:
    """Very uneven partition sizes, or a partition too large for its interval.

    ## Why it matters
    Partitioning pays off when partitions are comparable: one partition 10x the median (a hot tenant in a
    list or hash set, a traffic change in a time set) concentrates vacuum, index and lock work in one
    table, and retention drops little. A single partition above `partition-max-bytes` suggests a finer
    interval.

    ## What it checks
    Top-level partitioned sets with at least four leaf partitions, on their total size (heap, indexes and
    TOAST, as the catalog records it after VACUUM or ANALYZE). Empty partitions (no heap pages) and the
    default are left out. It fires when the largest partition is at least `partition-skew-ratio` (10)
    times the median, or larger than `partition-max-bytes` (100 GB). Medium at five times the ratio or above
    the size limit, low otherwise.

    ## Bad
    ```sql
    -- One tenant's partition holds almost every row.
    CREATE TABLE usage_events (
        org_id bigint      NOT NULL,
        kind   text        NOT NULL,
        at     timestamptz NOT NULL
    ) PARTITION BY LIST (org_id);
    CREATE TABLE usage_events_1 PARTITION OF usage_events FOR VALUES IN (1);
    CREATE TABLE usage_events_2 PARTITION OF usage_events FOR VALUES IN (2);
    CREATE TABLE usage_events_3 PARTITION OF usage_events FOR VALUES IN (3);
    CREATE TABLE usage_events_4 PARTITION OF usage_events FOR VALUES IN (4);
    INSERT INTO usage_events SELECT 1 + g % 3, 'api_call', now() FROM generate_series(1, 300) g;
    INSERT INTO usage_events SELECT 4, 'api_call', now() FROM generate_series(1, 50000) g;
    ANALYZE usage_events;  -- sizes are read from the catalog (relpages), kept by VACUUM and ANALYZE
    ```

    ## Good
    ```sql
    CREATE TABLE usage_events (
        org_id bigint      NOT NULL,
        kind   text        NOT NULL,
        at     timestamptz NOT NULL
    ) PARTITION BY LIST (org_id);
    CREATE TABLE usage_events_1 PARTITION OF usage_events FOR VALUES IN (1);
    CREATE TABLE usage_events_2 PARTITION OF usage_events FOR VALUES IN (2);
    CREATE TABLE usage_events_3 PARTITION OF usage_events FOR VALUES IN (3);
    CREATE TABLE usage_events_4 PARTITION OF usage_events FOR VALUES IN (4);
    INSERT INTO usage_events SELECT 1 + g % 4, 'api_call', now() FROM generate_series(1, 20000) g;
    ANALYZE usage_events;
    ```

    ## Fix
    Sub-partition or split the hot partition, or shorten the interval for new partitions:
    ```sql
    -- give the hot tenant its own sub-partitioned set
    BEGIN;
    ALTER TABLE usage_events DETACH PARTITION usage_events_4;
    CREATE TABLE usage_events_4_new PARTITION OF usage_events FOR VALUES IN (4) PARTITION BY RANGE (at);
    -- create its monthly partitions, move the rows from usage_events_4, drop it
    COMMIT;
    ```

    ## False positives
    A set whose partitions differ by nature (a current partition taking all writes beside small archived
    ones, one region far larger than the others) may be uneven by design; raise `partition-skew-ratio` for
    the run, or ignore it on the table: `COMMENT ON TABLE usage_events IS 'pg-auditor: ignore PAR012 --
    tenant 4 is the platform itself'`.
    """
    now = now_of(snap)
    ratio_limit, big = SKEW_RATIO(snap), LARGEST_PARTITION_BYTES(snap)
    for t in user_parents(snap, roots_only=True):
        leaves = [p for p in snap.leaf_partitions(t) if not p.is_default_partition and p.total_bytes is not None]
        layout = layout_of(snap, t)
        if layout is not None and layout.key_type in TIME_TYPES:
            future = {p.name for p in layout.parts if p.lower != "MINVALUE" and p.lower > now}
            leaves = [p for p in leaves if p.name not in future]
        # empty partitions (no heap pages: created ahead, or emptied by retention) say nothing about skew;
        # a median over them makes any partition with rows look huge
        leaves = [p for p in leaves if (p.table_bytes or 0) > 0]
        if len(leaves) < 4:
            continue
        sizes = sorted(((p.total_bytes or 0), p.name) for p in leaves)
        median = statistics.median(s for s, _ in sizes)
        largest, largest_name = sizes[-1]
        ratio = largest / median if median else None
        skewed = ratio is not None and ratio >= ratio_limit
        if not skewed and largest < big:
            continue
        ev = {
            "partitions": len(leaves),
            "largest": f"{largest_name} ({human_bytes(largest)})",
            "median": human_bytes(int(median)),
            "largest_over_median": round(ratio, 1) if ratio else None,
            "top": [f"{n} ({human_bytes(s)})" for s, n in sizes[-3:][::-1]],
        }
        msg = (
            f"largest partition {largest_name} is {ratio:.0f}x the median ({human_bytes(largest)} vs "
            f"{human_bytes(int(median))})"
            if skewed
            else f"partition {largest_name} is {human_bytes(largest)}: consider a finer interval"
        )
        yield Hit(
            obj=table_obj(t),
            message=msg,
            evidence=ev,
            fix=f"-- split {quote_ident(largest_name)}: sub-partition it, or shorten the interval of new partitions of "
            f"{t.qualified}",
            severity="medium" if (ratio or 0) >= 5 * ratio_limit or largest >= big else "low",
        )
