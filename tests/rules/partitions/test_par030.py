"""PAR030 partman-retention: retention shorter than one interval, and tables left behind."""

from __future__ import annotations

from support import hits, snapshot_after


def test_partman_retention(partman, partman_ddl, run_fix):
    snap = snapshot_after(
        partman,
        partman_ddl + "UPDATE partman.part_config SET retention = '1 day';"
        "CREATE TABLE public.obs_p2020_01 (LIKE public.obs);",
    )
    found = {f.members: f for f in hits(snap, "PAR030")}
    assert set(found) == {("short",), ("leftovers",)}
    assert found[("short",)].severity == "high" and "'3 months'" in found[("short",)].fix
    assert found[("leftovers",)].evidence["tables"] == ["obs_p2020_01"]
    run_fix(partman, found[("short",)].fix)
    assert ("short",) not in {f.members for f in hits(snapshot_after(partman, "SELECT 1"), "PAR030")}
