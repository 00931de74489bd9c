"""CON005: a constraint added NOT VALID whose VALIDATE step never ran."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.common import constraint_obj
from auditor.rules.registry import Hit, rule


@rule(
    "CON005",
    "constraint-not-validated",
    severity="medium",
    subject="constraint",
    requires=("tables", "constraints"),
    population="constraints",
)
def constraint_not_validated(snap: Snapshot) -> Iterator[Hit]:
    """Constraint added NOT VALID and never validated.

    ## Why it matters
    `ADD CONSTRAINT ... NOT VALID` is the right first step on a large table, but until
    `VALIDATE CONSTRAINT` runs, rows that existed before are not known to satisfy it: old orphans
    or out-of-range values may still be there, and the planner cannot use an unvalidated CHECK to
    skip partitions or prove NOT NULL. Usually the second step of a migration was forgotten.

    ## What it checks
    Every constraint of an application table that is not validated (`pg_constraint.convalidated`
    false), counted once where it is declared: the copies on partitions and inherited constraints
    are left out.

    ## Bad
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
    ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
        FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;
    ```

    ## Good
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
    ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
        FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;
    ```

    ## Fix
    ```sql
    ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;
    ```
    VALIDATE takes a SHARE UPDATE EXCLUSIVE lock (reads and writes go on) and fails, changing
    nothing, if a row violates the constraint: find those rows first.

    ## False positives
    Between the two steps of a migration (VALIDATE planned for a quiet hour), or a CHECK left NOT
    VALID on purpose because old rows that break it are kept as history. Suppress on the constraint:
    `COMMENT ON CONSTRAINT orders_customer_id_fkey ON orders IS 'pg-auditor: ignore CON005 -- pre-2019 rows kept'`
    (a comment on the table covers it too); or `--ignore CON005` / `ignore = ["CON005"]` in the config.
    """
    user = {t.oid for t in snap.user_tables}
    for con in snap.constraints:
        if con.validated or con.table_oid not in user or con.parent_oid is not None or not con.is_local:
            continue
        t = snap.table_by_oid[con.table_oid]
        kind = {"f": "foreign key", "c": "check constraint"}.get(con.type, "constraint")
        yield Hit(
            obj=constraint_obj(t, con),
            message=f"{kind} {con.name} is NOT VALID: rows older than it were never checked",
            evidence={"definition": con.definition, "estimated_rows": snap.estimated_rows(t)},
            fix=f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {quote_ident(con.name)};",
        )
