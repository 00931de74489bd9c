"""PAR025 partman-template-drift: a template index older children lack, and the fix."""

from __future__ import annotations

from support import hits, snapshot_after


def test_partman_template_drift(partman, monthly, partman_ddl, run_fix):
    snap = snapshot_after(partman, partman_ddl + "CREATE UNIQUE INDEX ON partman.template_public_obs (id);")
    found = hits(snap, "PAR025")
    assert len(found) == 1 and found[0].obj.table == "obs" and found[0].severity == "medium"
    assert len(found[0].evidence["children_without"]) == 8  # 7 monthly children and the default
    run_fix(partman, found[0].fix)
    assert not hits(snapshot_after(partman, "SELECT 1"), "PAR025")
