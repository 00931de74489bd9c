"""PAR011 inheritance-partitioning: inheritance children and rows stuck in the parent."""

from __future__ import annotations

from support import hits, snapshot_after

INHERIT = """
CREATE SCHEMA t;
CREATE TABLE t.logs (at date NOT NULL, msg text);
CREATE TABLE t.logs_2024 (CHECK (at >= '2024-01-01' AND at < '2025-01-01')) INHERITS (t.logs);
CREATE TABLE t.logs_2025 (CHECK (at >= '2025-01-01' AND at < '2026-01-01')) INHERITS (t.logs);
INSERT INTO t.logs VALUES ('2023-05-01', 'stuck in the parent');
ANALYZE t.logs;
CREATE TABLE t.plain (id int);
"""


def test_inheritance_partitioning(conn, by_table):
    snap = snapshot_after(conn, INHERIT)
    found = by_table(hits(snap, "PAR011"))
    assert set(found) == {"logs"}
    assert found["logs"].evidence["children"] == 2 and found["logs"].severity == "high"
    assert "sit in the parent" in found["logs"].message
