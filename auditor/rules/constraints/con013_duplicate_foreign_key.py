"""CON013: the same foreign key declared twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from auditor.base.names import quote_ident
from auditor.catalog.model import FK_ACTIONS, Constraint, Snapshot, Table
from auditor.rules.common import constraint_obj
from auditor.rules.constraints._shared import (
    foreign_keys,
)
from auditor.rules.registry import Hit, rule


@rule(
    "CON013",
    "duplicate-foreign-key",
    severity="low",
    subject="constraint",
    requires=("tables", "constraints"),
    population="foreign_keys",
)
def duplicate_foreign_key(snap: Snapshot) -> Iterator[Hit]:
    """Two foreign keys with the same columns referencing the same key.

    ## Why it matters
    Every insert and update of the table, and every delete of a referenced row, runs each check
    twice, and when their ON DELETE actions differ the outcome depends on which fires first. It
    usually comes from a migration re-run under another name.

    ## What it checks
    The foreign keys of each table, grouped by their column pairs and the referenced table. In a
    group the validated key with the first name is kept and each other one is reported: low when
    their ON DELETE and ON UPDATE actions are the same, medium when they differ.

    ## Bad
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers);
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers;
    ```

    ## Good
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers);
    ```

    ## Fix
    ```sql
    ALTER TABLE orders DROP CONSTRAINT fk_orders_customer;
    ```
    When the actions differ, keep the one the application relies on.

    ## False positives
    The middle of a migration that replaces a key by another (a new ON DELETE action: add the new
    key, then drop the old). Suppress on the constraint:
    `COMMENT ON CONSTRAINT fk_orders_customer ON orders IS 'pg-auditor: ignore CON013 -- swap in progress'`
    (a comment on the table covers it too); or `--ignore CON013` / `ignore = ["CON013"]` in the config.
    """
    groups: dict[tuple, list[tuple[Table, Constraint]]] = defaultdict(list)
    for t, con, _ref in foreign_keys(snap):
        key = (t.oid, tuple(sorted(zip(con.columns, con.ref_columns, strict=False))), con.ref_table_oid)
        groups[key].append((t, con))
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda tc: (not tc[1].validated, tc[1].name))
        keep = members[0][1]
        for t, con in members[1:]:
            same = (con.on_delete, con.on_update) == (keep.on_delete, keep.on_update)
            yield Hit(
                obj=constraint_obj(t, con),
                message=f"duplicates {keep.name}"
                + (
                    ""
                    if same
                    else f" with different actions (ON DELETE {FK_ACTIONS.get(con.on_delete or 'a')} "
                    f"vs {FK_ACTIONS.get(keep.on_delete or 'a')})"
                ),
                evidence={"kept": keep.definition, "duplicate": con.definition},
                fix=("" if same else "-- the actions differ: keep the one the application relies on\n")
                + f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(con.name)};",
                severity="low" if same else "medium",
            )
