"""ISO025 function-search-path-mutable: every function without a pinned search_path, once (definers: ISO020)."""

from __future__ import annotations

from support import hits, objects, run_fix, snapshot_after

SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE app.notes (id bigint PRIMARY KEY, body text, updated_at timestamptz);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
SET LOCAL search_path = app, public;
CREATE FUNCTION app.note_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM notes';
CREATE PROCEDURE app."Purge"(n int) LANGUAGE sql AS 'DELETE FROM app.notes WHERE id < n';
CREATE FUNCTION app.pinned() RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
CREATE FUNCTION app.definer() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*) FROM app.notes';
"""


def test_unpinned_functions_once_each(conn):
    snap = snapshot_after(conn, SCHEMA)
    found = hits(snap, "ISO025")
    assert objects(found) == {"app.touch()", "app.note_count()", 'app."Purge"(IN n integer)'}
    fixes = {f.obj.name: f.fix for f in found}
    assert fixes["touch()"] == "ALTER FUNCTION app.touch() SET search_path = pg_catalog, pg_temp;"
    # the body names notes unqualified: its own schema stays on the path
    assert fixes["note_count()"].startswith("ALTER FUNCTION app.note_count() SET search_path = app, pg_temp;")
    assert fixes["Purge(IN n integer)"].startswith('ALTER PROCEDURE app."Purge"(IN n integer) SET search_path')
    # the SECURITY DEFINER one is ISO020's finding, not a second one here
    assert "app.definer()" in objects(hits(snap, "ISO020"))
    for f in found:
        run_fix(conn, f.fix)
    assert hits(snapshot_after(conn, "SELECT 1"), "ISO025") == []
    assert conn.execute("SELECT app.note_count()").fetchone()[0] == 0  # still resolves notes


def test_pinned_functions_are_silent(conn):
    snap = snapshot_after(conn, "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = '' AS 'SELECT 1';")
    assert hits(snap, "ISO025") == []
