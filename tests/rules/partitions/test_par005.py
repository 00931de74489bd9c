"""PAR005 list-values-uncovered: a tenant-keyed list set without a default, and the fix."""

from __future__ import annotations

from support import hits, snapshot_after

LIST = """
CREATE SCHEMA t;
CREATE TABLE t.orgs (id int PRIMARY KEY);
INSERT INTO t.orgs SELECT generate_series(1, 20);
ANALYZE t.orgs;
CREATE TABLE t.docs (org_id int NOT NULL REFERENCES t.orgs, body text) PARTITION BY LIST (org_id);
CREATE TABLE t.docs_1 PARTITION OF t.docs FOR VALUES IN (1);
CREATE TABLE t.docs_2 PARTITION OF t.docs FOR VALUES IN (2, 3);
CREATE TABLE t.docs_ok (org_id int NOT NULL REFERENCES t.orgs, body text) PARTITION BY LIST (org_id);
CREATE TABLE t.docs_ok_1 PARTITION OF t.docs_ok FOR VALUES IN (1);
CREATE TABLE t.docs_ok_rest PARTITION OF t.docs_ok DEFAULT;
CREATE TABLE t.kinds (kind text NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE t.kinds_a PARTITION OF t.kinds FOR VALUES IN ('a');
"""


def test_list_tenants_without_partition(conn, by_table, run_fix):
    snap = snapshot_after(conn, LIST)
    found = by_table(hits(snap, "PAR005"))
    assert set(found) == {"docs"}  # docs_ok has a default; kinds references nothing we can count
    assert found["docs"].evidence["values_with_partition"] == 3
    assert found["docs"].evidence["referenced_rows_estimate"] == 20
    run_fix(conn, found["docs"].fix)
    conn.execute("INSERT INTO t.docs VALUES (17, 'x')")
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR005")
