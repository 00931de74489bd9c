"""ISO025: a function (not SECURITY DEFINER: ISO020's) whose search_path is the caller's."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import bounded, pin_search_path_sql, search_path_pinned
from auditor.rules.registry import Hit, Obj, rule


@rule("ISO025", "function-search-path-mutable", severity="low", subject="function", requires=("functions",))
def function_search_path_mutable(snap: Snapshot) -> Iterator[Hit]:
    """Function without a pinned search_path.

    ## Why it matters
    A function that names tables, functions or operators unqualified resolves them through the
    search_path of whoever calls it. A caller (or a schema someone may create objects in) can then
    put its own `users` table or `lower()` function first, and the function reads, writes or calls
    those instead: wrong results at best, code run by a trigger or a policy at worst. A pinned
    `SET search_path` makes the function mean the same thing whoever calls it.

    ## What it checks
    Every SQL and PL/pgSQL function and procedure outside the system schemas and extensions, and
    every trigger function, with no `search_path` in its `SET` clauses (as splinter's
    `function_search_path_mutable`). SECURITY DEFINER functions are left to ISO020, which reports
    them at a higher severity with the same fix, so one function gets one finding. More than
    `isolation-group-over` such functions become one finding.

    ## Bad
    ```sql
    CREATE TABLE notes (id bigint PRIMARY KEY, body text, updated_at timestamptz);
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
    ```

    ## Good
    ```sql
    CREATE TABLE notes (id bigint PRIMARY KEY, body text, updated_at timestamptz);
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
    ```

    ## Fix
    ```sql
    ALTER FUNCTION touch() SET search_path = pg_catalog, pg_temp;
    ```
    A body that names relations unqualified gets its own schema first instead
    (`SET search_path = app, pg_temp`). One that calls an extension's functions unqualified needs
    that extension's schema on the list as well.

    ## False positives
    A function meant to follow the caller's search_path (one body for several tenant schemas, in a
    schema-per-tenant layout): ignore the rule for those with an `ignore-objects` entry
    (`rule = "ISO025"`, `object = "public.tenant_*"`).
    """
    hits = [
        Hit(
            obj=Obj("function", f.schema, None, f"{f.name}({f.arguments})"),
            message=f"function {f.signature} resolves names through the caller's search_path",
            evidence={"language": f.language, "kind": f.kind, "config": f.config},
            fix=pin_search_path_sql(f),
        )
        for f in snap.functions
        if not f.security_definer and not search_path_pinned(f)
    ]
    yield from bounded(snap, hits, "functions without a pinned search_path", "low")
