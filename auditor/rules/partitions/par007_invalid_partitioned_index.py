"""PAR007: a partitioned index left invalid because some partitions lack it."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import qualified
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import attach_sql, children, index_ddl, index_shape, proposed_index_name
from auditor.rules.registry import Hit, Obj, rule


@rule(
    "PAR007",
    "invalid-partitioned-index",
    severity="high",
    subject="index",
    requires=("tables", "indexes"),
    population="partition_indexes",
)
def invalid_partitioned_index(snap: Snapshot) -> Iterator[Hit]:
    """Partitioned index that is invalid: some partitions lack it.

    ## Why is this bad?
    An index created `ON ONLY` the parent stays invalid until every partition has an index attached to
    it. The partitions without one are scanned sequentially for the queries it was meant for; a unique
    or primary key index built this way is not enforced on them.

    ## Example
    ```sql
    CREATE INDEX ticket_search_document_idx ON ONLY ticket_search USING gin (document);
    -- attached on 2 of 4 partitions only
    ```

    ## Fix
    Build the index on each partition missing it (CONCURRENTLY) and attach it; attach an existing
    matching index instead of building a second one. The parent index turns valid after the last attach.
    """
    for parent_idx in snap.indexes:
        if not parent_idx.is_partitioned or parent_idx.is_valid:
            continue
        t = snap.table_by_oid.get(parent_idx.table_oid)
        if t is None or t.schema in snap.extension_schemas:
            continue
        shape = index_shape(t, parent_idx)
        attached = {i.table_oid for i in snap.indexes if i.parent_index_oid == parent_idx.oid}
        kids = [c for c in children(snap, t) if c.kind in ("r", "p") and not c.detach_pending]
        missing = [c for c in kids if c.oid not in attached]
        if not missing:
            continue
        pq = qualified(t.schema, parent_idx.name)
        lines = []
        for child in missing:
            same = next(
                (
                    i
                    for i in snap.indexes_of.get(child.oid, [])
                    if i.parent_index_oid is None
                    and index_shape(child, i) == shape
                    and i.is_unique == parent_idx.is_unique
                ),
                None,
            )
            if same is not None:
                lines.append(attach_sql(pq, child, same.name))
                continue
            cname = proposed_index_name(child, parent_idx)
            lines.append(index_ddl(parent_idx, shape, child, cname, concurrently=not child.is_partitioned))
            lines.append(attach_sql(pq, child, cname))
        yield Hit(
            obj=Obj("index", t.schema, t.name, parent_idx.name),
            message=f"partitioned index {parent_idx.name} is invalid: {len(missing)} of {len(kids)} partition(s) "
            "lack it",
            evidence={"definition": parent_idx.definition, "partitions_missing_it": [c.name for c in missing]},
            fix="\n".join(lines),
            severity="high" if parent_idx.is_unique else "medium",
        )
