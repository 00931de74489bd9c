"""PAR030: pg_partman retention missing, shorter than one interval, or leaving tables behind."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partbounds import Step
from auditor.analysis.partman import PartmanSet, config_table, config_where, parent_of, parse_interval
from auditor.base.names import quote_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import human_bytes, table_obj
from auditor.rules.partitions._shared import configured_sets
from auditor.rules.registry import Hit, rule


@rule(
    "PAR030",
    "partman-retention",
    severity="medium",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables"),
    population="partman_sets",
)
def partman_retention(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman retention that is missing, shorter than one interval, or leaving detached tables behind.

    ## Why it matters
    - No retention on a time set: it grows without bound (info; fine when that is the intent).
    - Retention shorter than one partition interval: each partition is dropped (or detached) as soon as
      it ends, so little or no history is kept; usually a unit mistake ('1 day' on a monthly set).
    - `retention_keep_table` on (the default) with no `retention_schema`: expired children are only
      detached, and the tables pile up beside the set, still taking space.

    ## What it checks
    Top-level pg_partman sets whose parent exists: a time set without `retention` (info); a `retention`
    shorter than `partition_interval` (high; id sets compare the numbers); and, with `retention_keep_table`
    on and no `retention_schema`, ordinary tables beside the parent named like its children (`<parent>_p...`)
    that are no longer attached (low). One finding per case, so each can be ignored on its own.

    ## Bad
    ```sql
    -- '1 day' of retention on a monthly set: each month is dropped the day after it ends.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');
    UPDATE partman.part_config SET retention = '1 day' WHERE parent_table = 'public.events';
    ```

    ## Good
    ```sql
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');
    UPDATE partman.part_config SET retention = '12 months', retention_keep_table = false
    WHERE parent_table = 'public.events';
    ```

    ## Fix
    Set retention to the history you need; set `retention_keep_table = false` (and drop the leftovers
    once they are not needed):
    ```sql
    UPDATE partman.part_config SET retention = '12 months', retention_keep_table = false
    WHERE parent_table = 'public.events';
    ```

    ## False positives
    A set kept forever on purpose gets the info finding only; ignore it there:
    `COMMENT ON TABLE events IS 'pg-auditor: ignore PAR030 -- kept for legal reasons'`. Tables named like the
    set's children but made for something else (an export, a backup copy) count as leftovers; rename them or
    move them to another schema.
    """
    for pset in configured_sets(snap):
        t = parent_of(snap, pset)
        if t is None:
            continue
        table, where = config_table(snap, pset), config_where(pset)
        interval = pset.interval
        if not pset.retention:
            if pset.is_time_based:
                yield Hit(
                    obj=table_obj(t),
                    message="no retention: the set grows without bound",
                    evidence={"partition_interval": pset.partition_interval},
                    fix=f"-- when history can expire:\n-- UPDATE {sql_comment(table)} SET retention = '<n months>', "
                    f"retention_keep_table = false WHERE {sql_comment(where)};",
                    members=("none",),
                    severity="info",
                )
            continue
        retention = (
            parse_interval(pset.retention)
            if pset.is_time_based
            else (Step(width=int(pset.retention)) if pset.retention.strip().isdigit() else None)
        )
        if retention and interval and retention.approx_seconds() < interval.approx_seconds():
            yield Hit(
                obj=table_obj(t),
                message=f"retention {pset.retention} is shorter than one partition ({pset.partition_interval}): "
                "partitions go as soon as they end",
                evidence={"retention": pset.retention, "partition_interval": pset.partition_interval},
                fix=f"UPDATE {table} SET retention = {quote_literal(_times(interval, 3))} WHERE {where};  "
                "-- the history you need",
                members=("short",),
                severity="high",
            )
        if pset.retention_keep_table is not False and not pset.retention_schema:
            left = _leftovers(snap, pset, t)
            if not left:
                continue
            total = sum(x.total_bytes or 0 for x in left)
            yield Hit(
                obj=table_obj(t),
                message=f"{len(left)} detached table(s) left behind by retention_keep_table ({human_bytes(total)})",
                evidence={"tables": [x.name for x in left][:50], "total_size": human_bytes(total)},
                fix=f"UPDATE {table} SET retention_keep_table = false WHERE {where};\n"
                + "\n".join(f"-- DROP TABLE {x.qualified};" for x in left[:50]),
                members=("leftovers",),
                severity="low",
            )


def _times(step: Step, n: int) -> str:
    if step.width:
        return str(step.width * n)
    if step.months and not step.delta:
        return f"{step.months * n} months"
    return f"{int(step.approx_seconds() * n // 3600)} hours"


def _leftovers(snap: Snapshot, pset: PartmanSet, t: Table) -> list[Table]:
    prefix = t.name + pset.prefix
    return sorted(
        (
            x
            for x in snap.user_tables
            if x.schema == t.schema
            and x.kind in ("r", "p")
            and not x.is_partition
            and not x.inherits_from
            and x.name.startswith(prefix)
            and x.name != t.name
            and "template" not in x.name
        ),
        key=lambda x: x.name,
    )
