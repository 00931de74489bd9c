"""PAR021 partman-maintenance-unscheduled: nothing runs maintenance; the worker or pg_cron counts."""

from __future__ import annotations

from support import hits, objects, snapshot_after


def test_partman_monthly_set_with_nothing_scheduling_maintenance(partman, partman_ddl):
    snap = snapshot_after(partman, partman_ddl)
    assert snap.installed("pg_partman").installed_version.startswith("4.")
    found = hits(snap, "PAR021")
    assert len(found) == 1 and found[0].severity == "high"
    f = found[0]
    assert f.obj.kind == "extension" and f.evidence["sets"] == ["public.obs"]
    assert f.evidence["pg_partman_bgw_preloaded"] is False
    assert "-- ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements,pg_partman_bgw';" in f.fix
    assert f"-- ALTER SYSTEM SET pg_partman_bgw.dbname = '{snap.server.database}';" in f.fix
    # Neither pg_cron here nor the worker preloaded: nothing the script can run, the routes are comments
    # (ALTER SYSTEM of pg_partman_bgw.* fails until the library is loaded, and changes the whole server).
    assert all(line.startswith("--") for line in f.fix.splitlines())
    # A fresh set has its premade partitions: no coverage finding, and the set is not "unregistered".
    assert not hits(snap, "PAR001") and not hits(snap, "PAR002") and not hits(snap, "PAR024")
    # 4.x defaults: ignore_default_data off, no retention.
    assert objects(hits(snap, "PAR028")) == {"public.obs"}
    assert [f.severity for f in hits(snap, "PAR030")] == ["info"]


def test_partman_manual_maintenance_off_is_not_reported(partman, partman_ddl):
    snap = snapshot_after(partman, partman_ddl + "UPDATE partman.part_config SET automatic_maintenance = 'off';")
    assert not hits(snap, "PAR021")


def test_partman_bgw_or_cron_counts_as_scheduled(partman, partman_ddl, with_scheduler):
    db = snapshot_after(partman, partman_ddl).server.database
    assert not hits(with_scheduler(snapshot_after(partman, "SELECT 1"), db), "PAR021")
    other = hits(with_scheduler(snapshot_after(partman, "SELECT 1"), "some_other_db"), "PAR021")
    assert other and "does not name" in other[0].message
    job = {"jobid": 1, "jobname": "pm", "schedule": "@hourly", "command": "CALL partman.run_maintenance_proc()"}
    cron = with_scheduler(snapshot_after(partman, "SELECT 1"), None, [job | {"database": db, "active": True}])
    assert not hits(cron, "PAR021")
    inactive = with_scheduler(snapshot_after(partman, "SELECT 1"), None, [job | {"database": db, "active": False}])
    assert hits(inactive, "PAR021") and "cron.schedule(" in hits(inactive, "PAR021")[0].fix
    # pg_cron installed here: its job is the one executable line; the worker's settings stay comments.
    runs = [line for line in hits(inactive, "PAR021")[0].fix.splitlines() if not line.startswith("--")]
    assert len(runs) == 1 and runs[0].startswith("SELECT cron.schedule(")


def test_partman_5_rows_parse_and_rules(partman, as_partman, observations_ddl):
    snap = as_partman(snapshot_after(partman, observations_ddl), "5.1.0", "part_config_5.1.0.json")
    found = hits(snap, "PAR021")
    assert found and found[0].evidence["sets"] == ["public.observations"]
    assert "'CALL partman.run_maintenance_proc()'" in found[0].fix  # 5.x: the procedure, committing per set
    assert not hits(snap, "PAR028")  # 5.x default: ignore_default_data on
    assert not hits(snap, "PAR030")  # 84 months of retention, nothing left behind
    assert not hits(snap, "PAR002")  # premake 3, three months ahead
    assert not hits(snap, "PAR022")  # nothing scheduled: PAR021 says so, PAR022 stays quiet
