"""IDX012: a partial unique index whose uniqueness a full unique index already enforces."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.text import sql_comment
from auditor.catalog.model import Index, Snapshot
from auditor.rules.common import human_bytes, index_obj
from auditor.rules.guarded import index_there
from auditor.rules.indexes._shared import drop_kept_elsewhere_sql, family, index_bytes, recreate_sql, user_indexes
from auditor.rules.registry import Hit, rule


def implies(full: Index, partial: Index) -> bool:
    """Every row set the partial unique index rejects, the full one rejects too: the full index's key
    columns are all keys of the partial one, with the same operator class and collation (equality may
    differ otherwise), and NULLs count as equal in the partial one only if they do in the full one."""
    if full.oid == partial.oid or full.predicate is not None or not full.is_unique or not full.is_valid:
        return False
    if full.is_exclusion or full.method != "btree" or full.has_expressions:
        return False
    if partial.nulls_not_distinct and not full.nulls_not_distinct:
        return False
    where = {c: k for k, c in enumerate(partial.columns[: partial.key_count]) if c is not None}
    for k, col in enumerate(full.columns[: full.key_count]):
        p = where.get(col)  # type: ignore[arg-type]
        if p is None or full.opclasses[k] != partial.opclasses[p] or full.collations[k] != partial.collations[p]:
            return False
    return True


@rule("IDX012", "partial-unique-implied", severity="low", subject="index", requires=("indexes",), population="indexes")
def partial_unique_implied(snap: Snapshot) -> Iterator[Hit]:
    """Partial unique index implied by a full unique index.

    ## Why it matters
    `UNIQUE (email) WHERE active` forbids two active rows with one email. When `UNIQUE (email)`
    exists, no two rows at all may share an email, so the partial index never rejects anything
    the full one lets through: it is pure write, cache and disk cost. It is usually what is left of
    a migration that first made the key unique among active rows, then everywhere.

    ## What it checks
    A valid partial unique btree index (not an exclusion constraint) on the same table as a valid,
    full (no WHERE) unique index or constraint whose key columns are all among the partial index's
    keys, with the same operator class and collation for each of them. A partial `NULLS NOT
    DISTINCT` index is implied only by a full `NULLS NOT DISTINCT` one. Partition copies of a
    partitioned index are judged once, on the parent.

    ## Bad
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, active boolean NOT NULL DEFAULT true);
    CREATE UNIQUE INDEX users_email_key ON users (email);
    CREATE UNIQUE INDEX users_active_email_key ON users (email) WHERE active;
    ```

    ## Good
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, active boolean NOT NULL DEFAULT true);
    CREATE UNIQUE INDEX users_active_email_key ON users (email) WHERE active;
    -- unique among active users only: a deactivated user's email may be reused
    ```

    ## Fix
    ```sql
    DROP INDEX users_active_email_key;  -- in a DO block, only while users_email_key is there and valid
    ```
    `INSERT ... ON CONFLICT (email) WHERE active` keeps working: the full unique index satisfies the
    conflict target too. The finding's fix carries the statement that recreates the index.

    ## False positives
    None for uniqueness. A query planner may still prefer the smaller partial index for lookups
    filtered by its predicate; a plain partial index serves them as well.
    """
    children = snap.attached_indexes_of
    for t, p in user_indexes(snap):
        if not (p.is_unique and p.is_valid and p.predicate is not None and p.method == "btree" and not p.is_exclusion):
            continue
        full = sorted((f for f in snap.indexes_of.get(t.oid, []) if implies(f, p)), key=lambda f: (f.key_count, f.name))
        if not full:
            continue
        f = full[0]
        yield Hit(
            obj=index_obj(t, p),
            message=f"partial unique index {p.name} is implied by the full unique index {f.name}: it rejects nothing",
            evidence={
                "partial": p.definition,
                "implied_by": f.definition,
                "size": human_bytes(index_bytes(snap, family(p, children))),
            },
            # dropped only while the full unique index is still there, valid, unique and whole when the fix runs
            fix=drop_kept_elsewhere_sql(
                snap, t, p, [index_there(t.schema, f.name, "k", " AND k.indisunique AND k.indpred IS NULL")]
            )
            + f"\n-- undo: {sql_comment(recreate_sql(p))}",
        )
