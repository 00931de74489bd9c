"""PAR013 too-many-partitions: the count threshold and the lock-table fix."""

from __future__ import annotations

import dataclasses

from support import hits, snapshot_after


def test_too_many_partitions(conn, uneven_ddl):
    snap = snapshot_after(conn, uneven_ddl)
    assert not hits(snap, "PAR013")
    snap.settings = {"partition_count_warn": 5}
    found = hits(snap, "PAR013")
    assert [f.obj.table for f in found] == ["tenant_data"]
    assert found[0].evidence["leaf_partitions"] == 5
    # the lock table holds an unpruned query: the fix is advice (fewer partitions), no ALTER SYSTEM to run
    assert "ALTER SYSTEM" not in found[0].fix and "coarser intervals" in found[0].fix


def test_a_short_lock_table_is_raised(conn, uneven_ddl):
    snap = snapshot_after(conn, uneven_ddl)
    snap.server = dataclasses.replace(
        snap.server, settings={**snap.server.settings, "max_locks_per_transaction": "1", "max_connections": "2"}
    )
    (f,) = hits(snap, "PAR013")
    assert f.fix.startswith("ALTER SYSTEM SET max_locks_per_transaction = 64;")
