"""ISO020: functions that run as their owner, around the caller's policies."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import bounded
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
    Every SECURITY DEFINER function outside the system schemas and extensions, with what makes it
    risky: no pinned search_path, an owner that is a superuser or BYPASSRLS, EXECUTE granted to PUBLIC.
    High when the search_path is not pinned and PUBLIC may execute it; low when it is pinned and its
    owner does not bypass row-level security (left to review); medium otherwise. It needs no tenant
    model. More than `isolation_group_over` such functions become one finding.

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
    Better still, drop SECURITY DEFINER when the function does not need its owner's rights. One that
    must keep them, pinned, not executable by PUBLIC and owned by a role that does not bypass row-level
    security, is still listed, at low, for review.

    ## False positives
    A reviewed SECURITY DEFINER function (a login check reading a table callers may not) stays listed
    at low. The tag is not read from a function's comment: use an `ignore-objects` entry
    (`rule = "ISO020"`, `object = "auth.check_key*"`, and a reason), or a comment on its schema,
    `COMMENT ON SCHEMA auth IS 'pg-auditor: ignore ISO020 -- reviewed definer functions'`.
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
