"""ISO012: tenant data without the tenant column, scoped only through joins."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.tenancy import TENANT_DATA, Tenancy
from auditor.base.names import column_list, quote_ident
from auditor.catalog.model import Constraint, Snapshot, Table
from auditor.rules.common import table_obj
from auditor.rules.guarded import transaction
from auditor.rules.isolation._shared import RLS, _col_type, _tenant, bounded
from auditor.rules.registry import Hit, rule


@rule("ISO012", "tenant-child-without-tenant-column", severity="medium", subject="table", requires=RLS)
def tenant_child_without_tenant_column(snap: Snapshot) -> Iterator[Hit]:
    """Table that references a tenant table but carries no tenant column.

    ## Why it matters
    Events, attachments, outbox, idempotency and audit tables hanging off a tenant table are tenant
    data. Without the column, a policy needs a join through the parent (slower, easy to get wrong),
    every query must join to filter, and purging or exporting one tenant cannot be done by key.

    ## What it checks
    Tables without the tenant column that have a foreign key to a table holding tenant data (one that
    carries the tenant column, the root tenant table, or a table that reaches them through a key).
    Under row-level security: medium when the key always holds a value (NOT NULL, a validated CHECK, or
    one branch of a `num_nonnulls(...) = 1` CHECK: the table is tenant data through its parent, a
    hierarchical key), since every policy on it needs a join; high when the key is nullable, since rows
    without a parent belong to no tenant and no policy can place them. Where the application enforces
    tenancy (no RLS) there is no policy to write, and the schema's own convention decides: medium when
    fewer than a quarter of its tenant-data tables lack the column (the column everywhere is the
    convention and this table is an outlier), low otherwise (a normalised design, where tables reach
    their tenant through their parent on purpose). More than `isolation_group_over` such tables of one
    severity become one finding of that severity.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation_model = "none"`).

    ## Bad
    ```sql
    CREATE TABLE requests (id bigint PRIMARY KEY, org_id bigint NOT NULL, title text);
    CREATE TABLE request_events (id bigint PRIMARY KEY, request_id bigint NOT NULL REFERENCES requests, kind text);
    ```

    ## Good
    ```sql
    CREATE TABLE requests (id bigint PRIMARY KEY, org_id bigint NOT NULL, title text, UNIQUE (org_id, id));
    CREATE TABLE request_events (id bigint PRIMARY KEY, org_id bigint NOT NULL, request_id bigint NOT NULL,
        kind text, FOREIGN KEY (org_id, request_id) REFERENCES requests (org_id, id));
    ```

    ## Fix
    The column is added and filled from the parent, in one transaction:
    ```sql
    ALTER TABLE request_events ADD COLUMN org_id bigint;
    UPDATE request_events c SET org_id = p.org_id FROM requests p WHERE p.id = c.request_id AND c.org_id IS NULL;
    ```
    NOT NULL and the composite key to the parent come next, once the application writes the column on new
    rows (before that, either would reject its INSERTs): the re-audit reports them as ISO015 and ISO013,
    each with its own fix. A large table is better filled in batches. Where every parent reaches the tenant
    through keys of its own, the fix adds the column and leaves the fill to the DBA.

    ## False positives
    A small child table that is always read through its parent, with a policy that joins to it, can
    live without the column: the finding is about cost and convenience, not a leak. Tag it:
    `COMMENT ON TABLE request_events IS 'pg-auditor: ignore ISO012 -- scoped through requests'`. A
    grouped finding (on a schema or the database) is not covered by comments on single tables; raise
    `isolation_group_over` to see them one by one. In hierarchical tenancy (organization > namespace >
    project), a table keyed at its own level is right as it is: declare each table's key in
    `tenant_keys` (`issues = "project_id"`, or a list for polymorphic keys), as large applications
    publish them, and the table is tenant data by that key.
    """
    ten = _tenant(snap)
    hits = []
    severity = {"indirect": None, "unknown": "high"}
    if ten.model == "app":
        severity = dict.fromkeys(severity, None if denormalised(ten) else "low")
    for info in ten.of_class("indirect", "unknown"):
        if info.declared_keys:  # keyed at its own level of a hierarchy (a project, a namespace): by design
            continue
        t = info.table
        refs = [
            c
            for c in snap.constraints_of.get(t.oid, [])
            if c.type == "f"
            and ten.tables.get(c.ref_table_oid or 0)
            and ten.tables[c.ref_table_oid or 0].cls in ("tenant", "indirect", "root")
        ]
        if not refs:
            continue
        typ = _col_type(snap, ten.root, ten.tables[ten.root.oid].column or "id") if ten.root else "bigint"
        col = quote_ident(ten.column or "tenant_id")
        hits.append(
            Hit(
                obj=table_obj(t),
                message=f"{t.qualified} hangs off tenant data ({info.reason}) but has no {ten.column} column",
                evidence={
                    "class": info.cls,
                    "via": info.via,
                    "references": sorted(
                        f"{column_list(c.columns)} -> {snap.table_by_oid[c.ref_table_oid].qualified}"
                        for c in refs
                        if c.ref_table_oid in snap.table_by_oid
                    ),
                },
                fix=add_column_sql(ten, t, refs, col, typ),
                severity=severity[info.cls],
            )
        )
    yield from bounded(snap, hits, f"tables hang off tenant data without {ten.column}", "medium")


def backfill_sql(ten: Tenancy, t: Table, refs: list[Constraint], col: str) -> str | None:
    """The UPDATE that fills the new tenant column from a parent the table references: the key itself when
    it references the root tenant table, the parent's tenant column when the parent carries one; None when
    every parent reaches the tenant through keys of its own (the fill is a join the DBA writes)."""
    for c in sorted(refs, key=lambda c: c.name):
        parent = ten.tables[c.ref_table_oid or 0]
        if parent.cls == "root" and len(c.columns) == 1 and c.ref_columns == [parent.column]:
            return f"UPDATE {t.qualified} SET {col} = {quote_ident(c.columns[0])} WHERE {col} IS NULL;"
        if parent.cls == "tenant" and parent.column:
            on = " AND ".join(
                f"p.{quote_ident(r)} = c.{quote_ident(k)}" for k, r in zip(c.columns, c.ref_columns, strict=True)
            )
            return (
                f"UPDATE {t.qualified} c SET {col} = p.{quote_ident(parent.column)} FROM {parent.table.qualified} p"
                f" WHERE {on} AND c.{col} IS NULL;"
            )
    return None


def add_column_sql(ten: Tenancy, t: Table, refs: list[Constraint], col: str, typ: str) -> str:
    """The column added and filled from the parent, in one transaction. NOT NULL (ISO015) and the composite
    key to the parent (ISO013) come next, once the application writes the column on new rows: before that,
    either would reject its INSERTs."""
    fill = backfill_sql(ten, t, refs, col)
    head = (
        "-- the tenant column added and filled from the parent, all or nothing (a large table: in batches instead).\n"
        "-- Once the application writes it on new rows, make it NOT NULL and part of the key to the parent\n"
        "-- (the re-audit's ISO015 and ISO013 fixes): before that, either would reject its INSERTs.\n"
    )
    add = f"ALTER TABLE {t.qualified} ADD COLUMN {col} {typ};"
    if fill is None:
        return head + add + "\n-- fill it through the parents' keys, which reach the tenant through tables of their own"
    return head + transaction(f"{add}\n{fill}")


def denormalised(ten: Tenancy) -> bool:
    """Whether the schema's own convention is a tenant column on every tenant table: fewer than a
    quarter of its tenant-data tables reach the tenant through a parent only. Then a child without the
    column is an outlier; otherwise reaching the tenant through the parent is the design."""
    data = ten.of_class(*TENANT_DATA)
    return 4 * sum(1 for i in data if i.cls == "indirect") < len(data)
