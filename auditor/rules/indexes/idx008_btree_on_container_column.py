"""IDX008: a btree on an array, jsonb, hstore or tsvector column, which serves none of their operators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.base.names import column_list, quote_ident
from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot
from auditor.rules.common import create_index_sql, index_obj, new_name
from auditor.rules.guarded import containment_on, index_there
from auditor.rules.indexes._shared import drop_kept_elsewhere_sql, user_indexes
from auditor.rules.registry import Hit, rule

CONTAINER_TYPES = {"jsonb", "hstore", "tsvector"}


def is_container(col: Any) -> bool:
    return col.type_category == "A" or col.base_type in CONTAINER_TYPES


@rule(
    "IDX008",
    "btree-on-container-column",
    severity="low",
    subject="index",
    requires=("indexes", "columns"),
    population="indexes",
)
def btree_on_container_column(snap: Snapshot) -> Iterator[Hit]:
    """Btree index on an array, jsonb, hstore or tsvector column, where GIN fits.

    ## Why it matters
    A btree compares whole values: it serves `tags = '{a,b}'`, sorting and range comparisons (on an
    array, `traversal_ids >= '{1,2}' AND traversal_ids < '{1,3}'` finds a subtree of a hierarchy), but
    none of the containment operators these types are queried with (`@>`, `<@`, `&&`, `?`, `@@`), so
    containment searches still read the table.
    Large values also hit the btree row limit (about 2.7 kB): an INSERT with a big document or
    array then fails with "index row size exceeds btree maximum".

    ## What it checks
    A valid btree index with a key column of an array type, jsonb, hstore or tsvector. Expressions
    on such a column (`(tags[1])`, `((doc->>'id'))`) are fine, and unique indexes and constraints are
    left out (they enforce whole-value uniqueness on purpose). When a GIN or GiST index on the column
    exists already, the fix only drops the btree.

    ## Bad
    ```sql
    CREATE TABLE documents (id bigint PRIMARY KEY, org_id bigint NOT NULL, tags text[] NOT NULL);
    CREATE INDEX documents_tags_idx ON documents (tags);
    -- SELECT * FROM documents WHERE tags @> ARRAY['invoice'];   cannot use it
    ```

    ## Good
    ```sql
    CREATE TABLE documents (id bigint PRIMARY KEY, org_id bigint NOT NULL, tags text[] NOT NULL);
    CREATE INDEX documents_tags_gin_idx ON documents USING gin (tags);
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY IF NOT EXISTS documents_tags_gin_idx ON documents USING gin (tags);
    DROP INDEX CONCURRENTLY documents_tags_idx;
    ```
    For jsonb queried only with `@>`, `USING gin (doc jsonb_path_ops)` is smaller and faster. The
    other keys of a composite btree need the btree_gin extension to go into the same GIN index.
    The drop runs inside a `DO` block that first checks, when the fix runs, that a GIN or GiST index on
    each container column is there, valid and on the same table (a failed CREATE leaves none, or an
    invalid one), and raises (dropping nothing) otherwise, or when the index to drop is one nothing may
    lose: a primary key's, replica identity, one a foreign key looks its rows up through, or one backing
    a constraint other than the one it is dropped with. Inside a block the drop cannot be CONCURRENTLY:
    it takes a brief lock (lock_timeout 5s when none is set).

    ## False positives
    A btree that serves whole-value equality (`WHERE tags = $1`), sorting, or range scans over an
    array (hierarchy paths such as `traversal_ids`) on purpose is right: keep it, since a GIN index
    serves none of those. Ignore the rule (`--ignore IDX008`, `ignore = ["IDX008"]`) or tag the index:
    ```sql
    COMMENT ON INDEX documents_tags_idx IS 'pg-auditor: ignore IDX008 -- looked up by the whole tag set';
    ```
    """
    for t, i in user_indexes(snap):
        if i.method != "btree" or i.is_unique or i.constraint_name or not i.is_valid:
            continue
        cols = [snap.column_by_name.get((t.oid, c)) for c in i.columns[: i.key_count] if c]
        bad = [c for c in cols if c is not None and is_container(c)]
        if not bad:
            continue
        names = [c.name for c in bad]
        gin = [
            o.name
            for o in snap.indexes_of.get(t.oid, [])
            if o.method in ("gin", "gist") and any(n in o.columns for n in names)
        ]
        lines = [
            f"-- {quote_ident(c.name)} ({sql_comment(c.type)}): if queries test containment or overlap rather than "
            "whole-value equality"
            if not gin
            else f"-- {quote_ident(c.name)} ({sql_comment(c.type)}) already has {column_list(sorted(gin))}: this "
            "btree only serves equality"
            for c in bad
        ]
        if not gin:
            lines += [
                # the same name for every btree on the column: the first fix builds it, the others find it
                create_index_sql(
                    snap, t, [c.name], new_name(snap, t, [t.name, c.name], "gin_idx"), using="gin", if_not_exists=True
                )
                for c in bad
            ]
        if i.key_count > len(bad):
            lines.append("-- the other keys need the btree_gin extension to go into the same GIN index")
        if any(c.type.endswith("[]") for c in bad):
            lines.append(
                "-- a GIN index serves no range comparison: keep this btree if queries scan the array by range\n"
                "-- (traversal_ids >= ... AND traversal_ids < ..., a hierarchy path); otherwise:"
            )
        # the btree goes only once every column has a valid GIN or GiST index when the fix runs
        keep = [index_there(t.schema, None, f"k{n}", containment_on(c.name, f"k{n}")) for n, c in enumerate(bad)]
        lines.append(drop_kept_elsewhere_sql(snap, t, i, keep))
        yield Hit(
            obj=index_obj(t, i),
            message=(
                f"btree index {i.name} on {', '.join(f'{c.name} ({c.type})' for c in bad)}: "
                "serves whole-value comparisons (equality, ranges, sorting), not containment"
            ),
            evidence={"definition": i.definition, "columns": {c.name: c.type for c in bad}, "gin_indexes": sorted(gin)},
            fix="\n".join(lines),
        )
