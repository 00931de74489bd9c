"""IDX003 redundant-index: left prefixes, what is not redundant, and the split with IDX002."""

from __future__ import annotations

import psycopg
import pytest

from support import hits, snapshot_after

REDUNDANT = """
CREATE SCHEMA r;
CREATE TABLE r.t (id bigint PRIMARY KEY, a int, b int, c int, s text, deleted_at timestamptz);
CREATE INDEX short_ab ON r.t (a);                                  -- prefix of long_ab: redundant
CREATE INDEX long_ab ON r.t (a, b);
CREATE UNIQUE INDEX uq_b ON r.t (b);                               -- unique prefix of b_c: kept
CREATE INDEX b_c ON r.t (b, c);
CREATE INDEX c_only ON r.t (c);                                    -- prefix of c_b, not of b_c
CREATE INDEX part_s ON r.t (s) WHERE deleted_at IS NULL;           -- partial vs full (s, a): kept
CREATE INDEX s_a ON r.t (s, a);
CREATE INDEX live_a ON r.t (a) WHERE deleted_at IS NULL;           -- same predicate as live_a_b: redundant
CREATE INDEX live_a_b ON r.t (a, b) WHERE deleted_at IS NULL;
CREATE INDEX id_s ON r.t (id, s);                                  -- pkey (id) is a constraint: kept
CREATE INDEX incl ON r.t (c) INCLUDE (s);                          -- carries s, c_b does not: kept
CREATE INDEX c_b ON r.t (c, b);
CREATE INDEX lower_s ON r.t (lower(s));                            -- expression prefix: redundant
CREATE INDEX lower_s_a ON r.t (lower(s), a);
CREATE INDEX hash_a ON r.t USING hash (a);                         -- other method: kept
CREATE INDEX "Upper A" ON r.t (a DESC NULLS LAST);                 -- other order: kept
CREATE INDEX z_desc ON r.t (a DESC, b DESC);                       -- long_ab read backwards: twin (IDX002)
CREATE INDEX b_desc ON r.t (b DESC);                               -- uq_b read backwards: twin (IDX002)
"""


def test_redundant_prefixes(conn, by_name):
    found = by_name(hits(snapshot_after(conn, REDUNDANT), "IDX003"))
    # c_only (c) is a prefix of c_b (c, b); b_c (b, c) alone would not have covered it.
    assert set(found) == {"short_ab", "live_a", "lower_s", "c_only"}
    # Twins read backwards are IDX002's, reported once there (the unique one is kept), not here.
    twins = by_name(hits(snapshot_after(conn, "SELECT 1"), "IDX002"))
    assert set(twins) == {"z_desc", "b_desc"} and "keep uq_b" in twins["b_desc"].message
    # (c) INCLUDE (s) serves every lookup (c) serves, and so does (c, b): the shortest is named.
    assert found["c_only"].evidence["covered_by"].startswith("CREATE INDEX incl ")
    assert found["c_only"].evidence["also_covered_by"] == ["c_b"]
    for kept in ("uq_b", "part_s", "t_pkey", "incl", "hash_a", "Upper A", "long_ab", "s_a"):
        assert kept not in found, kept
    assert "long_ab" in found["short_ab"].message and found["short_ab"].evidence["covered_by"].startswith(
        "CREATE INDEX long_ab"
    )
    assert found["live_a"].evidence["covered_by"].startswith("CREATE INDEX live_a_b")


def test_redundant_fix_runs_and_keeps_foreign_key_covered(conn, run_fix):
    snap = snapshot_after(
        conn,
        """CREATE SCHEMA r;
        CREATE TABLE r.p (id bigint PRIMARY KEY);
        CREATE TABLE r.c (id bigint PRIMARY KEY, p_id bigint REFERENCES r.p, at date);
        CREATE INDEX c_p ON r.c (p_id);
        CREATE INDEX c_p_at ON r.c (p_id, at);""",
    )
    (f,) = hits(snap, "IDX003")
    run_fix(conn, f.fix.split("-- undo:")[0])
    snap = snapshot_after(conn, "SELECT 1")
    assert hits(snap, "IDX003") == [] and hits(snap, "IDX001") == []


def test_duplicate_is_not_also_reported_redundant(conn):
    snap = snapshot_after(
        conn,
        "CREATE SCHEMA r; CREATE TABLE r.t (a int, b int); CREATE INDEX x1 ON r.t (a); CREATE INDEX x2 ON r.t (a);"
        "CREATE INDEX x3 ON r.t (a, b);",
    )
    assert {f.obj.name for f in hits(snap, "IDX002")} == {"x2"}
    assert {f.obj.name for f in hits(snap, "IDX003")} == {"x1"}


def _guard_refuses(conn, run_fix, fix: str) -> str:
    """Run the fix in a savepoint; it must raise the guard's own error. Returns the error text."""
    conn.execute("SAVEPOINT try")
    try:
        run_fix(conn, fix.split("-- undo:")[0])
    except psycopg.errors.RaiseException as e:
        conn.execute("ROLLBACK TO SAVEPOINT try")
        return str(e)
    raise AssertionError("the fix ran although the index it keeps no longer covers the one it drops")


@pytest.mark.parametrize(
    "change",
    [
        "DROP INDEX r.c_p_at; CREATE INDEX c_p_at ON r.c (at, p_id)",  # same name, keys in another order
        "DROP INDEX r.c_p_at; CREATE INDEX c_p_at ON r.c (p_id, at) WHERE at IS NOT NULL",  # now partial
        "DROP INDEX r.c_p_at; CREATE INDEX c_p_at ON r.c USING hash (p_id)",  # another method
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'r.c_p_at'::regclass",  # invalid
    ],
)
def test_redundant_fix_checks_the_wider_index_when_it_runs(conn, run_fix, change):
    """The drop is guarded by what the wider index is when the fix runs, not at audit time: keys, predicate,
    method, validity. Nothing is dropped when it no longer covers the redundant one."""
    snap = snapshot_after(
        conn,
        """CREATE SCHEMA r;
        CREATE TABLE r.c (id bigint PRIMARY KEY, p_id bigint, at date);
        CREATE INDEX c_p ON r.c (p_id);
        CREATE INDEX c_p_at ON r.c (p_id, at);""",
    )
    (f,) = hits(snap, "IDX003")
    conn.execute(change)
    assert "the index kept in its place is missing, not valid or no longer covers it" in _guard_refuses(
        conn, run_fix, f.fix
    )
    assert conn.execute("SELECT to_regclass('r.c_p') IS NOT NULL").fetchone() == (True,)
