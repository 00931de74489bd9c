"""PAR016 partition-privileges-differ: grants on partitions beyond the parent's, and PUBLIC."""

from __future__ import annotations

from support import hits, snapshot_after

PRIVS = """
CREATE SCHEMA t;
CREATE ROLE par_reader;
CREATE TABLE t.secure (org int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.secure_1 PARTITION OF t.secure FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.secure_2 PARTITION OF t.secure FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE t.secure ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON t.secure TO par_reader;
GRANT SELECT ON t.secure_2 TO par_reader;
CREATE TABLE t.open (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.open_1 PARTITION OF t.open FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
GRANT SELECT, DELETE ON t.open_1 TO par_reader;
CREATE TABLE t.quiet (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.quiet_1 PARTITION OF t.quiet FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE t.quiet ENABLE ROW LEVEL SECURITY;
"""


def test_partition_privileges_differ(conn, by_table, run_fix):
    snap = snapshot_after(conn, PRIVS)
    found = by_table(hits(snap, "PAR016"))
    # secure: its partition without RLS is ISO019's to report (once); quiet: nobody may read it directly.
    assert set(found) == {"open"}
    assert found["open"].severity == "medium"
    assert found["open"].evidence["partitions"] == [
        {"partition": "open_1", "extra_grants": {"par_reader": ["DELETE", "SELECT"]}}
    ]
    run_fix(conn, found["open"].fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR016")


def test_partition_granted_to_public_is_high(conn, by_table):
    snap = snapshot_after(
        conn, PRIVS + "GRANT SELECT ON t.quiet_1 TO PUBLIC; ALTER TABLE t.quiet_1 ENABLE ROW LEVEL SECURITY;"
    )
    found = by_table(hits(snap, "PAR016"))
    assert found["quiet"].severity == "high" and "PUBLIC" in found["quiet"].message
