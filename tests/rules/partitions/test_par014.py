"""PAR014 partitioned-parent-not-analyzed: a parent without analyze statistics, and with them."""

from __future__ import annotations

import dataclasses

from support import hits, snapshot_after


def test_parent_never_analyzed_on_a_built_snapshot(conn, uneven_ddl):
    snap = snapshot_after(conn, uneven_ddl + "INSERT INTO t.tenant_data SELECT g % 6 FROM generate_series(1, 100) g;")
    snap.tables = [dataclasses.replace(t, reltuples=20.0) if t.name.startswith("td_") else t for t in snap.tables]
    parent = snap.table_by_name[("t", "tenant_data")]
    snap.table_stats = [s for s in snap.table_stats if s.table_oid != parent.oid]
    assert [f.obj.table for f in hits(snap, "PAR014")] == ["tenant_data"]
    from auditor.catalog.model import TableStats

    snap2 = dataclasses.replace(snap)
    snap2.table_stats = [
        *snap.table_stats,
        TableStats(parent.oid, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, "2026-01-01T00:00:00+00:00", None, None),
    ]
    assert not hits(snap2, "PAR014")
