"""PAR006: rows in a default partition, which block creating the partitions they belong to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from auditor.analysis.partbounds import TIME_TYPES, Step
from auditor.analysis.partman import PartmanSet, maintenance_call
from auditor.base.names import quote_ident, quote_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import human_bytes, table_obj
from auditor.rules.partitions._shared import (
    LIKE_OPTIONS,
    analyzed,
    coverage_fix,
    coverages,
    default_of,
    key_type,
    layout_of,
    managing_set,
    now_of,
    partition_data_sql,
    rows_of,
    user_parents,
)
from auditor.rules.registry import Hit, rule


@rule(
    "PAR006",
    "default-partition-has-rows",
    severity="high",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def default_partition_has_rows(snap: Snapshot) -> Iterator[Hit]:
    """Default partition holding rows (estimated).

    ## Why it matters
    Rows in a range set's default belong to ranges that have no partition. Creating the partition for
    them fails ("updated partition constraint for default partition ... would be violated"), pg_partman's
    maintenance fails the same way, and every later partition creation scans the default under an
    ACCESS EXCLUSIVE lock. Queries on those dates cannot prune. A list set's default is often deliberate
    ("everyone else"), so it is reported as low.

    ## What it checks
    The default partition of every partitioned table (sub-partitions too), judged on its estimates with no
    scan: `reltuples`, or the statistics collector's live tuples when larger. A default never analyzed that
    already has data pages counts too (its estimate is unknown, its size is not). High for a range set, low
    for a list set.

    ## Bad
    ```sql
    -- The monthly partitions stop at January 2024: a March row goes to the default.
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
    CREATE TABLE events_default PARTITION OF events DEFAULT;
    INSERT INTO events VALUES (1, '2024-03-15', '{"kind": "login"}');
    ANALYZE events;
    ```

    ## Good
    ```sql
    -- Every row has its partition; the default stays empty.
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
    CREATE TABLE events_2024_03 PARTITION OF events FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
    CREATE TABLE events_default PARTITION OF events DEFAULT;
    INSERT INTO events VALUES (1, '2024-03-15', '{"kind": "login"}');
    ANALYZE events;
    ```

    ## Fix
    Move the rows into proper partitions: pg_partman's `partition_data_proc` for managed sets, else
    create each partition beside the default, move its rows, and ATTACH it. First see which ranges the
    rows belong to (this scans the default):
    ```sql
    SELECT date_trunc('month', created_at) AS starts, count(*) FROM ONLY events_default GROUP BY 1 ORDER BY 1;
    ```
    then, per range, create the partition with `LIKE`, `INSERT ... SELECT` the rows from `ONLY events_default`,
    delete them there, and `ATTACH PARTITION`, in one transaction (the finding's fix spells it out).

    ## False positives
    A list set's default that catches "every other value" on purpose is reported as low; ignore it on the
    table when that is the design: `COMMENT ON TABLE ticket_search IS 'pg-auditor: ignore PAR006 -- small
    tenants share the default'`. The estimate can lag: after rows were moved out, run `ANALYZE` on the
    default before judging again.
    """
    now = now_of(snap)
    for t in user_parents(snap):
        default = default_of(snap, t)
        if default is None:
            continue
        rows = rows_of(snap, default)
        unanalyzed = not analyzed(snap, default) and (default.table_bytes or default.relpages) > 0
        if rows <= 0 and not unanalyzed:
            continue
        pset = managing_set(snap, t)
        ev: dict[str, Any] = {
            "default_partition": default.name,
            "estimated_rows": rows,
            "size": human_bytes(default.total_bytes),
            "analyzed": analyzed(snap, default),
        }
        stats = snap.stats_of.get(default.oid)
        if stats:
            ev["last_analyze"] = stats.last_analyze or stats.last_autoanalyze
        fix = _default_fix(snap, t, default, pset, now)
        amount = f"~{rows} rows" if rows > 0 else f"{human_bytes(default.table_bytes)} of data (never analyzed)"
        blocked = "; creating the partitions those rows belong to fails until they are moved"
        yield Hit(
            obj=table_obj(t),
            message=f"default partition {default.name} holds {amount}"
            + (blocked if t.partition_strategy == "r" else ""),
            evidence=ev,
            fix=fix,
            severity="high" if t.partition_strategy == "r" else "low",
            members=(default.name,),
        )


def _default_fix(snap: Snapshot, t: Table, default: Table, pset: PartmanSet | None, now: dt.datetime) -> str:
    key = quote_ident(t.partition_key_columns[0]) if len(t.partition_key_columns) == 1 else None
    if pset is not None:
        return partition_data_sql(snap, pset) + "\n" + maintenance_call(snap, pset)
    cov = next((c for c in coverages(snap)[0] if c.table.oid == t.oid), None)
    until = cov.layout.covered_until if cov is not None else None
    if cov is not None and cov.layout.step and isinstance(until, dt.datetime) and until <= now:
        # The rows are past the last partition: the partitions PAR001 asks for, created and filled from the
        # default. The same text as PAR001's fix, so a fix script runs it once.
        return coverage_fix(snap, cov)
    lines = []
    if key is not None:
        if t.partition_strategy == "r" and key_type(snap, t) in TIME_TYPES:
            layout = layout_of(snap, t)
            unit = _trunc_unit(layout.step if layout else None)
            lines.append(
                "-- which ranges the rows belong to (scans the default):\n"
                f"-- SELECT date_trunc({quote_literal(unit)}, {key}) "
                f"AS starts, count(*) FROM ONLY {default.qualified} GROUP BY 1 ORDER BY 1;"
            )
        else:
            lines.append(
                f"-- which values the rows hold (scans the default):\n-- SELECT {key}, count(*) FROM ONLY "
                f"{default.qualified} GROUP BY 1 ORDER BY 2 DESC LIMIT 50;"
            )
    lines.append(
        f"-- then for each range/value: CREATE TABLE <new> (LIKE {t.qualified} {sql_comment(LIKE_OPTIONS)});\n"
        f"-- move its rows from ONLY {default.qualified} (INSERT ... SELECT; DELETE); "
        f"ALTER TABLE {t.qualified} ATTACH PARTITION <new> FOR VALUES ...;"
    )
    return "\n".join(lines)


def _trunc_unit(step: Step | None) -> str:
    if step is None:
        return "day"
    if step.months:
        return "year" if step.months % 12 == 0 else "month"
    secs = step.delta.total_seconds()
    return "hour" if secs < 86400 else "week" if secs == 7 * 86400 else "day"
