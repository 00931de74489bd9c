"""PAR004 hash-remainder-missing: missing remainders, their fix, and sub-partitions rolled up to the root."""

from __future__ import annotations

from support import hits, snapshot_after

HASH = """
CREATE SCHEMA t;
CREATE TABLE t.sessions (user_id bigint NOT NULL) PARTITION BY HASH (user_id);
CREATE TABLE t.sessions_p0 PARTITION OF t.sessions FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE t.sessions_p1 PARTITION OF t.sessions FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE t.sessions_p3 PARTITION OF t.sessions FOR VALUES WITH (MODULUS 4, REMAINDER 3);
CREATE TABLE t.whole (user_id bigint NOT NULL) PARTITION BY HASH (user_id);
CREATE TABLE t.whole_a PARTITION OF t.whole FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE t.whole_b PARTITION OF t.whole FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE t.whole_c PARTITION OF t.whole FOR VALUES WITH (MODULUS 4, REMAINDER 3);
"""


def test_hash_missing_remainder_and_fix(conn, by_table, run_fix):
    snap = snapshot_after(conn, HASH)
    found = by_table(hits(snap, "PAR004"))
    assert set(found) == {"sessions"}
    assert found["sessions"].evidence["missing_remainders"] == [2] and "25%" in found["sessions"].message
    run_fix(conn, found["sessions"].fix)
    conn.execute("INSERT INTO t.sessions SELECT g FROM generate_series(1, 200) g")  # every remainder has a home
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR004")


def test_subpartition_findings_count_against_their_root(conn):
    from auditor.engine import run
    from auditor.engine.config import Config

    ddl = """
CREATE SCHEMA t;
CREATE TABLE t.root (org int NOT NULL, at date NOT NULL) PARTITION BY LIST (org);
CREATE TABLE t.root_1 PARTITION OF t.root FOR VALUES IN (1) PARTITION BY HASH (at);
CREATE TABLE t.root_1_a PARTITION OF t.root_1 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
"""
    report = run(snapshot_after(conn, ddl), Config(select=["PAR"]))
    assert [f.obj.table for f in report.findings if f.code == "PAR004"] == ["root_1"]
    by_set = {w["set"]: w for w in report.scores["partitions"].working}
    assert "t.root" in by_set and [d["code"] for d in by_set["t.root"]["deductions"]] == ["PAR004"]
