"""ISO024 extension-in-public: pgcrypto and pg_trgm in public are reported as extensions, with a fix that moves them."""

from __future__ import annotations

from support import hits, objects, run_fix, snapshot_after


def test_extensions_in_public_are_reported_and_moved(conn):
    snap = snapshot_after(
        conn,
        "CREATE EXTENSION pgcrypto SCHEMA public; CREATE EXTENSION pg_trgm SCHEMA public;"
        "CREATE TABLE users (id bigint PRIMARY KEY, name text, pw text DEFAULT crypt('x', gen_salt('bf')));"
        "CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);",
    )
    found = hits(snap, "ISO024")
    assert objects(found) == {"pgcrypto", "pg_trgm"}
    assert {f.obj.kind for f in found} == {"extension"}
    fix = {f.obj.name: f.fix for f in found}
    assert "ALTER EXTENSION pgcrypto SET SCHEMA extensions;" in fix["pgcrypto"]
    for f in found:
        run_fix(conn, f.fix)
    # the index and the default follow the extension: the table still works
    conn.execute("INSERT INTO public.users (id, name) VALUES (1, 'abc')")
    assert hits(snapshot_after(conn, "SELECT 1"), "ISO024") == []


def test_extension_in_its_own_schema_is_silent(conn):
    snap = snapshot_after(conn, "CREATE SCHEMA ext; CREATE EXTENSION pg_trgm SCHEMA ext;")
    assert hits(snap, "ISO024") == []


def test_a_non_relocatable_extension_has_no_fix(conn):
    snap = snapshot_after(conn, "CREATE EXTENSION pgcrypto SCHEMA public;")
    for e in snap.extensions:
        e.relocatable = False
    (f,) = hits(snap, "ISO024")
    assert f.fix is None and "not relocatable" in f.message
