"""IDX010: an index whose leading column is mostly NULL, where a partial index would be a fraction of the size."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import quote_ident
from auditor.base.text import sql_comment
from auditor.catalog.indexdef import index_body
from auditor.catalog.model import Index, Snapshot, Table
from auditor.rules.common import create_index_sql, human_bytes, index_obj, new_name
from auditor.rules.guarded import index_there, same_keys_partial
from auditor.rules.indexes._shared import (
    INDEX_MIN_BYTES,
    NO_STATS,
    drop_kept_elsewhere_sql,
    family,
    index_bytes,
    user_indexes,
)
from auditor.rules.registry import Hit, Skip, rule, threshold

PARTIAL_INDEX_NULL_FRACTION = threshold(
    "partial_index_null_fraction", 0.5, "share of NULLs in an index's leading column from which a partial index pays"
)


def partial_sql(i: Index, t: Table, name: str, where: str) -> str | None:
    """The index rebuilt under a new name with WHERE `where`, CONCURRENTLY: from the definition's parts (a
    name or expression holding ` ON ` or a newline cannot shift them), None when the snapshot lacks them."""
    if not i.has_definition_parts:
        return None
    unique = "UNIQUE " if i.is_unique else ""
    return (
        f"CREATE {unique}INDEX CONCURRENTLY {quote_ident(name)} ON {t.qualified}"
        f" USING {quote_ident(i.method)}{index_body(i, where=where)};"
    )


@rule(
    "IDX010",
    "mostly-null-index",
    severity="low",
    subject="index",
    requires=("indexes", "index_stats"),
    population="indexes",
)
def mostly_null_index(snap: Snapshot) -> Iterator[Hit]:
    """Index whose leading column is mostly NULL: a partial index would be a fraction of its size.

    ## Why it matters
    A btree stores a NULL entry for every row, so an index on `deleted_at`, `parent_id` or
    `external_ref` that is NULL in 90 % of rows is mostly NULL entries that lookups like
    `col = $1` never read. `WHERE col IS NOT NULL` keeps only the useful entries; `col = $1`, range
    conditions, joins and foreign-key checks imply it, so the planner still uses the partial index.

    ## What it checks
    A valid, non-unique, non-partial btree whose first key column has a `null_frac` of at least
    `partial-index-null-fraction` (0.5) in `pg_stats`, at least `index-min-bytes` (1 MB). When no
    index has planner statistics (no ANALYZE yet), the rule is *not evaluated*.

    ## Bad
    ```sql
    CREATE TABLE subscriptions (id bigint PRIMARY KEY, org_id bigint NOT NULL, canceled_at timestamptz);
    INSERT INTO subscriptions
    SELECT g, g % 1000, CASE WHEN g % 20 = 0 THEN now() - g * interval '1 minute' END
    FROM generate_series(1, 200000) g;
    CREATE INDEX subscriptions_canceled_at_idx ON subscriptions (canceled_at);  -- 95 % NULL
    ANALYZE subscriptions;
    ```

    ## Good
    ```sql
    CREATE TABLE subscriptions (id bigint PRIMARY KEY, org_id bigint NOT NULL, canceled_at timestamptz);
    INSERT INTO subscriptions
    SELECT g, g % 1000, CASE WHEN g % 20 = 0 THEN now() - g * interval '1 minute' END
    FROM generate_series(1, 200000) g;
    CREATE INDEX subscriptions_canceled_at_partial_idx ON subscriptions (canceled_at)
        WHERE canceled_at IS NOT NULL;
    ANALYZE subscriptions;
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY subscriptions_canceled_at_partial_idx ON subscriptions (canceled_at)
        WHERE canceled_at IS NOT NULL;
    DROP INDEX CONCURRENTLY subscriptions_canceled_at_idx;
    ```
    The drop runs inside a `DO` block that first checks, when the fix runs, that the partial index is
    there, valid, on the same table and on the old one's columns, and raises (dropping nothing)
    otherwise, or when the index to drop is one nothing may lose: a primary key's, replica identity, one
    a foreign key looks its rows up through, or one backing a constraint other than the one it is
    dropped with. Inside a block the drop cannot be CONCURRENTLY: it takes a brief lock (lock_timeout 5s
    when none is set).

    ## False positives
    Queries that look for `col IS NULL`, or that sort by the column with no condition that implies
    `col IS NOT NULL` (`ORDER BY canceled_at LIMIT 20`), need the full index: check them before
    swapping. Ignore the rule (`--ignore IDX010`, `ignore = ["IDX010"]`) or tag the index:
    ```sql
    COMMENT ON INDEX subscriptions_canceled_at_idx IS 'pg-auditor: ignore IDX010 -- serves IS NULL';
    ```
    """
    min_frac, min_bytes = PARTIAL_INDEX_NULL_FRACTION(snap), INDEX_MIN_BYTES(snap)
    children = snap.attached_indexes_of
    if not any(st.with_stats for st in snap.index_stats) and any(i.relpages >= 10 for i in snap.indexes):
        raise Skip(NO_STATS, not_evaluated=True)
    for t, i in user_indexes(snap):
        if i.method != "btree" or i.is_unique or i.constraint_name or i.predicate or not i.is_valid:
            continue
        lead = i.columns[0] if i.columns else None
        st = snap.index_stats_of.get(i.oid)
        if lead is None or st is None or st.lead_null_frac is None or st.lead_null_frac < min_frac:
            continue
        size = index_bytes(snap, family(i, children))
        if size < min_bytes:
            continue
        where = f"{quote_ident(lead)} IS NOT NULL"
        name = new_name(snap, t, [t.name, "_".join(c or "expr" for c in i.columns)], "partial_idx")
        if i.is_partitioned and all(i.columns) and not i.include_columns and not any(i.options):
            create = create_index_sql(snap, t, [c for c in i.columns if c], name, where=where)
        else:
            create = partial_sql(i, t, name, where) or (
                f"-- recreate {quote_ident(i.name)} as {quote_ident(name)} with WHERE {sql_comment(where)}"
            )
        yield Hit(
            obj=index_obj(t, i),
            message=(
                f"index {i.name} ({human_bytes(size)}) leads with {lead}, NULL in {st.lead_null_frac:.0%} of rows: "
                f"a partial index WHERE {where} would be ~{human_bytes(round(size * (1 - st.lead_null_frac)))}"
            ),
            evidence={
                "definition": i.definition,
                "null_fraction": round(st.lead_null_frac, 3),
                "size": human_bytes(size),
                "estimated_saving": human_bytes(round(size * st.lead_null_frac)),
            },
            fix=(
                f"-- only if no query looks for {quote_ident(lead)} IS NULL through this index\n"
                f"{create}\n"
                + drop_kept_elsewhere_sql(snap, t, i, [index_there(t.schema, name, "k", same_keys_partial())])
            ),
        )
