"""ISO016: a default tenant turns a forgotten SET into another tenant's rows."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.tenancy import setting_defaults, tenancy
from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import _db
from auditor.rules.registry import Hit, Obj, rule


@rule("ISO016", "tenant-setting-default", severity="high", subject="role", requires=("role_settings",))
def tenant_setting_default(snap: Snapshot) -> Iterator[Hit]:
    """Tenant setting with a default from ALTER ROLE or ALTER DATABASE ... SET.

    ## Why it matters
    A session that never sets its tenant silently reads and writes the default tenant's rows
    instead of failing. The same holds for a pooled connection reused without a reset.

    ## What it checks
    Defaults stored by `ALTER ROLE ... SET`, `ALTER ROLE ... IN DATABASE ... SET`,
    `ALTER DATABASE ... SET` and `ALTER ROLE ALL SET` that reach the audited database, for tenant
    settings: those the policies compare the tenant with (or thresholds.tenant_settings), and custom
    settings whose name after the dot mentions a tenant, org, account, workspace, company or team.
    Defaults for other databases are not read. It needs no tenant table: the default alone is the
    defect.

    ## Bad
    ```sql
    CREATE ROLE app_user LOGIN;
    ALTER ROLE app_user SET app.tenant_id = '1';
    ```

    ## Good
    ```sql
    CREATE ROLE app_user LOGIN;
    ALTER ROLE app_user SET statement_timeout = '30s';  -- defaults are fine, just not for the tenant
    ```

    ## Fix
    ```sql
    ALTER ROLE app_user RESET app.tenant_id;
    ```
    For a default set on the database, `ALTER DATABASE ... RESET`; for `ALTER ROLE ALL SET`,
    `ALTER ROLE ALL RESET` (ALTER DATABASE ... RESET leaves that one).

    ## False positives
    A default that no tenant can match, set so that a forgetful session fails closed (an empty value
    with policies that read `NULLIF(current_setting(...), '')`), is safe. Findings are about a role or
    the database, so no comment covers them; accept one with an `ignore-objects` entry
    (`rule = "ISO016"`, `object = "app_user"`, and a reason), or leave the rule out with
    `--ignore ISO016`.
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
