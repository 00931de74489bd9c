"""Multi-tenant isolation checks (ISO): tenant model, RLS, roles and the paths around it.

Every check reads the same tenant model (auditor.analysis.tenancy) and the same score model
(isolation_score), so the findings, their points and the model statement agree. Row-level rules
skip on a schema-per-tenant layout and when no tenant column can be found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from auditor.analysis.isolation_model import FK_CUT, NULLABLE_CUT, UNIQUE_CUT, model_for, truncate_roles
from auditor.analysis.tenancy import (
    ISOLATION_MODEL,
    SCORED,
    TableInfo,
    Tenancy,
    _command_cell,
    bypass_reason,
    describe,
    exposures,
    has_privilege,
    nullable_tenant_columns,
    setting_defaults,
    shared_row_signals,
    tenancy,
    unsafe_foreign_keys,
    unscoped_uniques,
)
from auditor.base.names import column_list, qualified, quote_ident, quote_literal
from auditor.catalog.model import FK_ACTIONS, Snapshot, Table
from auditor.rules.common import column_obj, table_obj
from auditor.rules.registry import SEVERITY_RANK, Hit, Obj, Skip, context, rule, threshold

GROUP_OVER = threshold("isolation_group_over", 8, "more near-identical isolation findings than this become one line")
SKEW_SHARE = threshold("tenant_skew_share", 0.5, "share of a table's rows one tenant may hold before it is reported")

RLS = ("tables", "policies", "columns", "constraints")


@context("tenancy")
def tenancy_context(snap: Snapshot) -> dict[str, Any]:
    out = describe(snap)
    out["score"] = model_for(snap).as_dict()
    out["isolation_model_forced"] = ISOLATION_MODEL(snap) or None
    return out


# ---- helpers --------------------------------------------------------------------------------------


def _tenant(snap: Snapshot, *, rows: bool = True) -> Tenancy:
    """The tenant model, or Skip when row-level rules do not apply."""
    ten = tenancy(snap)
    if rows and ten.model == "schema":
        raise Skip(f"{ten.statement}")
    if ten.column is None:
        raise Skip("no tenant column found (set thresholds.tenant_column if the database is multi-tenant)")
    return ten


def _setting(ten: Tenancy) -> str:
    return ten.settings[0] if ten.settings else "app.tenant_id"


def _col_type(snap: Snapshot, t: Table, col: str) -> str:
    c = snap.column_by_name.get((t.oid, col))
    return c.type if c else "text"


def _predicate(snap: Snapshot, ten: Tenancy, info: TableInfo) -> str | None:
    """The tenant predicate for a table: its own column, or EXISTS through a NOT NULL key to its parent."""

    def ctx(t: Table, col: str) -> str:
        return f"NULLIF(current_setting({quote_literal(_setting(ten))}, true), '')::{_col_type(snap, t, col)}"

    if info.column:
        return f"{quote_ident(info.column)} = {ctx(info.table, info.column)}"
    t = info.table
    for con in sorted(snap.constraints_of.get(t.oid, []), key=lambda c: c.name):
        parent = ten.tables.get(con.ref_table_oid or 0)
        if con.type != "f" or parent is None or not parent.column:
            continue
        if not all((c := snap.column_by_name.get((t.oid, col))) and c.not_null for col in con.columns):
            continue
        joins = " AND ".join(
            f"p.{quote_ident(rc)} = {quote_ident(t.name)}.{quote_ident(c)}"
            for c, rc in zip(con.columns, con.ref_columns, strict=False)
        )
        pcol = parent.column
        return f"EXISTS (SELECT 1 FROM {parent.table.qualified} p WHERE {joins} AND p.{quote_ident(pcol)} = " + (
            f"{ctx(parent.table, pcol)})"
        )
    return None


def policy_sql(
    snap: Snapshot, ten: Tenancy, info: TableInfo, name: str = "tenant_isolation", restrictive: bool = False
) -> str | None:
    """A tenant policy that fails closed when the setting is missing or empty (None when no predicate fits)."""
    pred = _predicate(snap, ten, info)
    if pred is None:
        return None
    mode = " AS RESTRICTIVE" if restrictive else ""
    head = f"CREATE POLICY {quote_ident(name)} ON {info.table.qualified}{mode}"
    return f"{head}\n    USING ({pred})\n    WITH CHECK ({pred});"


def enable_rls_sql(snap: Snapshot, ten: Tenancy, info: TableInfo) -> str | None:
    policy = policy_sql(snap, ten, info)
    if policy is None:
        return None
    return (
        f"{policy}\n"
        f"ALTER TABLE {info.table.qualified} ENABLE ROW LEVEL SECURITY;\n"
        f"ALTER TABLE {info.table.qualified} FORCE ROW LEVEL SECURITY;"
    )


def _db(snap: Snapshot) -> Obj:
    return Obj("database", name=snap.server.database)


def bounded(snap: Snapshot, hits: Iterable[Hit], what: str) -> Iterator[Hit]:
    """Many near-identical hits become one line, with every object and fix in the evidence."""
    items = sorted(hits, key=lambda h: (h.obj.schema or "", h.obj.table or "", h.obj.name or "", h.members))
    if len(items) <= GROUP_OVER(snap):
        yield from items
        return
    schemas = {h.obj.schema for h in items}
    obj = Obj("schema", name=next(iter(schemas))) if len(schemas) == 1 and None not in schemas else _db(snap)
    worst = max((h.severity for h in items if h.severity), key=lambda s: SEVERITY_RANK[s], default=None)
    examples = ", ".join(h.obj.display for h in items[:3])
    fixes = [h.fix for h in items if h.fix]
    fix = None
    if fixes:
        fix = "\n".join(fixes[:3])
        if len(fixes) > 3:
            fix += f"\n-- ... and {len(fixes) - 3} more like these (all of them in evidence.fixes)"
    points = [h.points for h in items if h.points]
    yield Hit(
        obj=obj,
        message=f"{len(items)} {what} (e.g. {examples})",
        evidence={
            "count": len(items),
            "objects": [h.obj.display for h in items],
            "details": [{"object": h.obj.display, "message": h.message, **h.evidence} for h in items],
            "fixes": fixes,
        },
        fix=fix,
        severity=worst,
        points=round(sum(points), 1) if points else None,
        members=(what,),
    )


def _pts(snap: Snapshot, t: Table | str, *dims: str) -> float | None:
    name = t if isinstance(t, str) else t.qualified
    pts = model_for(snap).table_points(name, dims or ("read", "write", "struct"))
    return pts or None


# ---- RLS on and forced ----------------------------------------------------------------------------


@rule("ISO001", "tenant-table-without-rls", severity="high", subject="table", requires=RLS, population="tables")
def tenant_table_without_rls(snap: Snapshot) -> Iterator[Hit]:
    """Table holding tenant data without row-level security.

    ## Why is this bad?
    Without RLS every query that forgets `WHERE org_id = ...` (a new endpoint, a report, a console
    session) returns or changes every tenant's rows; the database cannot stop it. When no tenant
    table has RLS the schema is application-enforced: that is reported once, as the model, not
    once per table.

    ## Example
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    ```

    ## Fix
    ```sql
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```
    Set the tenant per transaction (`SET LOCAL app.tenant_id = ...`, or `set_config(..., true)`)
    so a pooled connection never carries another tenant's context.
    """
    ten = _tenant(snap)
    # Foreign tables cannot have RLS at all: ISO018 reports them.
    missing = [i for i in ten.of_class("tenant", "indirect", "root") if not i.table.rls_enabled and i.table.kind != "f"]
    if ten.model == "app":
        if not missing:
            return
        first = max(
            (i for i in missing if i.cls == "tenant"), key=lambda i: (i.weight, i.table.name), default=missing[0]
        )
        direct = sum(1 for i in missing if i.cls == "tenant")
        yield Hit(
            obj=_db(snap),
            message=(
                f"isolation is enforced by the application only: none of the {len(missing)} tables holding tenant "
                f"data has row-level security ({direct} carry {ten.column}); one missing WHERE {ten.column} = ... "
                "shows or changes every tenant's rows"
            ),
            evidence={"tables": [i.table.qualified for i in missing], "tenant_column": ten.column},
            fix=(
                "-- per table, starting with the one that weighs most in the score (its rows, and columns with"
                f" sensitive names):\n{enable_rls_sql(snap, ten, first)}"
            ),
            points=round(sum(_pts(snap, i.table, "read", "write") or 0 for i in missing), 1),
            members=("application-enforced",),
        )
        return
    for info in missing:
        yield Hit(
            obj=table_obj(info.table),
            message=f"{info.table.qualified} holds tenant data ({info.reason}) but row-level security is off",
            evidence={
                "class": info.cls,
                "tenant_column": info.column,
                "estimated_rows": snap.estimated_rows(info.table),
            },
            fix=enable_rls_sql(snap, ten, info),
            severity="critical" if info.cls == "tenant" else "high",
            points=_pts(snap, info.table, "read", "write"),
        )


@rule("ISO002", "rls-not-forced", severity="medium", subject="table", requires=RLS)
def rls_not_forced(snap: Snapshot) -> Iterator[Hit]:
    """Row-level security enabled but not FORCEd.

    ## Why is this bad?
    The table owner, and every role that is a member of the owner role, skips policies unless the
    table says FORCE ROW LEVEL SECURITY. Applications often connect as the role that ran the
    migrations, which owns the tables: then the policies are decoration.

    ## Example
    ```sql
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;  -- and nothing else
    ```

    ## Fix
    ```sql
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```
    FORCE does not affect superusers or BYPASSRLS roles (see ISO011).
    """
    ten = _tenant(snap)
    hits = []
    for info in ten.of_class(*SCORED):
        t = info.table
        if not t.rls_enabled or t.rls_forced:
            continue
        owners = [
            r for r in ten.app_roles if bypass_reason(snap, r, t) and "owner" in (bypass_reason(snap, r, t) or "")
        ]
        msg = f"{t.qualified} has row-level security but not FORCE: its owner {t.owner} and members of it skip policies"
        if owners:
            msg += f"; application role(s) {', '.join(owners)} do"
        hits.append(
            Hit(
                obj=table_obj(t),
                message=msg,
                evidence={"owner": t.owner, "application_roles_skipping": owners},
                fix=f"ALTER TABLE {t.qualified} FORCE ROW LEVEL SECURITY;",
                severity="high" if owners else None,
                points=_pts(snap, t, "read", "write") if owners else None,
            )
        )
    yield from bounded(snap, hits, "tables with row-level security not forced")


@rule("ISO003", "rls-without-policy", severity="low", subject="table", requires=RLS)
def rls_without_policy(snap: Snapshot) -> Iterator[Hit]:
    """Row-level security enabled with no policy.

    ## Why is this bad?
    It fails closed: every role subject to RLS sees and changes no rows. That is safe but usually a
    mistake (a migration that created the policies failed, or the application only works because it
    bypasses RLS, see ISO011).

    ## Example
    ```sql
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    ```

    ## Fix
    Add the tenant policy, or disable RLS if the table is not tenant data.
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


@rule("ISO004", "policy-on-table-without-rls", severity="high", subject="table", requires=("tables", "policies"))
def policy_without_rls(snap: Snapshot) -> Iterator[Hit]:
    """Policies on a table whose row-level security is off.

    ## Why is this bad?
    Policies do nothing until `ENABLE ROW LEVEL SECURITY`. The schema reads as protected and is not,
    a state schema-diff tools are known to produce on partitioned tables.

    ## Example
    ```sql
    CREATE POLICY tenant_isolation ON notes USING (org_id = current_setting('app.tenant_id')::bigint);
    ```

    ## Fix
    ```sql
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    ALTER TABLE notes FORCE ROW LEVEL SECURITY;
    ```
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


# ---- policies -------------------------------------------------------------------------------------


@rule("ISO005", "command-not-tenant-scoped", severity="high", subject="table", requires=RLS, population="tables")
def command_not_scoped(snap: Snapshot) -> Iterator[Hit]:
    """A command on an RLS table that no policy keeps to the tenant.

    ## Why is this bad?
    Policies are per command and per role: permissive policies are OR-ed (one open policy opens the
    command), restrictive ones AND-ed (one scoped restrictive policy closes it). A table can be
    scoped for SELECT and wide open for UPDATE. Judged for each application role the policies apply
    to. Fail-closed states (no permissive policy, an INSERT policy without WITH CHECK, a policy
    without USING) count as scoped: they deny.

    ## Example
    ```sql
    CREATE POLICY read_own ON invoices FOR SELECT USING (org_id = current_setting('app.tenant_id')::bigint);
    CREATE POLICY write_any ON invoices FOR UPDATE USING (true);
    ```

    ## Fix
    Give every command a policy that compares the tenant column with the session's tenant, or add a
    restrictive tenant floor that every command must pass:
    ```sql
    CREATE POLICY tenant_floor ON invoices AS RESTRICTIVE
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ```
    """
    ten = _tenant(snap)
    roles: list[str | None] = list(ten.app_roles) or [None]
    for info in ten.of_class(*SCORED):
        t = info.table
        if not t.rls_enabled:
            continue
        open_cmds: dict[str, dict[str, Any]] = {}
        for role in roles:
            for cmd in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                letter = {"SELECT": "r", "INSERT": "a", "UPDATE": "w", "DELETE": "d"}[cmd]
                if role and not has_privilege(snap, role, t, letter):
                    continue
                cell = _command_cell(snap, ten, info, role, cmd)
                if cell.value < 1.0 and cmd not in open_cmds:
                    open_cmds[cmd] = {"role": role, "why": cell.why, "policies": cell.policies}
        if not open_cmds:
            continue
        cmds = [c for c in ("SELECT", "INSERT", "UPDATE", "DELETE") if c in open_cmds]
        dims = ("read",) if cmds == ["SELECT"] else ("write",) if "SELECT" not in cmds else ("read", "write")
        pols = sorted({p for v in open_cmds.values() for p in v["policies"]})
        yield Hit(
            obj=table_obj(t),
            message=f"{', '.join(cmds)} on {t.qualified} not kept to the tenant"
            + (f" (policies {', '.join(pols)})" if pols else ""),
            evidence={"commands": open_cmds},
            fix=policy_sql(snap, ten, info, "tenant_floor", restrictive=True),
            severity="critical" if "SELECT" in cmds and info.cls == "tenant" else None,
            points=_pts(snap, t, *dims),
        )


def _policy_hits(snap: Snapshot, pick: str) -> Iterator[Hit]:
    """Walk every policy on an RLS tenant table and yield the hits of one kind of flaw."""
    ten = _tenant(snap)
    for info in ten.of_class(*SCORED):
        t = info.table
        for p in sorted(snap.policies_of.get(t.oid, []), key=lambda p: p.name):
            obj = Obj("policy", t.schema, t.name, p.name)
            found = [
                (which, ten.issues(info, e)) for which, e in (("USING", p.using_expr), ("WITH CHECK", p.check_expr))
            ]
            mode = "PERMISSIVE" if p.permissive else "RESTRICTIVE"
            base = {
                "command": p.command,
                "mode": mode,
                "roles": p.roles,
                "using": p.using_expr,
                "with_check": p.check_expr,
            }
            if pick == "unscoped":
                trues = [w for w, i in found if i.always_true]
                unref = [w for w, i in found if i.no_tenant_reference and not i.setting_escapes]
                if (trues or unref) and p.permissive:
                    what = (
                        f"{' and '.join(trues)} (true)"
                        if trues
                        else "does not reference "
                        + (f"{info.column} or a tenant setting" if info.column else "a tenant setting")
                    )
                    yield Hit(
                        obj,
                        f"policy {p.name} ({p.command}) on {t.qualified}: {what}",
                        base,
                        fix=f"DROP POLICY {quote_ident(p.name)} ON {t.qualified};\n{new}"
                        if (new := policy_sql(snap, ten, info, f"{p.name}_tenant"))
                        else None,
                    )
            elif pick in _FLAWS and (p.permissive or pick != "escape"):
                attr, key, text = _FLAWS[pick]
                items = [x for _, i in found for x in getattr(i, attr)]
                if items:
                    yield Hit(obj, f"policy {p.name} on {t.qualified} {text} ({items[0]})", base | {key: items})


# pick -> (ExprIssues attribute, evidence key, message)
_FLAWS = {
    "null": (
        "null_branches",
        "branches",
        "admits rows through an IS NULL branch: rows without a tenant, or sessions without one, see them",
    ),
    "current_user": ("current_user", "atoms", "compares the tenant with the role name"),
    "escape": ("setting_escapes", "branches", "opens rows on a setting any session can change"),
}


@rule("ISO006", "policy-not-tenant-scoped", severity="high", subject="policy", requires=RLS)
def policy_not_scoped(snap: Snapshot) -> Iterator[Hit]:
    """Permissive policy that does not scope rows to the tenant.

    USING (true), WITH CHECK (true), or no reference to the tenant column or a tenant setting.

    ## Why is this bad?
    Permissive policies are OR-ed: one policy that admits everything opens the table for its
    command and roles, whatever the other policies say. A restrictive tenant floor neutralises it
    (ISO005 says whether the command is open in the end); the policy is still reported, since
    dropping the floor later silently opens the table.

    ## Example
    ```sql
    CREATE POLICY api_insert ON invoices FOR INSERT WITH CHECK (true);
    ```

    ## Fix
    Compare the tenant column with the session's tenant in both USING and WITH CHECK.
    """
    yield from _policy_hits(snap, "unscoped")


@rule("ISO007", "policy-null-tenant-branch", severity="high", subject="policy", requires=RLS)
def policy_null_branch(snap: Snapshot) -> Iterator[Hit]:
    """Policy with an `OR tenant IS NULL` (or `OR setting IS NULL`) branch.

    ## Why is this bad?
    Rows whose tenant is NULL become visible to every tenant, and a branch on a missing setting
    opens every row to a session that never set one (an inverted check).

    ## Example
    ```sql
    CREATE POLICY p ON invoices USING (org_id IS NULL OR org_id = current_setting('app.tenant_id')::bigint);
    ```

    ## Fix
    Drop the branch; give shared rows their own table or an explicit, documented shared tenant.
    """
    yield from _policy_hits(snap, "null")


@rule("ISO008", "update-using-wider-than-check", severity="high", subject="table", requires=RLS)
def update_using_wider(snap: Snapshot) -> Iterator[Hit]:
    """UPDATE whose read scope (USING) is wider than its write check.

    ## Why is this bad?
    USING picks the rows an UPDATE may touch, WITH CHECK judges the new row. With a scoped check
    and an open USING a tenant can update another tenant's rows and move them into its own tenant.

    ## Example
    ```sql
    CREATE POLICY upd ON invoices FOR UPDATE USING (true)
        WITH CHECK (org_id = current_setting('app.tenant_id')::bigint);
    ```

    ## Fix
    Use the same tenant predicate in USING and WITH CHECK (a missing WITH CHECK reuses USING).
    """
    ten = _tenant(snap)
    roles: list[str | None] = list(ten.app_roles) or [None]
    for info in ten.of_class(*SCORED):
        if not info.table.rls_enabled:
            continue
        for role in roles:
            cell = _command_cell(snap, ten, info, role, "UPDATE")
            if "USING wider" in cell.why:
                yield Hit(
                    table_obj(info.table),
                    f"UPDATE on {info.table.qualified}: USING admits other tenants' rows while WITH CHECK is scoped "
                    f"(policies {', '.join(cell.policies)}): rows can be changed and moved across tenants",
                    {"policies": cell.policies, "role": role},
                    points=_pts(snap, info.table, "write"),
                )
                break


@rule("ISO009", "tenant-compared-with-current-user", severity="medium", subject="policy", requires=RLS)
def tenant_vs_current_user(snap: Snapshot) -> Iterator[Hit]:
    """Policy that compares the tenant column with current_user or session_user.

    ## Why is this bad?
    It ties tenancy to database role names: every pooled connection role, migration role or
    `SET ROLE` changes whose rows are visible, and a role named like a tenant id gets that tenant.

    ## Example
    ```sql
    CREATE POLICY p ON invoices USING (org_id::text = current_user);
    ```

    ## Fix
    Compare with the session's tenant setting (set per transaction by the application).
    """
    yield from _policy_hits(snap, "current_user")


@rule("ISO010", "policy-switch-on-settable-setting", severity="high", subject="policy", requires=RLS)
def policy_settable_escape(snap: Snapshot) -> Iterator[Hit]:
    """Permissive policy (or OR branch) that opens rows on a setting any session can change.

    ## Why is this bad?
    Custom settings such as `app.user_role` can be SET by any session, including one that runs
    attacker-controlled SQL. `OR current_setting('app.user_role') = 'admin'` opens every tenant.

    ## Example
    ```sql
    CREATE POLICY admins ON invoices USING (current_setting('app.user_role') = 'admin');
    ```

    ## Fix
    Grant cross-tenant access to a separate role (a TO clause), not through a setting.
    """
    yield from _policy_hits(snap, "escape")


# ---- roles ----------------------------------------------------------------------------------------


@rule(
    "ISO011", "app-role-bypasses-rls", severity="critical", subject="role", requires=("tables", "roles", "memberships")
)
def app_role_bypasses(snap: Snapshot) -> Iterator[Hit]:
    """Application role that skips row-level security.

    ## Why is this bad?
    Superusers and BYPASSRLS roles skip every policy; the table owner and members of the owner role
    skip them on tables without FORCE; a role that can SET ROLE into one of these is one statement
    away. The application roles come from thresholds.app_roles, else from grants and policy targets.

    ## Example
    ```sql
    GRANT app_owner TO app_user;  -- app_user now has owner privileges: RLS skipped on non-FORCE tables
    ```

    ## Fix
    Connect as a plain role (NOSUPERUSER NOBYPASSRLS, not a member of the owner), and FORCE row
    level security on tenant tables.
    """
    ten = _tenant(snap)
    if ten.model != "rls":
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


# ---- structure ------------------------------------------------------------------------------------


@rule("ISO012", "tenant-child-without-tenant-column", severity="medium", subject="table", requires=RLS)
def child_without_column(snap: Snapshot) -> Iterator[Hit]:
    """Table that references a tenant table but carries no tenant column.

    ## Why is this bad?
    Events, attachments, outbox, idempotency and audit tables hanging off a tenant table are tenant
    data. Without the column, a policy needs a join through the parent (slower, easy to get wrong),
    every query must join to filter, and purging or exporting one tenant cannot be done by key.

    ## Example
    ```sql
    CREATE TABLE request_events (id bigint PRIMARY KEY, request_id bigint NOT NULL REFERENCES requests);
    ```

    ## Fix
    ```sql
    ALTER TABLE request_events ADD COLUMN org_id bigint;
    UPDATE request_events e SET org_id = r.org_id FROM requests r WHERE r.id = e.request_id;  -- in batches
    ALTER TABLE request_events ADD CONSTRAINT request_events_org_id_not_null CHECK (org_id IS NOT NULL) NOT VALID;
    ```
    """
    ten = _tenant(snap)
    hits = []
    for info in ten.of_class("indirect", "unknown"):
        t = info.table
        refs = [
            c
            for c in snap.constraints_of.get(t.oid, [])
            if c.type == "f"
            and ten.tables.get(c.ref_table_oid or 0)
            and ten.tables[c.ref_table_oid or 0].cls in ("tenant", "indirect", "root")
        ]
        if not refs:
            continue
        typ = _col_type(snap, ten.root, ten.tables[ten.root.oid].column or "id") if ten.root else "bigint"
        col = quote_ident(ten.column or "tenant_id")
        hits.append(
            Hit(
                obj=table_obj(t),
                message=f"{t.qualified} hangs off tenant data ({info.reason}) but has no {ten.column} column",
                evidence={
                    "class": info.cls,
                    "via": info.via,
                    "references": sorted(
                        f"{column_list(c.columns)} -> {snap.table_by_oid[c.ref_table_oid].qualified}"
                        for c in refs
                        if c.ref_table_oid in snap.table_by_oid
                    ),
                },
                fix=f"ALTER TABLE {t.qualified} ADD COLUMN {col} {typ};  -- backfill from the parent, then NOT NULL",
                severity="high" if info.cls == "unknown" else None,
            )
        )
    yield from bounded(snap, hits, f"tables hang off tenant data without {ten.column}")


@rule("ISO013", "cross-tenant-foreign-key", severity="medium", subject="constraint", requires=RLS)
def cross_tenant_fk(snap: Snapshot) -> Iterator[Hit]:
    """Foreign key between tenant tables that leaves the tenant column out.

    ## Why is this bad?
    Foreign-key checks bypass row-level security, so with `(project_id) REFERENCES projects (id)`
    a row of tenant A can point at tenant B's project (and learn that it exists). A key that
    includes the tenant column makes that impossible in the schema, not just in the application.

    ## Example
    ```sql
    CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint NOT NULL, project_id bigint REFERENCES projects);
    ```

    ## Fix
    ```sql
    ALTER TABLE projects ADD CONSTRAINT projects_org_id_id_key UNIQUE (org_id, id);
    ALTER TABLE tasks ADD CONSTRAINT tasks_project_tenant_fkey FOREIGN KEY (org_id, project_id)
        REFERENCES projects (org_id, id) NOT VALID;
    ALTER TABLE tasks VALIDATE CONSTRAINT tasks_project_tenant_fkey;
    ```
    """
    ten = _tenant(snap)
    hits = []
    keyed: set[int] = set()  # parents given their (tenant, key) unique index by an earlier fix
    unsafe = unsafe_foreign_keys(snap, ten)
    per_table = Counter(child.table.oid for child, _, _ in unsafe)
    sm = model_for(snap)
    for child, parent, con in unsafe:
        ct, pt = child.table, parent.table
        ccol, pcol = child.column or "", parent.column or ""
        name = f"{con.name}_tenant"
        key_name = f"{pt.name}_{pcol}_{'_'.join(con.ref_columns)}_key"
        has_key = pt.oid in keyed or any(
            i.is_unique and i.predicate is None and set(c for c in i.columns if c) == {pcol, *con.ref_columns}
            for i in snap.indexes_of.get(pt.oid, [])
        )
        keyed.add(pt.oid)
        conc = "" if pt.is_partitioned else "CONCURRENTLY "
        fix = (
            ""
            if has_key
            else f"CREATE UNIQUE INDEX {conc}{quote_ident(key_name[:63])} ON {pt.qualified} "
            f"({column_list([pcol, *con.ref_columns])});\n"
        )
        action = ""
        if con.on_delete == "n":  # only the key's own columns go NULL, never the tenant (PostgreSQL 15+)
            action = f" ON DELETE SET NULL ({column_list(con.columns)})"
        elif con.on_delete in ("c", "r"):
            action = f" ON DELETE {FK_ACTIONS[con.on_delete]}"
        fix += (
            f"ALTER TABLE {ct.qualified} ADD CONSTRAINT {quote_ident(name[:63])} FOREIGN KEY "
            f"({column_list([ccol, *con.columns])}) REFERENCES {pt.qualified} ({column_list([pcol, *con.ref_columns])})"
            f"{action} NOT VALID;\nALTER TABLE {ct.qualified} VALIDATE CONSTRAINT {quote_ident(name[:63])};\n"
            f"ALTER TABLE {ct.qualified} DROP CONSTRAINT {quote_ident(con.name)};"
        )
        hits.append(
            Hit(
                obj=Obj("constraint", ct.schema, ct.name, con.name),
                message=f"{ct.qualified} ({column_list(con.columns)}) -> {pt.qualified} without {ccol}: a row can "
                "point at another tenant's row",
                evidence={"columns": con.columns, "references": pt.qualified, "ref_columns": con.ref_columns},
                fix=fix,
                severity="low" if _uuid_key(snap, pt, con.ref_columns) else None,
                points=sm.struct_points(ct.qualified, FK_CUT, per_table[ct.oid]),
            )
        )
    yield from bounded(snap, hits, f"foreign keys between tenant tables leave out {ten.column}")


def _uuid_key(snap: Snapshot, t: Table, columns: list[str]) -> bool:
    """Random uuid keys cannot be guessed, so pointing at another tenant's row takes a leaked id."""
    return all((c := snap.column_by_name.get((t.oid, col))) is not None and c.base_type == "uuid" for col in columns)


@rule("ISO014", "unique-without-tenant-column", severity="medium", subject="index", requires=(*RLS, "indexes"))
def unique_without_tenant(snap: Snapshot) -> Iterator[Hit]:
    """Unique key on a tenant table that does not include the tenant column.

    ## Why is this bad?
    Uniqueness is checked across all tenants and bypasses RLS: tenant B cannot create the invoice
    number or email tenant A already has, and the error tells B that it exists. Generated keys
    (identity, serial, uuid) and keys that include a foreign key to a tenant-owned parent are fine.

    ## Example
    ```sql
    CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY, org_id bigint NOT NULL, email text UNIQUE);
    ```

    ## Fix
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY customers_org_id_email_key ON customers (org_id, email);
    ALTER TABLE customers DROP CONSTRAINT customers_email_key;
    ```
    When the tenant column is nullable, rows without a tenant would no longer be unique among themselves
    (NULLs are distinct): on PostgreSQL 15+ the new index is NULLS NOT DISTINCT; before 15 the fix makes
    the column NOT NULL first (ISO015's fix), or, when NULL rows are shared on purpose (see ISO015),
    adds a second unique index WHERE the tenant column IS NULL.
    """
    ten = _tenant(snap)
    hits = []
    referenced = {c.index_oid for c in snap.constraints if c.type == "f" and c.index_oid}
    uniques = unscoped_uniques(snap, ten)
    per_table = Counter(info.table.oid for info, _ in uniques)
    sm = model_for(snap)
    for info, idx in uniques:
        t = info.table
        keys = [info.column or "", *idx.keys]
        new = f"{t.name}_{'_'.join(c for c in [info.column or '', *(c or 'expr' for c in idx.columns)])}_key"
        where = f" WHERE {idx.predicate}" if idx.predicate else ""
        conc = "" if t.is_partitioned else "CONCURRENTLY "
        drop = (
            f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(idx.constraint_name)};"
            if idx.constraint_name
            else f"DROP INDEX {conc}{qualified(t.schema, idx.name)};"
        )
        tcol = snap.column_by_name.get((t.oid, info.column or ""))
        nullable = tcol is not None and not tcol.not_null
        pre, nnd = "", ""
        if nullable and snap.server.version_num >= 150000:
            pre = (
                f"-- {info.column} is nullable: NULLS NOT DISTINCT keeps rows without a tenant unique among "
                "themselves (NULLs are distinct otherwise)\n"
            )
            nnd = " NULLS NOT DISTINCT"
        elif nullable:
            why = (
                f"-- {info.column} is nullable, and a unique index does not stop duplicates among rows where it is "
                "NULL (NULLs are distinct; NULLS NOT DISTINCT needs PostgreSQL 15): "
            )
            if shared_row_signals(snap, ten, info):  # NULL on purpose (ISO015): keep the shared rows unique apart
                shared = f"{t.name}_{'_'.join(c or 'expr' for c in idx.columns)}_shared_key"
                null_rows = f"{quote_ident(info.column or '')} IS NULL"
                null_rows += f" AND ({idx.predicate})" if idx.predicate else ""
                pre = (
                    f"{why}the shared rows get their own index\nCREATE UNIQUE INDEX {conc}{quote_ident(shared[:63])} "
                    f"ON {t.qualified} ({', '.join(idx.keys)}) WHERE {null_rows};\n"
                )
            else:
                pre = f"{why}make it NOT NULL first (ISO015)\n{not_null_sql(t, info.column or '')}\n"
        hits.append(
            Hit(
                obj=Obj("index", t.schema, t.name, idx.name),
                message=f"unique {idx.name} ({', '.join(idx.keys)}) on {t.qualified} is global, not per tenant: "
                "cross-tenant collisions and existence leaks",
                evidence={
                    "keys": idx.keys,
                    "predicate": idx.predicate,
                    "primary": idx.is_primary,
                    "tenant_column_nullable": nullable,
                },
                fix=f"{pre}CREATE UNIQUE INDEX {conc}{quote_ident(new[:63])} ON {t.qualified} ({', '.join(keys)})"
                f"{nnd}{where};\n"
                + (f"-- then, once no foreign key uses it:\n-- {drop}" if idx.oid in referenced else drop),
                points=sm.struct_points(t.qualified, UNIQUE_CUT, per_table[t.oid]),
            )
        )
    yield from bounded(snap, hits, f"unique keys on tenant tables leave out {ten.column}")


@rule("ISO015", "nullable-tenant-column", severity="medium", subject="column", requires=RLS)
def nullable_tenant(snap: Snapshot) -> Iterator[Hit]:
    """Nullable tenant column.

    ## Why is this bad?
    A row with no tenant belongs to nobody: policies comparing `org_id = ...` hide it, policies with
    `OR org_id IS NULL` show it to everyone, and application filters disagree on which.

    A column that is NULL by design, for rows every tenant shares (built-in roles, default plans), is
    reported at info with no fix and no points off, when the schema says so: a unique index for the
    NULL rows (`UNIQUE (name) WHERE org_id IS NULL`) or one with the column and NULLS NOT DISTINCT, a
    partial index on `org_id IS NULL`, a CHECK giving NULL-tenant rows their own rule
    (`CHECK (org_id IS NULL OR ...)`), or a policy whose USING admits `org_id IS NULL` rows (ISO007
    still reports that policy).

    ## Example
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint REFERENCES orgs);
    ```

    ## Fix
    ```sql
    ALTER TABLE invoices ADD CONSTRAINT invoices_org_id_not_null CHECK (org_id IS NOT NULL) NOT VALID;
    ALTER TABLE invoices VALIDATE CONSTRAINT invoices_org_id_not_null;
    ALTER TABLE invoices ALTER COLUMN org_id SET NOT NULL;  -- PostgreSQL 12+ uses the valid CHECK, no scan
    ALTER TABLE invoices DROP CONSTRAINT invoices_org_id_not_null;  -- the NOT NULL replaces it
    ```
    """
    ten = _tenant(snap)
    hits = []
    for info in nullable_tenant_columns(snap, ten):
        t, col = info.table, info.column or ""
        st = snap.column_stats_of.get((t.schema, t.name, col))
        nulls = f"; statistics say {st.null_frac:.1%} of rows have no tenant" if st and st.null_frac > 0 else ""
        shared = shared_row_signals(snap, ten, info)
        if shared:
            hits.append(
                Hit(
                    obj=column_obj(t, col),
                    message=f"{t.qualified}.{col} is nullable, and looks intentional: NULL rows are shared by every "
                    f"tenant ({shared[0]}{f' and {len(shared) - 1} more' if len(shared) > 1 else ''}){nulls}; "
                    "make sure policies and application filters treat them as shared",
                    evidence={"null_frac": st.null_frac if st else None, "shared_rows": shared},
                    severity="info",
                )
            )
            continue
        hits.append(
            Hit(
                obj=column_obj(t, col),
                message=f"{t.qualified}.{col} is nullable{nulls}",
                evidence={"null_frac": st.null_frac if st else None},
                fix=not_null_sql(t, col),
                severity="high" if st and st.null_frac > 0 else None,
                points=model_for(snap).struct_points(t.qualified, NULLABLE_CUT),
            )
        )
    yield from bounded(snap, hits, f"tenant tables allow a NULL {ten.column}")


def not_null_sql(t: Table, col: str) -> str:
    """SET NOT NULL without a long ACCESS EXCLUSIVE scan: a NOT VALID check, validated, then dropped."""
    cname = quote_ident(f"{t.name}_{col}_not_null"[:63])
    return (
        f"ALTER TABLE {t.qualified} ADD CONSTRAINT {cname} CHECK ({quote_ident(col)} IS NOT NULL) NOT VALID;\n"
        f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {cname};\n"
        f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(col)} SET NOT NULL;\n"
        f"ALTER TABLE {t.qualified} DROP CONSTRAINT {cname};"
    )


@rule("ISO016", "tenant-setting-default", severity="high", subject="role", requires=("role_settings",))
def tenant_setting_default(snap: Snapshot) -> Iterator[Hit]:
    """Tenant setting with a default from ALTER ROLE or ALTER DATABASE ... SET.

    ## Why is this bad?
    A session that never sets its tenant silently reads and writes the default tenant's rows
    instead of failing. The same holds for a pooled connection reused without a reset.

    ## Example
    ```sql
    ALTER ROLE app_ro SET app.tenant_id = '1';
    ```

    ## Fix
    ```sql
    ALTER ROLE app_ro RESET app.tenant_id;
    ```
    """
    ten = tenancy(snap)
    db = quote_ident(snap.server.database)
    for role, this_db, item in setting_defaults(snap, ten):
        name = item.split("=", 1)[0]
        # Only defaults that reach this database are read (role_settings.sql): its own and those for all.
        if role:
            who = f"role {role}"
            fix = f"ALTER ROLE {quote_ident(role)}{f' IN DATABASE {db}' if this_db else ''} RESET {name};"
        elif this_db:
            who, fix = "the database", f"ALTER DATABASE {db} RESET {name};"
        else:  # ALTER ROLE ALL SET: every role in every database; ALTER DATABASE ... RESET leaves it
            who, fix = "ALTER ROLE ALL", f"ALTER ROLE ALL RESET {name};"
        yield Hit(
            obj=Obj("role", name=role) if role else _db(snap),
            message=f"{who} gives every session a tenant by default ({name}); "
            "a session that forgets to set one gets that tenant's rows",
            evidence={"setting": name, "this_database_only": this_db},
            fix=fix,
            members=(name,),
            points=15.0,
        )


# ---- paths around RLS -----------------------------------------------------------------------------


def _exposure_hits(snap: Snapshot, kinds: tuple[str, ...]) -> Iterator[Hit]:
    ten = _tenant(snap)
    for e in exposures(snap, ten):
        if e.kind not in kinds:
            continue
        bases = ", ".join(b.table.qualified for b in e.bases)
        obj_kind = "table" if e.kind == "partition" else e.kind
        if e.kind == "view":
            fix = f"ALTER VIEW {qualified(e.schema, e.name)} SET (security_invoker = true);  -- PostgreSQL 15+"
        elif e.kind == "partition":
            fix = (
                f"ALTER TABLE {qualified(e.schema, e.name)} ENABLE ROW LEVEL SECURITY;\n"
                f"ALTER TABLE {qualified(e.schema, e.name)} FORCE ROW LEVEL SECURITY;\n"
                f"-- and copy the parent's policies, or REVOKE ALL ON {qualified(e.schema, e.name)} FROM the app roles"
            )
        else:
            fix = f"REVOKE ALL ON {qualified(e.schema, e.name)} FROM PUBLIC;  -- and from application roles"
        yield Hit(
            obj=Obj(obj_kind, e.schema, e.name, None),
            message=f"{e.kind} {qualified(e.schema, e.name)} returns rows of {bases} without its policies: {e.why}",
            evidence={"bases": [b.table.qualified for b in e.bases], "owner": e.owner},
            fix=fix,
            points=_pts(snap, f"{e.schema}.{e.name}", "read"),
        )


@rule("ISO017", "definer-view-bypasses-rls", severity="high", subject="view", requires=(*RLS, "views", "roles"))
def definer_view(snap: Snapshot) -> Iterator[Hit]:
    """View without security_invoker whose owner bypasses the base table's policies.

    ## Why is this bad?
    A view runs with its owner's rights unless `security_invoker` is set (PostgreSQL 15+). If the
    owner is a superuser, BYPASSRLS, or owns a base table that is not FORCEd, the view returns every
    tenant's rows to anyone allowed to read the view.

    ## Example
    ```sql
    CREATE VIEW open_invoices AS SELECT * FROM invoices WHERE paid_at IS NULL;  -- owned by the table owner
    ```

    ## Fix
    ```sql
    ALTER VIEW open_invoices SET (security_invoker = true);
    ```
    """
    yield from _exposure_hits(snap, ("view",))


@rule("ISO018", "unprotected-copy-of-tenant-data", severity="high", subject="view", requires=(*RLS, "views"))
def unprotected_copy(snap: Snapshot) -> Iterator[Hit]:
    """Materialized view or foreign table over tenant data that row-level security protects.

    ## Why is this bad?
    RLS cannot be enabled on materialized views or foreign tables. A materialized view over an RLS
    table stores every tenant's rows (as its owner saw them), and anyone allowed to read it reads
    them all.

    ## Example
    ```sql
    CREATE MATERIALIZED VIEW invoice_totals AS SELECT org_id, sum(total) FROM invoices GROUP BY org_id;
    ```

    ## Fix
    Revoke direct access and expose it through a security_invoker view or function that filters on
    the tenant; or drop it.
    """
    yield from _exposure_hits(snap, ("materialized view", "foreign table"))


@rule("ISO019", "partition-without-rls", severity="high", subject="table", requires=RLS)
def partition_without_rls(snap: Snapshot) -> Iterator[Hit]:
    """Partition of a row-level secured parent that has no RLS of its own.

    ## Why is this bad?
    A parent's policies apply to queries through the parent only. A partition read directly uses its
    own setting, and RLS is not inherited by partitions.

    ## Example
    ```sql
    ALTER TABLE events ENABLE ROW LEVEL SECURITY;
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    ```

    ## Fix
    ```sql
    ALTER TABLE events_2025 ENABLE ROW LEVEL SECURITY;
    ALTER TABLE events_2025 FORCE ROW LEVEL SECURITY;
    ```
    and the parent's policies, or revoke direct access to partitions.
    """
    hits = list(_exposure_hits(snap, ("partition",)))
    yield from bounded(snap, hits, "partitions of row-level secured tables without RLS")


@rule("ISO020", "security-definer-function", severity="medium", subject="function", requires=("functions",))
def security_definer(snap: Snapshot) -> Iterator[Hit]:
    """SECURITY DEFINER function, worse without a pinned search_path.

    ## Why is this bad?
    It runs as its owner: when the owner bypasses RLS (superuser, BYPASSRLS, owner of non-FORCE
    tables), any caller reads through it what its own role could not. Without `SET search_path`
    a caller can put its own objects first and run code as the owner. Trigger functions that are
    not SECURITY DEFINER run as the invoker, under RLS, and are not reported.

    ## Example
    ```sql
    CREATE FUNCTION all_invoices() RETURNS SETOF invoices LANGUAGE sql SECURITY DEFINER AS 'SELECT * FROM invoices';
    ```

    ## Fix
    ```sql
    ALTER FUNCTION all_invoices() SET search_path = pg_catalog, pg_temp;
    REVOKE EXECUTE ON FUNCTION all_invoices() FROM PUBLIC;
    ```
    """
    owner_bypass = {}
    for f in snap.functions:
        r = snap.role_by_name.get(f.owner)
        owner_bypass[f.owner] = bool(r and (r.superuser or r.bypassrls))
    hits = []
    for f in sorted(snap.functions, key=lambda f: (f.schema, f.name, f.arguments)):
        if not f.security_definer:
            continue
        pinned = any(c.lower().startswith("search_path=") for c in f.config)
        problems = []
        if not pinned:
            problems.append("no pinned search_path")
        if owner_bypass.get(f.owner):
            problems.append(f"owner {f.owner} bypasses row-level security")
        if f.public_execute:
            problems.append("PUBLIC may execute it")
        fix_lines = []
        if not pinned:
            fix_lines.append(f"ALTER FUNCTION {f.signature} SET search_path = pg_catalog, pg_temp;")
        if f.public_execute:
            fix_lines.append(f"REVOKE EXECUTE ON FUNCTION {f.signature} FROM PUBLIC;")
        sev = (
            "high" if not pinned and f.public_execute else ("low" if pinned and not owner_bypass.get(f.owner) else None)
        )
        hits.append(
            Hit(
                obj=Obj("function", f.schema, None, f"{f.name}({f.arguments})"),
                message=f"SECURITY DEFINER {f.signature} runs as {f.owner}: {', '.join(problems) or 'review'}",
                evidence={"owner": f.owner, "config": f.config, "public_execute": f.public_execute},
                fix="\n".join(fix_lines) or None,
                severity=sev,
                points=1.0 if not pinned else None,
            )
        )
    yield from bounded(snap, hits, "SECURITY DEFINER functions")


@rule("ISO021", "truncate-granted", severity="high", subject="table", requires=RLS)
def truncate_granted(snap: Snapshot) -> Iterator[Hit]:
    """TRUNCATE granted to an application role (or PUBLIC) on tenant data.

    ## Why is this bad?
    TRUNCATE applies to the whole table and is not subject to row-level security: one tenant's
    session can empty every tenant's rows.

    ## Example
    ```sql
    GRANT ALL ON invoices TO app_user;
    ```

    ## Fix
    ```sql
    REVOKE TRUNCATE ON invoices FROM app_user;
    ```
    """
    ten = _tenant(snap)
    by_role: dict[str, list[TableInfo]] = {}
    for info in ten.of_class(*SCORED):
        for role in truncate_roles(ten, info, snap):
            by_role.setdefault(role, []).append(info)
    for role, infos in sorted(by_role.items()):
        tables = [i.table.qualified for i in infos]
        grantee = "PUBLIC" if role == "public" else quote_ident(role)
        yield Hit(
            obj=Obj("role", name=role),
            message=f"{role} may TRUNCATE {len(tables)} tenant table(s) ({', '.join(tables[:3])}"
            f"{', ...' if len(tables) > 3 else ''}); TRUNCATE ignores row-level security",
            evidence={"tables": tables},
            fix="\n".join(f"REVOKE TRUNCATE ON {t} FROM {grantee};" for t in tables),
            points=round(sum(_pts(snap, i.table, "write") or 0 for i in infos), 1) or None,
        )


@rule("ISO022", "tenant-data-skew", severity="info", subject="table", requires=(*RLS, "column_stats"))
def tenant_skew(snap: Snapshot) -> Iterator[Hit]:
    """One tenant holds most of a table's rows (from pg_stats).

    ## Why is this bad?
    It is not a leak: plans tuned for the typical tenant misbehave for the big one (and the other
    way round), and partitioning or sharding by tenant will be lopsided. Tenant ids are never shown.

    ## Example
    `pg_stats.most_common_freqs[1]` of the tenant column is 0.8.

    ## Fix
    Nothing to fix in the schema; consider per-tenant statistics (`CREATE STATISTICS`) or a
    dedicated partition for the large tenant.
    """
    ten = _tenant(snap)
    share = SKEW_SHARE(snap)
    hits = []
    for info in ten.of_class("tenant"):
        st = snap.column_stats_of.get((info.table.schema, info.table.name, info.column or ""))
        if st and st.top_frequency and st.top_frequency >= share:
            hits.append(
                Hit(
                    obj=table_obj(info.table),
                    message=f"one tenant holds about {st.top_frequency:.0%} of {info.table.qualified}",
                    evidence={"top_frequency": st.top_frequency, "n_distinct": st.n_distinct},
                )
            )
    yield from bounded(snap, hits, "tables dominated by one tenant")


@rule("ISO023", "unclassified-table", severity="info", subject="table", requires=RLS)
def unclassified(snap: Snapshot) -> Iterator[Hit]:
    """Table the tenant model could not classify.

    ## Why is this bad?
    It has no tenant column, no foreign key path to a tenant table, and does not look like a lookup
    or framework table. It may hold tenant data nobody scopes. Classify it in configuration
    (thresholds.table_classes) so the score and the rules treat it right.

    A row-history table of paper_trail (`item_type, item_id` with `object`/`object_changes`),
    audited (`auditable_type, auditable_id, audited_changes`) or django-reversion
    (`content_type_id, object_id, serialized_data`) is medium, not info: it holds a copy of rows from
    every tenant table, with nothing to scope it by tenant.

    ## Example
    A `versions` audit table keyed by `item_type, item_id`.

    ## Fix
    Add the tenant column, or classify it: `table_classes = {"public.versions" = "reference"}`. For a
    row-history table, add the tenant column and have the library fill it (paper_trail: a `meta`
    entry; audited: `associated`), then scope it like any tenant table.
    """
    ten = _tenant(snap)
    unclassified = [
        i
        for i in ten.of_class("unknown")
        if not any(
            c.type == "f"
            and ten.tables.get(c.ref_table_oid or 0)
            and ten.tables[c.ref_table_oid or 0].cls in ("tenant", "indirect", "root")
            for c in snap.constraints_of.get(i.table.oid, [])
        )
    ]
    others = []
    for i in unclassified:
        library = row_history_library(snap, i.table)
        if library is None:
            others.append(
                Hit(obj=table_obj(i.table), message=f"{i.table.qualified}: {i.reason}", evidence={"class": i.cls})
            )
            continue
        yield Hit(
            obj=table_obj(i.table),
            message=f"{i.table.qualified}: a {library} row-history table: it keeps copies of rows of every tenant,"
            " with no tenant column to scope them",
            evidence={"class": i.cls, "row_history": library},
            severity="medium",
        )
    yield from bounded(snap, others, "tables not classified (no tenant column, no path to one)")


# Row-history tables of common libraries: a polymorphic reference to a row and a copy of it.
ROW_HISTORY_SHAPES = (
    ("paper_trail", ("item_type", "item_id"), ("object", "object_changes")),
    ("audited", ("auditable_type", "auditable_id"), ("audited_changes",)),
    ("django-reversion", ("content_type_id", "object_id"), ("serialized_data",)),
)


def row_history_library(snap: Snapshot, table: Table) -> str | None:
    """The library whose row-history table this looks like, if any."""
    names = {c.name for c in snap.columns_of.get(table.oid, [])}
    for library, reference, copies in ROW_HISTORY_SHAPES:
        if set(reference) <= names and names & set(copies):
            return library
    return None
