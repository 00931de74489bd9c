"""PAR011: legacy inheritance partitioning, and rows stuck in its parent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import partman_by_parent, rows_of
from auditor.rules.registry import Hit, rule


@rule(
    "PAR011",
    "inheritance-partitioning",
    severity="medium",
    subject="table",
    requires=("tables",),
    population="tables",
)
def inheritance_partitioning(snap: Snapshot) -> Iterator[Hit]:
    """Legacy inheritance-based partitioning (and rows stuck in the inheritance parent).

    ## Why it matters
    Inheritance "partitioning" routes rows with triggers and prunes with CHECK constraints: slower
    inserts, no partition-wise joins, no DEFAULT, no parent indexes or foreign keys, and pg_partman 5.x
    no longer supports it. Rows in the parent itself are ones the routing trigger let through.

    ## What it checks
    Ordinary (not partitioned) tables that other tables inherit from (`INHERITS`), reported on the parent
    with its children, the triggers on it, and the parent's own estimated rows. High when the parent itself
    holds rows (estimated), medium otherwise. A pg_partman 4.x trigger-based set is one of these (PAR026
    says what it means for pg_partman).

    ## Bad
    ```sql
    -- Yearly children with CHECK constraints; an insert trigger on logs routes rows (not shown).
    CREATE TABLE logs (at date NOT NULL, org_id bigint NOT NULL, message text);
    CREATE TABLE logs_2024 (CHECK (at >= '2024-01-01' AND at < '2025-01-01')) INHERITS (logs);
    CREATE TABLE logs_2025 (CHECK (at >= '2025-01-01' AND at < '2026-01-01')) INHERITS (logs);
    ```

    ## Good
    ```sql
    CREATE TABLE logs (at date NOT NULL, org_id bigint NOT NULL, message text) PARTITION BY RANGE (at);
    CREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE logs_2025 PARTITION OF logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    ```

    ## Fix
    Migrate to declarative partitioning: create a partitioned table, then ATTACH each child after
    `ALTER TABLE child NO INHERIT parent` (its CHECK constraint makes ATTACH skip the validation scan):
    ```sql
    CREATE TABLE logs_new (LIKE logs INCLUDING ALL) PARTITION BY RANGE (at);
    ALTER TABLE logs_2024 NO INHERIT logs;
    ALTER TABLE logs_new ATTACH PARTITION logs_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    -- ... each child, then move the parent's own rows, drop the trigger and swap the names
    ```

    ## False positives
    Inheritance used for what it is rather than for partitioning (a common set of columns shared by
    several tables, queried together through the parent) is not a partitioning problem: `COMMENT ON TABLE
    logs IS 'pg-auditor: ignore PAR011 -- shared columns, not partitions'`.
    """
    user = {t.oid for t in snap.user_tables}
    kids_of: dict[int, list[Table]] = defaultdict(list)
    for t in snap.user_tables:
        for parent_oid in t.inherits_from:
            kids_of[parent_oid].append(t)
    psets = partman_by_parent(snap) if snap.installed("pg_partman") else {}
    for parent_oid, kids in sorted(kids_of.items(), key=lambda kv: snap.table_by_oid[kv[0]].qualified):
        parent = snap.table_by_oid.get(parent_oid)
        if parent is None or parent_oid not in user or parent.is_partitioned:
            continue
        stuck = rows_of(snap, parent)
        pset = psets.get((parent.schema, parent.name))
        ev: dict[str, Any] = {
            "children": len(kids),
            "children_names": sorted(k.name for k in kids)[:20],
            "rows_in_parent_estimate": stuck,
            "triggers_on_parent": sorted(tr.name for tr in snap.triggers_of.get(parent.oid, [])),
        }
        if pset:
            ev["pg_partman_type"] = pset.partition_type
        msg = f"inheritance-based partitioning with {len(kids)} child table(s)"
        if stuck > 0:
            msg += f"; ~{stuck} rows sit in the parent itself"
        yield Hit(
            obj=table_obj(parent),
            message=msg,
            evidence=ev,
            fix=(
                f"-- rows in the parent (scans it): SELECT count(*) FROM ONLY {parent.qualified};\n"
                f"-- migrate: CREATE TABLE <new> (LIKE {parent.qualified} INCLUDING ALL) PARTITION BY RANGE (<key>);\n"
                f"-- then per child: ALTER TABLE <child> NO INHERIT {parent.qualified}; "
                "ALTER TABLE <new> ATTACH PARTITION <child> FOR VALUES FROM (...) TO (...);"
            ),
            severity="high" if stuck > 0 else "medium",
        )
