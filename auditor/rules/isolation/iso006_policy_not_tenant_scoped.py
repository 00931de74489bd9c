"""ISO006: one permissive policy that admits everything opens its command, whatever the others say."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _policy_hits
from auditor.rules.registry import Hit, rule


@rule("ISO006", "policy-not-tenant-scoped", severity="high", subject="policy", requires=RLS)
def policy_not_tenant_scoped(snap: Snapshot) -> Iterator[Hit]:
    """Permissive policy that does not scope rows to the tenant.

    ## Why it matters
    Permissive policies are OR-ed: one policy that admits everything opens the table for its
    command and roles, whatever the other policies say. A restrictive tenant floor neutralises it
    (ISO005 says whether the command is open in the end); the policy is still reported, since
    dropping the floor later silently opens the table.

    ## What it checks
    Every permissive policy that applies to an application role, on a table holding tenant data,
    whose USING or WITH CHECK does not keep rows to the tenant once its helpers are read: `true`, a
    subquery on rows other users write keyed on this row's own id, a flag any writer can set (on a
    write), the session's context without a column of the row. High; critical when the open write is
    on a membership table the policies' helpers read (any user can join any tenant); medium when the
    only doubt is a helper the auditor cannot read. Not reported: the user's own rows
    (`user_id = auth.uid()`), an INSERT into the root tenant table (a new tenant), and reads opened by a
    sharing flag on the row or its parent (`sharing <> 'private'`), which are listed at info. A policy
    keyed on another setting or on a user-editable claim is ISO010's, an IS NULL branch ISO007's, one
    that compares the tenant with the role name ISO009's.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY tenant_read ON invoices FOR SELECT
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    CREATE POLICY api_insert ON invoices FOR INSERT WITH CHECK (true);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY tenant_read ON invoices FOR SELECT
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    CREATE POLICY api_insert ON invoices FOR INSERT
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ```

    ## Fix
    Compare the tenant column with the session's tenant in both USING and WITH CHECK: the finding's
    fix creates a scoped one and drops the policy in its place, in one `DO` block (one transaction:
    a failed CREATE keeps the old policy).
    ```sql
    DO $guard$ BEGIN
      CREATE POLICY api_insert_tenant ON invoices
          USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
          WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
      DROP POLICY api_insert ON invoices;
    END $guard$;
    ```

    ## False positives
    An open policy granted `TO` a trusted cross-tenant role only (support staff, a reporting role that
    the application never uses) is open on purpose. Findings on a policy are covered by a comment on
    its table: `COMMENT ON TABLE invoices IS 'pg-auditor: ignore ISO006 -- support_read is TO support'`,
    or by an `ignore-objects` entry for that policy alone (`object = "public.invoices.support_read"`).
    """
    yield from _policy_hits(snap, "unscoped")
