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
from auditor.rules.guarded import commented, replace_foreign_key_sql
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
    group one key is kept, the strongest: enforced, then validated, then MATCH FULL, then not
    deferrable (with both keys in place the immediate check already decides), then the older (lower
    oid: the other is the copy a re-run migration added). Each other one is reported: low when their
    ON DELETE and ON UPDATE actions are the same, medium when they differ (then nothing is dropped, and
    the pair is reported on its first key by name, so validating either key leaves it the same finding).

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
    DO $guard$ BEGIN
      -- raises unless orders_customer_id_fkey (the key kept) is there, validated, on the same columns
      ALTER TABLE orders DROP CONSTRAINT fk_orders_customer;
    END $guard$;
    ```
    When the actions differ the fix runs nothing: both drops are printed as comments, since only the
    application knows which action it relies on.

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
        members.sort(key=lambda tc: _strength(tc[1]))
        keep = members[0][1]
        for t, con in members[1:]:
            same = (con.on_delete, con.on_update) == (keep.on_delete, keep.on_update)
            first = keep
            if not same and con.name > keep.name:
                # Nothing runs for a pair whose actions differ, so which key is "kept" only names the finding:
                # the first by name is its subject, whatever validating either (CON005's fix) changes.
                con, first = first, con
            drop = f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(con.name)};"
            if same:  # dropped only while the kept key is there, validated, on the same columns
                fix = replace_foreign_key_sql(t, keep.name, con.name, same_columns=True, role="kept")
            else:  # which action the application relies on is not in the catalog: nothing runs
                fix = (
                    "-- the actions differ: keep the one the application relies on (not run):\n"
                    + commented(drop)
                    + "\n-- or keep this one and drop the other:\n"
                    + commented(f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(first.name)};")
                )
            yield Hit(
                obj=constraint_obj(t, con),
                message=f"duplicates {first.name}"
                + (
                    ""
                    if same
                    else f" with different actions (ON DELETE {FK_ACTIONS.get(con.on_delete or 'a')} "
                    f"vs {FK_ACTIONS.get(first.on_delete or 'a')})"
                ),
                evidence={"kept": first.definition, "duplicate": con.definition},
                fix=fix,
                severity="low" if same else "medium",
            )


def _strength(con: Constraint) -> tuple:
    """The key kept sorts first: enforced, then validated (a NOT VALID key checks only new rows), then
    MATCH FULL (it also checks rows with some NULL columns), then not deferrable (checked at once: with
    both keys in place the immediate one decides already), then the older (the lower oid, the one the
    schema had first; the newer one is the copy a re-run migration added)."""
    return (not con.enforced, not con.validated, con.match_type != "f", con.deferrable, con.oid)
