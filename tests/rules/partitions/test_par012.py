"""PAR012 uneven-partition-sizes: sizes set on a real snapshot; the default is left out."""

from __future__ import annotations

import dataclasses

from auditor.catalog.model import Snapshot

from support import hits, snapshot_after


def _sized(snap: Snapshot, sizes: dict[str, int], empty: tuple[str, ...] = ()) -> Snapshot:
    """Sizes on disk; an empty partition has index pages (total_bytes) but no heap (table_bytes 0)."""
    snap.tables = [
        dataclasses.replace(t, total_bytes=sizes[t.name], table_bytes=0 if t.name in empty else sizes[t.name])
        if t.name in sizes
        else t
        for t in snap.tables
    ]
    return snap


def test_uneven_sizes_on_a_built_snapshot(conn, uneven_ddl):
    snap = snapshot_after(conn, uneven_ddl)
    even = _sized(snap, {"td_1": 10, "td_2": 12, "td_3": 11, "td_4": 9, "td_default": 10**9})
    assert not hits(even, "PAR012")  # the default is left out
    skewed = _sized(snapshot_after(conn, "SELECT 1"), {"td_1": 10, "td_2": 12, "td_3": 11, "td_4": 800})
    found = hits(skewed, "PAR012")
    assert [f.obj.table for f in found] == ["tenant_data"] and found[0].severity == "medium"
    assert found[0].evidence["largest"].startswith("td_4")


def test_empty_partitions_do_not_make_the_median(conn, uneven_ddl):
    """Three empty partitions (16 kB of index pages each) and two with rows: no skew among the partitions that
    hold data, so nothing to report (the median over all five would be the empty size)."""
    snapshot_after(conn, uneven_ddl)
    conn.execute("CREATE TABLE t.td_5 PARTITION OF t.tenant_data FOR VALUES IN (5)")
    sizes = {"td_1": 16384, "td_2": 16384, "td_3": 16384, "td_4": 900_000, "td_5": 1_000_000}
    snap = _sized(snapshot_after(conn, "SELECT 1"), sizes, empty=("td_1", "td_2", "td_3"))
    assert not hits(snap, "PAR012")
