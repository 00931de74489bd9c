"""ISO005: per command and per role, whether the policies in the end keep rows to the tenant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.analysis.tenancy import SCORED, _command_cell, has_privilege
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.isolation._shared import RLS, _pts, _tenant, floor_sql, policy_sql
from auditor.rules.registry import Hit, rule


@rule("ISO005", "command-not-tenant-scoped", severity="high", subject="table", requires=RLS, population="tables")
def command_not_tenant_scoped(snap: Snapshot) -> Iterator[Hit]:
    """A command on an RLS table that no policy keeps to the tenant.

    ## Why it matters
    Policies are per command and per role: permissive policies are OR-ed (one open policy opens the
    command), restrictive ones AND-ed (one scoped restrictive policy closes it). A table can be
    scoped for SELECT and wide open for UPDATE.

    ## What it checks
    For every table holding tenant data with row-level security on, and for every application role
    that holds the privilege for the command (all policies at once when no application role is
    identified), whether SELECT, INSERT, UPDATE and DELETE are each kept to the tenant by the policies
    that apply to that role. Helper functions are read (LANGUAGE sql, or plpgsql that is one RETURN):
    a membership lookup of the current user is tenant-scoped, `owner = auth.uid()` is the user's own
    rows (narrower than the tenant), a sharing flag opens rows on read only. Fail-closed states (no
    permissive policy, an INSERT policy without WITH CHECK, a policy without USING) count as scoped:
    they deny; so does an INSERT into the root tenant table (a new tenant). A policy that calls a
    helper the auditor cannot read is unverified: medium at most, needs review. Critical when SELECT is
    open on a table that carries the tenant column. The fix is a restrictive policy per open command
    made of what the table's policies admit on purpose, so members keep their rows.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY read_own ON invoices FOR SELECT
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    CREATE POLICY write_any ON invoices FOR UPDATE USING (true);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE POLICY tenant_isolation ON invoices
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    ```

    ## Fix
    Give every command a policy that compares the tenant column with the session's tenant, or add a
    restrictive tenant floor that every command must pass:
    ```sql
    CREATE POLICY tenant_floor ON invoices AS RESTRICTIVE
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
        WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ```

    ## False positives
    A policy that reads the tenant through a helper function (`org_id = app.current_org()`) is
    reported as unverified until the function is named in the configuration:
    `context-functions = ["app.current_org"]` under `[tool.pg-auditor.thresholds]`. A role that is not
    the application's (a reporting or support role) judged as one: name the real ones with
    `app-roles = ["app_user"]`. A command left open on purpose:
    `COMMENT ON TABLE invoices IS 'pg-auditor: ignore ISO005 -- reason'`.
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
                    open_cmds[cmd] = {"role": role, "why": cell.why, "policies": cell.policies, "value": cell.value}
        if not open_cmds:
            continue
        cmds = [c for c in ("SELECT", "INSERT", "UPDATE", "DELETE") if c in open_cmds]
        dims = ("read",) if cmds == ["SELECT"] else ("write",) if "SELECT" not in cmds else ("read", "write")
        pols = sorted({p for v in open_cmds.values() for p in v["policies"]})
        unverified = all(v["value"] == 0.5 for v in open_cmds.values())  # only helpers we cannot read: review
        yield Hit(
            obj=table_obj(t),
            message=f"{', '.join(cmds)} on {t.qualified} not kept to the tenant"
            + (" as far as the auditor can read (needs review: a helper function it cannot read)" if unverified else "")
            + (f" (policies {', '.join(pols)})" if pols else ""),
            evidence={"commands": open_cmds},
            fix=floor_sql(snap, ten, info, cmds)
            or (policy_sql(snap, ten, info, "tenant_floor", restrictive=True) if ten.shape == "column" else None),
            severity="medium" if unverified else ("critical" if "SELECT" in cmds and info.cls == "tenant" else None),
            points=_pts(snap, t, *dims),
        )
