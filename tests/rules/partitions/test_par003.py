"""PAR003 range-partition-gap: gaps between range bounds, ordered and by bound text, and the fix."""

from __future__ import annotations

from support import hits, snapshot_after


def test_gaps(conn, by_table, gaps_ddl, run_fix):
    snap = snapshot_after(conn, gaps_ddl)
    found = by_table(hits(snap, "PAR003"))
    assert set(found) == {"gappy", "texty"}
    gappy = found["gappy"]
    assert gappy.severity == "high" and gappy.evidence["gaps"][0]["after"] == "gappy_2024_01"
    assert "FROM ('2024-02-01') TO ('2024-03-01')" in gappy.fix and "t.gappy_2024_02" in gappy.fix
    # An unordered key type is judged by bound text; with a default, rows in the gap are not lost.
    assert found["texty"].severity == "medium"
    run_fix(conn, gappy.fix)
    assert "gappy" not in by_table(hits(snapshot_after(conn, "SELECT 1"), "PAR003"))
