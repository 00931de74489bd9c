"""CON017 not-null-by-check: a validated CHECK (col IS NOT NULL) made a real NOT NULL; fix run, re-audited."""

from __future__ import annotations

from support import by_column, hits, run_fix, snapshot_after


def test_not_null_by_check(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.notes (id bigint PRIMARY KEY, project_id bigint, "Odd Col" bigint, pending bigint);
    ALTER TABLE t.notes ADD CONSTRAINT check_project CHECK (project_id IS NOT NULL) NOT VALID;
    ALTER TABLE t.notes VALIDATE CONSTRAINT check_project;
    ALTER TABLE t.notes ADD CONSTRAINT "Check odd" CHECK ("Odd Col" IS NOT NULL);
    ALTER TABLE t.notes ADD CONSTRAINT check_pending CHECK (pending IS NOT NULL) NOT VALID;
    """
    found = {name: f for (_, name), f in by_column(hits(snapshot_after(conn, ddl), "CON017")).items()}
    assert set(found) == {"project_id", "Odd Col"}  # the NOT VALID one is CON005's
    assert "no scan" in found["project_id"].fix
    for f in found.values():
        run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON017")
    nulls = conn.execute(
        "SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 't.notes'::regclass AND attnum > 0 ORDER BY 1"
    ).fetchall()
    assert dict(nulls) == {"Odd Col": True, "id": True, "pending": False, "project_id": True}
