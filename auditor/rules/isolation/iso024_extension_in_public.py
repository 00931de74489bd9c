"""ISO024: an extension installed in the public schema, beside the application's objects."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.registry import Hit, Obj, rule

TARGET_SCHEMA = "extensions"


@rule("ISO024", "extension-in-public", severity="low", subject="extension", requires=("extensions",))
def extension_in_public(snap: Snapshot) -> Iterator[Hit]:
    """Extension installed in the public schema.

    ## Why it matters
    An extension's functions, operators and types land beside the application's tables in `public`,
    where every role has them on its search_path and, before PostgreSQL 15, may create objects of its
    own: a function with the same name and a better-matching signature then runs in its place for
    callers that do not qualify the name. Kept in a schema of their own, extensions are granted and
    upgraded apart from the application, and `public` holds only the application's objects.

    ## What it checks
    Every installed extension whose schema is `public` (as splinter's `extension_in_public`). The fix
    moves a relocatable one to a schema named `extensions`; one that is not relocatable can only be
    dropped and created again in the new schema, which drops what depends on it: that is left to the
    DBA, and the finding has no fix.

    ## Bad
    ```sql
    CREATE EXTENSION pgcrypto SCHEMA public;
    CREATE EXTENSION pg_trgm SCHEMA public;
    ```

    ## Good
    ```sql
    CREATE SCHEMA extensions;
    CREATE EXTENSION pgcrypto SCHEMA extensions;
    CREATE EXTENSION pg_trgm SCHEMA extensions;
    ```

    ## Fix
    ```sql
    CREATE SCHEMA IF NOT EXISTS extensions;
    ALTER EXTENSION pgcrypto SET SCHEMA extensions;
    ```
    Indexes and column defaults keep working (they refer to the functions and operator classes by
    OID). Code that calls the functions unqualified (`crypt(...)`, `similarity(...)`) needs the new
    schema on its search_path: `ALTER ROLE app SET search_path = "$user", public, extensions`, or
    `extensions.crypt(...)`; a function pinned with `SET search_path = public` needs it too.

    ## False positives
    An extension that must stay in `public` because other tools look for it there. Ignore the rule
    for it with an `ignore-objects` entry (`rule = "ISO024"`, `object = "postgis"`).
    """
    for ext in sorted(snap.extensions, key=lambda e: e.name):
        if not ext.installed_version or ext.schema != "public":
            continue
        fix = None
        if ext.relocatable:
            fix = (
                f"CREATE SCHEMA IF NOT EXISTS {quote_ident(TARGET_SCHEMA)};\n"
                f"ALTER EXTENSION {quote_ident(ext.name)} SET SCHEMA {quote_ident(TARGET_SCHEMA)};\n"
                "-- callers naming its functions unqualified need the schema on their search_path"
            )
        how = (
            "move it with ALTER EXTENSION ... SET SCHEMA"
            if ext.relocatable
            else "it is not relocatable: drop and create it again in another schema (this drops what depends on it)"
        )
        yield Hit(
            obj=Obj("extension", name=ext.name),
            message=f"extension {ext.name} is installed in public: {how}",
            evidence={"version": ext.installed_version, "relocatable": ext.relocatable},
            fix=fix,
        )
