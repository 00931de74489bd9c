"""PAR007: a partitioned index left invalid because some partitions lack it."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import children
from auditor.rules.registry import Hit, Obj, rule
from auditor.rules.runtime_sql import complete_partitioned_index_sql


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

    ## Why it matters
    An index created `ON ONLY` the parent stays invalid until every partition has an index attached to
    it. The partitions without one are scanned sequentially for the queries it was meant for; a unique
    or primary key index built this way is not enforced on them.

    ## What it checks
    Every invalid partitioned index (`indisvalid` false on a partitioned table outside extension schemas),
    and which of the table's direct partitions (partitions being detached left out) have no index attached
    to it. High for a unique index, medium otherwise. The fix attaches a matching index a partition already
    has (same method, columns, predicate and uniqueness) rather than building a second one.

    ## Bad
    ```sql
    CREATE TABLE ticket_search (
        org_id    bigint NOT NULL,
        opened_on date   NOT NULL,
        document  tsvector
    ) PARTITION BY RANGE (opened_on);
    CREATE TABLE ticket_search_2024 PARTITION OF ticket_search FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE ticket_search_2025 PARTITION OF ticket_search FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE INDEX ticket_search_document_idx ON ONLY ticket_search USING gin (document);
    CREATE INDEX ticket_search_2024_document_idx ON ticket_search_2024 USING gin (document);
    ALTER INDEX ticket_search_document_idx ATTACH PARTITION ticket_search_2024_document_idx;
    -- ticket_search_2025 never got its copy: the parent index stays invalid
    ```

    ## Good
    ```sql
    CREATE TABLE ticket_search (
        org_id    bigint NOT NULL,
        opened_on date   NOT NULL,
        document  tsvector
    ) PARTITION BY RANGE (opened_on);
    CREATE TABLE ticket_search_2024 PARTITION OF ticket_search FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE ticket_search_2025 PARTITION OF ticket_search FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE INDEX ticket_search_document_idx ON ticket_search USING gin (document);  -- builds and attaches every copy
    ```

    ## Fix
    Build the index on each partition missing it (CONCURRENTLY) and attach it; attach an existing
    matching index instead of building a second one. The parent index turns valid after the last attach:
    ```sql
    CREATE INDEX CONCURRENTLY ticket_search_2025_document_idx ON public.ticket_search_2025 USING gin (document);
    ALTER INDEX public.ticket_search_document_idx ATTACH PARTITION public.ticket_search_2025_document_idx;
    ```
    The finding's fix does this over the partitions that exist when it runs, sub-partitions included (an
    earlier fix may have added some): psql's `\\gexec` runs the CREATE INDEX CONCURRENTLY and ATTACH
    statements a catalog query prints, then a check stops the script unless the index is valid.

    ## False positives
    None while the index is invalid: the queries it serves scan the partitions that lack it. During a
    rollout that builds the copies one by one (the usual way to index a large set without a long lock) the
    finding is expected until the last attach; ignore it for that run with `--ignore PAR007`, or on the
    index: `COMMENT ON INDEX ticket_search_document_idx IS 'pg-auditor: ignore PAR007 -- rollout until Friday'`.
    """
    for parent_idx in snap.indexes:
        if not parent_idx.is_partitioned or parent_idx.is_valid:
            continue
        t = snap.table_by_oid.get(parent_idx.table_oid)
        if t is None or t.schema in snap.extension_schemas:
            continue
        attached = {i.table_oid for i in snap.indexes if i.parent_index_oid == parent_idx.oid}
        kids = [c for c in children(snap, t) if c.kind in ("r", "p") and not c.detach_pending]
        missing = [c for c in kids if c.oid not in attached]
        if not missing:
            continue
        yield Hit(
            obj=Obj("index", t.schema, t.name, parent_idx.name),
            message=f"partitioned index {parent_idx.name} is invalid: {len(missing)} of {len(kids)} partition(s) "
            "lack it",
            evidence={"definition": parent_idx.definition, "partitions_missing_it": [c.name for c in missing]},
            fix=complete_partitioned_index_sql(t.schema, parent_idx.name),
            severity="high" if parent_idx.is_unique else "medium",
        )
