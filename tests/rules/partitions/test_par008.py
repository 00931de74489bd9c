"""PAR008 index-on-some-partitions: a hand-made index on some partitions, built on the parent by the fix."""

from __future__ import annotations

from support import hits, snapshot_after


def test_index_on_some_partitions(conn, indexes_ddl, run_fix):
    snap = snapshot_after(conn, indexes_ddl)
    found = hits(snap, "PAR008")
    shapes = {f.evidence["index"] for f in found}
    assert shapes == {"USING btree (kind, at)"}  # body is PAR007's; (at) is on the parent
    f = found[0]
    assert f.evidence["partitions_without"] == ["ev_3"] and f.severity == "medium"
    run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR008")
