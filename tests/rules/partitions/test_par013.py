"""PAR013 too-many-partitions: the count threshold and the lock-table fix."""

from __future__ import annotations

from support import hits, snapshot_after


def test_too_many_partitions(conn, uneven_ddl):
    snap = snapshot_after(conn, uneven_ddl)
    assert not hits(snap, "PAR013")
    snap.settings = {"partition_count_warn": 5}
    found = hits(snap, "PAR013")
    assert [f.obj.table for f in found] == ["tenant_data"]
    assert found[0].evidence["leaf_partitions"] == 5
    assert "-- ALTER SYSTEM SET max_locks_per_transaction" in found[0].fix
    assert all(line.startswith("--") for line in found[0].fix.splitlines())  # a restart: the DBA's to run
