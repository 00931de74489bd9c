"""PAR014: a partitioned parent autovacuum never analyzes, so set-wide statistics are missing."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import user_parents
from auditor.rules.registry import Hit, rule


@rule(
    "PAR014",
    "partitioned-parent-not-analyzed",
    severity="low",
    subject="partitioned table",
    requires=("tables", "table_stats"),
    min_version=140000,
    population="partition_sets",
)
def partitioned_parent_not_analyzed(snap: Snapshot) -> Iterator[Hit]:
    """Partitioned parent never analyzed.

    ## Why it matters
    Autovacuum analyzes partitions, never their partitioned parent, so the set-wide statistics the
    planner uses for joins and aggregates over the whole set are missing unless someone runs ANALYZE on
    the parent.

    ## What it checks
    Top-level partitioned tables whose partitions hold rows (estimated) and whose own statistics show
    neither a manual nor an automatic analyze (`pg_stat_user_tables.last_analyze`, `last_autoanalyze`).
    Judged on PostgreSQL 14+ (13 keeps no statistics row for parents).

    ## Bad
    ```sql
    -- The partitions are analyzed (as autovacuum does), the parent never.
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    INSERT INTO events SELECT g % 50, '2024-06-01'::timestamptz + g * interval '1 hour', '{}'
    FROM generate_series(1, 5000) g;
    ANALYZE events_2024, events_2025;
    ```

    ## Good
    ```sql
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    INSERT INTO events SELECT g % 50, '2024-06-01'::timestamptz + g * interval '1 hour', '{}'
    FROM generate_series(1, 5000) g;
    ANALYZE events;  -- the parent as a whole, and each partition
    ```

    ## Fix
    ```sql
    ANALYZE parent;  -- and schedule it (it reads a sample of every partition)
    ```

    ## False positives
    Statistics are reset with the statistics collector (`pg_stat_reset()`, a crash, a failover to a standby
    that never analyzed it): a parent analyzed before the reset shows as never analyzed. If the set is never
    queried as a whole (every query names one partition), the missing statistics cost nothing:
    `COMMENT ON TABLE events IS 'pg-auditor: ignore PAR014 -- partitions are queried directly'`.
    """
    for t in user_parents(snap, roots_only=True):
        if snap.estimated_rows(t) <= 0:
            continue
        stats = snap.stats_of.get(t.oid)
        if stats and (stats.last_analyze or stats.last_autoanalyze):
            continue
        yield Hit(
            obj=table_obj(t),
            message=f"never analyzed as a whole (~{snap.estimated_rows(t)} rows across its partitions)",
            evidence={"estimated_rows": snap.estimated_rows(t), "partitions": len(snap.leaf_partitions(t))},
            fix=f"ANALYZE {t.qualified};",
        )
