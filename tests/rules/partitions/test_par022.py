"""PAR022 partman-maintenance-stale: 5.1+ maintenance_last_run never set, fresh, or old."""

from __future__ import annotations

from support import hits, snapshot_after


def test_partman_5_stale_maintenance(partman, as_partman, observations_ddl, with_scheduler):
    base = snapshot_after(partman, observations_ddl)
    db = base.server.database
    never = with_scheduler(as_partman(base, "5.1.0", "part_config_5.1.0.json"), db)
    found = hits(never, "PAR022")
    assert [f.obj.table for f in found] == ["observations"] and "never completed" in found[0].message
    assert not hits(never, "PAR021")
    fresh = with_scheduler(as_partman(snapshot_after(partman, "SELECT 1"), "5.1.0", "part_config_5.1.0.json"), db)
    fresh.partman_config[0].config["maintenance_last_run"] = fresh.server.collected_at
    assert not hits(fresh, "PAR022")
    old = with_scheduler(as_partman(snapshot_after(partman, "SELECT 1"), "5.1.0", "part_config_5.1.0.json"), db)
    old.partman_config[0].config["maintenance_last_run"] = "2020-01-01T00:00:00+00:00"
    assert "days ago" in hits(old, "PAR022")[0].message
    # 4.x rows have no maintenance_last_run column: the rule judges nothing rather than calling them stale.
    four = with_scheduler(as_partman(snapshot_after(partman, "SELECT 1"), "4.7.2", "part_config_4.7.2.json"), db)
    assert not hits(four, "PAR022")
