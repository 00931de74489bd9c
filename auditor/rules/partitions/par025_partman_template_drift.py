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

    ## Why is this bad?
    pg_partman copies what the parent cannot carry (unique indexes without the partition key, for
    example) from the template table when it creates a child; changing the template later is not
    retroactive. Children made before the change lack the index, so the uniqueness or the lookup it
    gives exists on some partitions only. A template_table that no longer exists breaks child creation.

    ## Example
    `CREATE UNIQUE INDEX ON partman.template_public_events (id)` after two years of monthly children.

    ## Fix
    Create the template's missing indexes on the children that lack them (CONCURRENTLY).
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
                index_ddl(ti, shape, k, proposed_index_name(k, ti), concurrently=not k.is_partitioned) for k in lacking
            ]
            yield Hit(
                obj=set_obj(snap, pset),
                message=f"template index {ti.name} ({shape}) is missing on {len(lacking)} of {len(kids)} children",
                evidence={"template_index": ti.definition, "children_without": [k.name for k in lacking][:50]},
                fix="\n".join(lines),
                members=(ti.name,),
                severity="medium" if ti.is_unique else "low",
            )
