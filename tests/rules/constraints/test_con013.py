"""CON013 duplicate-foreign-key on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import hits, run_fix, snapshot_after


def test_duplicate_foreign_key(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.p (id bigint PRIMARY KEY, code text UNIQUE);
    CREATE TABLE t.c (id bigint PRIMARY KEY, p_id bigint, code text,
                      CONSTRAINT a_fk FOREIGN KEY (p_id) REFERENCES t.p,
                      CONSTRAINT b_fk FOREIGN KEY (p_id) REFERENCES t.p ON DELETE CASCADE,
                      CONSTRAINT code_fk FOREIGN KEY (code) REFERENCES t.p (code));
    """
    (f,) = hits(snapshot_after(conn, ddl), "CON013")
    assert f.obj.name == "b_fk" and f.severity == "medium"  # the actions differ
    run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON013")
