"""PAR023: a part_config row for a dropped table, which breaks maintenance of every set."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partman import config_table, config_where, parent_of, sub_sets
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import configured_sets
from auditor.rules.registry import Hit, Obj, rule


@rule(
    "PAR023",
    "partman-orphaned-config",
    severity="critical",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables"),
    population="partman_sets",
)
def partman_orphaned_config(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman config row for a table that no longer exists.

    ## Why it matters
    The table was dropped without `undo_partition`/config cleanup. `run_maintenance()` raises "Given
    parent table not found in system catalogs" on it: the function rolls back every set, the 5.x
    procedure stops and skips the sets after it, and `check_default()` fails outright (5.1).

    ## What it checks
    Every row of `part_config` and `part_config_sub` whose `parent_table` names no table. When the audit is
    limited to some schemas, rows for the schemas left out are not judged (the table may exist there). The
    evidence lists the maintained sets that sort after it, which 5.x's procedure skips.

    ## Bad
    ```sql
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');
    DROP TABLE events CASCADE;  -- its part_config row stays
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
    DROP TABLE events CASCADE;
    DELETE FROM partman.part_config WHERE parent_table = 'public.events';
    ```

    ## Fix
    ```sql
    DELETE FROM partman.part_config WHERE parent_table = 'schema.table';
    ```

    ## False positives
    None while maintenance runs for this database: the row breaks it. A table renamed rather than dropped
    looks the same; then update the row's `parent_table` to the new name instead of deleting it.
    """
    filters = snap.filters.get("schema") or snap.filters.get("exclude_schema")
    seen_schemas = {t.schema for t in snap.tables}
    for pset in [*configured_sets(snap, with_children=True), *(sub_sets(snap) if snap.installed("pg_partman") else [])]:
        if parent_of(snap, pset) is not None:
            continue
        if filters and pset.schema not in seen_schemas:
            continue  # filtered out of this run, not necessarily missing
        after = [
            p.parent_table
            for p in configured_sets(snap, with_children=True)
            if p.parent_table > pset.parent_table and p.maintained
        ]
        yield Hit(
            obj=Obj("partitioned table", pset.schema, pset.table, None),
            message=f"{pset.source} row for {pset.parent_table}, which does not exist: maintenance fails on it"
            + (f" and skips the {len(after)} set(s) after it" if after else ""),
            evidence={"config_table": pset.source, "sets_after_it": after},
            fix=f"DELETE FROM {config_table(snap, pset)} WHERE {config_where(pset)};",
            members=(pset.source,),
        )
