"""PAR020: pg_partman's SQL objects older than the library the server has."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.registry import Hit, Obj, rule


@rule(
    "PAR020",
    "partman-update-pending",
    severity="low",
    subject="extension",
    requires=("extensions",),
)
def partman_update_pending(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman's installed version is older than the one the server has files for.

    ## Why it matters
    The package was upgraded but `ALTER EXTENSION pg_partman UPDATE` never ran: the SQL functions are
    the old ones (with the bugs fixed since), while a newer background worker library may already be
    loaded; pg_partman 5.3.1+ warns about the mismatch and on PostgreSQL 18 refuses it.

    ## What it checks
    `pg_extension.extversion` against `pg_available_extensions.default_version` for pg_partman. Low for a
    minor update, medium when the major version differs (4.x installed, 5.x available), which needs the
    upgrade steps below.

    ## Bad (not run: needs a server package newer than the installed extension, a package upgrade rather than SQL)
    ```sql
    -- pg_partman 4.7.2 installed; the server's package was upgraded to 4.7.4 (or 5.1.0) since.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman VERSION '4.7.2';
    ```

    ## Good
    ```sql
    -- Installed at the version the server's package provides.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    ```

    ## Fix
    ```sql
    ALTER EXTENSION pg_partman UPDATE;
    ```
    From 4.x to 5.x read the upgrade notes first: trigger-based sets block it (PAR026), part_config is
    recreated (grants on it are lost) and quarterly/weekly suffixes stop working (PAR027).

    ## False positives
    An update staged on purpose (the package is installed on every node first, `ALTER EXTENSION` is run in
    a later window) shows here in between: ignore it for that run with `--ignore PAR020`, or in the config
    with `[[tool.pg-auditor.ignore-objects]]` (`rule = "PAR020"`, `object = "pg_partman"`, and a reason).
    """
    ext = snap.installed("pg_partman")
    if ext is None or not ext.default_version or ext.default_version == ext.installed_version:
        return
    major_jump = (ext.installed_version or "").split(".")[0] != ext.default_version.split(".")[0]
    fix = "ALTER EXTENSION pg_partman UPDATE;"
    if major_jump:
        fix = (
            "-- a major upgrade: migrate trigger-based sets first, save grants on part_config, read UPGRADE notes\n"
            + fix
        )
    yield Hit(
        obj=Obj("extension", name="pg_partman"),
        message=f"pg_partman {ext.installed_version} is installed but {ext.default_version} is available: "
        "ALTER EXTENSION ... UPDATE never ran",
        evidence={"installed": ext.installed_version, "available": ext.default_version, "schema": ext.schema},
        fix=fix,
        severity="medium" if major_jump else "low",
    )
