"""CON012 foreign-key-partly-null on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from support import by_table, hits, run_fix, snapshot_after


def test_foreign_key_partly_null(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.p (org bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (org, id));
    CREATE TABLE t.both_null (org bigint, p_id bigint, FOREIGN KEY (org, p_id) REFERENCES t.p);
    CREATE TABLE t.full_match (org bigint, p_id bigint, FOREIGN KEY (org, p_id) REFERENCES t.p MATCH FULL);
    CREATE TABLE t.strict (org bigint NOT NULL, p_id bigint NOT NULL, FOREIGN KEY (org, p_id) REFERENCES t.p);
    CREATE TABLE t."Odd P" ("Org" bigint, "I d" bigint, PRIMARY KEY ("Org", "I d"));
    CREATE TABLE t.odd (o bigint, i bigint, FOREIGN KEY (o, i) REFERENCES t."Odd P" ("Org", "I d") ON DELETE CASCADE);
    """
    found = by_table(hits(snapshot_after(conn, ddl), "CON012"))
    assert set(found) == {"both_null", "odd"}
    assert found["both_null"].evidence["nullable_columns"] == ["org", "p_id"]
    run_fix(conn, found["odd"].fix)  # the recommended MATCH FULL runs; quoted names keep it in place
    named = {n for (n,) in conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = 't.odd'::regclass")}
    assert named == {"odd_o_i_fkey"}  # the new key took the old one's name
    required = found["both_null"].fix.split("-- or, instead, make the columns required")[1].split("\n", 1)[1]
    run_fix(conn, "\n".join(line.removeprefix("-- ") for line in required.splitlines()))
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON012")


def test_optional_reference_is_not_a_hole(conn):
    """One nullable column (the partition key NOT NULL, the id optional) means "no reference": MATCH SIMPLE
    does what is meant. A validated CHECK (col IS NOT NULL) counts as NOT NULL; a NOT VALID one does not."""
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.jobs (partition_id bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (partition_id, id));
    CREATE TABLE t.optional (partition_id bigint NOT NULL, job_id bigint,
                             FOREIGN KEY (partition_id, job_id) REFERENCES t.jobs);
    CREATE TABLE t.by_check (partition_id bigint, job_id bigint,
                             FOREIGN KEY (partition_id, job_id) REFERENCES t.jobs,
                             CONSTRAINT check_partition CHECK (partition_id IS NOT NULL));
    CREATE TABLE t.unchecked (partition_id bigint, job_id bigint,
                              FOREIGN KEY (partition_id, job_id) REFERENCES t.jobs);
    ALTER TABLE t.unchecked ADD CONSTRAINT check_partition CHECK (partition_id IS NOT NULL) NOT VALID;
    CREATE TABLE t.tied (partition_id bigint, job_id bigint, FOREIGN KEY (partition_id, job_id) REFERENCES t.jobs,
                         CHECK (num_nulls(partition_id, job_id) IN (0, 2)));
    """
    assert set(by_table(hits(snapshot_after(conn, ddl), "CON012"))) == {"unchecked"}


def test_partitioned_child_takes_no_not_valid_key(conn, pg_server):
    """Before PostgreSQL 18 a partitioned table refuses a NOT VALID foreign key (as on GitLab's p_ci_builds):
    the MATCH FULL key is added checked, and the swap still runs whole."""
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.p (org bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (org, id));
    CREATE TABLE t.parted (org bigint, p_id bigint, at date NOT NULL, FOREIGN KEY (org, p_id) REFERENCES t.p)
        PARTITION BY RANGE (at);
    CREATE TABLE t.parted_1 PARTITION OF t.parted FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    """
    (f,) = [f for f in hits(snapshot_after(conn, ddl), "CON012") if f.obj.table == "parted"]
    assert (" NOT VALID;" in f.fix.split("-- or, instead")[0]) == (pg_server.major >= 18)
    run_fix(conn, f.fix)
    assert not [f for f in hits(snapshot_after(conn, "SELECT 1"), "CON012") if f.obj.table == "parted"]
