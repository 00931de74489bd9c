"""PAR026: a pg_partman 4.x trigger-based set, which blocks the upgrade to 5.x."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partman import config_table, config_where
from auditor.base.text import sql_comment
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

    ## Why it matters
    Trigger-based sets use inheritance and a routing trigger: slower inserts, no native pruning, and
    pg_partman 5.x dropped them: `ALTER EXTENSION pg_partman UPDATE` to 5.x raises while one exists, so
    the whole installation is stuck on the end-of-life 4.x line.

    ## What it checks
    Top-level pg_partman sets whose `partition_type` is `partman` or `time-custom`. The parent is an
    inheritance parent too, so PAR011 reports it as well.

    ## Bad
    ```sql
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE logs (id bigint, org_id bigint NOT NULL, at timestamptz NOT NULL, message text);
    SELECT partman.create_parent('public.logs', 'at', 'partman', 'daily');
    ```

    ## Good
    ```sql
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE logs (id bigint, org_id bigint NOT NULL, at timestamptz NOT NULL, message text)
        PARTITION BY RANGE (at);
    SELECT partman.create_parent('public.logs', 'at', 'native', 'daily');
    ```

    ## Fix
    Migrate the set to native partitioning (pg_partman's doc/migrate_to_native.md), then upgrade:
    ```sql
    -- after the migration
    UPDATE partman.part_config SET partition_type = 'native' WHERE parent_table = 'public.logs';
    ```

    ## False positives
    None for a database that will move to pg_partman 5.x. If it stays on 4.x for good (an end-of-life line),
    accept it on the table: `COMMENT ON TABLE logs IS 'pg-auditor: ignore PAR026 -- retired with the
    service in Q3'`.
    """
    for pset in configured_sets(snap):
        if not pset.trigger_based:
            continue
        yield Hit(
            obj=set_obj(snap, pset),
            message=f"trigger-based pg_partman set (partition_type {pset.partition_type}): blocks the upgrade to 5.x",
            evidence={"partition_type": pset.partition_type, "partition_interval": pset.partition_interval},
            fix="-- migrate to native partitioning (pg_partman doc/migrate_to_native.md), then:\n"
            f"-- UPDATE {sql_comment(config_table(snap, pset))} SET partition_type = 'native' "
            f"WHERE {sql_comment(config_where(pset))};",
        )
