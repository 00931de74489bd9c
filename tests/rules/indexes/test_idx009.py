"""IDX009 low-cardinality-index on real data and planner statistics."""

from __future__ import annotations

from support import hits, snapshot_after


def test_low_cardinality(conn, run_fix, by_name, jobs_ddl):
    snap = snapshot_after(conn, jobs_ddl)
    snap.settings = {"index_min_bytes": 0}
    found = by_name(hits(snap, "IDX009"))
    assert set(found) == {"jobs_done_idx", "jobs_state_idx", "jobs_even_idx"}
    done = found["jobs_done_idx"].fix
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_done_partial_idx ON l.jobs (done) WHERE NOT done;" in done
    assert "jobs_state_partial_idx ON l.jobs (state) WHERE state <> 'ok';" in found["jobs_state_idx"].fix
    assert "spread evenly" in found["jobs_even_idx"].fix
    for f in found.values():
        run_fix(conn, f.fix.split("-- undo:")[0])
    snap = snapshot_after(conn, "SELECT 1")
    snap.settings = {"index_min_bytes": 0}
    assert hits(snap, "IDX009") == []


def test_low_cardinality_size_floor(conn, jobs_ddl):
    assert hits(snapshot_after(conn, jobs_ddl), "IDX009") == []  # 30 000 rows: under 1 MB each
