"""ISO007: an IS NULL branch shows tenant-less rows to every tenant, or every row to a session without one."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _policy_hits
from auditor.rules.registry import Hit, rule


@rule("ISO007", "policy-null-tenant-branch", severity="high", subject="policy", requires=RLS)
def policy_null_tenant_branch(snap: Snapshot) -> Iterator[Hit]:
    """Policy with an `OR tenant IS NULL` (or `OR setting IS NULL`) branch.

    ## Why it matters
    Rows whose tenant is NULL become visible to every tenant, and a branch on a missing setting
    opens every row to a session that never set one (an inverted check).

    ## What it checks
    Every policy, permissive or restrictive, on a table holding tenant data whose USING or WITH CHECK
    has an OR branch that tests the tenant column or a tenant setting for NULL. Skipped on a
    schema-per-tenant layout and when no tenant column is found.

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint, total numeric);
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id IS NULL OR org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ```

    ## Fix
    Drop the branch; give shared rows their own table or an explicit, documented shared tenant.

    ## False positives
    Rows every tenant shares by design (built-in templates, default roles) that every tenant may
    read: the branch is then intended for reading. Keep it to a SELECT policy, keep writes scoped, and
    tag the table: `COMMENT ON TABLE templates IS 'pg-auditor: ignore ISO007 -- NULL rows are shared'`.
    ISO015 takes such a policy as a sign that NULL tenants are on purpose.
    """
    yield from _policy_hits(snap, "null")
