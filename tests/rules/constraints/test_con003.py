"""CON003 foreign-key-type-mismatch on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import by_table, hits, run_fix, snapshot_after

TYPES_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.big (id bigint PRIMARY KEY);
CREATE TABLE t.small (id int PRIMARY KEY);
CREATE TABLE t.codes (code varchar(50) PRIMARY KEY);
CREATE TABLE t.narrow (id bigint PRIMARY KEY, big_id int REFERENCES t.big);
CREATE TABLE t.wide (id bigint PRIMARY KEY, small_id bigint REFERENCES t.small);
CREATE TABLE t.short (id bigint PRIMARY KEY, code varchar(20) REFERENCES t.codes);
CREATE TABLE t.same (id bigint PRIMARY KEY, big_id bigint REFERENCES t.big, code varchar(50) REFERENCES t.codes);
CREATE TABLE t.pnarrow (big_id int REFERENCES t.big, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.pnarrow_1 PARTITION OF t.pnarrow FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
"""


def test_foreign_key_type_mismatch(conn):
    found = by_table(hits(snapshot_after(conn, TYPES_SCHEMA), "CON003"))
    assert set(found) == {"narrow", "wide", "short", "pnarrow"}  # the partition's clone of the key: not again
    assert found["narrow"].severity == "high"
    assert found["wide"].severity == "low"
    assert found["short"].severity == "medium"
    run_fix(conn, found["narrow"].fix)
    run_fix(conn, found["short"].fix)
    run_fix(conn, found["pnarrow"].fix)
    assert set(by_table(hits(snapshot_after(conn, "SELECT 1"), "CON003"))) == {"wide"}
