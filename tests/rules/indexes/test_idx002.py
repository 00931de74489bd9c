"""IDX002 duplicate-index: which twin is kept, and fixes that run as printed."""

from __future__ import annotations

import psycopg
import pytest

from support import hits, snapshot_after

DUPLICATES = """
CREATE SCHEMA d;
CREATE TABLE d.accounts (id bigint PRIMARY KEY, email text, name text, org bigint, CONSTRAINT email_key UNIQUE (email));
CREATE INDEX accounts_id_idx ON d.accounts (id);                          -- repeats the primary key
CREATE UNIQUE INDEX accounts_email_key2 ON d.accounts (email);            -- repeats the unique constraint
CREATE INDEX a_name_1 ON d.accounts (name);
CREATE INDEX a_name_2 ON d.accounts (name);                               -- plain twin: second by name goes
CREATE INDEX a_name_pattern ON d.accounts (name text_pattern_ops);        -- other opclass: not a twin
CREATE INDEX a_name_c ON d.accounts (name COLLATE "C");                   -- other collation: not a twin
CREATE INDEX a_name_desc ON d.accounts (name DESC);                       -- a_name_1 read backwards: a twin
CREATE INDEX a_name_desc_nl ON d.accounts (name DESC NULLS LAST);         -- NULLs at the other end: not a twin
CREATE INDEX a_name_partial ON d.accounts (name) WHERE org IS NOT NULL;   -- predicate: not a twin
CREATE INDEX a_name_incl ON d.accounts (name) INCLUDE (org);              -- INCLUDE differs: IDX003's
CREATE INDEX a_name_hash ON d.accounts USING hash (name);                 -- other method: not a twin
CREATE TABLE d."Mixed" ("Key" int PRIMARY KEY);
CREATE UNIQUE INDEX "Mixed_Key_uq" ON d."Mixed" ("Key");
CREATE TABLE d.ev (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE d.ev_1 PARTITION OF d.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE d.ev_2 PARTITION OF d.ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX ev_at_a ON d.ev (at);
CREATE INDEX ev_at_b ON d.ev (at);
CREATE INDEX ev_1_local ON d.ev_1 (at);                             -- repeats the attached copies on ev_1
"""


def test_duplicates_and_which_is_kept(conn, by_name):
    found = by_name(hits(snapshot_after(conn, DUPLICATES), "IDX002"))
    assert set(found) == {
        "accounts_id_idx",
        "accounts_email_key2",
        "a_name_2",
        "a_name_desc",
        "Mixed_Key_uq",
        "ev_at_b",
        "ev_1_local",
    }
    # The attached copy is kept (it cannot be dropped alone); the copies of ev_at_b are not reported twice.
    assert found["ev_1_local"].obj.table == "ev_1" and found["ev_1_local"].evidence["kept"].startswith(
        "CREATE INDEX ev_1_at_idx "
    )
    assert "accounts_pkey" in found["accounts_id_idx"].message and "primary key" in found["accounts_id_idx"].message
    assert "email_key" in found["accounts_email_key2"].message
    assert found["a_name_2"].evidence["kept"].startswith("CREATE INDEX a_name_1 ")
    # Judged once on the partitioned parent, not per partition; no CONCURRENTLY on a partitioned index.
    assert found["ev_at_b"].obj.table == "ev"
    assert "DROP INDEX d.ev_at_b;" in found["ev_at_b"].fix and "CONCURRENTLY d.ev_at_b" not in found["ev_at_b"].fix
    assert (
        '  DROP INDEX d."Mixed_Key_uq";' in found["Mixed_Key_uq"].fix
        and "CONCURRENTLY d." not in found["Mixed_Key_uq"].fix
    )


def test_duplicate_fixes_run(conn, run_fix):
    for f in hits(snapshot_after(conn, DUPLICATES), "IDX002"):
        run_fix(conn, f.fix.split("-- undo:")[0])
    assert hits(snapshot_after(conn, "SELECT 1"), "IDX002") == []


def test_duplicate_constraint_is_dropped_as_constraint_and_names_its_foreign_keys(conn):
    snap = snapshot_after(
        conn,
        """CREATE SCHEMA d;
        CREATE TABLE d.p (id bigint);
        ALTER TABLE d.p ADD CONSTRAINT p_id_key UNIQUE (id);
        CREATE TABLE d.c (p_id bigint REFERENCES d.p (id));
        ALTER TABLE d.p ADD PRIMARY KEY (id);""",
    )
    (f,) = hits(snap, "IDX002")
    assert f.obj.name == "p_id_key"
    assert "ALTER TABLE d.p DROP CONSTRAINT p_id_key;" in f.fix
    fk = next(c for c in snap.constraints if c.type == "f")
    depends = {i.name for i in snap.indexes if i.oid == fk.index_oid}
    assert depends == {"p_id_key"}  # the key was made before the primary key: dropping the constraint fails
    assert "foreign keys rely on this index and block the drop; re-point them first: d.c.c_p_id_fkey" in f.fix


def test_guard_never_drops_a_unique_key_for_a_plain_twin_or_one_a_foreign_key_uses(conn, run_fix):
    """Run-time checks of the drop: a unique duplicate goes only while its twin is unique too, and an index a
    foreign key looks its rows up through is kept (the guard's own error, before PostgreSQL's)."""
    snap = snapshot_after(
        conn,
        """CREATE SCHEMA d;
        CREATE TABLE d.p (id bigint PRIMARY KEY, code text);
        CREATE UNIQUE INDEX p_code_b ON d.p (code);
        CREATE TABLE d.c (code text REFERENCES d.p (code));  -- looks its rows up through p_code_b
        CREATE UNIQUE INDEX p_code_a ON d.p (code);""",
    )
    (f,) = hits(snap, "IDX002")
    assert f.obj.name == "p_code_b"
    conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.RaiseException, match="foreign key uses the old index"):
        run_fix(conn, f.fix.split("-- undo:")[0])
    conn.execute("ROLLBACK TO SAVEPOINT s")
    conn.execute(
        "DROP TABLE d.c; DROP INDEX d.p_code_a; CREATE INDEX p_code_a ON d.p (code)"
    )  # the twin is no longer unique
    with pytest.raises(psycopg.errors.RaiseException, match="no longer covers it"):
        run_fix(conn, f.fix.split("-- undo:")[0])
