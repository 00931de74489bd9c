"""CON010: one column name, several types across a schema's tables."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache

from auditor.analysis.references import named_table, resolve, single_key
from auditor.base.names import quote_ident
from auditor.base.text import sql_comment
from auditor.catalog.model import Column, Snapshot, Table
from auditor.rules.common import TENANT_COLUMNS, retype_columns_sql
from auditor.rules.constraints._shared import (
    GENERIC_NAMES,
    INTEGER_WIDTH,
    MEASURES,
    TEXT_TYPES,
    judged_tables,
    measure_words,
    sample,
)
from auditor.rules.guarded import commented
from auditor.rules.registry import Hit, Obj, rule


def type_label(c: Column) -> str:
    """The type as a DBA compares it: timestamp(6) is timestamp (6 is the default precision)."""
    return _type_label(c.type)


@lru_cache(maxsize=1 << 10)
def _type_label(type_name: str) -> str:
    return re.sub(r"^(timestamp|time)\(6\)", r"\1", type_name)


def drift_matters(name: str) -> bool:
    """Names that mean the same thing in every table: keys (*_id) and times (*_at), and named amounts."""
    if name in GENERIC_NAMES:
        return False
    if name.endswith(("_id", "_at", "_on")) or name == "tenant":
        return True
    words = measure_words(name)
    return bool(words) and words[-1] in MEASURES


TIME_TYPES = {"timestamp", "timestamptz", "date"}
NUMBER_TYPES = {*INTEGER_WIDTH, "numeric", "float4", "float8"}


def family(base_type: str) -> str:
    """What a DBA calls a different kind of value. timestamp vs timestamptz is one family (CON008 reports
    the missing time zone), and so are int, numeric and float (a different scale, not a different thing)."""
    if base_type in TEXT_TYPES:
        return "text"
    if base_type in TIME_TYPES:
        return "time"
    if base_type in NUMBER_TYPES:
        return "number"
    return base_type


def castable(source: str, target: str) -> bool:
    """ALTER COLUMN ... TYPE without USING converts the values itself: the same type, any type to text (an
    assignment cast through its text form), or within numbers, texts or times. bigint to uuid, text to
    integer and the like need a USING that says how, which only the DBA can write."""
    return source == target or family(target) == "text" or family(source) == family(target) != source


def one_thing(
    snap: Snapshot, name: str, types: dict[str, list[tuple[Table, Column]]]
) -> tuple[dict[str, list[tuple[Table, Column]]], Column | None]:
    """The columns of one name that are one thing, and the key they reference (for id columns).

    Id columns are kept when they point at one table, by a foreign key, a declared reference, or their
    name (`cluster_agent_id` -> `cluster_agents` even when stored as text). A column whose name designates
    no table (`commit_id`: a SHA here, a pipeline id there) or another table than most do (`worker_id` of
    two worker tables), another system's id (`slack_*.user_id`), and the designated table's own column of
    that name (models.model_id, the provider's model name) only share the name. The tenant column is one
    thing wherever it is. Times and amounts are kept as they are."""
    if not name.lower().endswith("_id"):
        return types, None
    tenant = name in TENANT_COLUMNS(snap)

    def target(t: Table) -> int | None:
        ref = resolve(snap, t, name)
        if ref is not None and ref.target is None:
            return None  # skipped on purpose: another system's id, a cursor, a polymorphic pair
        if ref is not None and ref.target is not None:
            return ref.target.oid
        named = named_table(snap, t, name)
        return named.oid if named is not None else None

    counts: dict[int, int] = defaultdict(int)
    for rows in types.values():
        for t, _ in rows:
            if (oid := target(t)) is not None:
                counts[oid] += 1
    if not counts:
        return (types if tenant else {}), None
    main = min(counts, key=lambda k: (-counts[k], k))
    out: dict[str, list[tuple[Table, Column]]] = {}
    key: Column | None = None
    for ty, rows in types.items():
        kept = [(t, c) for t, c in rows if (tenant or target(t) == main) and t.oid != main]
        if kept:
            out[ty] = kept
        for t, _ in kept:
            ref = resolve(snap, t, name)
            if key is None and ref is not None and ref.target is not None and len(ref.target_columns) == 1:
                key = snap.column_by_name.get((main, ref.target_columns[0]))
    if key is None and (pk := single_key(snap, snap.table_by_oid[main])) is not None:
        key = snap.column_by_name.get((main, pk))
    return out, key


@rule(
    "CON010",
    "column-type-drift",
    severity="low",
    subject="column",
    requires=("tables", "columns"),
)
def column_type_drift(snap: Snapshot) -> Iterator[Hit]:
    """The same column name with different types across tables.

    ## Why it matters
    `org_id bigint` in most tables and `org_id integer` in a few means the narrow ones overflow
    first, joins between them cast, and foreign keys between them are mismatched. `created_at
    timestamptz` beside `created_at timestamp` compares instants with wall-clock times.
    `precise_amount numeric(30,5)` beside `numeric(40,15)` rounds the same quantity differently
    depending on the table it went through.

    ## What it checks
    Names that mean the same thing wherever they appear: `*_id` keys, `*_at`/`*_on` times, and
    measures (`units`, `*_amount`, `*_cents`, `*_price`, `*_rate`, `*_confidence`, `*_percent` ...).
    Generic names (`id`, `name`, `status`, `value`, `sequential_id` ...) are left out: they carry
    different things in different tables. One finding per column name and schema, listing each
    type with its tables; `timestamp(6)` counts as `timestamp`. Differences of type family
    (bigint vs uuid, bigint vs text) are medium, the rest low: `timestamp` vs `timestamptz` (CON008
    reports the missing time zone), `date` vs `timestamp`, integer vs numeric. Id columns are compared
    only when they are one thing, pointing at one table (by a foreign key, a declared reference, or
    their name: `cluster_agent_id` -> `cluster_agents`, even stored as text); those that only share a
    name are left out: one whose name designates no table (`commit_id`, a SHA in one table and a
    pipeline id in another), one referencing another table than most of them do (`worker_id` of two
    worker tables), or another system's id (`slack_integrations.user_id`). The fix aligns the other
    tables on the type of the key the columns reference, else on the type most tables use; when no type
    is the majority it asks to choose one. All the ALTERs of one finding run in one transaction (all or
    none), and the views reading those tables are dropped and recreated inside it as they were
    (definition, options, owner, grants, comment); a materialized view is left to the DBA, and said so.

    ## Bad
    ```sql
    CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
    CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs);
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id integer NOT NULL REFERENCES orgs);
    ```

    ## Good
    ```sql
    CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
    CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs);
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs);
    ```

    ## Fix
    ```sql
    BEGIN;
    SET LOCAL search_path = pg_catalog, pg_temp;
    ALTER TABLE invoices ALTER COLUMN org_id TYPE bigint;  -- rewrites the table
    COMMIT;
    ```

    ## False positives
    One name for different things in different tables: an `external_id` that is a uuid from one
    partner and a number from another. The finding is about the column name in the schema, not one
    table, so a comment on a table or column does not cover it (a comment on the schema covers all its
    findings). Suppress it by name in the config: `[[tool.pg-auditor.ignore-objects]]` with
    `rule = "CON010"`, `object = "public.external_id"` and a reason; or `--ignore CON010` /
    `ignore = ["CON010"]`.
    """
    seen: dict[tuple[str, str], dict[str, list[tuple[Table, Column]]]] = defaultdict(lambda: defaultdict(list))
    for t in judged_tables(snap):
        for col in snap.columns_of.get(t.oid, []):
            if drift_matters(col.name.lower()):
                seen[(t.schema, col.name)][type_label(col)].append((t, col))
    for schema, name in sorted(seen):
        types = seen[(schema, name)]
        if len(types) < 2:
            continue
        types, key = one_thing(snap, name, types)
        if len(types) < 2:
            continue
        ranked = sorted(types.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        majority, major_rows = ranked[0]
        families = {family(rows[0][1].base_type) for _, rows in ranked}
        severity = "medium" if len(families) > 1 else "low"
        evidence = {
            "types": {ty: sample(sorted(t.qualified for t, _ in rows), 15) for ty, rows in ranked},
            "tables_per_type": {ty: len(rows) for ty, rows in ranked},
        }
        if key is not None and type_label(key) in types:
            # one reference: align on the type of the key it points at, whatever most tables use
            target = snap.table_by_oid[key.table_oid]
            chosen, why = key.type, f"align on {key.type}, the type of {target.qualified}({quote_ident(key.name)})"
            evidence["references"] = f"{target.qualified}({key.name})"
        elif len(ranked) > 1 and len(ranked[1][1]) == len(major_rows):
            chosen, why = None, ""
        else:
            chosen, why = major_rows[0][1].type, f"align on {majority}, the type most tables use"
        if chosen is None:
            fix = f"-- no type is the majority: choose one for {quote_ident(name)} and align the others"
        else:
            odd = [(t, c) for _, rows in ranked for t, c in rows if c.type != chosen]
            base = key.base_type if key is not None and key.type == chosen else major_rows[0][1].base_type
            fix = retype_columns_sql(snap, [(t, c.name, chosen) for t, c in odd], why)
            stuck = sorted({c.type for _, c in odd if not castable(c.base_type, base)})
            if stuck:  # the ALTER would fail: the conversion is the DBA's to write (USING ...)
                fix = (
                    f"-- no automatic conversion from {sql_comment(', '.join(stuck))} to {sql_comment(chosen)}: "
                    "each ALTER needs a USING\n-- expression that maps the values (or the column is another "
                    "thing that only shares the name).\n" + commented(fix)
                )
        yield Hit(
            obj=Obj("column", schema=schema, name=name),
            message=f"{name} has {len(ranked)} types across {sum(len(r) for _, r in ranked)} tables: "
            + ", ".join(f"{ty} ({len(rows)})" for ty, rows in ranked),
            evidence=evidence,
            fix=fix,
            severity=severity,
        )
