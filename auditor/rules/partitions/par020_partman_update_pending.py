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

    ## Why is this bad?
    The package was upgraded but `ALTER EXTENSION pg_partman UPDATE` never ran: the SQL functions are
    the old ones (with the bugs fixed since), while a newer background worker library may already be
    loaded; pg_partman 5.3.1+ warns about the mismatch and on PostgreSQL 18 refuses it.

    ## Example
    pg_partman 4.7.2 installed, the server's package at 4.7.4 (or 5.1.0).

    ## Fix
    ```sql
    ALTER EXTENSION pg_partman UPDATE;
    ```
    From 4.x to 5.x read the upgrade notes first: trigger-based sets block it (PAR026), part_config is
    recreated (grants on it are lost) and quarterly/weekly suffixes stop working (PAR027).
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
