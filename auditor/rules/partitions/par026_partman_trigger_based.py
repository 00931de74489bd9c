"""PAR026: a pg_partman 4.x trigger-based set, which blocks the upgrade to 5.x."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partman import config_table, config_where
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import configured_sets, set_obj
from auditor.rules.registry import Hit, rule


@rule(
    "PAR026",
    "partman-trigger-based",
    severity="high",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_trigger_based(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman 4.x trigger-based set ('partman' or 'time-custom').

    ## Why is this bad?
    Trigger-based sets use inheritance and a routing trigger: slower inserts, no native pruning, and
    pg_partman 5.x dropped them: `ALTER EXTENSION pg_partman UPDATE` to 5.x raises while one exists, so
    the whole installation is stuck on the end-of-life 4.x line.

    ## Example
    `create_parent('public.logs', 'at', 'partman', 'daily')` on pg_partman 4.x.

    ## Fix
    Migrate the set to native partitioning (pg_partman's doc/migrate_to_native.md), then upgrade.
    """
    for pset in configured_sets(snap):
        if not pset.trigger_based:
            continue
        yield Hit(
            obj=set_obj(snap, pset),
            message=f"trigger-based pg_partman set (partition_type {pset.partition_type}): blocks the upgrade to 5.x",
            evidence={"partition_type": pset.partition_type, "partition_interval": pset.partition_interval},
            fix="-- migrate to native partitioning (pg_partman doc/migrate_to_native.md), then:\n"
            f"-- UPDATE {config_table(snap, pset)} SET partition_type = 'native' WHERE {config_where(pset)};",
        )
