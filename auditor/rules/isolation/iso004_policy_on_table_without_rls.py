"""ISO004: policies that read as protection while RLS is off."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.isolation._shared import _pts
from auditor.rules.registry import Hit, rule


@rule("ISO004", "policy-on-table-without-rls", severity="high", subject="table", requires=("tables", "policies"))
def policy_on_table_without_rls(snap: Snapshot) -> Iterator[Hit]:
    """Policies on a table whose row-level security is off.

    ## Why it matters
    Policies do nothing until `ENABLE ROW LEVEL SECURITY`. The schema reads as protected and is not,
    a state schema-diff tools are known to produce on partitioned tables.

    ## What it checks
    Every application table (tables in an extension's schema excepted) that has at least one policy
    while its row-level security is disabled. It needs no tenant model: a policy that does not apply
    is wrong whatever the table holds.

    ## Bad
    ```sql
    CREATE TABLE notes (id bigint PRIMARY KEY, org_id bigint NOT NULL, body text);
    CREATE POLICY tenant_isolation ON notes
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ```

    ## Good
    ```sql
    CREATE TABLE notes (id bigint PRIMARY KEY, org_id bigint NOT NULL, body text);
    CREATE POLICY tenant_isolation ON notes
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    ALTER TABLE notes FORCE ROW LEVEL SECURITY;
    ```

    ## Fix
    ```sql
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    ALTER TABLE notes FORCE ROW LEVEL SECURITY;
    ```

    ## False positives
    Policies created ahead of a staged rollout, before RLS is switched on table by table: tag the
    table until then, `COMMENT ON TABLE notes IS 'pg-auditor: ignore ISO004 -- RLS rollout, ticket 123'`.
    If the policies are leftovers of an abandoned design, drop them instead.
    """
    for t in snap.user_tables:
        pols = snap.policies_of.get(t.oid, [])
        if pols and not t.rls_enabled:
            yield Hit(
                obj=table_obj(t),
                message=f"{t.qualified} has {len(pols)} polic{'y' if len(pols) == 1 else 'ies'} "
                f"({', '.join(sorted(p.name for p in pols))}) but row-level security is off: none applies",
                evidence={"policies": sorted(p.name for p in pols)},
                fix=f"ALTER TABLE {t.qualified} ENABLE ROW LEVEL SECURITY;\n"
                f"ALTER TABLE {t.qualified} FORCE ROW LEVEL SECURITY;",
                points=_pts(snap, t, "read", "write"),
            )
