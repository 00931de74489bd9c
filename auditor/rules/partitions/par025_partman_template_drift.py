"""PAR025: pg_partman template indexes that older children lack (or a missing template)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partman import parent_of, split_name
from auditor.base.names import qualified
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import configured_sets, index_ddl, index_shape, proposed_index_name, set_obj
from auditor.rules.registry import Hit, rule


@rule(
    "PAR025",
    "partman-template-drift",
    severity="medium",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables", "indexes"),
    population="partman_sets",
)
def partman_template_drift(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman template table with indexes some existing children lack (or a template that is gone).

    ## Why it matters
    pg_partman copies what the parent cannot carry (unique indexes without the partition key, for
    example) from the template table when it creates a child; changing the template later is not
    retroactive. Children made before the change lack the index, so the uniqueness or the lookup it
    gives exists on some partitions only. A template_table that no longer exists breaks child creation.

    ## What it checks
    Each top-level pg_partman set with a `template_table`: whether that table exists, and for each index of
    the template, the set's leaf partitions (the default included) that have no index of the same shape and
    uniqueness. One finding per template index; medium for a unique index, low otherwise.

    ## Bad
    ```sql
    -- A unique index added to the template after the children were created.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        id         bigint      NOT NULL,
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');
    CREATE UNIQUE INDEX ON partman.template_public_events (id);
    ```

    ## Good
    ```sql
    -- The index is on the template before pg_partman creates the children, so every child gets it.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        id         bigint      NOT NULL,
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_template (LIKE events);
    CREATE UNIQUE INDEX ON events_template (id);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly',
                                 p_template_table := 'public.events_template');
    ```

    ## Fix
    Create the template's missing indexes on the children that lack them (CONCURRENTLY):
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY events_p2025_01_id_key ON public.events_p2025_01 USING btree (id);
    -- ... one per child listed in the finding
    ```

    ## False positives
    An index meant for new children only (old partitions are read rarely and not worth the build) is a
    choice: `COMMENT ON TABLE events IS 'pg-auditor: ignore PAR025 -- index for new months only'`. A unique
    index present on some partitions only does not enforce uniqueness across the set either way (PAR009).
    """
    for pset in configured_sets(snap):
        t = parent_of(snap, pset)
        if t is None or not pset.template_table:
            continue
        tpl = snap.table_by_name.get(split_name(pset.template_table))
        if tpl is None:
            yield Hit(
                obj=set_obj(snap, pset),
                message=f"template table {pset.template_table} does not exist",
                evidence={"template_table": pset.template_table},
                fix=f"CREATE TABLE {qualified(*split_name(pset.template_table))} (LIKE {t.qualified});",
                members=("template",),
            )
            continue
        kids = [p for p in snap.leaf_partitions(t)]
        for ti in sorted(snap.indexes_of.get(tpl.oid, []), key=lambda i: i.name):
            shape = index_shape(tpl, ti)
            lacking = [
                k
                for k in kids
                if not any(
                    index_shape(k, ki) == shape and ki.is_unique == ti.is_unique
                    for ki in snap.indexes_of.get(k.oid, [])
                )
            ]
            if not lacking:
                continue
            lines = [
                index_ddl(ti, shape, k, proposed_index_name(k, ti, snap), concurrently=not k.is_partitioned)
                for k in lacking
            ]
            yield Hit(
                obj=set_obj(snap, pset),
                message=f"template index {ti.name} ({shape}) is missing on {len(lacking)} of {len(kids)} children",
                evidence={"template_index": ti.definition, "children_without": [k.name for k in lacking][:50]},
                fix="\n".join(lines),
                members=(ti.name,),
                severity="medium" if ti.is_unique else "low",
            )
