"""PAR018: a partitioned table with no partition at all, so every INSERT into it fails."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from auditor.base.names import qualified
from auditor.base.text import sql_comment
from auditor.base.thresholds import threshold
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import new_name, table_obj
from auditor.rules.partitions._shared import children, user_parents
from auditor.rules.registry import Hit, rule

CREATED_AT_RUN_TIME = threshold(
    "partitions_created_at_run_time",
    [],
    "partitioned tables (schema.table globs) whose partitions the application creates at run time: reported low",
)
STRATEGY = {"r": "RANGE", "l": "LIST", "h": "HASH"}


def created_at_run_time(snap: Snapshot, t: Table) -> bool:
    names = (f"{t.schema}.{t.name}", t.name)
    return any(fnmatch.fnmatchcase(n, glob) for glob in CREATED_AT_RUN_TIME(snap) for n in names)


@rule(
    "PAR018",
    "partitioned-table-without-partitions",
    severity="critical",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def partitioned_table_without_partitions(snap: Snapshot) -> Iterator[Hit]:
    """Partitioned table with no partition and no default: every INSERT fails.

    ## Why it matters
    A row inserted into a partitioned table is stored in one of its partitions. With none at all, every
    INSERT fails with `no partition of relation ... found for row`, and so does every statement that
    inserts through it: a trigger or a cascade elsewhere copying rows into it makes an unrelated UPDATE or
    DELETE fail too. Applications that create partitions at run time (a partition manager on boot or in
    a worker) leave a database built from the schema file alone in this state until that code runs.

    ## What it checks
    Partitioned tables (top-level or sub-partitioned) with no partition at all. A table named in the
    `partitions-created-at-run-time` threshold (globs over `schema.table`) is reported low: the
    application says it creates them.

    ## Bad
    ```sql
    CREATE TABLE audit_events (id bigint NOT NULL, created_at timestamptz NOT NULL, payload jsonb)
        PARTITION BY RANGE (created_at);
    ```

    ## Good
    ```sql
    CREATE TABLE audit_events (id bigint NOT NULL, created_at timestamptz NOT NULL, payload jsonb)
        PARTITION BY RANGE (created_at);
    CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
    ```

    ## Fix
    ```sql
    -- a DEFAULT partition catches every row until the real partitions exist:
    CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
    ```
    Better: create the partitions the data needs (or register the set with pg_partman and run its
    maintenance). A default partition that later holds rows makes creating an overlapping partition
    fail until they are moved (PAR006).

    ## False positives
    The application creates the partitions before its first insert (GitLab's partition manager, a
    migration run at deploy). Name those tables in the configuration:
    `[tool.pg-auditor.thresholds] partitions-created-at-run-time = ["public.audit_events", "public.p_ci_*"]`,
    or comment the table: `COMMENT ON TABLE audit_events IS 'pg-auditor: ignore PAR018 -- created at boot'`.
    """
    for t in user_parents(snap):
        if children(snap, t):
            continue
        runtime = created_at_run_time(snap, t)
        strategy = STRATEGY.get(t.partition_strategy or "", t.partition_strategy or "?")
        default = qualified(t.schema, new_name(snap, t, [t.name], "default"))
        yield Hit(
            obj=table_obj(t),
            message=f"{strategy} partitioned with no partition and no default: every INSERT fails"
            + ("; the configuration says the application creates them at run time" if runtime else ""),
            evidence={
                "partition_key": t.partition_key,
                "strategy": strategy,
                "created_at_run_time": runtime,
            },
            fix=(
                f"-- {sql_comment(t.qualified)} has no partition: a DEFAULT partition catches rows until the real\n"
                "-- ones exist (better: create the partitions the data needs, or let pg_partman do it)\n"
                f"CREATE TABLE {default} PARTITION OF {t.qualified} DEFAULT;"
            ),
            severity="low" if runtime else None,
        )
