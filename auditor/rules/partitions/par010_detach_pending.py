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

    ## Why is this bad?
    The second phase of `DETACH PARTITION ... CONCURRENTLY` was cancelled or failed. The partition is
    neither attached nor detached: queries through the parent ignore it, and no other partition can be
    detached concurrently until it is finalized.

    ## Example
    `ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY` cancelled during its second transaction.

    ## Fix
    ```sql
    ALTER TABLE parent DETACH PARTITION child FINALIZE;
    ```
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
