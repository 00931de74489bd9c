"""PAR008: an index built partition by partition instead of on the parent."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import build_on_parent_sql, local_index_groups
from auditor.rules.registry import Hit, rule


@rule(
    "PAR008",
    "index-on-some-partitions",
    severity="medium",
    subject="partitioned table",
    requires=("tables", "indexes"),
    population="partition_sets",
)
def index_on_some_partitions(snap: Snapshot) -> Iterator[Hit]:
    """Index built on some partitions by hand, not on the parent.

    ## Why it matters
    Queries that need it are fast on some partitions and scan the others; partitions created later never
    get it. When it exists on every partition but not on the parent, new partitions still miss it.

    ## What it checks
    For every partitioned table, the valid non-unique indexes of its direct partitions that are attached to
    no parent index and whose shape (method, columns or expressions, predicate) the parent has no index for.
    Indexes of the same shape are grouped across partitions, whatever their names. Medium when some
    partitions lack it, low when every partition has it (only new partitions will miss it).

    ## Bad
    ```sql
    -- (event_type, created_at) indexed by hand on the newest partitions only.
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        event_type text        NOT NULL,
        created_at timestamptz NOT NULL
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
    CREATE TABLE events_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
    CREATE TABLE events_2024_03 PARTITION OF events FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
    CREATE INDEX ON events_2024_02 (event_type, created_at);
    CREATE INDEX ON events_2024_03 (event_type, created_at);
    ```

    ## Good
    ```sql
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        event_type text        NOT NULL,
        created_at timestamptz NOT NULL
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
    CREATE TABLE events_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
    CREATE TABLE events_2024_03 PARTITION OF events FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
    CREATE INDEX ON events (event_type, created_at);  -- every partition, and every future one, gets it
    ```

    ## Fix
    Create it ON ONLY the parent, attach the copies that exist, build and attach the missing ones:
    ```sql
    CREATE INDEX events_event_type_created_at_idx ON ONLY public.events USING btree (event_type, created_at);
    CREATE INDEX CONCURRENTLY events_2024_01_event_type_created_at_idx
        ON public.events_2024_01 USING btree (event_type, created_at);
    ALTER INDEX public.events_event_type_created_at_idx
        ATTACH PARTITION public.events_2024_01_event_type_created_at_idx;
    ALTER INDEX public.events_event_type_created_at_idx
        ATTACH PARTITION public.events_2024_02_event_type_created_at_idx;
    ALTER INDEX public.events_event_type_created_at_idx
        ATTACH PARTITION public.events_2024_03_event_type_created_at_idx;
    ```
    The finding's fix reads the partitions when it runs (sub-partitions too, and any an earlier fix added):
    psql's `\\gexec` runs the CREATE INDEX CONCURRENTLY and ATTACH statements a catalog query prints, and a
    check stops the script unless the parent index ends valid.

    ## False positives
    An index wanted on some partitions only (hot recent months get an extra index that old, cold ones do
    without) is a deliberate choice: say so on the table, `COMMENT ON TABLE events IS 'pg-auditor: ignore
    PAR008 -- extra index on recent months only'`. A partial index on the parent would express the same
    intent where the predicate allows it.
    """
    for t, shape, sample, have, kids in local_index_groups(snap, unique=False):
        missing = [c.name for c in kids if c.oid not in have]
        if missing:
            msg = f"index {shape} exists on {len(have)} of {len(kids)} partitions, not on the parent"
        else:
            msg = f"index {shape} exists on every partition but not on the parent: new partitions will not get it"
        yield Hit(
            obj=table_obj(t),
            message=msg,
            evidence={
                "index": shape,
                "on_partitions": sorted(i.name for i in have.values()),
                "partitions_without": missing,
            },
            fix=build_on_parent_sql(snap, t, sample, shape),
            members=(shape,),
            severity="medium" if missing else "low",
        )
