"""PAR001: a range set with no partition for now, so inserts fail or pile up in the default."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partbounds import MAXVALUE, TIME_TYPES
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import (
    EMPTY_SET,
    ago,
    coverage_evidence,
    coverage_fix,
    coverages,
    default_of,
    default_only_severity,
    partman_owns,
    set_is_empty,
    unread_positions,
    when,
)
from auditor.rules.registry import Hit, Skip, rule


@rule(
    "PAR001",
    "range-coverage-ended",
    severity="critical",
    subject="partitioned table",
    requires=("tables", "columns"),
    population="partition_sets",
)
def range_coverage_ended(snap: Snapshot) -> Iterator[Hit]:
    """Range-partitioned set with no partition for now (time keys, or integer keys past their sequence).

    ## Why it matters
    The last partition ended before today. Without a default partition every insert fails with
    `no partition of relation ... found for row`; with one, new rows pile up in the default, and every
    partition later created for those dates fails ("updated partition constraint for default partition
    would be violated") until the rows are moved out.

    ## What it checks
    Every top-level range-partitioned table whose bounds can be read as values. A time key (date,
    timestamp, timestamptz) is judged against the time the snapshot was taken; an integer key against the
    last value of the sequence that owns the key column (or, for a pg_partman epoch set, now as an epoch).
    It fires when no partition covers that position and the newest partition ends before it, and when a
    range set has no partition at all besides its default. Sets open to `MAXVALUE` never run out. When no
    set can be judged because their bounds cannot be ordered (an expression or multi-column key), the rule
    reports itself not evaluated rather than passing; so it does, when it finds nothing else, if the owned
    sequence of an integer set was not read (another session held it under an ACCESS EXCLUSIVE lock, or
    the read failed), as CON011 does for the sequences themselves.

    ## Severity
    Critical without a default (inserts fail), high with one. A set whose only partition is its default is
    high too; but where pg_partman is installed and the set is not registered, PAR024 reports that shape
    (registering the set is the fix) and this rule stays quiet. When the whole set holds no rows (every
    partition estimated at 0 rows after ANALYZE; a never analyzed one counts as holding rows), nothing has to
    be moved yet: medium.

    ## Bad
    ```sql
    -- A monthly set whose partitions were created by hand for late 2024, and nobody made the next ones.
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2024_11 PARTITION OF events FOR VALUES FROM ('2024-11-01') TO ('2024-12-01');
    CREATE TABLE events_2024_12 PARTITION OF events FOR VALUES FROM ('2024-12-01') TO ('2025-01-01');
    ```

    ## Good
    ```sql
    -- The current month and the next three exist; a scheduled job (or pg_partman) keeps creating them.
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
    Create the missing partitions, moving the default's rows into them (create beside the default, copy,
    delete, ATTACH); for pg_partman sets run its maintenance (after moving default data with
    `partition_data_proc`/`partition_data_time`), and schedule it (PAR021). The finding's fix does this for
    the set, up to the configured runway:
    ```sql
    BEGIN;
    CREATE TABLE public.events_2025_01
        (LIKE public.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED);
    INSERT INTO public.events_2025_01 (org_id, created_at, payload)
        SELECT org_id, created_at, payload FROM ONLY public.events_default
        WHERE created_at >= '2025-01-01' AND created_at < '2025-02-01';
    DELETE FROM ONLY public.events_default WHERE created_at >= '2025-01-01' AND created_at < '2025-02-01';
    ALTER TABLE public.events ATTACH PARTITION public.events_2025_01 FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
    COMMIT;
    ```
    Moving rows out of the default takes an ACCESS EXCLUSIVE lock on it; run it in a quiet hour.

    ## False positives
    A set that is closed on purpose (an archive nobody writes to any more) has no partition for now and
    needs none: say so on the table, `COMMENT ON TABLE events_2019 IS 'pg-auditor: ignore PAR001 -- archive,
    read-only since 2020'`, or list it under `[[tool.pg-auditor.ignore-objects]]`. An integer set is judged
    by its owned sequence: a sequence advanced by hand (or shared with another table) makes the set look
    ended when the key values in use are lower.
    """
    sets, unjudged = coverages(snap)
    if not sets and unjudged:
        raise Skip(f"range bounds of {', '.join(unjudged[:5])} could not be read as values", not_evaluated=True)
    found = 0
    for cov in sets:
        until = cov.layout.covered_until
        default = default_of(snap, cov.table)
        empty = default is not None and set_is_empty(snap, cov.table)
        if not cov.layout.parts and default is not None:
            if cov.pset is None and partman_owns(snap, cov.table):
                continue  # PAR024 reports it: register it with pg_partman
            ev = coverage_evidence(snap, cov)
            ev["set_empty"] = empty
            found += 1
            yield Hit(
                obj=table_obj(cov.table),
                message=f"range set with no range partitions: every row lands in {default.name}"
                + (EMPTY_SET if empty else ""),
                evidence=ev,
                fix=coverage_fix(snap, cov),
                severity=default_only_severity(snap, cov.table),
            )
            continue
        if until == MAXVALUE or until is None or cov.current is not None or until > cov.position:
            continue
        ev = coverage_evidence(snap, cov)
        if cov.layout.key_type in TIME_TYPES:
            ev["ended_ago"] = ago(cov.position - until)
            span = f"ended {when(until)} ({ago(cov.position - until)} ago)"
        else:
            span = f"end at {until}, below the current value {cov.position}"
        where = f"new rows land in {default.name}" if default else "inserts fail"
        if empty:
            ev["set_empty"] = True
            where += "; the set holds no rows (estimated), so nothing needs moving yet"
        found += 1
        yield Hit(
            obj=table_obj(cov.table),
            message=f"no partition covers now: partitions {span}; {where}",
            evidence=ev,
            fix=coverage_fix(snap, cov),
            severity=("medium" if empty else "high") if default else "critical",
        )
    unread = unread_positions(snap)
    if unread and not found:  # a set whose sequence was skipped under a lock must not pass as covered
        raise Skip(f"not evaluated: the sequences of {', '.join(unread[:5])} were not read", not_evaluated=True)
