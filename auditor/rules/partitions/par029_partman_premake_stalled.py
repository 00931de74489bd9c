"""PAR029: a pg_partman time set whose premake stopped because its data stopped."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partbounds import MAXVALUE, TIME_TYPES
from auditor.analysis.partman import config_table, config_where, maintenance_call, parent_of
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import analyzed, children, configured_sets, layout_of, now_of, rows_of, when
from auditor.rules.registry import Hit, rule


@rule(
    "PAR029",
    "partman-premake-stalled",
    severity="medium",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables", "columns"),
    population="partman_sets",
)
def partman_premake_stalled(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman time set with infinite_time_partitions off whose data stopped arriving.

    ## Why it matters
    pg_partman counts `premake` from the partition holding the newest row, not from now. When data stops
    (a paused feature, a quiet tenant), maintenance stops creating partitions; when it resumes past the
    last child, rows land in the default, and maintenance then fails on them.

    ## What it checks
    Time-based pg_partman sets with `infinite_time_partitions` off, judged on the row estimates of their
    partitions: when every partition has been analyzed and the newest one holding rows ends before now.
    A never analyzed partition leaves the set unjudged (its estimate says nothing).

    ## Bad
    ```sql
    -- A monthly set whose feature was paused two months ago: maintenance still counts premake from then.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');
    INSERT INTO events SELECT g % 20, date_trunc('month', now()) - interval '2 months' + interval '1 day', '{}'
    FROM generate_series(1, 500) g;
    ANALYZE events;
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
    UPDATE partman.part_config SET infinite_time_partitions = true WHERE parent_table = 'public.events';
    INSERT INTO events SELECT g % 20, date_trunc('month', now()) - interval '2 months' + interval '1 day', '{}'
    FROM generate_series(1, 500) g;
    ANALYZE events;
    ```

    ## Fix
    ```sql
    UPDATE partman.part_config SET infinite_time_partitions = true WHERE parent_table = 'schema.table';
    SELECT partman.run_maintenance('schema.table');
    ```

    ## False positives
    A set that will get no new rows (the feature was retired) needs no future partitions; accept it on the
    table: `COMMENT ON TABLE events IS 'pg-auditor: ignore PAR029 -- feature retired in March'`. Estimates
    can lag: a partition written since its last ANALYZE still counts as empty.
    """
    now = now_of(snap)
    for pset in configured_sets(snap):
        t = parent_of(snap, pset)
        if t is None or not pset.is_time_based or pset.infinite_time_partitions is not False:
            continue
        layout = layout_of(snap, t)
        if layout is None or layout.key_type not in TIME_TYPES:
            continue
        by_name = {c.name: c for c in children(snap, t)}
        parts = [p for p in layout.parts if p.upper != MAXVALUE]
        if not parts or not all(analyzed(snap, by_name[p.name]) for p in parts):
            continue
        with_rows = [p for p in parts if rows_of(snap, by_name[p.name]) > 0]
        if not with_rows or with_rows[-1].upper > now:
            continue
        newest = with_rows[-1]
        yield Hit(
            obj=table_obj(t),
            message=f"the newest rows are in {newest.name} (ended {when(newest.upper)}) and infinite_time_partitions "
            "is off: premake counts from there, so maintenance creates no partitions for now",
            evidence={"newest_partition_with_rows": newest.name, "premake": pset.premake},
            fix=f"UPDATE {config_table(snap, pset)} SET infinite_time_partitions = true WHERE {config_where(pset)};\n"
            + maintenance_call(snap, pset),
        )
