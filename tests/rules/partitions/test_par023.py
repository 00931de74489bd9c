"""PAR023 partman-orphaned-config: a config row for a dropped table, and the fix."""

from __future__ import annotations

from support import hits, objects, snapshot_after


def test_partman_orphaned_config(partman, partman_ddl, run_fix):
    ddl = partman_ddl + (
        "CREATE TABLE public.gone (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
        "SELECT partman.create_parent('public.gone', 'at', 'native', 'daily');"
        "DROP TABLE public.gone CASCADE;"
    )
    snap = snapshot_after(partman, ddl)
    found = hits(snap, "PAR023")
    assert [(f.obj.schema, f.obj.table) for f in found] == [("public", "gone")]
    assert found[0].severity == "critical" and found[0].evidence["sets_after_it"] == ["public.obs"]
    # Rules about sets skip the orphan instead of failing on it.
    assert objects(hits(snap, "PAR021")) == {"pg_partman"}
    run_fix(partman, found[0].fix)
    assert not hits(snapshot_after(partman, "SELECT 1"), "PAR023")
