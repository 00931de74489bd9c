"""ISO020: functions that run as their owner, around the caller's policies."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.analysis.acl import letters_by_grantee
from auditor.analysis.helpers import strip_comments, tables_named, uses_user_check
from auditor.analysis.tenancy import API_ROLES, Tenancy, bypass_reason, role_closure, tenancy
from auditor.base.names import quote_ident
from auditor.catalog.model import Function, Snapshot, Table
from auditor.rules.isolation._shared import bounded, pin_search_path_sql, search_path_pinned
from auditor.rules.registry import Hit, Obj, rule


@rule("ISO020", "security-definer-function", severity="medium", subject="function", requires=("functions",))
def security_definer_function(snap: Snapshot) -> Iterator[Hit]:
    """SECURITY DEFINER function, worse without a pinned search_path.

    ## Why it matters
    It runs as its owner: when the owner bypasses RLS (superuser, BYPASSRLS, owner of non-FORCE
    tables), any caller reads through it what its own role could not. Without `SET search_path`
    a caller can put its own objects first and run code as the owner. Trigger functions that are
    not SECURITY DEFINER run as the invoker, under RLS, and are not reported.

    ## What it checks
    Every SECURITY DEFINER function outside the system schemas and extensions, with who can call it
    (PUBLIC, application roles, the API roles anon/authenticated, by their grants), whether its body
    touches tables holding tenant data around their policies (its owner is a superuser, BYPASSRLS, or
    owns a table that does not FORCE row-level security), and whether it checks the current user first
    (auth.uid(), current_user, a membership helper, to three calls deep) or finds its rows by a secret
    argument (an invitation token). High when a caller can reach it and its search_path is not pinned,
    or it touches tenant data without such a check; low when it is pinned and touches no tenant data, or
    no application role, API role nor PUBLIC may call it, or it checks the user and neither PUBLIC nor
    anon may call it; low for trigger functions (nobody calls them directly); medium otherwise. The fix
    keeps the app working: a helper the policies call keeps EXECUTE for the roles they run as before
    PUBLIC loses it, and a body that names relations unqualified keeps its own schema on the pinned
    search_path. It needs no tenant model. More than
    `isolation-group-over` such functions become one finding.

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE FUNCTION all_invoices() RETURNS SETOF invoices LANGUAGE sql SECURITY DEFINER AS 'SELECT * FROM invoices';
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE FUNCTION all_invoices() RETURNS SETOF invoices LANGUAGE sql STABLE AS 'SELECT * FROM invoices';
    -- SECURITY INVOKER (the default): it runs under the caller's policies
    ```

    ## Fix
    ```sql
    ALTER FUNCTION all_invoices() SET search_path = pg_catalog, pg_temp;
    REVOKE EXECUTE ON FUNCTION all_invoices() FROM PUBLIC;
    ```
    Better still, drop SECURITY DEFINER when the function does not need its owner's rights (a decision
    the fix leaves to the DBA). Once pinned and callable by no application role, the function is still
    listed, at low, for review: it runs as its owner whatever the owner is allowed to bypass.

    ## False positives
    A reviewed SECURITY DEFINER function (a login check reading a table callers may not) stays listed
    at low. The tag is not read from a function's comment: use an `ignore-objects` entry
    (`rule = "ISO020"`, `object = "auth.check_key*"`, and a reason), or a comment on its schema,
    `COMMENT ON SCHEMA auth IS 'pg-auditor: ignore ISO020 -- reviewed definer functions'`.
    """
    ten = tenancy(snap)
    tenant_names = _tenant_table_names(ten)
    policy_text = "\n".join(e for p in snap.policies for e in (p.using_expr, p.check_expr) if e)
    hits = []
    for f in sorted(snap.functions, key=lambda f: (f.schema, f.name, f.arguments)):
        if not f.security_definer:
            continue
        owner = snap.role_by_name.get(f.owner)
        owner_bypass = bool(owner and (owner.superuser or owner.bypassrls))
        pinned = search_path_pinned(f)
        callers = [] if f.returns_trigger else executors(snap, f, ten.app_roles)
        body = strip_comments(f.body or "")
        touched = sorted(
            n
            for n in tables_named(body)
            if (t := tenant_names.get(n) or tenant_names.get(n.split(".")[-1])) is not None
            and bypass_reason(snap, f.owner, t) is not None  # under the policies anyway otherwise (FORCE)
        )
        checked = uses_user_check(snap, f) or _token_check(f, body)
        problems = []
        if not pinned:
            problems.append("no pinned search_path")
        if owner_bypass:
            problems.append(f"owner {f.owner} bypasses row-level security")
        if callers:
            problems.append(f"executable by {', '.join(callers)}")
        if touched and not checked and callers:
            problems.append(f"touches {', '.join(touched[:3])} without checking the current user's membership")
        if f.returns_trigger:
            sev = "low"
        elif callers and (not pinned or (touched and not checked)):
            sev = "high"
        elif pinned and (not callers or not touched or (checked and "PUBLIC" not in callers and "anon" not in callers)):
            sev = "low"
        else:
            sev = None
        hits.append(
            Hit(
                obj=Obj("function", f.schema, None, f"{f.name}({f.arguments})"),
                message=f"SECURITY DEFINER {f.signature} runs as {f.owner}: {', '.join(problems) or 'review'}",
                evidence={
                    "owner": f.owner,
                    "config": f.config,
                    "public_execute": f.public_execute,
                    "callers": callers,
                    "touches": touched,
                    "checks_current_user": checked,
                },
                fix=_fix(snap, f, pinned, policy_text, ten.app_roles) or None,
                severity=sev,
                points=1.0 if not pinned else None,
            )
        )
    yield from bounded(snap, hits, "SECURITY DEFINER functions", "medium")


def _tenant_table_names(ten: Tenancy) -> dict[str, Table]:
    """Tables holding tenant data by qualified and bare name."""
    if ten.column is None:
        return {}
    infos = ten.of_class("root", "tenant", "indirect")
    return {f"{i.table.schema}.{i.table.name}": i.table for i in infos} | {i.table.name: i.table for i in infos}


def _token_check(f: Function, body: str) -> bool:
    """The body finds its rows by a secret the caller must know (an invitation token) passed as an argument."""
    for arg in f.arg_names:
        if arg and re.search(rf"\b\w*(token|secret|code|key)\w*\s*=\s*(\w+\.)?{re.escape(arg)}\b", body, re.I):
            return True
    return False


def executors(snap: Snapshot, f: Function, app_roles: list[str]) -> list[str]:
    """Who may call the function: PUBLIC (the default, or granted), and application roles holding EXECUTE
    themselves or through a role they inherit (API roles anon/authenticated named when granted)."""
    if f.acl is None:
        return ["PUBLIC"]
    grants = letters_by_grantee(f.acl)
    out = ["PUBLIC"] if "X" in grants.get("public", "") else []
    named = set(app_roles) | {r for r in API_ROLES if r in snap.role_by_name}
    for role in sorted(named):
        if any("X" in grants.get(g, "") for g in role_closure(snap, role, inherit_only=True)):
            out.append(role)
    return out


def _fix(snap: Snapshot, f: Function, pinned: bool, policy_text: str, app_roles: list[str]) -> str:
    """Fix SQL that keeps the app working: a helper the policies call keeps EXECUTE for the roles the
    policies run as, and a body with unqualified names keeps its own schema on the search_path."""
    lines = []
    if not pinned:
        lines.append(pin_search_path_sql(f))
    if f.returns_trigger:
        return "\n".join(lines)
    called_by_policies = bool(re.search(rf"\b{re.escape(f.name)}\s*\(", policy_text))
    grants = letters_by_grantee(f.acl) if f.acl is not None else {"public": "X"}
    if "X" in grants.get("public", ""):
        if called_by_policies:
            keep = [r for r in app_roles if r != "anon"] or ["<the roles the policies run as>"]
            lines.append(
                f"GRANT EXECUTE ON FUNCTION {f.signature} TO {', '.join(quote_ident(r) for r in keep)};"
                "  -- policies call it: their roles keep EXECUTE"
            )
        lines.append(f"REVOKE EXECUTE ON FUNCTION {f.signature} FROM PUBLIC;")
    if "X" in grants.get("anon", "") and not called_by_policies:
        lines.append(f"REVOKE EXECUTE ON FUNCTION {f.signature} FROM anon;  -- signed-out visitors")
    return "\n".join(lines)
