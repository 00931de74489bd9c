"""CON001 missing-primary-key on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import by_table, hits, run_fix, snapshot_after

PK_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.keyed (id bigint PRIMARY KEY);
CREATE TABLE t.no_key (a int, b text);
CREATE TABLE t.unique_nn (code text NOT NULL UNIQUE, note text);
CREATE TABLE t.unique_nullable (code text UNIQUE);
CREATE TABLE t.partial_unique (code text NOT NULL);
CREATE UNIQUE INDEX ON t.partial_unique (code) WHERE code <> '';
CREATE TABLE t.has_id (id bigint NOT NULL, x int);
CREATE TABLE t.plain_unique (a int NOT NULL, b int NOT NULL);
CREATE UNIQUE INDEX promote_me ON t.plain_unique (b, a);
CREATE TABLE t."Mixed Case" (v int);
CREATE TABLE t.ev (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.ev_2024 PARTITION OF t.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.ev_noid (v text, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.ev_noid_2024 PARTITION OF t.ev_noid FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.ev_uq (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE UNIQUE INDEX ev_uq_idx ON t.ev_uq (id, at);
CREATE TABLE t.ev_uq_2024 PARTITION OF t.ev_uq FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.ev_ok (id bigint, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE t.ev_ok_2024 PARTITION OF t.ev_ok FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
"""


def test_missing_primary_key(conn):
    found = by_table(hits(snapshot_after(conn, PK_SCHEMA), "CON001"))
    assert set(found) == {
        "no_key",
        "unique_nn",
        "unique_nullable",
        "partial_unique",
        "has_id",
        "Mixed Case",
        "ev",
        "plain_unique",
        "ev_noid",
        "ev_uq",
    }
    # a unique index on NOT NULL columns is a key in all but name: milder, and promoted as it is
    assert found["unique_nn"].severity == "low"
    assert found["unique_nn"].evidence["unique_not_null_index"] == "unique_nn_code_key"
    assert "USING INDEX unique_nn_pkey" in found["unique_nn"].fix  # a constraint's index cannot be promoted
    assert "USING INDEX promote_me" in found["plain_unique"].fix
    # nullable or partial unique indexes do not stop duplicates
    assert found["unique_nullable"].severity is None or found["unique_nullable"].severity == "high"
    assert "unique_not_null_index" not in found["partial_unique"].evidence
    # a partitioned set is judged on its parent, and its key must include the partition key
    assert "ev_2024" not in found and "ev_ok_2024" not in found
    assert "ADD PRIMARY KEY (id, at)" in found["ev"].fix


def test_missing_primary_key_fixes_run(conn):
    found = by_table(hits(snapshot_after(conn, PK_SCHEMA), "CON001"))
    for table in ("no_key", "unique_nn", "has_id", "Mixed Case", "ev", "plain_unique", "ev_noid", "ev_uq"):
        run_fix(conn, found[table].fix)
    after = snapshot_after(conn, "SELECT 1")
    left = by_table(hits(after, "CON001"))
    assert set(left) == {"unique_nullable", "partial_unique"}
    # the unique index a twin key replaced is gone (checked when the fix ran), not left as a duplicate
    assert not [f for f in hits(after, "IDX002") if f.obj.schema == "t"]
    assert {i.name for i in after.indexes if i.name in ("ev_uq_idx", "unique_nn_code_key")} == set()


def test_missing_primary_key_keeps_an_index_a_foreign_key_uses(conn):
    ddl = (
        "CREATE SCHEMA k; CREATE TABLE k.p (code text NOT NULL UNIQUE);"
        "CREATE TABLE k.c (code text REFERENCES k.p (code));"
    )
    (f,) = [f for f in hits(snapshot_after(conn, ddl), "CON001") if f.obj.table == "p"]
    assert "DROP" not in f.fix
    run_fix(conn, f.fix)


def test_one_row_tables_are_not_high(conn):
    ddl = """
    CREATE SCHEMA one;
    CREATE TABLE one.singleton (setting text);
    CREATE UNIQUE INDEX singleton_one_row ON one.singleton ((true));
    CREATE TABLE one.settings (setting text);
    INSERT INTO one.settings VALUES ('x');
    ANALYZE one.settings;
    CREATE TABLE one.by_check (code text, CONSTRAINT code_nn CHECK (code IS NOT NULL));
    CREATE UNIQUE INDEX ON one.by_check (code);
    """
    found = {f.obj.table: f for f in hits(snapshot_after(conn, ddl), "CON001") if f.obj.schema == "one"}
    assert {t: f.severity for t, f in found.items()} == {"singleton": "low", "settings": "medium", "by_check": "low"}
