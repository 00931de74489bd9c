"""The collector against a real server: constant round trips, snapshot files, filters."""

from __future__ import annotations

import json
import math
import time

import psycopg
import pytest

from auditor.base.errors import SnapshotError
from auditor.catalog import snapshot_file
from auditor.catalog.collect import collect
from auditor.catalog.db import Session, Target, connect
from auditor.catalog.model import SharedList, Strings


def _make_db(pg_server, name: str, tables: int) -> str:
    with psycopg.connect(pg_server.dsn_for(), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    dsn = pg_server.dsn_for(name)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TABLE parent (id bigint PRIMARY KEY, org_id bigint NOT NULL)")
        c.execute(
            "DO $$ BEGIN FOR i IN 1.." + str(tables) + " LOOP EXECUTE format("
            "'CREATE TABLE t%s (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent, status text, "
            "created_at timestamptz DEFAULT now()); CREATE INDEX ON t%s (status)', i, i); END LOOP; END $$"
        )
    return dsn


def _collect_counting(dsn: str):
    """The snapshot of a database and the number of queries it took."""
    session = connect(Target(conninfo=dsn))
    try:
        return collect(session), session.queries
    finally:
        session.conn.close()


def test_query_count_does_not_grow_with_the_schema(pg_server):
    counts = {}
    for name, n in (("small_db", 5), ("bigger_db", 400)):
        snap, counts[name] = _collect_counting(_make_db(pg_server, name, n))
        assert sum(1 for t in snap.tables if t.name.startswith("t")) == n
    assert counts["small_db"] == counts["bigger_db"]


def _make_wide_db(pg_server, name: str, tables: int) -> str:
    """A catalog of `tables` tables carrying what the issue 19 rules read (a partial unique index beside a
    full one, a reserved-word column, a tenant policy calling current_setting(), a function), created in
    batches: one transaction of 10,000 tables would outgrow the lock table."""
    with psycopg.connect(pg_server.dsn_for(), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    dsn = pg_server.dsn_for(name)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE EXTENSION pg_trgm SCHEMA public")
        c.execute("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'")
        for start in range(1, tables + 1, 500):
            c.execute(
                f"DO $$ BEGIN FOR i IN {start}..{min(start + 499, tables)} LOOP EXECUTE format("
                '\'CREATE TABLE w%s (id bigint PRIMARY KEY, org_id bigint, email text UNIQUE, "user" text, '
                "active boolean); CREATE UNIQUE INDEX ON w%s (email) WHERE active; "
                "ALTER TABLE w%s ENABLE ROW LEVEL SECURITY; CREATE POLICY tenant ON w%s "
                "USING (org_id = current_setting(''app.tenant_id'')::bigint)', i, i, i, i); END LOOP; END $$"
            )
    return dsn


@pytest.mark.slow
def test_query_count_equal_on_100_and_10000_tables(pg_server):
    """Issue 19: the new rules read no query of their own; the collector's count stays flat at scale."""
    counts = {}
    for name, n in (("wide_100", 100), ("wide_10000", 10_000)):
        snap, counts[name] = _collect_counting(_make_wide_db(pg_server, name, n))
        assert sum(1 for t in snap.tables if t.name.startswith("w")) == n
        assert len(snap.policies) == n
        with psycopg.connect(pg_server.dsn_for(), autocommit=True) as c:
            c.execute(f"DROP DATABASE {name}")
    assert counts["wide_100"] == counts["wide_10000"]


def test_queries_run_ahead_in_order_and_a_failure_stays_with_its_query(pg_server):
    """fetch_ahead: the next query runs while rows are built, yet results keep plan order, one failing
    query costs only its own section, and a caller that stops early leaves the connection usable."""
    from psycopg.rows import tuple_row

    from auditor.catalog.db import QueryUnavailable

    session = connect(Target(conninfo=pg_server.dsn_for()))
    try:
        plan = [
            ("first", "SELECT g FROM generate_series(1, 20000) g", tuple_row),
            ("missing", "SELECT * FROM no_such_table", tuple_row),
            ("slow", "SELECT pg_sleep(0.2), 1", tuple_row),
            ("last", "SELECT 'z'", tuple_row),
        ]
        got = list(session.fetch_ahead(plan))
        assert [name for name, _ in got] == ["first", "missing", "slow", "last"]
        assert len(got[0][1]) == 20000 and got[0][1][-1] == (20000,)
        assert isinstance(got[1][1], QueryUnavailable) and "no_such_table" in got[1][1].reason
        assert got[3][1] == [("z",)]
        assert session.queries == 2 * 3 + 1  # the failed one sent its set_config line
        assert session.rows == 20000 + 1 + 1

        ahead = session.fetch_ahead([(str(i), "SELECT pg_sleep(0.05)", tuple_row) for i in range(10)])
        assert next(ahead)[0] == "0"
        ahead.close()  # the worker stops after the query in flight
        assert session.fetch("after", "SELECT 42 AS answer") == [{"answer": 42}]

        # Interrupted (Ctrl-C) while the server works on a long query: the query is cancelled, not
        # waited for, and the connection stays usable.
        ahead = session.fetch_ahead([("quick", "SELECT 1", tuple_row), ("long", "SELECT pg_sleep(60)", tuple_row)])
        assert next(ahead)[0] == "quick"
        time.sleep(0.5)  # the fetch thread is now waiting on pg_sleep
        started = time.monotonic()
        ahead.close()
        assert time.monotonic() - started < 30
        assert session.fetch("after", "SELECT 43 AS answer") == [{"answer": 43}]
    finally:
        session.conn.close()


def test_snapshot_round_trip_is_lossless(conn, tmp_path):
    conn.execute("CREATE TABLE rt (id int PRIMARY KEY, note text); COMMENT ON TABLE rt IS 'x'")
    snap = collect(Session(conn=conn))
    path = tmp_path / "snap.json"
    snapshot_file.save(snap, path)
    again = snapshot_file.load(path)
    assert snapshot_file.to_dict(again) == snapshot_file.to_dict(snap)
    assert again.table_by_name[("public", "rt")].comment == "x"


def test_snapshot_rows_share_strings_and_lists_read_only(conn, tmp_path):
    """Rows keep one copy of what they repeat, read and loaded alike; a shared list cannot be changed."""
    conn.execute("CREATE TABLE sh1 (a int, b int); CREATE TABLE sh2 (a int, b int);"
                 "CREATE INDEX ON sh1 (a, b); CREATE INDEX ON sh2 (a, b)")  # fmt: skip
    snap = collect(Session(conn=conn))
    path = tmp_path / "snap.json"
    snapshot_file.save(snap, path)
    hand_made = tmp_path / "indented.json"  # not laid out as save() lays it out: read whole
    hand_made.write_text(json.dumps(snapshot_file.to_dict(snap), indent=2))
    for again in (snap, snapshot_file.load(path)):  # read from the server; loaded as save() lays it out
        one, two = (i for i in again.indexes if i.name in ("sh1_a_b_idx", "sh2_a_b_idx"))
        assert one.columns is two.columns and one.method is two.method
        with pytest.raises(TypeError, match="shared by other rows"):
            one.columns.append("c")
        assert two.columns == ["a", "b"] and one.columns + ["c"] == ["a", "b", "c"]  # noqa: RUF005 (a plain list out)
    assert snapshot_file.to_dict(snapshot_file.load(hand_made)) == snapshot_file.to_dict(snap)


def test_rows_read_from_the_server_share_integers(conn):
    """An oid is one object for every row that holds it (a table's, its columns', its indexes')."""
    conn.execute("CREATE TABLE shi (a int PRIMARY KEY, b int); CREATE INDEX ON shi (b)")
    snap = collect(Session(conn=conn))
    t = snap.table_by_name[("public", "shi")]
    assert [c.table_oid is t.oid for c in snap.columns_of[t.oid]] == [True, True]
    assert len(snap.indexes_of[t.oid]) == 2 and all(i.table_oid is t.oid for i in snap.indexes_of[t.oid])
    assert all(c.table_oid is t.oid for c in snap.constraints_of[t.oid])


def test_rows_share_integer_arrays_and_floats(conn):
    """indoption's [0] on every one-key index is one read-only list; a float repeated across rows is one
    object, and never an integer that equals it; -0.0 stays -0.0."""
    conn.execute(
        "CREATE TABLE shf1 (a int); CREATE TABLE shf2 (a int); CREATE INDEX ON shf1 (a); CREATE INDEX ON shf2 (a)"
    )
    snap = collect(Session(conn=conn))
    one, two = (i for i in snap.indexes if i.name in ("shf1_a_idx", "shf2_a_idx"))
    assert one.options == [0] and one.options is two.options
    with pytest.raises(TypeError, match="shared by other rows"):
        one.options.append(1)
    assert type(one.reltuples) is float and one.reltuples is two.reltuples
    strings = Strings()
    row = strings.values([1.0, -0.0, 0.0, 2.5, 1], (4,), (), (0, 1, 2, 3))
    again = strings.values([1.0, -0.0, 0.0, 2.5, 1], (4,), (), (0, 1, 2, 3))
    assert [type(v) for v in again] == [float, float, float, float, int]
    assert all(a is b for a, b in zip(row[:4:2], again[:4:2], strict=True)) and again[3] is row[3]
    assert math.copysign(1.0, again[1]) == -1.0 and math.copysign(1.0, again[2]) == 1.0
    # A list is shared only with lists of its own kind: [1.0] and [True] equal [1], and must not become it.
    ints = strings.list([1, None])
    assert strings.list([1, None]) is ints and type(ints) is SharedList
    for other in ([1.0, None], [True, None]):
        kept = strings.list(other)
        assert kept is other and type(kept[0]) is type(other[0])
    assert strings.list(["a", None]) is strings.list(["a", None]) != ints


def test_bad_snapshot_files_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        snapshot_file.load(bad)
    bad.write_text('{"format": 999, "server": {}}')
    with pytest.raises(SnapshotError, match="format 999 is not supported"):
        snapshot_file.load(bad)


def test_schema_filters_and_extension_objects(conn):
    conn.execute(
        "CREATE SCHEMA keep_me; CREATE SCHEMA drop_me;"
        "CREATE TABLE keep_me.a (id int PRIMARY KEY); CREATE TABLE drop_me.b (id int PRIMARY KEY);"
    )
    snap = collect(Session(conn=conn), ["keep_*"], None)
    assert {t.schema for t in snap.tables} == {"keep_me"}
    assert all(i.table_oid in snap.table_by_oid for i in snap.indexes)
    snap = collect(Session(conn=conn), None, ["drop_me"])
    assert "drop_me" not in {t.schema for t in snap.tables}
    # pg_stat_statements is an extension; its view never shows up as a user object.
    assert "pg_stat_statements" not in {v.name for v in snap.views}


def test_partitions_and_timestamps_are_deterministic_utc(conn):
    conn.execute("SET TimeZone = 'America/New_York'")
    conn.execute(
        "CREATE TABLE ev (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
        "CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01 00:00+00') TO ('2024-02-01 00:00+00');"
    )
    snap = collect(Session(conn=conn))
    part = snap.table_by_name[("public", "ev_2024")]
    assert part.partition_bound == "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')"
    assert snap.table_by_oid[part.parent_oid].partition_key_columns == ["at"]
    assert snap.server.collected_at.endswith("+00:00")
