"""IDX001: a foreign key whose lookups (on parent DELETE/UPDATE) have no index to use."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import column_list, quote_ident
from auditor.catalog.model import FK_ACTIONS, Constraint, Index, Snapshot, Table
from auditor.rules.common import (
    LARGE_TABLE_ROWS,
    SMALL_TABLE_ROWS,
    TENANT_COLUMNS,
    constraint_obj,
    create_index_sql,
    human_bytes,
    leads_with,
    new_name,
    plain_btree,
    unique_key_sql,
)
from auditor.rules.guarded import commented, not_valid
from auditor.rules.indexes._shared import serves_lookup
from auditor.rules.registry import Hit, rule


def why_not_serving(i: Index, columns: list[str]) -> str:
    """Why an index holding a foreign key's columns still cannot serve its lookups."""
    if not i.is_valid:
        return "invalid"
    if not leads_with(i, columns):
        return "the key columns do not lead"
    if i.predicate is not None:
        return f"partial: WHERE {i.predicate}"
    return f"{i.method}, not btree"


def id_columns(con: Constraint, ref: Table | None) -> list[str]:
    """The columns of a foreign key that find the rows: all of them, except those matching the referenced
    table's partition key. (partition_id, job_id) -> p_ci_jobs (partition_id, id) is found by job_id when
    ids come from one sequence; the partition column only routes the check to a partition."""
    if ref is None or not ref.is_partitioned:
        return con.columns
    keep = [c for c, r in zip(con.columns, con.ref_columns, strict=False) if r not in ref.partition_key_columns]
    return keep or con.columns


def fk_index_sql(snap: Snapshot, table: Table, columns: list[str]) -> str:
    """The index a foreign key needs. On a partition (a key declared on some partitions, PAR017), the whole
    set is indexed from its root: an index built on a few partitions is what PAR008 reports, and the
    parent's own key, once declared, needs the parent's index. Every partition's finding gets the same fix,
    which the fix script runs once."""
    root = snap.root_of(table)
    if root is table or not all((root.oid, c) in snap.column_by_name for c in columns):
        return create_index_sql(snap, table, columns)
    return "-- indexes the whole partitioned set, this partition with it\n" + create_index_sql(snap, root, columns)


