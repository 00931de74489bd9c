"""PAR015 partitioning-candidate: thresholds, time columns and append-only names."""

from __future__ import annotations

from support import hits, snapshot_after

CANDIDATES = """
CREATE SCHEMA t;
CREATE TABLE t.audit_log (id bigint, occurred_at timestamptz NOT NULL DEFAULT now(), what text);
INSERT INTO t.audit_log (id) SELECT generate_series(1, 3000);
CREATE TABLE t.customers (id bigint, name text);
INSERT INTO t.customers SELECT generate_series(1, 3000);
CREATE TABLE t.small_log (id bigint, at timestamptz);
ANALYZE t.audit_log, t.customers;
"""


def test_partitioning_candidates(conn, by_table):
    snap = snapshot_after(conn, CANDIDATES)
    assert not hits(snap, "PAR015")  # defaults: 50 GB / 100 M rows
    snap.settings = {"partition_candidate_rows": 1000}
    found = by_table(hits(snap, "PAR015"))
    assert set(found) == {"audit_log", "customers"}
    assert found["audit_log"].severity == "medium" and found["audit_log"].evidence["time_column"] == "occurred_at"
    assert found["customers"].severity == "low"
