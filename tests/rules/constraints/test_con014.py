"""CON014 discouraged-column-type on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import hits, run_fix, snapshot_after


def test_discouraged_column_types(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.pay (id bigint PRIMARY KEY, amount money, raw json, currency char(3), flag char(1), doc jsonb);
    CREATE TABLE t.fine (id bigint PRIMARY KEY, amount numeric, doc jsonb);
    """
    (f,) = hits(snapshot_after(conn, ddl), "CON014")
    assert f.obj.table == "pay" and f.evidence["columns"] == {
        "amount": "money",
        "raw": "json",
        "currency": "character(3)",
    }
    run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON014")
