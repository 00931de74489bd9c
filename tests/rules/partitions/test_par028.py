"""PAR028 partman-ignore-default-data-off: the 4.x default, from recorded part_config rows."""

from __future__ import annotations

from support import hits, objects, snapshot_after


def test_partman_4_fixture_rules(partman, as_partman, observations_ddl):
    snap = as_partman(snapshot_after(partman, observations_ddl), "4.7.2", "part_config_4.7.2.json")
    assert objects(hits(snap, "PAR028")) == {"public.observations"}
    assert "'SELECT partman.run_maintenance()'" in hits(snap, "PAR021")[0].fix  # 4.x: the function
