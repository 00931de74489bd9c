"""ISO010: a policy switch that any session can flip with SET."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _policy_hits
from auditor.rules.registry import Hit, rule


@rule("ISO010", "policy-switch-on-settable-setting", severity="high", subject="policy", requires=RLS)
def policy_switch_on_settable_setting(snap: Snapshot) -> Iterator[Hit]:
    """Permissive policy (or OR branch) that opens rows on a setting any session can change.

    ## Why it matters
    Custom settings such as `app.user_role` can be SET by any session, including one that runs
    attacker-controlled SQL. `OR current_setting('app.user_role') = 'admin'` opens every tenant.

    ## What it checks
    Every permissive policy on a table holding tenant data whose USING or WITH CHECK, or one of its OR
    branches, is keyed on a custom setting that is not a tenant setting and does not itself keep rows
    to the tenant (high), and every policy that reads a claim the user can edit:
    `auth.jwt() -> 'user_metadata'` or `raw_user_meta_data`, set by the user through the auth API
    (critical; high on a restrictive policy). Helper functions that read such a claim count too.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    CREATE POLICY admins ON invoices USING (current_setting('app.user_role', true) = 'admin');
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
    Grant cross-tenant access to a separate role (a TO clause), not through a setting.

    ## False positives
    None in the schema: any session can set any custom setting. The risk is lower when no untrusted
    SQL ever reaches the connection and the application never copies user input into the setting; to
    accept it, `COMMENT ON TABLE invoices IS 'pg-auditor: ignore ISO010 -- reason'`.
    """
    yield from _policy_hits(snap, "escape")
    yield from _policy_hits(snap, "untrusted")
