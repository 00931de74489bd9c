"""ISO001: tenant data with row-level security off, the gap every other isolation rule assumes closed."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.tenancy import TENANT_DATA, has_privilege
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.guarded import commented
from auditor.rules.isolation._shared import RLS, _db, _pts, _tenant, enable_rls_sql
from auditor.rules.registry import Hit, rule


@rule("ISO001", "tenant-table-without-rls", severity="high", subject="table", requires=RLS, population="tables")
def tenant_table_without_rls(snap: Snapshot) -> Iterator[Hit]:
    """Table holding tenant data without row-level security.

    ## Why it matters
    Without RLS every query that forgets `WHERE org_id = ...` (a new endpoint, a report, a console
    session) returns or changes every tenant's rows; the database cannot stop it. When no tenant
    table has RLS the schema is application-enforced: that is reported once, as the model, not
    once per table.

    ## What it checks
    Every table the tenant model counts as tenant data must have row-level security enabled: a table
    that carries the tenant column (critical), one that reaches a tenant table through a foreign key
    that always holds a key, and the root tenant table (high). Low when no application role holds a
    privilege on the table (nothing reaches it today). Foreign tables cannot have RLS at all: ISO018
    reports them. When no tenant table has RLS, one finding on the database states the
    application-enforced model, lists every table, and gives the fix for the table that weighs most in
    the score (its rows, and columns with sensitive names), as comments: adopting RLS is an application
    change (every transaction must set the tenant first, or the application sees no rows), not a
    statement to paste, and RLS on one table would make the model RLS and every other table a finding.
    The fix of a table that already has policies only enables (and forces, unless the owner bypasses RLS
    anyway) row-level security.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```

    ## Fix
    ```sql
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```
    Set the tenant per transaction (`SET LOCAL app.tenant_id = ...`, or `set_config(..., true)`)
    so a pooled connection never carries another tenant's context.

    ## False positives
    A table the model wrongly counts as tenant data (a global price list that happens to carry
    `org_id`, say): classify it in the configuration, `table-classes = {"public.plans" = "reference"}`
    under `[tool.pg-auditor.thresholds]`, or tag it:
    `COMMENT ON TABLE plans IS 'pg-auditor: ignore ISO001 -- global price list, no tenant rows'`.
    A team that enforces isolation in the application on purpose gets the one database-level finding;
    no comment covers a database, so leave the rule out (`--ignore ISO001`, or `ignore = ["ISO001"]` in
    the configuration) and set `isolation-model = "app"` to make readiness the area's headline score.
    """
    ten = _tenant(snap)
    # Foreign tables cannot have RLS at all: ISO018 reports them.
    missing = [i for i in ten.of_class(*TENANT_DATA) if not i.table.rls_enabled and i.table.kind != "f"]
    if ten.model == "app":
        if not missing:
            return
        first = max(
            (i for i in missing if i.cls == "tenant"), key=lambda i: (i.weight, i.table.name), default=missing[0]
        )
        direct = sum(1 for i in missing if i.cls == "tenant")
        yield Hit(
            obj=_db(snap),
            message=(
                f"isolation is enforced by the application only: none of the {len(missing)} tables holding tenant "
                f"data has row-level security ({direct} carry {ten.column}); one missing WHERE {ten.column} = ... "
                "shows or changes every tenant's rows"
            ),
            evidence={"tables": [i.table.qualified for i in missing], "tenant_column": ten.column},
            # Moving to row-level security is an application change: until every transaction sets the tenant,
            # a table with RLS (FORCEd) shows the application no rows. Enabling it on one table from a script
            # would break that table for the application and turn this one finding into one per other table
            # (the model becomes RLS): the plan is printed for the DBA and the developers, never run.
            fix=(
                "-- per table, starting with the one that weighs most in the score (its rows, and columns with"
                " sensitive names),\n-- once the application sets the tenant in every transaction (SET LOCAL"
                " ... = ...): not run here, since\n-- the application sees no rows of a table with RLS until it does."
                " The first table:\n" + commented(enable_rls_sql(snap, ten, first) or "")
            ),
            points=round(sum(_pts(snap, i.table, "read", "write") or 0 for i in missing), 1),
            members=("application-enforced",),
        )
        return
    for info in missing:
        reachable = not ten.app_roles or any(has_privilege(snap, r, info.table, "rawd") for r in ten.app_roles)
        yield Hit(
            obj=table_obj(info.table),
            message=f"{info.table.qualified} holds tenant data ({info.reason}) but row-level security is off",
            evidence={
                "class": info.cls,
                "tenant_column": info.column,
                "estimated_rows": snap.estimated_rows(info.table),
            },
            fix=enable_rls_sql(snap, ten, info),
            severity=("critical" if info.cls == "tenant" else "high") if reachable else "low",
            points=_pts(snap, info.table, "read", "write"),
        )
