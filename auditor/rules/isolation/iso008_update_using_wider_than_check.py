"""ISO008: an UPDATE that may touch other tenants' rows and move them into its own."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.tenancy import SCORED, _command_cell
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.isolation._shared import RLS, _pts, _tenant
from auditor.rules.registry import Hit, rule


@rule("ISO008", "update-using-wider-than-check", severity="high", subject="table", requires=RLS)
def update_using_wider_than_check(snap: Snapshot) -> Iterator[Hit]:
    """UPDATE whose read scope (USING) is wider than its write check.

    ## Why it matters
    USING picks the rows an UPDATE may touch, WITH CHECK judges the new row. With a scoped check
    and an open USING a tenant can update another tenant's rows and move them into its own tenant.

    ## What it checks
    For every table holding tenant data with row-level security on, and every application role, the
    policies that apply to UPDATE: reported when their USING side keeps fewer rows to the tenant than
    their WITH CHECK side. One finding per table, for the first role it applies to. Skipped on a
    schema-per-tenant layout and when no tenant column is found.

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY upd ON invoices FOR UPDATE USING (true)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY upd ON invoices FOR UPDATE
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ```

    ## Fix
    Use the same tenant predicate in USING and WITH CHECK (a missing WITH CHECK reuses USING).

    ## False positives
    Rarely wrong: a role that may update every tenant's rows (support tooling) should have its own
    policy `TO` that role rather than a wide USING for everyone. If the wide USING is accepted:
    `COMMENT ON TABLE invoices IS 'pg-auditor: ignore ISO008 -- reason'`.
    """
    ten = _tenant(snap)
    roles: list[str | None] = list(ten.app_roles) or [None]
    for info in ten.of_class(*SCORED):
        if not info.table.rls_enabled:
            continue
        for role in roles:
            cell = _command_cell(snap, ten, info, role, "UPDATE")
            if "USING wider" in cell.why:
                yield Hit(
                    table_obj(info.table),
                    f"UPDATE on {info.table.qualified}: USING admits other tenants' rows while WITH CHECK is scoped "
                    f"(policies {', '.join(cell.policies)}): rows can be changed and moved across tenants",
                    {"policies": cell.policies, "role": role},
                    points=_pts(snap, info.table, "write"),
                )
                break
