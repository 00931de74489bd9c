"""The partition sets as the report shows them beside the findings: coverage, default, size, pg_partman."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditor.analysis.partbounds import TIME_TYPES
from auditor.analysis.partman import scheduler
from auditor.catalog.model import Snapshot
from auditor.rules.common import human_bytes
from auditor.rules.partitions._shared import (
    default_of,
    descendants,
    layout_of,
    now_of,
    partman_by_parent,
    rows_of,
    user_parents,
    when,
)
from auditor.rules.registry import context


@context("partitions")
def partitions_context(snap: Snapshot) -> dict[str, Any]:
    """One row per partition set (coverage, default, size, pg_partman settings), and who runs pg_partman."""
    now = now_of(snap)
    psets = partman_by_parent(snap) if snap.installed("pg_partman") else {}
    sets = []
    for t in user_parents(snap, roots_only=True):
        leaves = snap.leaf_partitions(t)
        default = default_of(snap, t)
        row: dict[str, Any] = {
            "set": t.qualified,
            "strategy": {"r": "range", "l": "list", "h": "hash"}.get(t.partition_strategy or "", "?"),
            "key": t.partition_key,
            "partitions": len(leaves),
            "bytes": snap.total_bytes(t),
            "size": human_bytes(snap.total_bytes(t)),
            "estimated_rows": snap.estimated_rows(t),
            "default_partition": default.name if default else None,
            "default_rows": rows_of(snap, default) if default else None,
            "subpartitioned": [p.qualified for p in descendants(snap, t) if p.is_partitioned],
        }
        layout = layout_of(snap, t)
        if layout is not None and layout.key_type in TIME_TYPES and layout.parts:
            until = layout.covered_until
            row["covered_until"] = when(until)
            lowest = layout.parts[0].lower
            if isinstance(lowest, dt.datetime):
                row["covered_from"] = when(lowest)
            row["gaps"] = [[when(a), when(b)] for a, b, _after, _before in layout.gaps]
            row["future_partitions"] = len(layout.ahead_of(now))
            if isinstance(until, dt.datetime):
                row["runway_days"] = (until - now).days
        pset = psets.get((t.schema, t.name))
        if pset is not None:
            row["pg_partman"] = {
                "interval": pset.partition_interval,
                "premake": pset.premake,
                "retention": pset.retention,
                "automatic_maintenance": pset.automatic_maintenance,
                "maintenance_last_run": pset.maintenance_last_run,
            }
        sets.append(row)
    out: dict[str, Any] = {"sets": sets}
    ext = snap.installed("pg_partman")
    if ext is not None:
        out["pg_partman"] = {
            "version": ext.installed_version,
            "available": ext.default_version,
            "schema": ext.schema,
            "sets": len(psets),
            "maintenance_run_by": scheduler(snap).describe(),
        }
    return out
