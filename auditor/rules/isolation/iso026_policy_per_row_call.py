"""ISO026: a policy that calls current_setting() or auth.uid() once per row instead of once per query."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.policy_expr import per_row_calls
from auditor.base.names import quote_ident, quote_literal, regclass_literal
from auditor.base.text import sql_comment
from auditor.catalog.db import PINNED_SEARCH_PATH
from auditor.catalog.model import Policy, Snapshot, Table
from auditor.rules.guarded import transaction
from auditor.rules.isolation._shared import bounded
from auditor.rules.registry import Hit, Obj, rule

NOT_READ = "(not read: relation locked)"


@rule("ISO026", "policy-per-row-call", severity="low", subject="policy", requires=("tables", "policies"))
def policy_per_row_call(snap: Snapshot) -> Iterator[Hit]:
    """Policy calls current_setting() or auth.uid() per row instead of once.

    ## Why it matters
    A policy's USING and WITH CHECK expressions are evaluated for every row a query touches. A
    direct `current_setting('app.tenant_id')` or `auth.uid()` in them is a function call per row: on a
    scan of a million rows, a million calls, often the larger part of the query's time. Wrapped in a
    scalar sub-select, `(SELECT current_setting('app.tenant_id'))`, it becomes an InitPlan the
    planner runs once per query and compares every row against its result. The value is the same,
    since the setting and the user do not change within a statement.

    ## What it checks
    Every policy's USING and WITH CHECK expressions, as the server prints them, for calls of
    `current_setting()`, `auth.uid()`, `auth.jwt()`, `auth.role()` and `auth.email()` outside any
    `(SELECT ...)` (as splinter's `auth_rls_initplan`). One finding per policy, with the policy
    rewritten; more than `isolation-group-over` (8) of them become one line, every rewrite in its fix.
    A call inside a sub-select is not reported: `(SELECT NULLIF(current_setting(...), '')::bigint)` is
    an InitPlan already, and one inside a correlated `EXISTS (SELECT ...)` is that
    sub-select's business (a known blind spot).

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON invoices
        USING (org_id = current_setting('app.tenant_id')::bigint)
        WITH CHECK (org_id = current_setting('app.tenant_id')::bigint);
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON invoices
        USING (org_id = (SELECT current_setting('app.tenant_id'))::bigint)
        WITH CHECK (org_id = (SELECT current_setting('app.tenant_id'))::bigint);
    ```

    ## Fix
    ```sql
    ALTER POLICY tenant ON invoices
        USING ((org_id = ((SELECT current_setting('app.tenant_id'::text)))::bigint))
        WITH CHECK ((org_id = ((SELECT current_setting('app.tenant_id'::text)))::bigint));
    ```
    The fix is the policy's own expression, as the server prints it, with each call wrapped: the
    rows it admits do not change. It runs only while the policy still reads as it did at the audit: a fix
    before it in the script that replaced or narrowed the policy (ISO006, ISO007) is not undone.

    ## False positives
    None for the rows a policy admits. On a table of a few rows the saving is too small to notice.
    """
    yield from bounded(snap, per_policy(snap), "policies that call current_setting() or auth.uid() per row", "low")


def per_policy(snap: Snapshot) -> Iterator[Hit]:
    """One hit per policy with a direct call, with the policy rewritten."""
    for p in snap.policies:
        t = snap.table_by_oid.get(p.table_oid)
        if t is None or NOT_READ in (p.using_expr, p.check_expr):
            continue
        using, using_calls = per_row_calls(p.using_expr)
        check, check_calls = per_row_calls(p.check_expr)
        if not using_calls and not check_calls:
            continue
        clauses = ([f"\n    USING ({using})"] if using else []) + ([f"\n    WITH CHECK ({check})"] if check else [])
        calls = list(dict.fromkeys(using_calls + check_calls))
        shown = ", ".join(calls[:3])
        yield Hit(
            obj=Obj("policy", t.schema, t.name, p.name),
            message=f"policy {p.name} on {t.qualified} calls {shown} once per row: wrap each in (SELECT ...)",
            evidence={"calls": calls, "using": p.using_expr, "with_check": p.check_expr},
            fix=f"-- {sql_comment(p.name)}: the same rows, each call now an InitPlan run once per query\n"
            + unchanged_then(t, p, f"ALTER POLICY {quote_ident(p.name)} ON {t.qualified}{''.join(clauses)};"),
        )


def unchanged_then(t: Table, p: Policy, statement: str) -> str:
    """The statement, run only while the policy reads as it did at the audit: an earlier fix in the script may
    have replaced it (ISO006) or narrowed it (ISO007), and rewriting it from the audited text would undo that.
    Compared under the audit's own search_path, which is how the audited text was printed."""

    def same(column: str, audited: str | None) -> str:
        value = quote_literal(audited) if audited is not None else "NULL"
        return f"pg_get_expr(p.{column}, p.polrelid, false) IS NOT DISTINCT FROM {value}"

    body = (
        f"PERFORM set_config('search_path', {quote_literal(PINNED_SEARCH_PATH)}, true);\n"
        "IF EXISTS (SELECT FROM pg_catalog.pg_policy p\n"
        f"    WHERE p.polrelid = to_regclass({regclass_literal(t.schema, t.name)})\n"
        f"    AND p.polname = {quote_literal(p.name)}\n"
        f"    AND {same('polqual', p.using_expr)}\n"
        f"    AND {same('polwithcheck', p.check_expr)})\n"
        "THEN\n" + "\n".join("  " + line for line in statement.split("\n")) + "\nELSE\n"
        "  RAISE NOTICE 'pg-auditor: policy % on % is gone or changed since the audit: left as it is', "
        f"{quote_literal(p.name)}, {quote_literal(t.qualified)};\n"
        "END IF;"
    )
    return transaction(body)
