"""PAR002: a range set with fewer future partitions than wanted: the cliff is near."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from auditor.analysis.partbounds import MAXVALUE
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import ago, coverage_evidence, coverage_fix, coverages, unread_positions, when
from auditor.rules.registry import Hit, Skip, rule


@rule(
    "PAR002",
    "range-runway-short",
    severity="high",
    subject="partitioned table",
    requires=("tables", "columns"),
    population="partition_sets",
)
def range_runway_short(snap: Snapshot) -> Iterator[Hit]:
    """Range-partitioned set with fewer future partitions than configured.

    ## Why it matters
    A partition exists for now, but fewer partitions lie ahead than pg_partman's `premake` (or the
    `partition-premake` threshold for hand-maintained sets). When the last one ends, inserts fail or
    go to the default. No future partition at all means the cliff is less than one interval away.

    ## What it checks
    The same range sets as PAR001, judged at the same position (now for time keys, the owned sequence's
    last value for integer keys), when a partition does cover that position: it counts the partitions that
    start after the current one and compares the count with the set's pg_partman `premake`, or with
    `partition-premake` (default 3) for a set pg_partman does not manage. Sets open to `MAXVALUE` are left
    out. High with no future partition, medium with some but too few. An integer set whose owned sequence
    was not read (held under another session's ACCESS EXCLUSIVE lock, or the read failed) cannot be
    placed: with nothing else found, the rule reports itself not evaluated rather than passing.

    ## Bad
    ```sql
    -- This month and the next exist, nothing after: one month of runway.
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    DO $$
    DECLARE start date;
    BEGIN
        FOR i IN 0..1 LOOP
            start := date_trunc('month', now()) + make_interval(months => i);
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                           'events_' || to_char(start, 'YYYY_MM'), start, start + interval '1 month');
        END LOOP;
    END $$;
    ```

    ## Good
    ```sql
    -- This month and three ahead, as partition_premake asks.
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    DO $$
    DECLARE start date;
    BEGIN
        FOR i IN 0..3 LOOP
            start := date_trunc('month', now()) + make_interval(months => i);
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                           'events_' || to_char(start, 'YYYY_MM'), start, start + interval '1 month');
        END LOOP;
    END $$;
    ```

    ## Fix
    Create the next partitions now (the finding's fix lists them, named like the existing ones), or run
    pg_partman's maintenance for managed sets:
    ```sql
    SELECT partman.run_maintenance('public.events');  -- 4.x; on 5.x CALL partman.run_maintenance_proc();
    ```
    Then make sure something keeps creating them: a scheduled job, or pg_partman with its maintenance
    scheduled (PAR021).

    ## False positives
    A set whose job creates partitions just in time (say, on the 25th for the next month) looks short most
    of the month: lower `partition-premake` (`--set partition-premake=1`) rather than ignore the rule, so an
    actual stop is still caught. A set that will get no new rows after its last partition can be ignored on
    the table: `COMMENT ON TABLE events IS 'pg-auditor: ignore PAR002 -- closes at the end of the contract'`.
    """
    sets, _ = coverages(snap)
    found = 0
    for cov in sets:
        if cov.layout.covered_until == MAXVALUE or cov.current is None or len(cov.future) >= cov.target:
            continue
        ev = coverage_evidence(snap, cov)
        until = cov.layout.covered_until
        runway = f"coverage ends {when(until)}"
        if isinstance(until, dt.datetime):
            ev["runway"] = ago(until - cov.position)
            runway += f" (in {ago(until - cov.position)})"
        found += 1
        yield Hit(
            obj=table_obj(cov.table),
            message=f"{len(cov.future)} future partition(s), {cov.target} wanted; {runway}",
            evidence=ev,
            fix=coverage_fix(snap, cov),
            severity="high" if not cov.future else "medium",
        )
    unread = unread_positions(snap)
    if unread and not found:  # a set whose sequence was skipped under a lock must not pass as having runway
        raise Skip(f"not evaluated: the sequences of {', '.join(unread[:5])} were not read", not_evaluated=True)
