"""CON011 sequence-exhaustion on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from auditor.rules import load_all

from support import hits, run_fix, snapshot_after

SEQ_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.serial_full (id serial PRIMARY KEY);
SELECT setval('t.serial_full_id_seq', 2000000000);
CREATE TABLE t.serial_fine (id serial PRIMARY KEY);
SELECT setval('t.serial_fine_id_seq', 1000);
CREATE TABLE t.ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
SELECT setval(pg_get_serial_sequence('t.ident', 'id'), 1700000000);
CREATE SEQUENCE t.shared AS bigint;
CREATE TABLE t.narrow (id int PRIMARY KEY DEFAULT nextval('t.shared'));
SELECT setval('t.shared', 1800000000);
CREATE TABLE t.child (id bigint PRIMARY KEY, parent_id int REFERENCES t.serial_full);
CREATE SEQUENCE t.cycling AS int CYCLE;
SELECT setval('t.cycling', 2100000000);
CREATE SEQUENCE t.unused;
"""


def test_sequence_exhaustion(conn):
    found = {f.obj.name: f for f in hits(snapshot_after(conn, SEQ_SCHEMA), "CON011")}
    assert set(found) == {"serial_full_id_seq", "ident_id_seq", "shared"}
    assert found["serial_full_id_seq"].severity == "high"  # 93%
    assert found["serial_full_id_seq"].evidence["referenced_by"] == ["t.child(parent_id)"]
    assert found["shared"].evidence["limited_by"] == "column type integer"  # a bigint sequence feeding an int
    for f in found.values():
        run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON011")


def test_sequence_threshold_is_configurable(conn):
    snap = snapshot_after(conn, SEQ_SCHEMA)
    snap.settings = {"sequence_used_share": 0.9}
    assert {f.obj.name for f in hits(snap, "CON011")} == {"serial_full_id_seq"}


def test_sequence_exhaustion_not_evaluated_without_privilege(conn):
    """A role that may not read any sequence gets not_evaluated, never a silent pass."""
    from auditor.engine import run_rule
    from auditor.engine.config import Config

    snap = snapshot_after(
        conn,
        SEQ_SCHEMA
        + """
        CREATE ROLE con_no_seq_reader;
        GRANT USAGE ON SCHEMA t TO con_no_seq_reader;
        SET ROLE con_no_seq_reader;
        """,
    )
    conn.execute("RESET ROLE")
    status, found = run_rule(load_all()["CON011"], snap, Config())
    assert status.status == "not_evaluated" and not found
    assert "SELECT or USAGE" in status.reason
