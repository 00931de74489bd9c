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

    ## Why is this bad?
    Queries that need it are fast on some partitions and scan the others; partitions created later never
    get it. When it exists on every partition but not on the parent, new partitions still miss it.

    ## Example
    `(event_type, created_at)` indexed on the three newest monthly partitions only.

    ## Fix
    Create it ON ONLY the parent, attach the copies that exist, build and attach the missing ones.
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
            fix=build_on_parent_sql(snap, t, sample, shape, have, kids),
            members=(shape,),
            severity="medium" if missing else "low",
        )
