"""CON004 set-null-on-not-null-column on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import by_table, hits, run_fix, snapshot_after

SET_NULL_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.users (id bigint PRIMARY KEY, org bigint NOT NULL, UNIQUE (org, id));
CREATE TABLE t.bad (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES t.users ON DELETE SET NULL);
CREATE TABLE t.fine (id bigint PRIMARY KEY, user_id bigint REFERENCES t.users ON DELETE SET NULL);
CREATE TABLE t.no_default (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES t.users ON DELETE SET DEFAULT);
CREATE TABLE t.with_default (id bigint PRIMARY KEY,
                             user_id bigint NOT NULL DEFAULT 0 REFERENCES t.users ON DELETE SET DEFAULT);
"""


SET_NULL_COLUMNS = """
CREATE TABLE t.cols (id bigint PRIMARY KEY, org bigint NOT NULL, user_id bigint,
                     FOREIGN KEY (org, user_id) REFERENCES t.users (org, id) ON DELETE SET NULL (user_id));
"""


def test_set_null_on_not_null(conn, pg_server):
    ddl = SET_NULL_SCHEMA + (SET_NULL_COLUMNS if pg_server.major >= 15 else "")  # SET NULL (columns): 15+
    found = by_table(hits(snapshot_after(conn, ddl), "CON004"))
    assert set(found) == {"bad", "no_default"}
    assert found["bad"].evidence["columns"] == ["user_id"]
    # the fix runs whole (the other alternative is comments) and the delete that would have failed now works
    run_fix(conn, found["bad"].fix)
    conn.execute("INSERT INTO t.users VALUES (1, 1); INSERT INTO t.bad VALUES (1, 1); DELETE FROM t.users")
    # SET DEFAULT: nothing runs (the default is the DBA's to choose); the CASCADE alternative, uncommented, does
    assert not [line for line in found["no_default"].fix.splitlines() if not line.startswith("--")]
    run_fix(conn, uncomment(found["no_default"].fix.split("-- or delete the rows with their parent:\n")[1]))
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON004")


def uncomment(block: str) -> str:
    """An alternative printed as comments, as the DBA who chooses it runs it."""
    return "\n".join(line.removeprefix("-- ") for line in block.splitlines())


def test_not_null_by_check_counts(conn):
    """A validated CHECK (col IS NOT NULL) makes ON DELETE SET NULL fail just as NOT NULL does; the fix drops
    the CHECK (DROP NOT NULL would do nothing)."""
    ddl = """
    CREATE SCHEMA k;
    CREATE TABLE k.users (id bigint PRIMARY KEY);
    CREATE TABLE k.notes (id bigint PRIMARY KEY, user_id bigint REFERENCES k.users ON DELETE SET NULL,
                          CONSTRAINT check_user CHECK (user_id IS NOT NULL));
    """
    (found,) = [f for f in hits(snapshot_after(conn, ddl), "CON004") if f.obj.schema == "k"]
    keep = found.fix.split("-- or, instead, delete them with it")[0]
    assert "DROP CONSTRAINT check_user" in keep
    run_fix(conn, keep)
    assert not [f for f in hits(snapshot_after(conn, "SELECT 1"), "CON004") if f.obj.schema == "k"]


def test_set_null_on_update_only(conn):
    """A key whose ON DELETE does not set (CASCADE) but whose ON UPDATE SETs NULL is judged as well: the rule
    skips the keys that set nothing before it builds their definitions, and must not skip this one."""
    ddl = """
    CREATE SCHEMA u;
    CREATE TABLE u.users (id bigint PRIMARY KEY);
    CREATE TABLE u.bad (id bigint PRIMARY KEY,
                        user_id bigint NOT NULL REFERENCES u.users ON DELETE CASCADE ON UPDATE SET NULL);
    CREATE TABLE u.fine (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES u.users ON DELETE CASCADE);
    """
    found = by_table(hits(snapshot_after(conn, ddl), "CON004"))
    assert set(found) == {"bad"}
    assert found["bad"].message.startswith("ON UPDATE SET NULL on NOT NULL column(s) user_id")
    run_fix(conn, found["bad"].fix)
    conn.execute("INSERT INTO u.users VALUES (1); INSERT INTO u.bad VALUES (1, 1); UPDATE u.users SET id = 2")
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON004")
