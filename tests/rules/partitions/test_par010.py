"""PAR010 detach-pending: a partition stuck half-detached, on a built snapshot."""

from __future__ import annotations

import dataclasses

from support import hits, snapshot_after


def test_detach_pending_on_a_built_snapshot(conn, gaps_ddl):
    snap = snapshot_after(conn, gaps_ddl)
    snap.tables = [dataclasses.replace(t, detach_pending=t.name == "tight_2") for t in snap.tables]
    found = hits(snap, "PAR010")
    assert [f.obj.table for f in found] == ["tight"]
    assert found[0].fix == "ALTER TABLE t.tight DETACH PARTITION t.tight_2 FINALIZE;"
    # A detach-pending partition is left out of the layout: the set now ends at 10 and has no gap.
    assert not hits(snap, "PAR003") or "tight" not in {f.obj.table for f in hits(snap, "PAR003")}
