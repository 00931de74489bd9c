"""CON009 updated-at-without-trigger on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import by_table, hits, run_fix, snapshot_after

TRIGGER_SCHEMA = """
CREATE SCHEMA t;
CREATE FUNCTION t.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated_at = now(); RETURN NEW; END$$;
CREATE TABLE t.a (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE t.b (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE t.c (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE t.no_col (id int PRIMARY KEY);
CREATE TRIGGER set_updated_at BEFORE UPDATE ON t.a FOR EACH ROW EXECUTE FUNCTION t.touch();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON t.b FOR EACH ROW EXECUTE FUNCTION t.touch();
CREATE SCHEMA orm;
CREATE TABLE orm.x (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE orm.y (id int PRIMARY KEY, updated_at timestamptz);
"""


def test_updated_at_without_trigger(conn):
    found = by_table(hits(snapshot_after(conn, TRIGGER_SCHEMA), "CON009"))
    assert set(found) == {"c"}  # orm.* have no triggers anywhere: the ORM's job, not judged
    assert found["c"].evidence["function_used_elsewhere"] == "t.touch"
    run_fix(conn, found["c"].fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON009")


def test_updated_at_trigger_disabled_counts_as_missing(conn):
    ddl = (
        TRIGGER_SCHEMA
        + """
    CREATE TABLE t.d (id int PRIMARY KEY, updated_at timestamptz);
    CREATE TRIGGER set_updated_at BEFORE UPDATE ON t.d FOR EACH ROW EXECUTE FUNCTION t.touch();
    ALTER TABLE t.b DISABLE TRIGGER set_updated_at;
    """
    )
    found = by_table(hits(snapshot_after(conn, ddl), "CON009"))
    assert set(found) == {"b", "c"}
    assert found["b"].fix.startswith("ALTER TABLE t.b ENABLE TRIGGER set_updated_at;")
    run_fix(conn, found["b"].fix)
    assert set(by_table(hits(snapshot_after(conn, "SELECT 1"), "CON009"))) == {"c"}
