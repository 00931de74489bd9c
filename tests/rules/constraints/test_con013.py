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
    # the actions differ: nothing runs, and the pair is named by its first key by name, a_fk, so validating
    # either key (CON005's fix) leaves it the same finding
    assert f.obj.name == "a_fk" and f.severity == "medium"
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


def test_a_pair_with_different_actions_keeps_its_name_when_either_is_validated(conn):
    # GitLab's project_saved_replies: fk_rails_... (NO ACTION) and a newer NOT VALID fk_... (CASCADE). CON005's fix
    # validates the newer one; the finding (whose fix runs nothing) must stay the same finding.
    ddl = (
        "CREATE SCHEMA dk; CREATE TABLE dk.p (id bigint PRIMARY KEY);"
        "CREATE TABLE dk.c (id bigint PRIMARY KEY, p_id bigint);"
        "ALTER TABLE dk.c ADD CONSTRAINT fk_rails_old FOREIGN KEY (p_id) REFERENCES dk.p;"
        "ALTER TABLE dk.c ADD CONSTRAINT fk_new FOREIGN KEY (p_id) REFERENCES dk.p ON DELETE CASCADE NOT VALID;"
    )
    (before,) = [f for f in hits(snapshot_after(conn, ddl), "CON013") if f.obj.schema == "dk"]
    (after,) = [
        f
        for f in hits(snapshot_after(conn, "ALTER TABLE dk.c VALIDATE CONSTRAINT fk_new"), "CON013")
        if f.obj.schema == "dk"
    ]
    assert before.obj.name == after.obj.name == "fk_new"
