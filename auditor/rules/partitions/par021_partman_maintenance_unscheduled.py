"""PAR021: pg_partman sets that nothing maintains (no background worker, no pg_cron job)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.analysis.partman import maintenance_call, parent_of, scheduler
from auditor.base.names import quote_ident, quote_literal
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import configured_sets
from auditor.rules.registry import Hit, Obj, rule


@rule(
    "PAR021",
    "partman-maintenance-unscheduled",
    severity="high",
    subject="extension",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_maintenance_unscheduled(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman sets with automatic maintenance on, and nothing that runs it.

    ## Why it matters
    pg_partman creates future partitions and applies retention only when `run_maintenance` runs. It
    runs from its background worker (`pg_partman_bgw` in `shared_preload_libraries` and
    `pg_partman_bgw.dbname` naming this database) or from a scheduler such as pg_cron. With neither, the
    premade partitions run out and rows go to the default (or fail), typically months after setup.

    ## What it checks
    pg_partman sets whose `automatic_maintenance` is on and whose parent exists. They count as maintained
    when the background worker is preloaded with `pg_partman_bgw.dbname` naming this database, or when an
    active pg_cron job of this database calls `run_maintenance`. One finding for the extension, listing the
    sets. High; medium when pg_cron lives in another database (`cron.database_name`) or its job table could
    not be read, since a job may exist there.

    ## Bad
    ```sql
    -- A monthly set created on a server without the background worker, and no pg_cron job.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');  -- 5.x: (..., '1 month')
    ```

    ## Good (not run: needs pg_cron installed, or pg_partman_bgw in shared_preload_libraries and a restart)
    ```sql
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');
    SELECT cron.schedule('pg_partman maintenance', '7 * * * *', $$SELECT partman.run_maintenance()$$);
    ```

    ## Fix
    Schedule it with pg_cron, or configure the background worker (needs a restart). Only the pg_cron job,
    where pg_cron is installed in this database, is an executable line of the fix; the worker's settings
    change the whole server and are printed as comments for the DBA (the library must be preloaded, and
    the server restarted, before `pg_partman_bgw.*` can be set):
    ```sql
    SELECT cron.schedule('pg_partman maintenance', '7 * * * *', $$CALL partman.run_maintenance_proc()$$);
    -- or
    ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements,pg_partman_bgw';  -- then restart
    ALTER SYSTEM SET pg_partman_bgw.dbname = 'app';
    ALTER SYSTEM SET pg_partman_bgw.interval = 3600;
    SELECT pg_reload_conf();
    ```

    ## False positives
    Maintenance run by something the auditor cannot see (a cron job on an application host, a Kubernetes
    CronJob, pg_cron in another database whose job table this role cannot read) keeps the sets healthy; PAR001
    and PAR002 would show it failing. Ignore the rule in the config with `[[tool.pg-auditor.ignore-objects]]`
    (`rule = "PAR021"`, `object = "pg_partman"`, `reason = "maintained by the app's hourly job"`), or set
    `automatic_maintenance = 'off'` on sets that are maintained by explicit `run_maintenance('schema.table')`
    calls.
    """
    sets = [p for p in configured_sets(snap) if p.maintained and parent_of(snap, p) is not None]
    if not sets:
        return
    sched = scheduler(snap)
    if sched.scheduled:
        return
    db = snap.server.database
    ev: dict[str, Any] = {
        "sets": [p.parent_table for p in sets],
        "pg_partman_bgw_preloaded": sched.bgw_preloaded,
        "pg_partman_bgw.dbname": (snap.server.settings or {}).get("pg_partman_bgw.dbname"),
        "pg_cron_installed_here": snap.installed("pg_cron") is not None,
        "cron.database_name": sched.cron_database,
    }
    severity = "high"
    note = ""
    if sched.cron_database and sched.cron_database != db:
        severity = "medium"
        note = f"; pg_cron lives in database {sched.cron_database}, whose jobs cannot be read from here"
    elif snap.installed("pg_cron") and not sched.cron_readable:
        severity = "medium"
        note = "; cron.job could not be read"
    call = maintenance_call(snap)
    job = quote_literal(call.rstrip(";"))
    # Only a pg_cron job of this database is a statement the script can run; the other routes change another
    # database or the whole server (and need a restart), so they are the DBA's to run, printed as comments.
    fix: list[str] = []
    if sched.cron_database and sched.cron_database != db:
        fix.append(
            f"-- pg_cron lives in database {quote_ident(sched.cron_database)}: run this there, not here:\n"
            f"-- SELECT cron.schedule_in_database({quote_literal('pg_partman maintenance ' + db)}, '7 * * * *', "
            f"{job}, {quote_literal(db)});"
        )
    elif snap.installed("pg_cron"):
        fix.append(f"SELECT cron.schedule('pg_partman maintenance', '7 * * * *', {job});")
    else:
        fix.append(
            "-- with pg_cron (CREATE EXTENSION pg_cron in the database cron.database_name names):\n"
            f"-- SELECT cron.schedule('pg_partman maintenance', '7 * * * *', {job});"
        )
    preload = [p for p in (snap.server.preloaded or []) if p != "pg_partman_bgw"] + ["pg_partman_bgw"]
    fix.append(
        "-- or the background worker, for the whole server: pg_partman_bgw.* is unknown until the library is\n"
        "-- loaded, so set shared_preload_libraries, restart the server, then set the worker's parameters\n"
        "-- and reload (SELECT pg_reload_conf()):\n"
        f"-- ALTER SYSTEM SET shared_preload_libraries = {quote_literal(','.join(preload))};\n"
        f"-- ALTER SYSTEM SET pg_partman_bgw.dbname = {quote_literal(db)};\n"
        "-- ALTER SYSTEM SET pg_partman_bgw.interval = 3600;\n"
        f"-- ALTER SYSTEM SET pg_partman_bgw.role = {quote_literal(snap.server.current_user)};"
    )
    if sched.bgw_preloaded and not sched.bgw_dbnames:
        note += f"; pg_partman_bgw is preloaded but pg_partman_bgw.dbname does not name {db}"
    yield Hit(
        obj=Obj("extension", name="pg_partman"),
        message=f"{len(sets)} pg_partman set(s) with automatic_maintenance on, but no background worker and no "
        f"pg_cron job runs maintenance for this database{note}",
        evidence=ev,
        fix="\n".join(fix),
        severity=severity,
    )
