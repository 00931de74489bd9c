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

    ## Why is this bad?
    Autovacuum analyzes partitions, never their partitioned parent, so the set-wide statistics the
    planner uses for joins and aggregates over the whole set are missing unless someone runs ANALYZE on
    the parent. Judged on PostgreSQL 14+ (13 keeps no statistics row for parents).

    ## Example
    `events` partitioned by month, its partitions analyzed by autovacuum, `ANALYZE events` never run.

    ## Fix
    ```sql
    ANALYZE parent;  -- and schedule it (it reads a sample of every partition)
    ```
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
