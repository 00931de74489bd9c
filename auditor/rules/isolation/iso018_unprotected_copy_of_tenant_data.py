"""ISO018: materialized views and foreign tables cannot have RLS, so copies of tenant data are open."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _exposure_hits
from auditor.rules.registry import Hit, rule


@rule("ISO018", "unprotected-copy-of-tenant-data", severity="high", subject="view", requires=(*RLS, "views"))
def unprotected_copy_of_tenant_data(snap: Snapshot) -> Iterator[Hit]:
    """Materialized view or foreign table over tenant data that row-level security protects.

    ## Why it matters
    RLS cannot be enabled on materialized views or foreign tables. A materialized view over an RLS
    table stores every tenant's rows (as its owner saw them), and anyone allowed to read it reads
    them all.

    ## What it checks
    Materialized views that read a table holding tenant data with row-level security on, and, when the
    schema uses row-level security, foreign tables that hold tenant data. Skipped on a schema-per-tenant
    layout and when no tenant column is found.

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    CREATE MATERIALIZED VIEW invoice_totals AS SELECT org_id, sum(total) AS total FROM invoices GROUP BY org_id;
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    CREATE VIEW invoice_totals WITH (security_invoker = true) AS
        SELECT org_id, sum(total) AS total FROM invoices GROUP BY org_id;
    ```

    ## Fix
    A materialized view is replaced, in one `DO` block (all or nothing), by a view with the same name,
    query, owner, grants and comment that runs as its reader, so the tables' policies filter every read:
    ```sql
    DROP MATERIALIZED VIEW invoice_totals;
    CREATE VIEW invoice_totals WITH (security_invoker=true) AS
        SELECT org_id, sum(total) AS total FROM invoices GROUP BY org_id;
    ```
    A view computes on each read and has no indexes of its own: where the materialized view was there for
    speed, the fix's commented alternative keeps it and revokes it from every role but its owner
    (`REVOKE ALL ON TABLE invoice_totals FROM app;`), to serve the rows through a function that filters
    on the tenant. Before PostgreSQL 15 (no security_invoker), or when views read the materialized view,
    that revoke is the fix. A foreign table is revoked from every role but its owner.

    ## False positives
    A materialized view that only an internal role (reporting, billing) may read is fine: the rule
    does not look at its grants. The tag is not read from a materialized view's own comment: use an
    `ignore-objects` entry (`rule = "ISO018"`, `object = "public.invoice_totals"`, and a reason). A
    foreign table is covered by its own comment:
    `COMMENT ON FOREIGN TABLE remote_invoices IS 'pg-auditor: ignore ISO018 -- the remote side filters by tenant'`.
    """
    yield from _exposure_hits(snap, ("materialized view", "foreign table"))
