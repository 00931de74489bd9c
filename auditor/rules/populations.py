"""Counts of what the rules of each area judge: the denominators of their pass ratios in the scores."""

from __future__ import annotations

from auditor.catalog.model import Snapshot
from auditor.rules.registry import population


@population("tables")
def _tables(snap: Snapshot) -> int:
    return sum(1 for t in snap.user_tables if not t.is_partition)


@population("foreign_keys")
def _foreign_keys(snap: Snapshot) -> int:
    return sum(1 for c in snap.constraints if c.type == "f" and c.parent_oid is None)


@population("indexes")
def _indexes(snap: Snapshot) -> int:
    return sum(1 for i in snap.indexes if i.parent_index_oid is None)


@population("columns")
def _columns(snap: Snapshot) -> int:
    tables = {t.oid for t in snap.user_tables if not t.is_partition}
    return sum(1 for c in snap.columns if c.table_oid in tables)


@population("constraints")
def _constraints(snap: Snapshot) -> int:
    return sum(1 for c in snap.constraints if c.parent_oid is None)


@population("sequences")
def _sequences(snap: Snapshot) -> int:
    return len(snap.sequences)


@population("partitioned_tables")
def _partitioned(snap: Snapshot) -> int:
    return sum(1 for t in snap.user_tables if t.is_partitioned and not t.is_partition)
