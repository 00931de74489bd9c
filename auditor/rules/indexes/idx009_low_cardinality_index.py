"""IDX009: a single-column index on a boolean or few-valued column, which the planner rarely uses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.base.names import quote_ident, quote_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot
from auditor.rules.common import create_index_sql, human_bytes, index_obj, new_name
from auditor.rules.guarded import index_there, same_keys_partial
from auditor.rules.indexes._shared import (
    INDEX_MIN_BYTES,
    drop_index_sql,
    drop_kept_elsewhere_sql,
    family,
    family_usage,
    index_bytes,
    recreate_sql,
    user_indexes,
)
from auditor.rules.registry import Hit, rule, threshold

LOW_CARDINALITY_MAX_DISTINCT = threshold(
    "low_cardinality_max_distinct", 3, "a single-column index on a column with at most this many values is suspect"
)


@rule(
    "IDX009",
    "low-cardinality-index",
    severity="low",
    subject="index",
    requires=("indexes", "columns"),
    population="indexes",
)
def low_cardinality_index(snap: Snapshot) -> Iterator[Hit]:
    """Single-column index on a boolean or a column with only a few distinct values.

    ## Why it matters
    An index on `is_active` or on a three-valued `status` can only narrow a scan to the rows with
    the rare value; for the common value the planner rightly prefers a sequential scan. The index
    still indexes every row, and every write maintains it. When the values are skewed, a partial
    index on the rare value(s) is a fraction of the size and does the same job; when they are
    even, the index serves nothing.

    ## What it checks
    A valid, non-unique, non-partial btree on one column that is boolean or has at most
    `low-cardinality-max-distinct` (3) distinct values in `pg_stats`, at least `index-min-bytes`
    (1 MB). Composite indexes that start with such a column are fine (the next key narrows). When
    one value holds 75 % of the rows or more, the fix is a partial index on the others; otherwise it
    is to drop the index. The evidence gives the index's scans (`idx_scan`).

    ## Bad
    ```sql
    CREATE TABLE jobs (id bigint PRIMARY KEY, queue text NOT NULL, done boolean NOT NULL,
                       created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO jobs (id, queue, done) SELECT g, 'default', g % 100 <> 0 FROM generate_series(1, 200000) g;
    CREATE INDEX jobs_done_idx ON jobs (done);    -- 99 % of rows are done = true
    ANALYZE jobs;
    ```

    ## Good
    ```sql
    CREATE TABLE jobs (id bigint PRIMARY KEY, queue text NOT NULL, done boolean NOT NULL,
                       created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO jobs (id, queue, done) SELECT g, 'default', g % 100 <> 0 FROM generate_series(1, 200000) g;
    CREATE INDEX jobs_pending_idx ON jobs (created_at) WHERE NOT done;
    ANALYZE jobs;
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY jobs_done_partial_idx ON jobs (done) WHERE NOT done;
    DROP INDEX CONCURRENTLY jobs_done_idx;
    ```
    Better still, index what the queries for the rare rows sort or filter by next, e.g.
    `ON jobs (created_at) WHERE NOT done`. The finding's fix also carries the statement that
    recreates the index.
    When the values are spread evenly the index is only dropped (`DROP INDEX CONCURRENTLY IF EXISTS`).
    Otherwise the drop runs inside a `DO` block that first checks, when the fix runs, that the partial
    index is there, valid, on the same table and on the old one's columns, and raises (dropping nothing)
    otherwise, or when the index to drop is one nothing may lose: a primary key's, replica identity, one
    a foreign key looks its rows up through, or one backing a constraint other than the one it is
    dropped with. Inside a block the drop cannot be CONCURRENTLY: it takes a brief lock (lock_timeout 5s
    when none is set).

    ## False positives
    Before ANALYZE, or on a young table whose values are still few, the distinct count misleads. An
    index the planner does use for the rare value (see `idx_scan`) works; the partial index is still
    smaller. Ignore the rule (`--ignore IDX009`, `ignore = ["IDX009"]`) or tag the index:
    ```sql
    COMMENT ON INDEX jobs_done_idx IS 'pg-auditor: ignore IDX009 -- replaced in the next release';
    ```
    """
    max_distinct, min_bytes = LOW_CARDINALITY_MAX_DISTINCT(snap), INDEX_MIN_BYTES(snap)
    children = snap.attached_indexes_of
    for t, i in user_indexes(snap):
        if i.method != "btree" or i.is_unique or i.constraint_name or i.predicate or not i.is_valid:
            continue
        if i.key_count != 1 or i.columns[0] is None:
            continue
        col = snap.column_by_name.get((t.oid, i.columns[0]))
        if col is None:
            continue
        st = snap.index_stats_of.get(i.oid)
        distinct = st.lead_n_distinct if st and st.lead_n_distinct and st.lead_n_distinct > 0 else None
        boolean = col.base_type == "bool"
        if not boolean and (distinct is None or distinct > max_distinct):
            continue
        size = index_bytes(snap, family(i, children))
        if size < min_bytes:
            continue
        evidence: dict[str, Any] = {"definition": i.definition, "column_type": col.type, "size": human_bytes(size)}
        if distinct is not None:
            evidence["distinct_values"] = round(distinct)
        usage = family_usage(snap, family(i, children))
        if usage:
            evidence["idx_scan"] = sum(u.idx_scan for u in usage)
        top, freq = (st.lead_top_value, st.lead_top_frequency) if st else (None, None)
        qcol = quote_ident(col.name)
        if top is not None and freq is not None and freq >= 0.75:
            evidence["most_common"] = {"value": top, "frequency": round(freq, 3)}
            rare = f"{qcol} <> {quote_literal(top)}"
            if boolean:
                rare = f"NOT {qcol}" if top in ("t", "true") else qcol
            name = new_name(snap, t, [t.name, col.name], "partial_idx")
            fix = (
                f"-- {freq:.0%} of rows hold {quote_literal(str(top))}: index the others only (if queries look "
                "for them)\n"
                f"{create_index_sql(snap, t, [col.name], name, where=rare)}\n"
                + drop_kept_elsewhere_sql(snap, t, i, [index_there(t.schema, name, "k", same_keys_partial())])
            )
        else:
            fix = (
                "-- the values are spread evenly (or unknown before ANALYZE): a lookup on any of them reads a large\n"
                "-- share of the table, so the planner prefers a sequential scan; check idx_scan, then:\n"
                f"{drop_index_sql(snap, t, i)}"
            )
        what = "boolean" if boolean else f"{round(distinct or 0)}-valued"
        yield Hit(
            obj=index_obj(t, i),
            message=f"index {i.name} ({human_bytes(size)}) is on the {what} column {col.name} alone",
            evidence=evidence,
            fix=fix + f"\n-- undo: {sql_comment(recreate_sql(i))}",
        )
