"""PAR017: a foreign key or CHECK declared on some partitions and not on the parent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from auditor.base.names import column_list, quote_ident
from auditor.base.text import sql_comment
from auditor.catalog.model import Constraint, Snapshot, Table
from auditor.rules.common import new_name, table_obj
from auditor.rules.partitions._shared import user_parents
from auditor.rules.registry import Hit, rule

KINDS = {"f": "foreign key", "c": "CHECK"}


def shape(snap: Snapshot, con: Constraint) -> str:
    """What a constraint says, without its name: FKs by columns and target, CHECKs by definition."""
    if con.type == "f":
        target = snap.table_by_oid.get(con.ref_table_oid or 0)
        where = target.qualified if target else "?"
        return f"FOREIGN KEY ({column_list(con.columns)}) REFERENCES {where} ({column_list(con.ref_columns)})"
    return con.definition


@rule(
    "PAR017",
    "constraint-on-some-partitions",
    severity="medium",
    subject="partitioned table",
    requires=("tables", "constraints"),
    population="partition_sets",
)
def constraint_on_some_partitions(snap: Snapshot) -> Iterator[Hit]:
    """Foreign key or CHECK on some partitions and not on the parent: rows in the others go unchecked.

    ## Why it matters
    A constraint added partition by partition (by hand, or by a script that ran once) covers only the
    partitions that existed then: every partition created later, and every row routed to one, is not
    checked. Declared once on the parent, the constraint is cloned onto every partition, present and
    future.

    ## What it checks
    Foreign keys and CHECK constraints declared directly on the leaf partitions of a partitioned table,
    not inherited from the parent, and present on some of the leaves but not all, in RANGE and HASH sets
    (whose partitions hold the same kind of rows; a LIST set's partitions hold different kinds, each with
    its own rules, and a key referencing a partition is a partition-wise design). One finding per
    constraint shape (columns and target, or the CHECK's definition), listing where it is.

    ## Bad
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE payments (id bigint NOT NULL, customer_id bigint NOT NULL, paid_on date NOT NULL)
        PARTITION BY RANGE (paid_on);
    CREATE TABLE payments_2024 PARTITION OF payments FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE payments_2025 PARTITION OF payments FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    ALTER TABLE payments_2024 ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
    ```

    ## Good
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE payments (id bigint NOT NULL, customer_id bigint NOT NULL REFERENCES customers (id),
        paid_on date NOT NULL) PARTITION BY RANGE (paid_on);
    CREATE TABLE payments_2024 PARTITION OF payments FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE payments_2025 PARTITION OF payments FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    ```

    ## Fix
    ```sql
    ALTER TABLE payments ADD CONSTRAINT payments_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (id);
    ```
    Adding the key on the parent checks every partition's rows (on a partitioned table NOT VALID is
    allowed only from PostgreSQL 18): find the orphans first. The partitions' own copies are taken
    over by the parent's constraint (attached, not duplicated).

    ## False positives
    A constraint that only some partitions should have (an old partition's legacy rule): comment it,
    `COMMENT ON TABLE payments IS 'pg-auditor: ignore PAR017 -- 2024 rows follow the old rule'`.
    """
    for t in user_parents(snap, roots_only=True):
        if t.partition_strategy == "l":
            continue  # LIST partitions hold different kinds of rows: a rule per kind is the design
        leaves = snap.leaf_partitions(t)
        if len(leaves) < 2:
            continue
        on_parent = {shape(snap, c) for c in snap.constraints_of.get(t.oid, []) if c.type in KINDS}
        found: dict[str, list[tuple[Table, Constraint]]] = defaultdict(list)
        for leaf in leaves:
            for con in snap.constraints_of.get(leaf.oid, []):
                target = snap.table_by_oid.get(con.ref_table_oid or 0)
                if target is not None and target.is_partition:
                    continue  # partition-wise reference (this slice to that slice): deliberate
                if con.type in KINDS and con.parent_oid is None and con.inherited_count == 0:
                    found[shape(snap, con)].append((leaf, con))
        for key in sorted(found):
            have = found[key]
            if key in on_parent or len({leaf.oid for leaf, _ in have}) >= len(leaves):
                continue
            con = have[0][1]
            kind = KINDS[con.type]
            suffix = "fkey" if con.type == "f" else "check"
            name = new_name(snap, t, [t.name, "_".join(con.columns)], suffix, kind="constraint")
            yield Hit(
                obj=table_obj(t),
                message=f"{kind} {key} is declared on {len(have)} of {len(leaves)} partitions and not on the parent: "
                "rows in the other partitions are not checked",
                evidence={
                    "constraint": key,
                    "on_partitions": sorted(f"{c.name} on {leaf.qualified}" for leaf, c in have),
                    "partitions": len(leaves),
                },
                fix=(
                    f"-- declare it once on {sql_comment(t.qualified)}: every partition, present and future, gets it\n"
                    "-- (checks every partition's rows: find violations first; the partitions' own copies are\n"
                    "-- taken over by the parent's constraint, not duplicated)\n"
                    f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(name)} {key};"
                ),
                members=(key,),
            )
