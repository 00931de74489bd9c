"""PAR010: a partition stuck half-detached by an interrupted DETACH ... CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import children, user_parents
from auditor.rules.registry import Hit, rule


@rule(
    "PAR010",
    "detach-pending",
    severity="high",
    subject="partitioned table",
    requires=("tables",),
    min_version=140000,
    population="partition_sets",
)
def detach_pending(snap: Snapshot) -> Iterator[Hit]:
    """Partition stuck in DETACH ... CONCURRENTLY.

    ## Why it matters
    The second phase of `DETACH PARTITION ... CONCURRENTLY` was cancelled or failed. The partition is
    neither attached nor detached: queries through the parent ignore it, and no other partition can be
    detached concurrently until it is finalized.

    ## What it checks
    Partitions marked detach-pending in `pg_inherits.inhdetachpending` (PostgreSQL 14+), reported once per
    partitioned table with the partitions concerned.

    ## Bad (not run: only an interrupted DETACH ... CONCURRENTLY leaves it, and that cannot run in a transaction)
    ```sql
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
    -- cancelled during its second transaction (statement_timeout, Ctrl-C, a lost connection):
    -- events_2023 stays in pg_inherits with inhdetachpending = true
    ```

    ## Good
    ```sql
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    ALTER TABLE events DETACH PARTITION events_2023;  -- completed: events_2023 is a plain table again
    ```

    ## Fix
    ```sql
    ALTER TABLE parent DETACH PARTITION child FINALIZE;
    ```

    ## False positives
    None: a detach-pending partition is always an unfinished operation. A snapshot taken while a
    `DETACH ... CONCURRENTLY` is still running shows it too; run the audit again once it has finished.
    """
    for t in user_parents(snap):
        pending = [c for c in children(snap, t) if c.detach_pending]
        if not pending:
            continue
        yield Hit(
            obj=table_obj(t),
            message=f"{len(pending)} partition(s) stuck detach-pending: {', '.join(c.name for c in pending)}",
            evidence={"partitions": [c.name for c in pending]},
            fix="\n".join(f"ALTER TABLE {t.qualified} DETACH PARTITION {c.qualified} FINALIZE;" for c in pending),
        )
