"""CON008: `timestamp without time zone` columns, per table or rolled up per schema."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from auditor.base.names import column_list, quote_ident
from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import in_index_expression, retype_columns_sql, table_obj
from auditor.rules.constraints._shared import (
    judged_tables,
    rollup,
    schema_hit,
)
from auditor.rules.registry import Hit, rule


def timestamptz_fix(snap: Snapshot, items: list[tuple[Table, list[str]]]) -> str:
    """Every column to timestamptz in one transaction (the views reading the tables dropped and recreated in
    it: ALTER ... TYPE fails on a column a view uses), the session's TimeZone UTC for that transaction only;
    a partition key column is left with a note."""
    notes = [
        f"-- {column_list(keyed)} is in the partition key of {t.qualified}: its type cannot be altered in place;\n"
        "-- it changes only by recreating the partitioned table."
        for t, cols in items
        if (keyed := [c for c in cols if c in t.partition_key_columns])
    ]
    indexed = [
        (t, c)
        for t, cols in items
        for c in cols
        if c not in t.partition_key_columns and in_index_expression(snap, t, c)
    ]
    if indexed:
        shown = ", ".join(f"{t.qualified}.{quote_ident(c)}" for t, c in indexed[:10])
        notes.append(
            f"-- {len(indexed)} column(s) an index predicate or expression uses are left out ({sql_comment(shown)}"
            f"{' ...' if len(indexed) > 10 else ''}):\n-- compared with a timestamp constant there, the ALTER fails "
            "(the comparison is no longer immutable).\n-- Rebuild those indexes with a timestamptz constant first."
        )
    changes = [
        (t, c, "timestamptz")
        for t, cols in items
        for c in cols
        if c not in t.partition_key_columns and (t, c) not in indexed
    ]
    if not changes:
        return "\n".join(notes)
    why = (
        "only if the stored values are UTC: with TimeZone = UTC (set for this transaction), PostgreSQL 12+ "
        "changes timestamp to timestamptz without rewriting the table (indexes on the columns are rebuilt)"
    )
    return "\n".join([*notes, retype_columns_sql(snap, changes, why, ("SET LOCAL timezone = 'UTC';",), partial=True)])


@rule(
    "CON008",
    "timestamp-without-time-zone",
    severity="low",
    subject="table",
    requires=("tables", "columns"),
)
def timestamp_without_time_zone(snap: Snapshot) -> Iterator[Hit]:
    """Columns of type `timestamp without time zone`.

    ## Why it matters
    A `timestamp` stores wall-clock digits with no zone. Which zone they meant lives only in the
    application's convention: a session with another TimeZone, a report tool, a daylight-saving
    change or a second service writing local time and the values silently shift by hours, and
    comparisons with `now()` (a timestamptz) convert using the session's zone. `timestamptz`
    stores an instant and costs the same 8 bytes.

    ## What it checks
    Columns of type `timestamp` (any precision) in the application's tables. One finding per table,
    or one for the whole schema when most of its tables do it (a Rails or Django schema typically
    uses `timestamp` everywhere: the `rollup-tables` threshold, or 3+ tables making up 80% of the
    schema), with the columns listed in the evidence. A column in a partitioned table's partition key
    cannot be altered in place: the fix says so instead of altering it. Views that read the tables are
    dropped and recreated, as they were, in the fix's transaction.

    ## Bad
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, created_at timestamp NOT NULL DEFAULT now());
    ```

    ## Good
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    ```

    ## Fix
    ```sql
    -- If the stored values are UTC (Rails, Django and most ORMs write UTC), with TimeZone = UTC
    -- PostgreSQL 12+ changes the type without rewriting the table (indexes on it are rebuilt);
    -- it still takes an ACCESS EXCLUSIVE lock while it runs:
    BEGIN;
    SET LOCAL timezone = 'UTC';
    ALTER TABLE events ALTER COLUMN created_at TYPE timestamptz;
    COMMIT;
    ```
    The finding's fix changes every column it names in one transaction, and drops and recreates the views
    that read those tables in it (ALTER ... TYPE fails on a column a view uses).

    ## False positives
    Values that are wall-clock times on purpose: a shop's opening hour, an appointment in the
    customer's local time with the zone kept in another column, a date-time copied from a document.
    Suppress on the table:
    `COMMENT ON TABLE events IS 'pg-auditor: ignore CON008 -- local times, zone in events.tz'`.
    A finding rolled up for a schema is about the schema object, which a comment does not cover: use
    `[[tool.pg-auditor.ignore-objects]]` with `rule = "CON008"` and `object = "<schema>"`, or
    `--ignore CON008` / `ignore = ["CON008"]` in the config.
    """
    per_table: list[tuple[Table, list[str], str]] = []
    for t in judged_tables(snap):
        cols = [c.name for c in snap.columns_of.get(t.oid, []) if c.base_type == "timestamp"]
        if cols:
            per_table.append((t, cols, timestamptz_fix(snap, [(t, cols)])))
    for schema, items in rollup(snap, per_table):
        if schema is not None:
            hit = schema_hit(
                snap,
                schema,
                items,
                "{columns} timestamp without time zone columns in {tables} of {of} tables of {schema}",
                "columns",
                fix=timestamptz_fix(snap, [(t, cols) for t, cols, _ in items]),
            )
            names = Counter(c for _, cols, _ in items for c in cols)
            hit.evidence["most_common"] = [f"{n} ({k} tables)" for n, k in names.most_common(5)]
            yield hit
            continue
        t, cols, fix = items[0]
        yield Hit(
            obj=table_obj(t),
            message=f"{column_list(cols)} {'are' if len(cols) > 1 else 'is'} timestamp without time zone",
            evidence={"columns": cols},
            fix=fix,
        )
