"""IDX003: an index whose keys are a left prefix of a longer index that serves the same lookups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.base.text import sql_comment
from auditor.catalog.model import Index, Snapshot
from auditor.rules.common import human_bytes, index_obj
from auditor.rules.guarded import covers, index_there
from auditor.rules.indexes._shared import (
    drop_kept_elsewhere_sql,
    duplicate_groups,
    family,
    index_bytes,
    keep_rank,
    key_signature,
    recreate_sql,
    sort_order,
    user_indexes,
)
from auditor.rules.registry import Hit, rule


def covers_prefix(a: Index, b: Index) -> bool:
    """b serves every lookup a serves: same method and predicate, a's keys are a left prefix of b's."""
    if a.oid == b.oid or not b.is_valid or b.is_exclusion or a.method != "btree" or b.method != "btree":
        return False
    n = a.key_count
    if n > b.key_count or (a.predicate or "") != (b.predicate or ""):
        return False
    sa, sb = key_signature(a), key_signature(b)
    if any(x[:n] != y[:n] for x, y in zip(sa[1:4], sb[1:4], strict=True)):
        return False
    if sort_order(a.options, n) != sort_order(b.options, n):
        return False
    carried = {c for c in b.columns if c} | set(b.include_columns)
    if not set(a.include_columns) <= carried:
        return False
    return n < b.key_count or set(a.include_columns) < set(b.include_columns)


@rule("IDX003", "redundant-index", severity="low", subject="index", requires=("indexes",), population="indexes")
def redundant_index(snap: Snapshot) -> Iterator[Hit]:
    """Index whose keys are a left prefix of another index's keys.

    ## Why it matters
    A btree index on `(a, b)` serves every lookup and sort an index on `(a)` serves, so `(a)` costs
    writes, cache and disk for nothing the longer index cannot do. Almost always an index added
    before (or after) a composite index, by hand or by an ORM.

    ## What it checks
    A valid, non-unique btree that backs no constraint, whose keys (columns or expressions) with their
    operator classes, collations and sort order are the leading keys of another valid btree with the
    same predicate, when the longer index also carries its INCLUDE columns (as keys or INCLUDE). An
    index is also covered by one with the same keys and more INCLUDE columns. The shortest covering
    index is named, the others listed. Exact twins are IDX002's and are not reported again here. The
    finding is medium for a redundant index of 100 MB or more.

    ## What is not redundant
    A unique index or one that backs a constraint (it enforces uniqueness on fewer columns); a
    partial index unless the longer index has the very same predicate; a full index next to a
    partial one; indexes with different operator classes, collations or sort order on the shared
    keys; an index whose INCLUDE columns the longer one does not carry; other access methods.

    ## Bad
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL);
    CREATE INDEX orders_customer_idx ON orders (customer_id);
    CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);
    ```

    ## Good
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL);
    CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY orders_customer_idx;
    ```
    The finding's fix also carries the statement that recreates the index.
    The drop runs inside a `DO` block that first checks, when the fix runs, that the wider index is
    there, valid, on the same table, and still leads with the redundant one's keys (same method,
    operator classes, collations, order and predicate, its INCLUDE columns among the wider one's), and
    raises (dropping nothing) otherwise, or when the index to drop is one nothing may lose: a primary
    key's, replica identity, one a foreign key looks its rows up through, or one backing a constraint
    other than the one it is dropped with. Inside a block the drop cannot be CONCURRENTLY: it takes a
    brief lock (lock_timeout 5s when none is set).

    ## False positives
    When the longer index is much wider (see `sizes`; the message says so from three times the
    size), a lookup on the leading keys alone reads more pages through it: keep the short index if
    that lookup is the hot path. Ignore the rule (`--ignore IDX003`, `ignore = ["IDX003"]`) or tag
    the index:
    ```sql
    COMMENT ON INDEX orders_customer_idx IS 'pg-auditor: ignore IDX003 -- hot lookup, 5x smaller';
    ```
    """
    children = snap.attached_indexes_of
    dropped = {d.oid for _, _, dups in duplicate_groups(snap) for d in dups}
    by_first_key: dict[tuple[int, str], list[Index]] = {}  # a covering index starts with the same key
    for t, i in user_indexes(snap):
        by_first_key.setdefault((t.oid, i.keys[0]), []).append(i)
    for t, a in user_indexes(snap):
        if a.oid in dropped or not a.is_valid or a.is_unique or a.constraint_name or a.method != "btree":
            continue
        covering = [b for b in by_first_key[(t.oid, a.keys[0])] if b.oid not in dropped and covers_prefix(a, b)]
        if not covering:
            continue
        b = min(covering, key=lambda x: (x.key_count, keep_rank(x)))
        a_bytes, b_bytes = index_bytes(snap, family(a, children)), index_bytes(snap, family(b, children))
        evidence: dict[str, Any] = {"redundant": a.definition, "covered_by": b.definition}
        evidence["sizes"] = {a.name: human_bytes(a_bytes), b.name: human_bytes(b_bytes)}
        if len(covering) > 1:
            evidence["also_covered_by"] = sorted(x.name for x in covering if x.oid != b.oid)
        message = f"index {a.name} ({', '.join(a.keys)}) is a left prefix of {b.name} ({', '.join(b.keys)})"
        if a_bytes and b_bytes > 3 * a_bytes:
            message += f"; {b.name} is {b_bytes / a_bytes:.0f}x larger, so keep {a.name} if lookups on its keys are hot"
        yield Hit(
            obj=index_obj(t, a),
            message=message,
            evidence=evidence,
            fix=(
                drop_kept_elsewhere_sql(snap, t, a, [index_there(t.schema, b.name, "k", covers(snap))])
                + f"\n-- undo: {sql_comment(recreate_sql(a))}"
            ),
            severity="medium" if a_bytes >= 100 * 1024 * 1024 else None,
        )
