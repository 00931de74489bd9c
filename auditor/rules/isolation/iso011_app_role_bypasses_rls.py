"""ISO011: the application's own role skipping the policies makes them decoration."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.tenancy import SCORED, bypass_reason
from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import _pts, _tenant
from auditor.rules.registry import Hit, Obj, Skip, rule


@rule(
    "ISO011", "app-role-bypasses-rls", severity="critical", subject="role", requires=("tables", "roles", "memberships")
)
def app_role_bypasses_rls(snap: Snapshot) -> Iterator[Hit]:
    """Application role that skips row-level security.

    ## Why it matters
    Superusers and BYPASSRLS roles skip every policy; the table owner and members of the owner role
    skip them on tables without FORCE; a role that can SET ROLE into one of these is one statement
    away.

    ## What it checks
    Each application role, against every table holding tenant data with row-level security on. The
    application roles come from thresholds.app_roles, else as PostgreSQL resolves them: login roles
    holding grants or policy targets on tenant tables (or members of the owner), roles a NOINHERIT
    login role reaches by SET ROLE that hold DML grants (PostgREST's authenticator -> anon,
    authenticated), and roles the policies name that hold DML grants. Critical when the role is a
    superuser, has BYPASSRLS or can SET ROLE into such a role; high when it skips policies only as the
    owner or a member of the owner on tables that do not FORCE row-level security. BYPASSRLS roles that
    are not application roles but can read or write tenant data (Supabase's service_role) are listed
    at info, with the login roles that reach them. Skipped unless the schema uses row-level security.

    ## Bad
    ```sql
    CREATE ROLE app_owner NOLOGIN;
    CREATE ROLE app_user LOGIN IN ROLE app_owner;  -- app_user has owner privileges
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    ALTER TABLE invoices OWNER TO app_owner;
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;  -- not forced: the owner's members skip it
    ```

    ## Good
    ```sql
    CREATE ROLE app_owner NOLOGIN;
    CREATE ROLE app_user LOGIN;
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    ALTER TABLE invoices OWNER TO app_owner;
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO app_user;
    ```

    ## Fix
    Connect as a plain role (NOSUPERUSER NOBYPASSRLS, not a member of the owner), and FORCE row
    level security on tenant tables:
    ```sql
    REVOKE app_owner FROM app_user;
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```

    ## False positives
    A login role that is not the application's (a migration, ETL or admin role that must see every
    tenant) counted as one because it holds grants on tenant tables: name the real application roles
    with `app-roles = ["app_user"]` (or `app-roles` in the configuration). A finding is about a role, so
    no comment covers it; accept one with an `ignore-objects` entry (`rule = "ISO011"`,
    `object = "etl_user"`, and a reason), or leave the rule out with `--ignore ISO011`.
    """
    ten = _tenant(snap)
    for name, why in sorted(ten.bypass_roles.items()):
        yield Hit(
            obj=Obj("role", name=name),
            message=f"{name} has BYPASSRLS and is not an application role: {why}",
            evidence={"inventory": True, "why": why},
            severity="info",
        )
    if ten.model not in ("rls", "user"):
        raise Skip(f"no row-level security to bypass ({ten.statement})")
    rls = [i for i in ten.of_class(*SCORED) if i.table.rls_enabled]
    for role in ten.app_roles:
        reasons: dict[str, list[str]] = {}
        for info in rls:
            why = bypass_reason(snap, role, info.table)
            if why:
                reasons.setdefault(why, []).append(info.table.qualified)
        if not reasons:
            continue
        systemic = [w for w in reasons if "owner" not in w]  # superuser, BYPASSRLS, or SET ROLE into one
        first = sorted(systemic or reasons)[0]
        tables = sorted({t for ts in reasons.values() for t in ts})
        fix_lines = []
        r = snap.role_by_name.get(role)
        if r and (r.superuser or r.bypassrls):
            fix_lines.append(f"ALTER ROLE {quote_ident(role)} NOSUPERUSER NOBYPASSRLS;")
        for w in sorted(reasons):
            if w.startswith("can SET ROLE "):
                target = w.split()[3].rstrip(",")
                fix_lines.append(f"REVOKE {quote_ident(target)} FROM {quote_ident(role)};")
            elif w.startswith("member of the owner role "):
                fix_lines.append(f"REVOKE {quote_ident(w.split()[5])} FROM {quote_ident(role)};")
        if not systemic:
            fix_lines += [f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY;" for t in tables]
        yield Hit(
            obj=Obj("role", name=role),
            message=f"application role {role} bypasses row-level security on {len(tables)} table(s): {first}",
            evidence={"reasons": reasons, "app_roles_how": ten.app_roles_how},
            fix="\n".join(dict.fromkeys(fix_lines)) or None,
            severity="critical" if systemic else "high",
            points=round(sum(_pts(snap, t, "read", "write") or 0 for t in tables), 1) or None,
        )
