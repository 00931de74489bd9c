"""IDX002: an index that repeats another one exactly; which of the twins to keep."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.text import sql_comment
from auditor.catalog.model import Index, Snapshot
from auditor.rules.common import human_bytes, index_obj
from auditor.rules.guarded import covers, index_there
from auditor.rules.indexes._shared import drop_kept_elsewhere_sql, duplicate_groups, family, index_bytes, recreate_sql
from auditor.rules.registry import Hit, rule


def kept_because(i: Index) -> str:
    if i.is_primary:
        return "backs the primary key"
    if i.constraint_name:
        return f"backs constraint {i.constraint_name}"
    if i.is_unique:
        return "is unique"
    return "sorts first by name"


def index_sizes(snap: Snapshot, a: Index, b: Index, children: dict[int, list[Index]]) -> dict[str, str]:
    return {
        a.name: human_bytes(index_bytes(snap, family(a, children))),
        b.name: human_bytes(index_bytes(snap, family(b, children))),
    }


@rule("IDX002", "duplicate-index", severity="medium", subject="index", requires=("indexes",), population="indexes")
def duplicate_index(snap: Snapshot) -> Iterator[Hit]:
    """Index identical to another index on the same table.

    ## Why it matters
    Two indexes with the same method, keys (columns or expressions), operator classes, collations,
    sort order, INCLUDE columns and predicate answer exactly the same queries. The second one is
    pure cost: every INSERT, every non-HOT UPDATE and every DELETE's vacuum writes both, both take
    cache and disk, and both slow down backups and replicas. A plain index that repeats a PRIMARY
    KEY or UNIQUE constraint is the most common case (`id bigint PRIMARY KEY` plus `CREATE INDEX ON
    t (id)`, often from an ORM migration).

    ## What it checks
    Valid indexes on the same table (exclusion constraints aside) that agree on method, keys,
    operator classes, collations, sort order, INCLUDE columns, predicate and NULLS NOT DISTINCT. A
    btree read backwards counts as the same order: `(a DESC NULLS FIRST)` is a twin of `(a)`, while
    `(a DESC NULLS LAST)` is not. Storage parameters and tablespace do not make two indexes different.
    Partition copies of a partitioned index are judged once, on the parent; a local index on a
    partition that repeats the parent's attached copy is reported. Invalid indexes are IDX004's
    business.

    ## Which one is kept
    The one backing the primary key, then a unique constraint, then another constraint, then a
    unique index, then a plain one; between equals, the first by name. A partition's attached copy
    of its parent's index is always kept, since it cannot be dropped alone.

    ## Bad
    ```sql
    CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
    CREATE INDEX accounts_id_idx ON accounts (id);
    CREATE UNIQUE INDEX accounts_email_key2 ON accounts (email);
    ```

    ## Good
    ```sql
    CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY accounts_id_idx;
    DROP INDEX CONCURRENTLY accounts_email_key2;
    ```
    A duplicate that backs a constraint is dropped with `ALTER TABLE ... DROP CONSTRAINT`; foreign
    keys that use its index must be re-pointed first (the fix says which). The finding's fix also
    carries the statement that recreates the index.
    The drop runs inside a `DO` block that first checks, when the fix runs, that the kept twin is there,
    valid, on the same table, with the same method, keys, operator classes, collations, order, predicate
    and INCLUDE columns (and unique, if the duplicate is), and raises (dropping nothing) otherwise, or
    when the index to drop is one nothing may lose: a primary key's, replica identity, one a foreign key
    looks its rows up through, or one backing a constraint other than the one it is dropped with. Inside
    a block the drop cannot be CONCURRENTLY: it takes a brief lock (lock_timeout 5s when none is set).

    ## False positives
    A twin is never useful to the planner, but it may be wanted for a while: a replacement built
    before the old index is dropped (to rename it, change its fillfactor or tablespace), or a unique
    index that foreign keys still reference. Ignore the rule (`--ignore IDX002`, `ignore = ["IDX002"]`)
    or tag the index:
    ```sql
    COMMENT ON INDEX accounts_email_key2 IS 'pg-auditor: ignore IDX002 -- replaces accounts_email_key';
    ```
    """
    children = snap.attached_indexes_of
    for t, keep, dups in duplicate_groups(snap):
        for d in dups:
            yield Hit(
                obj=index_obj(t, d),
                message=(
                    f"index {d.name} duplicates {keep.name} (same keys, method, operator classes and predicate); "
                    f"keep {keep.name}, which {kept_because(keep)}"
                ),
                evidence={
                    "duplicate": d.definition,
                    "kept": keep.definition,
                    "sizes": index_sizes(snap, d, keep, children),
                },
                fix=(
                    drop_kept_elsewhere_sql(snap, t, d, [index_there(t.schema, keep.name, "k", covers(snap))])
                    + f"\n-- undo: {sql_comment(recreate_sql(d))}"
                ),
            )
