"""ISO012: tenant data without the tenant column, scoped only through joins."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.tenancy import TENANT_DATA, Tenancy
from auditor.base.names import column_list, quote_ident
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import table_obj
from auditor.rules.guarded import commented
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
    their tenant through their parent on purpose). More than `isolation-group-over` such tables of one
    severity become one finding of that severity.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

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
    ```sql
    ALTER TABLE request_events ADD COLUMN org_id bigint;
    UPDATE request_events e SET org_id = r.org_id FROM requests r WHERE r.id = e.request_id;  -- in batches
    ALTER TABLE request_events ADD CONSTRAINT request_events_org_id_not_null CHECK (org_id IS NOT NULL) NOT VALID;
    ```
    Then the composite foreign key and a policy that compares the column. The finding's fix prints these
    steps as comments, in order: the column added alone leaves the table's policies ignoring it and its rows
    holding none, which the re-audit reports as worse findings than this one.

    ## False positives
    A small child table that is always read through its parent, with a policy that joins to it, can
    live without the column: the finding is about cost and convenience, not a leak. Tag it:
    `COMMENT ON TABLE request_events IS 'pg-auditor: ignore ISO012 -- scoped through requests'`. A
    grouped finding (on a schema or the database) is not covered by comments on single tables; raise
    `isolation-group-over` to see them one by one. In hierarchical tenancy (organization > namespace >
    project), a table keyed at its own level is right as it is: declare each table's key in
    `tenant-keys` (`issues = "project_id"`, or a list for polymorphic keys), as large applications
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
                fix=_plan(snap, ten, t, refs, col, typ),
                severity=severity[info.cls],
            )
        )
    yield from bounded(snap, hits, f"tables hang off tenant data without {ten.column}", "medium")


def _plan(snap: Snapshot, ten: Tenancy, t: Table, refs: list, col: str, typ: str) -> str:
    """The column's whole path, as comments: added alone (nullable, unused by the table's policies) it makes
    the table a tenant table whose policies ignore its tenant column and whose rows may hold none (ISO005,
    ISO006, ISO015 on the re-audit); the backfill runs in batches, and the policies change with the
    application. So the steps are the DBA's to run, in order."""
    parent = next(
        (
            (c, snap.table_by_oid[c.ref_table_oid])
            for c in refs
            if len(c.columns) == 1
            and c.ref_table_oid in snap.table_by_oid
            and (c.ref_table_oid, ten.column or "") in snap.column_by_name
        ),
        None,
    )
    steps = [f"ALTER TABLE {t.qualified} ADD COLUMN {col} {typ};"]
    if parent is not None:
        con, pt = parent
        steps.append(
            f"UPDATE {t.qualified} c SET {col} = p.{col} FROM {pt.qualified} p "
            f"WHERE p.{quote_ident(con.ref_columns[0])} = c.{quote_ident(con.columns[0])};  -- in batches"
        )
    else:
        steps.append(f"UPDATE {t.qualified} SET {col} = ...;  -- from its parent, in batches")
    steps.append(f"ALTER TABLE {t.qualified} ALTER COLUMN {col} SET NOT NULL;")
    return (
        "-- the tenant column's whole path, in order: added alone it leaves the table's policies ignoring it and\n"
        "-- its rows holding none (new ISO005/ISO006/ISO015 findings), so nothing here runs as printed. Then\n"
        "-- the composite foreign key (ISO013) and a policy comparing the column (ISO001):\n"
        + commented("\n".join(steps))
    )


def denormalised(ten: Tenancy) -> bool:
    """Whether the schema's own convention is a tenant column on every tenant table: fewer than a
    quarter of its tenant-data tables reach the tenant through a parent only. Then a child without the
    column is an outlier; otherwise reaching the tenant through the parent is the design."""
    data = ten.of_class(*TENANT_DATA)
    return 4 * sum(1 for i in data if i.cls == "indirect") < len(data)
