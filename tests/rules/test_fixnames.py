"""Names fixes invent: within 63 bytes, distinct when cut, free in the snapshot and in the run."""

from __future__ import annotations

import psycopg

from auditor.base.names import fit_name, index_name
from auditor.rules.common import create_index_sql, new_name

from support import hits, run_fix, snapshot_after


def test_fit_name_keeps_short_names_as_postgresql_derives_them() -> None:
    assert fit_name(["orders", "customer_id"], "idx") == "orders_customer_id_idx"
    assert index_name("orders", ["a", "b"], "key") == "orders_a_b_key"


def test_fit_name_cuts_by_bytes_on_a_character_boundary_and_keeps_long_names_apart() -> None:
    a = fit_name(["events_" + "x" * 60 + "_2024_01", "created_at"], "idx")
    b = fit_name(["events_" + "x" * 60 + "_2024_02", "created_at"], "idx")
    assert a != b
    assert len(a.encode()) <= 63 and a.endswith("_idx")
    wide = fit_name(["é" * 40, "ü" * 40], "key")
    assert len(wide.encode()) <= 63
    wide.encode("utf-8").decode("utf-8")  # no broken character
    assert fit_name(["x" * 63], "") == "x" * 63
    assert len(fit_name(["x" * 64], "").encode()) == 63


def test_new_name_skips_names_taken_in_the_snapshot_and_in_the_run(conn: psycopg.Connection) -> None:
    long = "t" * 63
    snap = snapshot_after(
        conn,
        f"""CREATE TABLE orders (id int PRIMARY KEY, customer_id int, CONSTRAINT orders_id_check CHECK (id > 0));
            CREATE TABLE orders_customer_id_idx (x int);
            CREATE TABLE {long} (id int);""",
    )
    t = next(x for x in snap.tables if x.name == "orders")
    first = new_name(snap, t, ["orders", "customer_id"], "idx")
    assert first == "orders_customer_id_2_idx"  # a table holds the plain name
    assert new_name(snap, t, ["orders", "customer_id"], "idx") == first  # the same request, the same name
    assert new_name(snap, t, ["orders", "customer", "id"], "idx") == "orders_customer_id_3_idx"
    assert new_name(snap, t, ["orders", "id"], "check", kind="constraint") == "orders_id_2_check"
    assert new_name(snap, t, ["orders", "id"], "check", kind="constraint") == "orders_id_2_check"  # kept, as a number
    assert new_name(snap, t, ["orders", "id"], "idx") == "orders_id_idx"  # another namespace, another request
    assert new_name(snap, t, ["orders"], "pkey", kind="constraint") == "orders_2_pkey"  # orders_pkey is taken
    big = next(x for x in snap.tables if x.name == long)
    name = new_name(snap, big, [long, "id"], "idx")
    assert name != long and len(name.encode()) <= 63


def test_partition_index_names_stay_distinct_on_long_partition_names(conn: psycopg.Connection) -> None:
    stem = "events_" + "x" * 45  # partition names of 60 bytes: their index names must be cut
    snap = snapshot_after(
        conn,
        f"""CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
            CREATE TABLE {stem}_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
            CREATE TABLE {stem}_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');""",
    )
    t = next(x for x in snap.tables if x.name == "events")
    sql = create_index_sql(snap, t, ["id"])
    run_fix(conn, sql)  # the whole fix runs (in the test's transaction), \\gexec as psql runs it
    names = [
        r[0]
        for r in conn.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'public.events'::regclass)"
        )
    ]
    assert len(names) == 2 and len(set(names)) == 2 and all(len(n.encode()) <= 63 for n in names), names
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR007")
