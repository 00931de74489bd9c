"""CON005 constraint-not-validated on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import hits, run_fix, snapshot_after


def test_not_valid_constraints(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.p (id bigint PRIMARY KEY);
        CREATE TABLE t.c (id bigint PRIMARY KEY, p_id bigint, qty int);
        ALTER TABLE t.c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES t.p NOT VALID;
        ALTER TABLE t.c ADD CONSTRAINT "Qty Positive" CHECK (qty > 0) NOT VALID;
        ALTER TABLE t.c ADD CONSTRAINT qty_small CHECK (qty < 100);
        """,
    )
    found = {f.obj.name: f for f in hits(snap, "CON005")}
    assert set(found) == {"c_p_fk", "Qty Positive"}
    for f in found.values():
        run_fix(conn, f.fix)
    assert found["Qty Positive"].fix == 'ALTER TABLE t.c VALIDATE CONSTRAINT "Qty Positive";'
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON005")