@rule(
    "IDX001",
    "unindexed-foreign-key",
    severity="medium",
    subject="constraint",
    requires=("constraints", "indexes"),
    population="foreign_keys",
)
def unindexed_foreign_key(snap: Snapshot) -> Iterator[Hit]:
    """Foreign key with no index leading with its columns.

    ## Why it matters
    Deleting or updating a referenced row makes PostgreSQL look up the referencing rows. With no
    index leading with the foreign key's columns that is a sequential scan of the referencing table
    per parent row, under a lock: ON DELETE CASCADE and SET NULL turn one delete into many scans.
    Joins from parent to child suffer the same way.

    ## What it checks
    Every foreign key on an application table needs an index that serves its lookup: a valid btree
    index whose first columns are exactly the key's columns, in any order, with no predicate or only
    `col IS NOT NULL` on key columns (the lookup `col = $1` implies it, so the planner uses such an
    index for the check). A hash index on exactly a one-column key also serves the lookup. Any other
    partial index, an invalid one (failed CREATE INDEX CONCURRENTLY) or one where the key columns come
    after another column does not count; the evidence names such indexes and why. A key referencing a
    partitioned table through its partition column, `(partition_id, job_id) -> p_ci_jobs (partition_id,
    id)`, is served by an index leading with `job_id` alone: the ids find the rows. A partitioned table
    is judged on its parent.

    The finding is high on a table of `large-table-rows` (1,000,000) estimated rows or more, and on a
    table of ten times `small-table-rows` (10,000) or more when the key cascades (ON DELETE CASCADE,
    SET NULL or SET DEFAULT); low on a table under `small-table-rows` (1,000) that does not cascade;
    medium otherwise. Row counts are the statistics' (what a table holds now): on a fresh deployment every
    table is small, and a cascading key's severity rests on the schema alone (medium), whether the table
    will stay a handful of settings rows or grow with the users: only the DBA can tell.

    ## Bad
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
    CREATE TABLE invoices (
        id bigint PRIMARY KEY,
        customer_id bigint NOT NULL REFERENCES customers ON DELETE CASCADE,
        total numeric(12, 2) NOT NULL
    );
    ```

    ## Good
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
    CREATE TABLE invoices (
        id bigint PRIMARY KEY,
        customer_id bigint NOT NULL REFERENCES customers ON DELETE CASCADE,
        total numeric(12, 2) NOT NULL
    );
    CREATE INDEX invoices_customer_id_idx ON invoices (customer_id);
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY invoices_customer_id_idx ON invoices (customer_id);
    ```
    On a partitioned table, where the parent cannot be indexed CONCURRENTLY, the finding's fix creates
    the index `ON ONLY` the parent, builds it concurrently on each partition that exists when it runs
    (psql's `\\gexec`) and attaches each one. A key declared on a partition alone is served by indexing the
    whole set from its root.
    When an index already leads with the tenant column and then the key column, a tenant-scoped
    composite foreign key `(org_id, customer_id) REFERENCES customers (org_id, id)` in place of the key
    uses it and also stops rows of one tenant pointing at another tenant's rows: that swap is printed
    commented out, as the alternative (ISO013 reports the key, and its fix makes the swap with guards).

    ## False positives
    A parent whose rows are never deleted and whose key never changes (currencies, countries, plans)
    never triggers the lookup, and a small child table is scanned in no time (such findings are low).
    Joins from parent to child may still want the index. To accept the finding, ignore the rule
    (`--ignore IDX001`, or `ignore = ["IDX001"]` in the config) or tag the constraint (or its table):
    ```sql
    COMMENT ON CONSTRAINT invoices_currency_fkey ON invoices IS 'pg-auditor: ignore IDX001 -- never deleted';
    ```
    """
    tenant_names = TENANT_COLUMNS(snap)
    large, small = LARGE_TABLE_ROWS(snap), SMALL_TABLE_ROWS(snap)
    user = {t.oid for t in snap.user_tables}
    for con in snap.constraints:
        if con.type != "f" or con.parent_oid is not None or con.table_oid not in user:
            continue
        table = snap.table_by_oid[con.table_oid]
        indexes = snap.indexes_of.get(table.oid, [])
        if any(serves_lookup(i, con.columns) for i in indexes):
            continue
        ref = snap.table_by_oid.get(con.ref_table_oid or 0)
        lookup = id_columns(con, ref)
        if lookup != con.columns and any(serves_lookup(i, lookup) for i in indexes):
            continue
        rows = snap.estimated_rows(table)
        on_delete = FK_ACTIONS.get(con.on_delete or "a", "NO ACTION")
        cascades = con.on_delete in ("c", "n", "d")
        if rows >= large or (cascades and rows >= small * 10):
            severity = "high"
        elif rows < small and not cascades:
            severity = "low"
        else:
            severity = "medium"
        evidence = {
            "columns": con.columns,
            "references": f"{ref.qualified}({column_list(con.ref_columns)})" if ref else None,
            "on_delete": on_delete,
            "estimated_rows": rows,
            "table_size": human_bytes(snap.total_bytes(table)),
        }
        near = {i.name: why_not_serving(i, con.columns) for i in indexes if set(con.columns) <= set(i.columns)}
        if near:
            evidence["indexes_with_these_columns_that_do_not_serve_it"] = [
                f"{name} ({why})" for name, why in sorted(near.items())
            ]
        fix = fk_index_sql(snap, table, con.columns)
        tenant = next(
            (
                i
                for name in tenant_names
                for i in indexes
                if plain_btree(i)
                and i.columns[:1] == [name]
                and leads_with(i, [name, *con.columns])
                and name not in con.columns
            ),
            None,
        )
        if tenant is not None and ref is not None and (ref.oid, tenant.columns[0]) in snap.column_by_name:
            tcol = tenant.columns[0]
            tenant_fk = quote_ident(new_name(snap, table, [con.name], "tenant", kind="constraint"))
            evidence["tenant_index"] = tenant.name
            nv, note = not_valid(snap, table)
            swap = (
                f"{unique_key_sql(snap, ref, [tcol, *con.ref_columns])}{note}"
                f"ALTER TABLE {table.qualified} ADD CONSTRAINT {tenant_fk} FOREIGN KEY "
                f"({column_list([tcol, *con.columns])}) REFERENCES {ref.qualified} "
                f"({column_list([tcol, *con.ref_columns])}){nv};\n"
                f"ALTER TABLE {table.qualified} VALIDATE CONSTRAINT {tenant_fk};\n"
                f"ALTER TABLE {table.qualified} DROP CONSTRAINT {quote_ident(con.name)};"
            )
            fix = (
                f"{fix}\n-- or, instead (not run: remove the comment marks to choose it; ISO013's fix does it with"
                " guards):\n"
                f"-- {quote_ident(tenant.name)} leads with {quote_ident(tcol)} then the key: a tenant-scoped "
                "composite key in place of\n"
                "-- this one uses it, and keeps rows from pointing at another tenant's rows; it needs UNIQUE "
                f"({quote_ident(tcol)}, {column_list(con.ref_columns)}) on {ref.qualified}:\n" + commented(swap)
            )
        yield Hit(
            obj=constraint_obj(table, con),
            message=(
                f"foreign key {con.name} ({column_list(con.columns)}) has no index leading with its columns"
                + (f"; ON DELETE {on_delete} scans {table.qualified} for every deleted parent row" if cascades else "")
            ),
            evidence=evidence,
            fix=fix,
            severity=severity,
        )
