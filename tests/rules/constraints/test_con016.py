"""CON016 boolean-stored-as-text on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import by_column, hits, run_fix, snapshot_after


def test_boolean_stored_as_text(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.u (id int PRIMARY KEY, is_admin varchar(1) DEFAULT 'N', active text, grade text, country text);
        INSERT INTO t.u SELECT g, CASE WHEN g % 2 = 0 THEN 'Y' ELSE 'N' END,
               CASE WHEN g % 3 = 0 THEN 'true' ELSE 'false' END, (ARRAY['A', 'B', 'C'])[1 + g % 3], 'NO'
        FROM generate_series(1, 200) g;
        ANALYZE t.u;
        """,
    )
    found = by_column(hits(snap, "CON016"))
    assert set(found) == {("u", "is_admin"), ("u", "active")}
    assert found[("u", "is_admin")].evidence["values_seen"] == ["N", "Y"]
    for f in found.values():
        run_fix(conn, f.fix)
    assert conn.execute("SELECT count(*) FROM t.u WHERE is_admin").fetchone()[0] == 100
    assert not hits(snapshot_after(conn, "ANALYZE t.u"), "CON016")
