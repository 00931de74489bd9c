"""PAR022: pg_partman 5.1+ maintenance scheduled but failing, seen in maintenance_last_run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from auditor.analysis.partman import maintenance_call, parent_of, scheduler
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import ago, configured_sets, now_of, set_obj
from auditor.rules.registry import Hit, rule, threshold

PARTMAN_STALE_HOURS = threshold(
    "partman_stale_hours", 48, "hours after which pg_partman's maintenance_last_run (5.1+) counts as stale"
)


@rule(
    "PAR022",
    "partman-maintenance-stale",
    severity="high",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_maintenance_stale(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman 5.1+ set whose maintenance_last_run is old: scheduled maintenance is failing.

    ## Why it matters
    `maintenance_last_run` is updated only when that set's maintenance completes. A scheduler exists, so
    an old or empty value means it errors every time: a config row for a dropped table, rows in the
    default, a weekly/quarterly suffix after the 5.x upgrade, or a stuck advisory lock. The errors reach
    only the server log (or pg_cron's job_run_details).

    ## What it checks
    Only when something schedules maintenance (the background worker for this database, or an active
    pg_cron job; otherwise PAR021 reports that) and the config rows have a `maintenance_last_run` column
    (pg_partman 5.1+): each top-level set with automatic maintenance on whose last completed run is empty
    or older than `partman-stale-hours` (48), or twice the worker's interval when that is longer.

    ## Bad (not run: needs pg_partman 5.1+ with the background worker or pg_cron, and a maintenance that fails for days)
    ```sql
    -- maintenance_last_run three weeks old on an hourly-maintained set, because a set before it was dropped.
    SELECT parent_table, maintenance_last_run FROM partman.part_config;
    --  public.events | 2025-05-02 07:07:00+00
    ```

    ## Good (not run: needs pg_partman 5.1+ with the background worker or pg_cron)
    ```sql
    SELECT parent_table, maintenance_last_run FROM partman.part_config;
    --  public.events | (within the last hour)
    ```

    ## Fix
    Run maintenance for the set by hand and read the error; fix its cause:
    ```sql
    SELECT partman.run_maintenance('public.events');  -- read the error it raises
    ```

    ## False positives
    A set paused on purpose (`automatic_maintenance` left on while a migration holds its lock) shows as stale
    until it resumes. When maintenance runs less often than every two days by design, raise
    `partman-stale-hours` rather than ignore the rule.
    """
    sched = scheduler(snap)
    if not sched.scheduled:
        return
    now = now_of(snap)
    hours = max(PARTMAN_STALE_HOURS(snap), 2 * (sched.bgw_interval_s or 3600) / 3600)
    for pset in configured_sets(snap):
        if "maintenance_last_run" not in pset.keys or not pset.maintained or parent_of(snap, pset) is None:
            continue
        last = pset.last_run()
        if last is not None and now - last <= dt.timedelta(hours=hours):
            continue
        msg = (
            "maintenance never completed for this set"
            if last is None
            else f"last maintenance completed {ago(now - last)} ago"
        )
        yield Hit(
            obj=set_obj(snap, pset),
            message=f"{msg} although {sched.describe()} runs it",
            evidence={"maintenance_last_run": pset.maintenance_last_run, "stale_after_hours": hours},
            fix=maintenance_call(snap, pset) + "  -- read the error it raises",
        )
