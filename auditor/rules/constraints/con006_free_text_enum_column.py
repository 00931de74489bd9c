"""CON006: a status-like text column with no set of allowed values; pg_stats supplies the values when readable."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.base.names import quote_ident, quote_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import column_obj
from auditor.rules.constraints._shared import (
    TEXT_TYPES,
    add_constraint_sql,
    checked_columns,
    constraint_name,
    fk_columns,
    judged_tables,
    polymorphic_ids,
)
from auditor.rules.registry import Hit, rule


def is_rails(snap: Snapshot, schema: str) -> bool:
    """Rails keeps schema_migrations and ar_internal_metadata beside its tables."""
    return (schema, "ar_internal_metadata") in snap.table_by_name and (
        schema,
        "schema_migrations",
    ) in snap.table_by_name


ENUM_NAMES = {"status", "state", "stage", "type", "kind", "severity", "level", "event_type", "category", "priority"}
ENUM_SUFFIXES = ("_status", "_state", "_stage", "_kind", "_type", "_level", "_severity", "_category")
NOT_ENUM = {"content_type", "mime_type", "media_type", "file_type", "data_type"}
ADDRESS_WORDS = {"city", "zipcode", "zip", "zip_code", "postal_code", "postcode", "country", "address", "address_line1"}


def address_state(name: str, columns: set[str]) -> bool:
    """`state` beside `city`/`zipcode`/`country` is a province, not a lifecycle state."""
    if name != "state" and not name.endswith("_state"):
        return False
    prefix = name[: -len("state")]
    return any(prefix + w in columns for w in ADDRESS_WORDS)


def spelling_key(value: str) -> str:
    """Active/active, in-progress/in_progress and canceled/cancelled share a key."""
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[^a-z0-9]", "", value.lower()))


def spelling_variants(values: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """(canonical values, {canonical: [other spellings]}); the first (most common) spelling is canonical."""
    first: dict[str, str] = {}
    variants: dict[str, list[str]] = {}
    for v in values:
        key = spelling_key(v)
        if key in first:
            variants.setdefault(first[key], []).append(v)
        else:
            first[key] = v
    return list(first.values()), variants


TABLE_EMPTY = "table is empty (no statistics to judge)"


def no_statistics_reason(snap: Snapshot, t: Table) -> str:
    """Why a column has no pg_stats row: the table is empty, was never analyzed, or its values are not listed.

    ANALYZE writes no pg_stats row for an empty table, so a missing row there is not stale statistics.
    Empty: reltuples 0 once ANALYZE or VACUUM has looked (PostgreSQL 14+ keeps -1 until then; before 14
    a 0 counts only with an analyze on record); or, for a plain table never analyzed, no live row in the
    cumulative statistics (a standby's counters describe the standby, so not there; a partitioned
    table's own counters are always 0).
    """
    ts = None if snap.statistics_from_standby else snap.stats_of.get(t.oid)
    analyzed = bool(ts and (ts.last_analyze or ts.last_autoanalyze))
    empty = t.reltuples == 0 and (analyzed or snap.server.version_num >= 140000)
    if empty or (t.kind == "r" and ts is not None and not analyzed and ts.n_live_tup == 0 and t.reltuples <= 0):
        return TABLE_EMPTY
    if analyzed or t.reltuples > 0:
        return (
            "unknown (pg_stats lists no small set of values for this column: many distinct values, statistics"
            " not readable by this role, or rows written since the last ANALYZE)"
        )
    return "unknown (no pg_stats for this column: table never analyzed)"


@rule(
    "CON006",
    "free-text-enum-column",
    severity="low",
    subject="column",
    requires=("tables", "columns", "constraints"),
    population="columns",
)
def free_text_enum_column(snap: Snapshot) -> Iterator[Hit]:
    """Status-like text column with no CHECK, enum type or lookup-table foreign key.

    ## Why it matters
    A `status text` column takes any string: `'actve'`, `'Active'` and `'active '` all go in, and
    every query that filters on `status = 'active'` silently misses them. A CHECK listing the
    values (or an enum type, or a foreign key to a lookup table) makes the set explicit and stops
    typos at the door.

    ## What it checks
    text/varchar columns named status, state, stage, type, kind, severity, level, category,
    priority, or ending in `_status`, `_state`, `_stage`, `_type`, `_kind`, `_level`, ... with no
    CHECK mentioning them and no foreign key. Left out: MIME types (`content_type`), address
    states (`state` beside `city`/`zipcode`/`country`), Rails polymorphic `*_type` columns and
    Rails single-table-inheritance `type` columns (class names the framework writes), generated
    columns, and columns pg_stats shows with more than 50 distinct values (free text, not a set of
    states). Where pg_stats is readable the values seen are listed and the fix uses them; values
    that differ only in case, punctuation or a doubled letter (`Active`/`active`,
    `canceled`/`cancelled`) are reported as spelling variants (medium: the data already disagrees
    with itself) and the fix normalizes them before adding the CHECK. Without a pg_stats row the
    evidence says why: the table was never analyzed, or it is empty (ANALYZE writes no row for an
    empty table; the finding is then info: nothing stored can disagree yet, and adding the CHECK now
    costs nothing).

    ## Bad
    ```sql
    CREATE TABLE tickets (id bigint PRIMARY KEY, subject text NOT NULL, status text NOT NULL);
    ```

    ## Good
    ```sql
    CREATE TYPE ticket_priority AS ENUM ('low', 'normal', 'urgent');
    CREATE TABLE tickets (
        id bigint PRIMARY KEY,
        subject text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'pending', 'closed')),
        priority ticket_priority NOT NULL DEFAULT 'normal'
    );
    ```

    ## Fix
    ```sql
    ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
        CHECK (status IN ('open', 'pending', 'closed')) NOT VALID;
    ALTER TABLE tickets VALIDATE CONSTRAINT tickets_status_check;
    ```
    pg_stats lists a sample of the values: add any rare value the application writes before
    validating.

    ## False positives
    A column whose values really are open-ended (a `category` users type in, a `type` that holds
    labels of another system). Suppress on the column:
    `COMMENT ON COLUMN tickets.status IS 'pg-auditor: ignore CON006 -- values come from the vendor API'`
    (a comment on the table covers it too); or `--ignore CON006` / `ignore = ["CON006"]` in the config.
    """
    for t in judged_tables(snap):
        cols = snap.columns_of.get(t.oid, [])
        names = {c.name for c in cols}
        guarded = checked_columns(snap, t) | fk_columns(snap, t)
        poly_types = set(polymorphic_ids(snap, t).values())
        rails = is_rails(snap, t.schema)
        for col in cols:
            low = col.name.lower()
            if col.base_type not in TEXT_TYPES or col.name in guarded or col.generated:
                continue
            if not (low in ENUM_NAMES or low.endswith(ENUM_SUFFIXES)) or low in NOT_ENUM:
                continue
            if col.name in poly_types or address_state(low, names) or (rails and low == "type"):
                continue
            stats = snap.column_stats_of.get((t.schema, t.name, col.name))
            values = sorted(stats.common_values) if stats and stats.common_values else None
            distinct = stats.n_distinct if stats and stats.n_distinct >= 0 else None
            if stats and stats.n_distinct < 0:  # a share of the rows: the count grows with the table
                distinct = -stats.n_distinct * max(t.reltuples, 0)
            if distinct is not None and distinct > 50:
                continue  # many distinct values: free text, not a set of states
            name = constraint_name(snap, t, [col.name], "check")
            evidence: dict[str, object] = {"type": col.type}
            message = f"{col.name} ({col.type}) looks like a fixed set of values but accepts any string"
            severity = None
            if values and stats and stats.common_values:
                evidence["values_seen"] = values
                canonical, variants = spelling_variants(stats.common_values)  # most common first
                in_list = ", ".join(quote_literal(v) for v in sorted(canonical))
                fix = "-- values from pg_stats (a sample): add any rare value the application writes\n"
                if stats.n_distinct > len(stats.common_values):
                    fix += (
                        f"-- pg_stats lists {len(stats.common_values)} of about {stats.n_distinct:.0f} values: "
                        f"list them all first (SELECT DISTINCT {quote_ident(col.name)} FROM {t.qualified})\n"
                    )
                if variants:
                    severity = "medium"  # the data already disagrees with itself
                    evidence["spelling_variants"] = {k: sorted(v) for k, v in sorted(variants.items())}
                    message += "; it already holds spelling variants of the same value: " + ", ".join(
                        f"{' / '.join(sorted([k, *v]))}" for k, v in sorted(variants.items())
                    )
                    fix += "-- one value spelled several ways: normalize (this changes data; batch it on big tables)\n"
                    fix += "\n".join(
                        f"UPDATE {t.qualified} SET {quote_ident(col.name)} = {quote_literal(k)} "
                        f"WHERE {quote_ident(col.name)} IN ({', '.join(quote_literal(x) for x in sorted(v))});"
                        for k, v in sorted(variants.items())
                    )
                    fix += "\n"
                fix += add_constraint_sql(t, name, f"CHECK ({quote_ident(col.name)} IN ({in_list}))")
            else:
                why = no_statistics_reason(snap, t)
                evidence["values_seen"] = why
                if why == TABLE_EMPTY:
                    severity = "info"  # nothing stored yet: a design note, not a data risk (and adding it is free)
                    message += f"; {TABLE_EMPTY}"
                first = (
                    "-- the table is empty: take the values from the application code\n"
                    if why == TABLE_EMPTY
                    else f"-- list the values first: SELECT {quote_ident(col.name)}, count(*) FROM {t.qualified}"
                    " GROUP BY 1;\n"
                )
                fix = (
                    first
                    + "-- then, with those values:\n"
                    + "\n".join(
                        "-- " + sql_comment(line)
                        for line in add_constraint_sql(
                            t, name, f"CHECK ({quote_ident(col.name)} IN ('value1', 'value2'))"
                        ).splitlines()
                    )
                )
            yield Hit(obj=column_obj(t, col.name), message=message, evidence=evidence, fix=fix, severity=severity)
