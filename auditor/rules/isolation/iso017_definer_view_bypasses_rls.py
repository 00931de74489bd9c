"""ISO017: a view runs as its owner, so an owner that skips RLS opens every tenant through it."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _exposure_hits
from auditor.rules.registry import Hit, rule


@rule("ISO017", "definer-view-bypasses-rls", severity="high", subject="view", requires=(*RLS, "views", "roles"))
def definer_view_bypasses_rls(snap: Snapshot) -> Iterator[Hit]:
    """View without security_invoker whose owner bypasses the base table's policies.

    ## Why it matters
    A view runs with its owner's rights unless `security_invoker` is set (PostgreSQL 15+). If the
    owner is a superuser, BYPASSRLS, or owns a base table that is not FORCEd, the view returns every
    tenant's rows to anyone allowed to read the view.

    ## What it checks
    Views (not materialized: ISO018) without `security_invoker` that read a table holding tenant data
    with row-level security on, when the view's owner skips that table's policies: a superuser, a
    BYPASSRLS role, or the table's owner (or a member of it) while the table does not FORCE row-level
    security. Skipped on a schema-per-tenant layout and when no tenant column is found.

    ## Bad
    ```sql
    CREATE ROLE app_owner NOLOGIN;
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric, paid_at timestamptz);
    ALTER TABLE invoices OWNER TO app_owner;
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    CREATE VIEW open_invoices AS SELECT * FROM invoices WHERE paid_at IS NULL;
    ALTER VIEW open_invoices OWNER TO app_owner;  -- owned by the table owner
    ```

    ## Good
    ```sql
    CREATE ROLE app_owner NOLOGIN;
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric, paid_at timestamptz);
    ALTER TABLE invoices OWNER TO app_owner;
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    CREATE VIEW open_invoices WITH (security_invoker = true) AS SELECT * FROM invoices WHERE paid_at IS NULL;
    ALTER VIEW open_invoices OWNER TO app_owner;
    ```

    ## Fix
    ```sql
    ALTER VIEW open_invoices SET (security_invoker = true);
    ```
    Before PostgreSQL 15, own the view by a role that does not bypass the policies, and FORCE row-level
    security on its tables.

    ## False positives
    A view that aggregates across tenants on purpose and that only an internal role may read: the rule
    does not look at who may read the view. The pg-auditor tag is not read from a view's own comment:
    use an `ignore-objects` entry (`rule = "ISO017"`, `object = "public.open_invoices"`, and a reason), or
    a comment on its schema to cover everything in it.
    """
    yield from _exposure_hits(snap, ("view",))
