"""ISO002: RLS that the table owner, often the very role the application connects as, skips."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.tenancy import SCORED, bypass_reason, role_closure
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.isolation._shared import RLS, _pts, _tenant, bounded
from auditor.rules.registry import Hit, rule


@rule("ISO002", "rls-not-forced", severity="medium", subject="table", requires=RLS)
def rls_not_forced(snap: Snapshot) -> Iterator[Hit]:
    """Row-level security enabled but not FORCEd.

    ## Why it matters
    The table owner, and every role that is a member of the owner role, skips policies unless the
    table says FORCE ROW LEVEL SECURITY. Applications often connect as the role that ran the
    migrations, which owns the tables: then the policies are decoration.

    ## What it checks
    Tables holding (or possibly holding) tenant data whose row-level security is enabled but not
    forced, unless the owner is a superuser or BYPASSRLS role (FORCE does not apply to those: the
    advice would change nothing). The finding is high, and counts in the score, when an application
    role skips the policies because it owns the table or is a member of the owner role; medium when
    another login role inherits the owner's privileges; low when only sessions as the owner itself
    skip them (a platform service that owns its tables on purpose, a migrations role). Skipped on a
    schema-per-tenant layout and when no tenant column is found. More than `isolation-group-over`
    such tables become one finding.

    ## Bad
    ```sql
    CREATE ROLE billing_owner NOLOGIN;
    CREATE ROLE billing_migrator LOGIN IN ROLE billing_owner;  -- inherits the owner's privileges
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    ALTER TABLE invoices OWNER TO billing_owner;
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;  -- and nothing else
    ```

    ## Good
    ```sql
    CREATE ROLE billing_owner NOLOGIN;
    CREATE ROLE billing_migrator LOGIN IN ROLE billing_owner;
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    ALTER TABLE invoices OWNER TO billing_owner;
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```

    ## Fix
    ```sql
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```
    FORCE does not affect superusers or BYPASSRLS roles (see ISO011). Jobs that run as the owner and
    must see every tenant's rows (backfills, exports) then need their own policy or a BYPASSRLS role.

    ## False positives
    When no application role is the owner or a member of it (the owner is a migrations role nobody
    else can SET ROLE to), the finding stays medium (low when no other login role inherits the
    owner's privileges) and nothing leaks today; FORCE is still the safer default. To accept it for one table:
    `COMMENT ON TABLE invoices IS 'pg-auditor: ignore ISO002 -- owned by the migrations role only'`,
    or for every table `--ignore ISO002` (`ignore = ["ISO002"]` in the configuration). A grouped
    finding (on a schema or the database) is not covered by comments on single tables.
    """
    ten = _tenant(snap)
    hits = []
    for info in ten.of_class(*SCORED):
        t = info.table
        if not t.rls_enabled or t.rls_forced:
            continue
        owner = snap.role_by_name.get(t.owner)
        if owner is not None and (owner.superuser or owner.bypassrls):
            continue  # FORCE does not apply to a superuser or BYPASSRLS owner: it would change nothing
        owners = [
            r for r in ten.app_roles if bypass_reason(snap, r, t) and "owner" in (bypass_reason(snap, r, t) or "")
        ]
        members = sorted(
            r.name
            for r in snap.roles
            if r.login
            and r.name != t.owner
            and not r.superuser
            and t.owner in role_closure(snap, r.name, inherit_only=True)
        )
        msg = f"{t.qualified} has row-level security but not FORCE: its owner {t.owner} and members of it skip policies"
        if owners:
            msg += f"; application role(s) {', '.join(owners)} do"
        elif members:
            msg += f"; login role(s) {', '.join(members)} inherit the owner's privileges"
        else:
            msg += "; no application role or other login role does (only sessions as the owner itself)"
        hits.append(
            Hit(
                obj=table_obj(t),
                message=msg,
                evidence={"owner": t.owner, "application_roles_skipping": owners, "login_members": members},
                fix=f"ALTER TABLE {t.qualified} FORCE ROW LEVEL SECURITY;",
                severity="high" if owners else (None if members else "low"),
                points=_pts(snap, t, "read", "write") if owners else None,
            )
        )
    yield from bounded(snap, hits, "tables with row-level security not forced", "medium")
