"""PAR009 per-partition-unique: unique indexes per partition, with and without the partition key."""

from __future__ import annotations

from support import hits, snapshot_after


def test_per_partition_unique(conn, indexes_ddl, run_fix):
    snap = snapshot_after(conn, indexes_ddl)
    found = {f.evidence["index"]: f for f in hits(snap, "PAR009")}
    assert set(found) == {"USING btree (id)", "USING btree (id, at)"}
    assert found["USING btree (id)"].evidence["includes_partition_key"] is False
    assert found["USING btree (id)"].fix.startswith("-- (id) lacks the partition key (at)")
    with_key = found["USING btree (id, at)"]
    assert with_key.evidence["includes_partition_key"] is True
    run_fix(conn, with_key.fix)  # a unique index on the parent, the partitions' copies attached
    again = {f.evidence["index"] for f in hits(snapshot_after(conn, "SELECT 1"), "PAR009")}
    assert again == {"USING btree (id)"}
