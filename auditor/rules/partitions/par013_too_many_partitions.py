"""PAR013: more partitions than the planner and the shared lock table handle well."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import user_parents
from auditor.rules.registry import Hit, rule, threshold

MANY_PARTITIONS = threshold("partition_count_warn", 1000, "leaf partitions per set from which planning suffers")

TOO_MANY_PARTITIONS = threshold("partition_count_high", 5000, "leaf partitions per set that is clearly too many")


@rule(
    "PAR013",
    "too-many-partitions",
    severity="medium",
    subject="partitioned table",
    requires=("tables", "indexes"),
    population="partition_sets",
)
def too_many_partitions(snap: Snapshot) -> Iterator[Hit]:
    """Too many partitions for the planner or the lock table.

    ## Why it matters
    Every partition a query cannot prune is opened and locked with each of its indexes; a few thousand
    partitions slow planning for every query that touches the set, and a query that locks more than
    the shared lock table holds (`max_locks_per_transaction x (max_connections + max_prepared_transactions)`)
    fails with "out of shared memory".

    ## What it checks
    Top-level partitioned sets: their number of leaf partitions, and the locks a query that prunes nothing
    takes (one per leaf and one per index of it). It fires from `partition-count-warn` (1000) leaves, or when
    those locks exceed half the shared lock table. High from `partition-count-high` (5000) leaves or when they
    exceed the whole lock table, medium otherwise.

    ## Bad
    ```sql
    -- Daily partitions kept for three years: 1,096 leaves.
    CREATE TABLE metrics (
        org_id      bigint           NOT NULL,
        recorded_on date             NOT NULL,
        value       double precision NOT NULL
    ) PARTITION BY RANGE (recorded_on);
    DO $$
    DECLARE day date;
    BEGIN
        FOR day IN SELECT generate_series(date '2022-01-01', date '2024-12-31', interval '1 day')::date LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF metrics FOR VALUES FROM (%L) TO (%L)',
                           'metrics_' || to_char(day, 'YYYYMMDD'), day, day + 1);
        END LOOP;
    END $$;
    ```

    ## Good
    ```sql
    -- The same three years in monthly partitions: 36 leaves.
    CREATE TABLE metrics (
        org_id      bigint           NOT NULL,
        recorded_on date             NOT NULL,
        value       double precision NOT NULL
    ) PARTITION BY RANGE (recorded_on);
    DO $$
    DECLARE month date;
    BEGIN
        FOR month IN SELECT generate_series(date '2022-01-01', date '2024-12-01', interval '1 month')::date LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF metrics FOR VALUES FROM (%L) TO (%L)',
                           'metrics_' || to_char(month, 'YYYY_MM'), month, month + interval '1 month');
        END LOOP;
    END $$;
    ```

    ## Fix
    Coarser intervals or retention for old partitions; raise `max_locks_per_transaction` (restart). The
    setting is the whole server's: the finding's fix prints it as a comment for the DBA to run.
    ```sql
    ALTER SYSTEM SET max_locks_per_transaction = 256;  -- needs a restart
    ```

    ## False positives
    A set whose every query prunes to a few partitions (the key is always in the WHERE clause, and plans are
    checked) pays little for its count at run time; raise `partition-count-warn` for it, or ignore it on the
    table: `COMMENT ON TABLE metrics IS 'pg-auditor: ignore PAR013 -- every query filters on recorded_on'`.
    Planning still opens every partition for statements that cannot prune (some UPDATEs, joins, ANALYZE).
    """
    settings = snap.server.settings or {}
    try:
        slots = int(settings["max_locks_per_transaction"]) * (
            int(settings["max_connections"]) + int(settings.get("max_prepared_transactions", 0))
        )
    except (KeyError, ValueError):
        slots = None
    warn, high = MANY_PARTITIONS(snap), TOO_MANY_PARTITIONS(snap)
    for t in user_parents(snap, roots_only=True):
        leaves = snap.leaf_partitions(t)
        locks = sum(1 + len(snap.indexes_of.get(p.oid, [])) for p in leaves)
        over_locks = slots is not None and locks > slots // 2
        if len(leaves) < warn and not over_locks:
            continue
        ev = {"leaf_partitions": len(leaves), "locks_for_unpruned_query": locks, "lock_table_slots": slots}
        msg = f"{len(leaves)} leaf partitions"
        if over_locks:
            msg += f"; an unpruned query takes {locks} locks, over half the shared lock table ({slots})"
        need = max(64, -(-2 * locks // max(1, int(settings.get("max_connections", 100)))))
        yield Hit(
            obj=table_obj(t),
            message=msg,
            evidence=ev,
            # A server-wide setting that takes a restart: the DBA's call, never an executable line of a fix.
            fix=f"-- raise the lock table for the whole server (takes effect after a restart):\n"
            f"-- ALTER SYSTEM SET max_locks_per_transaction = {need:d};\n"
            f"-- and prefer coarser intervals or retention for {t.qualified}",
            severity="high" if len(leaves) >= high or (slots is not None and locks > slots) else "medium",
        )
