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
    assert f.obj.name == "b_fk" and f.severity == "medium"  # the actions differ: a_fk, the older, is kept
    assert all(line.startswith("--") for line in f.fix.splitlines())  # which one the app needs is the DBA's call
    chosen = f.fix.split("-- or keep this one")[0]
    run_fix(conn, "\n".join(line.removeprefix("-- ") for line in chosen.splitlines()[1:]))
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON013")


def test_the_strongest_key_is_kept_and_the_drop_is_guarded(conn):
    """A validated key is kept over a NOT VALID one whatever their names; the same actions make the fix run."""
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.p (id bigint PRIMARY KEY);
    CREATE TABLE t.c (id bigint PRIMARY KEY, p_id bigint);
    ALTER TABLE t.c ADD CONSTRAINT a_fk FOREIGN KEY (p_id) REFERENCES t.p NOT VALID;
    ALTER TABLE t.c ADD CONSTRAINT z_fk FOREIGN KEY (p_id) REFERENCES t.p;
    """
    (f,) = hits(snapshot_after(conn, ddl), "CON013")
    assert f.obj.name == "a_fk" and f.severity == "low"
    run_fix(conn, f.fix)
    names = {n for (n,) in conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = 't.c'::regclass")}
    assert names == {"c_pkey", "z_fk"}
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON013")
