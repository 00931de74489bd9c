"""What the partition rules judge, counted: the denominators of their pass ratios."""

from __future__ import annotations

from auditor.analysis.partman import partman_sets
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import user_parents
from auditor.rules.registry import population


@population("partition_sets")
def _partition_sets(snap: Snapshot) -> int:
    return len(user_parents(snap, roots_only=True))


@population("partman_sets")
def _partman_sets(snap: Snapshot) -> int:
    return len(partman_sets(snap)) if snap.installed("pg_partman") else 0


@population("partition_indexes")
def _partition_indexes(snap: Snapshot) -> int:
    parents = {t.oid for t in user_parents(snap)}
    return sum(1 for i in snap.indexes if i.table_oid in parents and i.parent_index_oid is None)
