"""IDX006 seq-scan-heavy-table on a real snapshot whose table counters are edited by hand."""

from __future__ import annotations

from support import hits, snapshot_after

SEQ = """
CREATE SCHEMA s;
CREATE TABLE s.hot (id bigint PRIMARY KEY, ext text);
CREATE TABLE s.fine (id bigint PRIMARY KEY);
CREATE TABLE s.probe (id bigint PRIMARY KEY);
CREATE TABLE s.ev (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE s.ev_1 PARTITION OF s.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE s.ev_2 PARTITION OF s.ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
"""


def test_seq_scan_heavy(conn, with_table_stats):
    snap = with_table_stats(
        snapshot_after(conn, SEQ),
        {
            "hot": (5_000, 250_000_000, 100),  # full scans, few index scans
            "fine": (5_000, 250_000_000, 1_000_000),  # 99.5 % index scans
            "probe": (5_000, 5_000, 0),  # LIMIT 1 probes: one row a scan
            "ev_1": (80, 4_000_000, 0),
            "ev_2": (80, 4_000_000, 0),  # 160 scans on the parent, none on a partition alone past 100
        },
    )
    found = {f.obj.table: f for f in hits(snap, "IDX006")}
    assert set(found) == {"hot", "ev"}
    assert found["hot"].evidence["rows_per_seq_scan"] == 50_000
    assert found["ev"].obj.kind == "partitioned table" and found["ev"].evidence["seq_scan"] == 160
    assert "pg_stat_statements" in found["hot"].fix
