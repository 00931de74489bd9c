"""PAR028: pg_partman's ignore_default_data off: rows in the default steer maintenance."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partman import config_table, config_where, parent_of
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import configured_sets, set_obj
from auditor.rules.registry import Hit, rule


@rule(
    "PAR028",
    "partman-ignore-default-data-off",
    severity="low",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_ignore_default_data_off(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman set with ignore_default_data off.

    ## Why it matters
    With it off, maintenance takes the newest value in the default partition into account: one stray
    far-future row makes it create every partition up to that date, or fail with "updated partition
    constraint for default partition would be violated". 4.x defaults it to off and upgraded sets keep
    it; pg_partman's documentation says not to leave it off.

    ## What it checks
    Top-level pg_partman sets whose parent exists and whose `ignore_default_data` is false.

    ## Bad
    ```sql
    -- A set created on 4.x (default off), as it is carried through the upgrade to 5.x.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');
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
    UPDATE partman.part_config SET ignore_default_data = true WHERE parent_table = 'public.events';
    ```

    ## Fix
    ```sql
    UPDATE partman.part_config SET ignore_default_data = true WHERE parent_table = 'schema.table';
    ```

    ## False positives
    A set whose default must steer maintenance on purpose (rarely wanted) can keep it off:
    `COMMENT ON TABLE events IS 'pg-auditor: ignore PAR028 -- default drives premake, reviewed'`.
    """
    for pset in configured_sets(snap):
        if pset.ignore_default_data is not False or parent_of(snap, pset) is None:
            continue
        yield Hit(
            obj=set_obj(snap, pset),
            message="ignore_default_data is off: rows in the default steer (or break) maintenance",
            evidence={"ignore_default_data": False},
            fix=f"UPDATE {config_table(snap, pset)} SET ignore_default_data = true WHERE {config_where(pset)};",
        )
