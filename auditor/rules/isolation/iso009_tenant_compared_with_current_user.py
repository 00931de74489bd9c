"""ISO009: tenancy tied to database role names, which pools and SET ROLE change."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _policy_hits
from auditor.rules.registry import Hit, rule


@rule("ISO009", "tenant-compared-with-current-user", severity="medium", subject="policy", requires=RLS)
def tenant_compared_with_current_user(snap: Snapshot) -> Iterator[Hit]:
    """Policy that compares the tenant column with current_user or session_user.

    ## Why it matters
    It ties tenancy to database role names: every pooled connection role, migration role or
    `SET ROLE` changes whose rows are visible, and a role named like a tenant id gets that tenant.

    ## What it checks
    Every policy, permissive or restrictive, on a table holding tenant data whose USING or WITH CHECK
    compares a column with `current_user` or `session_user`. Skipped on a schema-per-tenant layout and
    when no tenant column is found.

    ## Bad
    ```sql
    CREATE TABLE documents (id bigint PRIMARY KEY, org_id text NOT NULL, body text);
    CREATE POLICY by_role ON documents USING (org_id = current_user);
    ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
    ```

    ## Good
    ```sql
    CREATE TABLE documents (id bigint PRIMARY KEY, org_id text NOT NULL, body text);
    CREATE POLICY tenant_isolation ON documents
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), ''));
    ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
    ```

    ## Fix
    Compare with the session's tenant setting (set per transaction by the application).

    ## False positives
    A design where each tenant really connects as its own database role, named after the tenant, and
    no pool or migration role shares those names: the comparison is then the isolation, by intent.
    Tag the table, `COMMENT ON TABLE documents IS 'pg-auditor: ignore ISO009 -- one login role per
    tenant'`, or leave the rule out with `--ignore ISO009`.
    """
    yield from _policy_hits(snap, "current_user")
