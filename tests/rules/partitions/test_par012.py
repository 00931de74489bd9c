"""PAR012 uneven-partition-sizes: sizes set on a real snapshot; the default is left out."""

from __future__ import annotations

import dataclasses

from auditor.catalog.model import Snapshot

from support import hits, snapshot_after


def _sized(snap: Snapshot, sizes: dict[str, int]) -> Snapshot:
    snap.tables = [dataclasses.replace(t, total_bytes=sizes[t.name]) if t.name in sizes else t for t in snap.tables]
    return snap


def test_uneven_sizes_on_a_built_snapshot(conn, uneven_ddl):
    snap = snapshot_after(conn, uneven_ddl)
    even = _sized(snap, {"td_1": 10, "td_2": 12, "td_3": 11, "td_4": 9, "td_default": 10**9})
    assert not hits(even, "PAR012")  # the default is left out
    skewed = _sized(snapshot_after(conn, "SELECT 1"), {"td_1": 10, "td_2": 12, "td_3": 11, "td_4": 800})
    found = hits(skewed, "PAR012")
    assert [f.obj.table for f in found] == ["tenant_data"] and found[0].severity == "medium"
    assert found[0].evidence["largest"].startswith("td_4")
