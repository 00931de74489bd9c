"""ISO003: RLS with no policy, which fails closed and is usually a failed migration."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.tenancy import SCORED
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.isolation._shared import RLS, _tenant, policy_sql
from auditor.rules.registry import Hit, rule


@rule("ISO003", "rls-without-policy", severity="low", subject="table", requires=RLS)
def rls_without_policy(snap: Snapshot) -> Iterator[Hit]:
    """Row-level security enabled with no policy.

    ## Why it matters
    It fails closed: every role subject to RLS sees and changes no rows. That is safe but usually a
    mistake (a migration that created the policies failed, or the application only works because it
    bypasses RLS, see ISO011).

    ## What it checks
    Tables holding (or possibly holding) tenant data, and lookup tables, that have row-level security
    enabled and no policy at all. The fix is the tenant policy, on the table's own tenant column or,
    for a table without one, through an EXISTS on its NOT NULL foreign key to a tenant parent. Skipped
    on a schema-per-tenant layout and when no tenant column is found.

    ## Bad
    ```sql
    CREATE TABLE notes (id bigint PRIMARY KEY, org_id bigint NOT NULL, body text);
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    ```

    ## Good
    ```sql
    CREATE TABLE notes (id bigint PRIMARY KEY, org_id bigint NOT NULL, body text);
    CREATE POLICY tenant_isolation ON notes
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    ```

    ## Fix
    Add the tenant policy, or disable RLS if the table is not tenant data:
    ```sql
    CREATE POLICY tenant_isolation ON notes
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ```

    ## False positives
    A table closed to every role on purpose, read only by its owner or a BYPASSRLS role (for example
    through a SECURITY DEFINER function): tag it,
    `COMMENT ON TABLE api_keys IS 'pg-auditor: ignore ISO003 -- read only through auth.check_key()'`,
    or leave the rule out with `--ignore ISO003` (`ignore = ["ISO003"]` in the configuration).
    """
    ten = _tenant(snap)
    for info in ten.of_class(*SCORED, "reference"):
        t = info.table
        if t.rls_enabled and not snap.policies_of.get(t.oid):
            yield Hit(
                obj=table_obj(t),
                message=f"{t.qualified} has row-level security but no policy: it denies every row to every role "
                "subject to RLS",
                evidence={"forced": t.rls_forced, "class": info.cls},
                fix=policy_sql(snap, ten, info),
            )
