"""CON015: a multi-column unique key that NULLs in a nullable column let repeat."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from auditor.base.names import column_list, quote_ident
from auditor.catalog.indexdef import index_body
from auditor.catalog.model import Index, Snapshot, Table
from auditor.rules.constraints._shared import (
    checked_columns,
    judged_tables,
    rollup,
    schema_hit,
)
from auditor.rules.fixnames import new_name
from auditor.rules.guarded import commented, replace_index_sql
from auditor.rules.registry import Hit, Obj, rule


def nulls_not_distinct_sql(t: Table, i: Index, name: str) -> str | None:
    """The index rebuilt CONCURRENTLY under a new name, with NULLS NOT DISTINCT: from the definition's parts
    (a name or predicate holding ` ON ` or a newline cannot shift them), None when the snapshot lacks them."""
    if not i.has_definition_parts:
        return None
    return (
        f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {quote_ident(name)} ON {t.qualified}"
        f" USING {quote_ident(i.method)}{index_body(i, nulls_not_distinct=True)};"
    )


def excluded_by_predicate(column: str, predicate: str | None) -> bool:
    """A partial index whose WHERE (an AND of terms) compares the column leaves its NULL rows out."""
    if not predicate or " OR " in predicate.upper():
        return False
    name = re.escape(quote_ident(column))
    if re.search(rf"(?<![\w.\"]){name} IS NULL", predicate):
        return False
    return bool(re.search(rf"(?<![\w.\"]){name}(?:\)?::\w[\w ]*)? (?:IS NOT NULL|=|<>|<|>|<=|>=|IN |~)", predicate))


def unique_without(snap: Snapshot, idx: Index, not_null: set[str]) -> bool:
    """Another whole-table unique key made of the index's NOT NULL columns alone: no two rows share those, so a
    NULL elsewhere in the key lets no duplicate in (`(id, type) WHERE public` beside the primary key on id)."""
    return any(
        o.oid != idx.oid
        and o.is_unique
        and o.is_valid
        and o.predicate is None
        and not o.has_expressions
        and set(o.columns[: o.key_count]) <= not_null
        for o in snap.indexes_of.get(idx.table_oid, [])
    )


@rule(
    "CON015",
    "nullable-unique-key",
    severity="low",
    subject="index",
    requires=("tables", "columns", "indexes"),
    population="indexes",
)
def nullable_unique_key(snap: Snapshot) -> Iterator[Hit]:
    """Multi-column unique key with a nullable column: rows with a NULL there are never duplicates.

    ## Why it matters
    A unique index treats NULLs as distinct, so `UNIQUE (org_id, code, category)` lets any number
    of `(7, 'x', NULL)` rows in. That is sometimes intended, but more often the duplicates the
    index was written to stop slip through for exactly the rows where an optional column is empty.

    ## What it checks
    Unique indexes and constraints (primary keys left out) of two or more key columns, without
    expressions and not NULLS NOT DISTINCT, with a nullable key column. Single-column unique keys are
    left out (many NULLs in an optional unique column are normal), and so are columns a partial
    index's WHERE leaves the NULLs of out (`WHERE col IS NOT NULL`, `col = ...`) and columns a CHECK
    constraint mentions (an exclusive arc such as `CHECK ((a IS NOT NULL) <> (b IS NOT NULL))` makes
    the NULLs deliberate). An index whose NOT NULL key columns hold another whole-table unique key (the
    primary key on `id` beside `UNIQUE (id, type)`) is left out too: no NULL can let a duplicate in.
    Indexes are reported one by one, or once for a schema where many of its
    tables have them (the `rollup-tables` threshold, or 3+ tables making up 80% of the schema).

    ## Bad
    ```sql
    CREATE TABLE integration_customers (id bigint PRIMARY KEY, customer_id bigint NOT NULL,
                                        category text, code text NOT NULL);
    CREATE UNIQUE INDEX integration_customers_key ON integration_customers (customer_id, category, code);
    ```

    ## Good
    ```sql
    CREATE TABLE integration_customers (id bigint PRIMARY KEY, customer_id bigint NOT NULL,
                                        category text NOT NULL, code text NOT NULL);
    CREATE UNIQUE INDEX integration_customers_key ON integration_customers (customer_id, category, code);
    ```

    ## Fix
    On PostgreSQL 15+, treat NULLs as equal (what the fix runs; making the column NOT NULL is printed
    as a comment):
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS integration_customers_key_nnd
        ON integration_customers (customer_id, category, code) NULLS NOT DISTINCT;
    DO $guard$ BEGIN
      -- raises unless integration_customers_key_nnd is valid, NULLS NOT DISTINCT, on the same keys and
      -- predicate, and unless a primary key, replica identity or foreign key uses the old index
      DROP INDEX integration_customers_key;
      ALTER INDEX integration_customers_key_nnd RENAME TO integration_customers_key;
    END $guard$;
    ```
    The new index fails to build if such duplicates already exist: that is the finding proved, and the
    old index stays. The drop is a plain DROP INDEX (DROP INDEX CONCURRENTLY cannot run in the block)
    under a short lock. An index that backs a UNIQUE constraint, one a foreign key references, or one
    on a partitioned table gets the SET NOT NULL fix only.

    ## False positives
    Many of these are intended: a NULL in the optional column means "not scoped" and several such rows
    are allowed. Suppress on the index:
    `COMMENT ON INDEX integration_customers_key IS 'pg-auditor: ignore CON015 -- rows without a category may repeat'`
    (a comment on the table covers it too). A finding rolled up for a schema is about the schema
    object, which a comment does not cover: use `[[tool.pg-auditor.ignore-objects]]` with
    `rule = "CON015"` and `object = "<schema>"`, or `--ignore CON015` / `ignore = ["CON015"]`.
    """
    tables = {t.oid: t for t in judged_tables(snap)}
    per_index: list[tuple[Table, list[str], str, Hit]] = []
    for idx in snap.indexes:
        t = tables.get(idx.table_oid)
        if t is None or not idx.is_unique or idx.is_primary or idx.parent_index_oid is not None:
            continue
        if idx.key_count < 2 or idx.has_expressions or idx.nulls_not_distinct:
            continue
        keys = [c for c in idx.columns[: idx.key_count] if c]
        ruled = checked_columns(snap, t)  # CHECK (a IS NOT NULL) <> (b IS NOT NULL): the NULLs are by design
        nullable = [
            c
            for c in keys
            if not snap.column_by_name[(t.oid, c)].not_null
            and not excluded_by_predicate(c, idx.predicate)
            and c not in ruled
        ]
        if not nullable or unique_without(snap, idx, set(keys) - set(nullable)):
            continue
        evidence: dict[str, object] = {"definition": idx.definition, "nullable_columns": nullable}
        if idx.constraint_name:
            evidence["constraint"] = idx.constraint_name
        not_null = "\n".join(
            f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c)} SET NOT NULL;  -- scans the table"
            for c in nullable
        )
        referenced = any(c.type == "f" and c.index_oid == idx.oid for c in snap.constraints)  # never swapped out
        swap = snap.server.major >= 15 and not idx.constraint_name and not t.is_partitioned and not referenced
        if swap and idx.has_definition_parts:
            twin = new_name(snap, t, [idx.name], "nnd")
            create = nulls_not_distinct_sql(t, idx, twin) or ""
            fix = (
                "-- treat NULLs as equal (fails to build if such duplicates exist already; the old index goes\n"
                "-- only once the new one is valid):\n"
                + replace_index_sql(
                    t,
                    create,
                    twin,
                    idx.name,
                    nulls_not_distinct=True,
                    rename=True,
                )
                + "\n-- or, instead, if the column should never be empty (not run):\n"
                + commented(not_null)
            )
        else:
            fix = not_null
        hit = Hit(
            obj=Obj("index", t.schema, t.name, idx.name),
            message=f"unique on {column_list(keys)}, but rows where {column_list(nullable)} "
            f"{'is' if len(nullable) == 1 else 'are'} NULL are never duplicates of each other",
            evidence=evidence,
            fix=fix,
        )
        per_index.append((t, [f"{idx.name} ({', '.join(nullable)} nullable)"], fix, hit))
    by_table: dict[int, tuple[Table, list[str], list[str]]] = {}
    for t, names, fix, _hit in per_index:
        item = by_table.setdefault(t.oid, (t, [], []))
        item[1].extend(names)
        item[2].append(fix)
    items = [(t, names, "\n".join(fixes)) for t, names, fixes in by_table.values()]
    hits_of: dict[int, list[Hit]] = defaultdict(list)
    for item in per_index:
        hits_of[item[0].oid].append(item[3])
    for schema, group in rollup(snap, items):
        if schema is None:
            yield from hits_of[group[0][0].oid]
            continue
        hit = schema_hit(
            snap,
            schema,
            group,
            "{columns} multi-column unique indexes in {tables} tables of {schema} let rows with a NULL key column "
            "repeat: review which are intended",
            "indexes",
            fix_head="-- some of these are intended: run only the blocks for indexes whose NULL rows must be unique "
            "too",
        )
        yield hit
