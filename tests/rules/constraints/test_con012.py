"""CON012 foreign-key-partly-null on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import by_table, hits, run_fix, snapshot_after


def test_foreign_key_partly_null(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.p (org bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (org, id));
    CREATE TABLE t.loose (org bigint NOT NULL, p_id bigint, FOREIGN KEY (org, p_id) REFERENCES t.p);
    CREATE TABLE t.full_match (org bigint, p_id bigint, FOREIGN KEY (org, p_id) REFERENCES t.p MATCH FULL);
    CREATE TABLE t.strict (org bigint NOT NULL, p_id bigint NOT NULL, FOREIGN KEY (org, p_id) REFERENCES t.p);
    CREATE TABLE t.single (p_id bigint, org bigint NOT NULL, FOREIGN KEY (org, p_id) REFERENCES t.p (org, id));
    CREATE TABLE t."Odd P" ("Org" bigint, "I d" bigint, PRIMARY KEY ("Org", "I d"));
    CREATE TABLE t.odd (o bigint, i bigint, FOREIGN KEY (o, i) REFERENCES t."Odd P" ("Org", "I d") ON DELETE CASCADE);
    """
    found = by_table(hits(snapshot_after(conn, ddl), "CON012"))
    assert set(found) == {"loose", "single", "odd"}
    run_fix(conn, found["odd"].fix.split("-- or all-or-nothing NULLs:\n")[1])  # quoted names keep MATCH FULL in place
    assert found["loose"].evidence["nullable_columns"] == ["p_id"]
    run_fix(conn, found["loose"].fix.split("-- or all-or-nothing NULLs:\n")[1])
    run_fix(conn, found["single"].fix.split("-- or all-or-nothing NULLs:\n")[0])
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON012")
