"""CON006 free-text-enum-column on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

import time

import psycopg

from scratch import scratch_database, snapshot_of
from support import by_column, hits, run_fix, snapshot_after

ENUM_SCHEMA = """
CREATE SCHEMA t;
CREATE TYPE t.mood AS ENUM ('ok', 'bad');
CREATE TABLE t.lookup (code text PRIMARY KEY);
CREATE TABLE t.tickets (id bigint PRIMARY KEY, status text NOT NULL, payment_status varchar(20),
                        severity text CHECK (severity IN ('low', 'high')), mood t.mood, kind text REFERENCES t.lookup,
                        content_type text, owner_type varchar, owner_id bigint, priority_level int, title text);
CREATE TABLE t.addresses (id bigint PRIMARY KEY, city text, zipcode text, state text,
                          shipping_city text, shipping_state text);
CREATE TABLE t.things (id bigint PRIMARY KEY, type text);
"""


def test_free_text_enum(conn):
    found = by_column(hits(snapshot_after(conn, ENUM_SCHEMA), "CON006"))
    assert set(found) == {("tickets", "status"), ("tickets", "payment_status"), ("things", "type")}
    assert found[("tickets", "status")].evidence["values_seen"] == "table is empty (no statistics to judge)"
    assert found[("tickets", "status")].fix.splitlines()[-1].startswith("-- ")  # no values: a template, commented


def test_free_text_enum_says_why_there_are_no_statistics(pg_server):
    ddl = """
        CREATE SCHEMA t;
        CREATE TABLE t.empty_analyzed (id int PRIMARY KEY, status text);
        CREATE TABLE t.never_analyzed (id int PRIMARY KEY, status text);
        INSERT INTO t.never_analyzed SELECT g, 'open' FROM generate_series(1, 100) g;
        CREATE TABLE t.many_values (id int PRIMARY KEY, status text);
        INSERT INTO t.many_values SELECT g, 'status ' || g FROM generate_series(1, 40) g;
        ANALYZE t.empty_analyzed, t.many_values;
    """
    with scratch_database(pg_server, "con006_stats", ddl) as dsn, psycopg.connect(dsn, autocommit=True) as c:
        for _ in range(50):  # committed inserts reach the cumulative statistics within a second or so
            if c.execute("SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'never_analyzed'").fetchone()[0]:
                break
            time.sleep(0.1)
        snap = snapshot_of(dsn)
        found = by_column(hits(snap, "CON006"))
        _judge_missing_statistics(c, snap, found)


def _judge_missing_statistics(conn, snap, found) -> None:
    assert snap.column_stats_of.get(("t", "empty_analyzed", "status")) is None  # ANALYZE wrote no row
    empty = found[("empty_analyzed", "status")]
    assert empty.evidence["values_seen"] == "table is empty (no statistics to judge)"
    assert empty.severity == "info" and "table is empty" in empty.message
    assert "not analyzed" not in empty.message + empty.fix and "stale" not in empty.message
    run_fix(conn, empty.fix)  # a commented template: runs as printed, changes nothing
    never = found[("never_analyzed", "status")]
    assert never.evidence["values_seen"] == "unknown (no pg_stats for this column: table never analyzed)"
    assert never.severity == "low" and "empty" not in never.message
    run_fix(conn, never.fix)
    many = found[("many_values", "status")]  # analyzed, 40 distinct of 40 rows: pg_stats lists no small set
    assert many.evidence["values_seen"].startswith("unknown (pg_stats lists no small set")
    assert many.severity == "low"


def test_free_text_enum_uses_pg_stats_values(conn):
    snap = snapshot_after(
        conn,
        ENUM_SCHEMA
        + """
        INSERT INTO t.tickets (id, status) SELECT g, (ARRAY['open', 'closed', 'pending'])[1 + g % 3]
        FROM generate_series(1, 300) g;
        ANALYZE t.tickets;
        """,
    )
    f = by_column(hits(snap, "CON006"))[("tickets", "status")]
    assert f.evidence["values_seen"] == ["closed", "open", "pending"]
    run_fix(conn, f.fix)
    assert ("tickets", "status") not in by_column(hits(snapshot_after(conn, "SELECT 1"), "CON006"))


def test_free_text_enum_spelling_variants_and_partitioned_stats(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.subs (id int PRIMARY KEY, status varchar(20));
        INSERT INTO t.subs
        SELECT g, (ARRAY['active', 'active', 'Active', 'canceled', 'cancelled', 'past_due'])[1 + g % 6]
        FROM generate_series(1, 600) g;
        CREATE TABLE t.ev (id int, at date NOT NULL, event_type text) PARTITION BY RANGE (at);
        CREATE TABLE t.ev_1 PARTITION OF t.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        INSERT INTO t.ev SELECT g, '2024-02-01', (ARRAY['a.created', 'a.deleted'])[1 + g % 2]
        FROM generate_series(1, 200) g;
        ANALYZE t.subs, t.ev;
        """,
    )
    found = by_column(hits(snap, "CON006"))
    subs = found[("subs", "status")]
    assert subs.severity == "medium"
    assert subs.evidence["spelling_variants"] == {"active": ["Active"], "canceled": ["cancelled"]}
    assert "CHECK (status IN ('active', 'canceled', 'past_due'))" in subs.fix
    assert found[("ev", "event_type")].evidence["values_seen"] == ["a.created", "a.deleted"]  # parent's own stats
    run_fix(conn, subs.fix)
    run_fix(conn, found[("ev", "event_type")].fix)  # NOT VALID then VALIDATE works on a partitioned table
    assert conn.execute("SELECT count(DISTINCT status) FROM t.subs").fetchone()[0] == 3


def test_free_text_enum_skips_rails_sti_type(conn):
    snap = snapshot_after(
        conn,
        ENUM_SCHEMA
        + """
        CREATE TABLE t.schema_migrations (version varchar PRIMARY KEY);
        CREATE TABLE t.ar_internal_metadata (key varchar PRIMARY KEY, value varchar);
        """,
    )
    assert ("things", "type") not in by_column(hits(snap, "CON006"))
