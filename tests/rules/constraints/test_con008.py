"""CON008 timestamp-without-time-zone on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

import psycopg
import pytest

from support import by_table, hits, run_fix, snapshot_after


def test_timestamp_without_time_zone(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.a (id int PRIMARY KEY, created_at timestamp, updated_at timestamp(6), ok timestamptz);
    CREATE TABLE t.b (id int PRIMARY KEY, at timestamptz);
    CREATE TABLE t.c (id int PRIMARY KEY, at timestamptz);
    CREATE TABLE t.p (id int, at timestamp NOT NULL, seen timestamp) PARTITION BY RANGE (at);
    CREATE TABLE t.p_1 PARTITION OF t.p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    """
    found = by_table(hits(snapshot_after(conn, ddl), "CON008"))
    assert set(found) == {"a", "p"}
    assert found["a"].evidence["columns"] == ["created_at", "updated_at"]
    run_fix(conn, found["a"].fix)
    assert "in the partition key" in found["p"].fix  # cannot be altered in place: said, not attempted
    run_fix(conn, found["p"].fix)
    left = by_table(hits(snapshot_after(conn, "SELECT 1"), "CON008"))
    assert set(left) == {"p"} and left["p"].evidence["columns"] == ["at"]


def test_timestamp_rolls_up_in_small_schema_when_nearly_everywhere(conn):
    ddl = "CREATE SCHEMA t;" + "".join(f"CREATE TABLE t.x{i} (id int, at timestamp);" for i in range(4))
    (f,) = hits(snapshot_after(conn, ddl + "CREATE TABLE t.y (id int, at timestamptz);"), "CON008")
    assert f.obj.kind == "schema" and "in 4 of 5 tables" in f.message


def test_timestamp_rolls_up_when_everywhere(conn):
    ddl = "CREATE SCHEMA t;" + "".join(f"CREATE TABLE t.x{i} (id int, created_at timestamp);" for i in range(12))
    (f,) = hits(snapshot_after(conn, ddl), "CON008")
    assert f.obj.kind == "schema" and f.obj.name == "t"
    assert "12 timestamp without time zone columns in 12 of 12 tables" in f.message
    assert f.evidence["most_common"] == ["created_at (12 tables)"]


def test_type_change_fix_rebuilds_the_views_that_would_block_it(conn):
    snap = snapshot_after(
        conn,
        "CREATE SCHEMA tv; CREATE TABLE tv.log (id bigint PRIMARY KEY, at timestamp NOT NULL);"
        "CREATE VIEW tv.recent AS SELECT id, at FROM tv.log; INSERT INTO tv.log VALUES (1, '2024-01-01 12:00');",
    )
    (f,) = [f for f in hits(snap, "CON008") if f.obj.schema == "tv"]
    assert "1 view(s) read these tables: dropped and recreated" in f.fix
    # ALTER ... TYPE fails while the view exists; the fix drops and recreates it in its transaction, with
    # TimeZone UTC for that transaction only (the stored wall-clock values are read as UTC).
    conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.FeatureNotSupported):
        conn.execute("ALTER TABLE tv.log ALTER COLUMN at TYPE timestamptz")
    conn.execute("ROLLBACK TO SAVEPOINT s")
    conn.execute("SET LOCAL timezone = 'Europe/Paris'")
    run_fix(conn, f.fix)
    assert conn.execute("SELECT at = '2024-01-01 12:00+00' FROM tv.recent").fetchone()[0]
    assert not [f for f in hits(snapshot_after(conn, "SELECT 1"), "CON008") if f.obj.schema == "tv"]


def test_type_change_fix_leaves_out_a_table_a_materialized_view_reads(conn):
    snap = snapshot_after(
        conn,
        "CREATE SCHEMA tm; CREATE TABLE tm.log (id bigint PRIMARY KEY, at timestamp NOT NULL);"
        "CREATE TABLE tm.other (id bigint PRIMARY KEY, at timestamp NOT NULL);"
        "CREATE MATERIALIZED VIEW tm.daily AS SELECT date_trunc('day', at) AS day, count(*) FROM tm.log GROUP BY 1;",
    )
    fixes = "\n".join(f.fix for f in hits(snap, "CON008") if f.obj.schema == "tm" or f.obj.table in ("log", "other"))
    assert "tm.daily" in fixes and "ALTER TABLE tm.log" not in fixes  # it would fail on the materialized view
    run_fix(conn, fixes)
    left = {f.obj.table for f in hits(snapshot_after(conn, "SELECT 1"), "CON008") if f.obj.schema == "tm"}
    assert left == {"log"}


def test_type_change_fix_leaves_out_a_column_an_index_predicate_compares(conn):
    # WHERE created_at >= '2023-09-12'::timestamp: as timestamptz the comparison needs the session's zone,
    # and ALTER ... TYPE fails ("functions in index predicate must be marked IMMUTABLE", lago's fees_taxes).
    snap = snapshot_after(
        conn,
        "CREATE SCHEMA tp; CREATE TABLE tp.fees (id bigint PRIMARY KEY, tax_id bigint, created_at timestamp,"
        " paid_at timestamp);"
        "CREATE UNIQUE INDEX ON tp.fees (tax_id) WHERE created_at >= '2023-09-12 00:00:00'::timestamp;",
    )
    (f,) = [f for f in hits(snap, "CON008") if f.obj.table == "fees"]
    assert "tp.fees.created_at" in f.fix and "ALTER COLUMN created_at" not in f.fix
    run_fix(conn, f.fix)
    (left,) = [f for f in hits(snapshot_after(conn, "SELECT 1"), "CON008") if f.obj.table == "fees"]
    assert left.evidence["columns"] == ["created_at"]
