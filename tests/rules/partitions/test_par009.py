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


def test_ids_forced_by_a_trigger_are_low(conn):
    """A BEFORE INSERT trigger that assigns every id from one sequence: per-partition unique ids cannot collide."""
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA f;
        CREATE SEQUENCE f.runners_id_seq;
        CREATE TABLE f.runners (id bigint NOT NULL, kind int NOT NULL) PARTITION BY LIST (kind);
        CREATE TABLE f.runners_1 PARTITION OF f.runners FOR VALUES IN (1);
        CREATE TABLE f.runners_2 PARTITION OF f.runners FOR VALUES IN (2);
        CREATE UNIQUE INDEX ON f.runners_1 (id);
        CREATE UNIQUE INDEX ON f.runners_2 (id);
        CREATE FUNCTION f.assign_runners_id_value() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN NEW.id := nextval('f.runners_id_seq'); RETURN NEW; END $$;
        CREATE TRIGGER assign_runners_id BEFORE INSERT ON f.runners FOR EACH ROW
            EXECUTE FUNCTION f.assign_runners_id_value();
        """,
    )
    (found,) = [f for f in hits(snap, "PAR009") if f.obj.schema == "f"]
    assert found.severity == "low" and "assign_runners_id" in found.evidence["ids_forced_by_trigger"]
