"""IDX001 unindexed-foreign-key on a real PostgreSQL, including the ways it could pass or fire by mistake."""

from __future__ import annotations

from support import hits, objects, run_fix, snapshot_after

SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.parent (id bigint PRIMARY KEY, org_id bigint NOT NULL, UNIQUE (org_id, id));
CREATE TABLE t.no_index (id bigint PRIMARY KEY, parent_id bigint REFERENCES t.parent ON DELETE CASCADE);
CREATE TABLE t.covered (id bigint PRIMARY KEY, parent_id bigint REFERENCES t.parent);
CREATE INDEX ON t.covered (parent_id, id);
CREATE TABLE t.wrong_order (id bigint PRIMARY KEY, parent_id bigint REFERENCES t.parent, created date);
CREATE INDEX ON t.wrong_order (created, parent_id);
CREATE TABLE t.partial (id bigint PRIMARY KEY, parent_id bigint REFERENCES t.parent, gone boolean);
CREATE INDEX ON t.partial (parent_id) WHERE NOT gone;
CREATE TABLE t.not_null_partial (id bigint PRIMARY KEY, parent_id bigint REFERENCES t.parent);
CREATE INDEX ON t.not_null_partial (parent_id) WHERE parent_id IS NOT NULL;
CREATE TABLE t.hash_only (id bigint PRIMARY KEY, parent_id bigint REFERENCES t.parent);
CREATE INDEX ON t.hash_only USING hash (parent_id);
CREATE TABLE t.hash_composite (id bigint PRIMARY KEY, org_id bigint, parent_id bigint,
                               FOREIGN KEY (org_id, parent_id) REFERENCES t.parent (org_id, id));
CREATE INDEX ON t.hash_composite USING hash (parent_id);
CREATE TABLE t.composite (id bigint PRIMARY KEY, org_id bigint, parent_id bigint,
                          FOREIGN KEY (org_id, parent_id) REFERENCES t.parent (org_id, id));
CREATE INDEX ON t.composite (parent_id, org_id);
CREATE TABLE t."Mixed Case" (id bigint PRIMARY KEY, "Parent Id" bigint REFERENCES t.parent);
CREATE TABLE t.tenant_led (id bigint PRIMARY KEY, org_id bigint NOT NULL, parent_id bigint REFERENCES t.parent);
CREATE INDEX ON t.tenant_led (org_id, parent_id);
CREATE TABLE t.events (id bigint, parent_id bigint REFERENCES t.parent, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.events_2024 PARTITION OF t.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.events_2025 PARTITION OF t.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE t.events_ok (id bigint, parent_id bigint REFERENCES t.parent, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.events_ok_2024 PARTITION OF t.events_ok FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX ON t.events_ok (parent_id);
"""


def test_unindexed_foreign_keys(conn):
    snap = snapshot_after(conn, SCHEMA)
    found = hits(snap, "IDX001")
    on = {f.obj.table for f in found}
    assert on == {"no_index", "wrong_order", "partial", "hash_composite", "Mixed Case", "tenant_led", "events"}
    # `parent_id = $1` implies `parent_id IS NOT NULL`, and a hash index serves `=` on one column: both
    # serve the foreign key's lookup (the planner picks them for the RI query, see test_lookup_plans).
    assert "not_null_partial" not in on and "hash_only" not in on
    # The partitioned set is judged once, on its parent, not per partition.
    assert "events_2024" not in on and "events_ok" not in on


def test_cascade_raises_severity_and_fix_runs(conn):
    snap = snapshot_after(conn, SCHEMA)
    found = {f.obj.table: f for f in hits(snap, "IDX001")}
    assert found["no_index"].evidence["on_delete"] == "CASCADE"
    # An index holding the key's columns is named with the reason it does not serve the lookups.
    assert found["wrong_order"].evidence["indexes_with_these_columns_that_do_not_serve_it"] == [
        "wrong_order_created_parent_id_idx (the key columns do not lead)"
    ]
    assert "ON DELETE CASCADE" in found["no_index"].message
    # The fix for a quoted, mixed-case name must run as printed (CONCURRENTLY needs no transaction).
    expected = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Mixed Case_Parent Id_idx" ON t."Mixed Case" ("Parent Id");'
    assert found["Mixed Case"].fix == expected
    # A partitioned parent cannot be indexed CONCURRENTLY: ON ONLY, then each partition (read from the catalog
    # when the fix runs), then ATTACH, then a check that the parent index is valid.
    fix = found["events"].fix
    assert fix.startswith("CREATE INDEX IF NOT EXISTS events_parent_id_idx ON ONLY t.events USING btree (parent_id);")
    assert "ATTACH PARTITION %s" in fix and fix.count("\n\\gexec\n") == 2


def test_partitioned_fix_sql_runs(conn):
    snap = snapshot_after(conn, SCHEMA)
    found = {f.obj.table: f for f in hits(snap, "IDX001")}
    run_fix(conn, found["events"].fix)
    run_fix(conn, found["Mixed Case"].fix)
    again = {f.obj.table for f in hits(snapshot_after(conn, "SELECT 1"), "IDX001")}
    assert "events" not in again and "Mixed Case" not in again


def test_tenant_led_index_proposes_composite_fk(conn):
    snap = snapshot_after(conn, SCHEMA)
    found = {f.obj.table: f for f in hits(snap, "IDX001")}
    f = found["tenant_led"]
    assert f.evidence["tenant_index"] == "tenant_led_org_id_parent_id_idx"
    # the plain index runs; the swap to a tenant-scoped key is the alternative, commented out (ISO013's to make)
    assert f.fix.startswith(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS tenant_led_parent_id_idx ON t.tenant_led (parent_id);"
    )
    swap = [line for line in f.fix.splitlines() if "FOREIGN KEY (org_id, parent_id)" in line]
    assert swap and all(line.startswith("-- ALTER TABLE t.tenant_led ADD CONSTRAINT") for line in swap)
    assert "REFERENCES t.parent (org_id, id) NOT VALID" in swap[0]


def test_fingerprint_is_identity_only(conn):
    snap = snapshot_after(conn, SCHEMA)
    first = {f.fingerprint for f in hits(snap, "IDX001")}
    assert len(first) == len(objects(hits(snap, "IDX001")))
    again = {f.fingerprint for f in hits(snapshot_after(conn, "ANALYZE t.no_index"), "IDX001")}
    assert first == again


def test_lookup_plans(conn):
    """The indexes IDX001 accepts are the ones the planner uses for the RI lookup's generic plan."""
    conn.execute(SCHEMA)
    conn.execute("SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off")
    for table, expect in (("not_null_partial", True), ("hash_only", True), ("partial", False)):
        lookup = f"SELECT 1 FROM ONLY t.{table} x WHERE parent_id = $1 FOR KEY SHARE OF x"
        conn.execute(f"PREPARE q_{table}(bigint) AS {lookup}")
        plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN EXECUTE q_{table}(1)"))
        assert ("Index" in plan) is expect, plan


def test_partitioned_reference_served_by_the_id_index(conn):
    """(partition_id, job_id) -> jobs (partition_id, id): an index leading with job_id finds the rows; one
    on partition_id alone, or nothing, does not."""
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA p;
        CREATE TABLE p.jobs (id bigint NOT NULL, partition_id bigint NOT NULL, PRIMARY KEY (id, partition_id))
            PARTITION BY LIST (partition_id);
        CREATE TABLE p.jobs_100 PARTITION OF p.jobs FOR VALUES IN (100);
        CREATE TABLE p.served (id bigint PRIMARY KEY, partition_id bigint NOT NULL, job_id bigint,
            FOREIGN KEY (partition_id, job_id) REFERENCES p.jobs (partition_id, id) ON DELETE CASCADE);
        CREATE INDEX ON p.served (job_id);
        CREATE TABLE p.unserved (id bigint PRIMARY KEY, partition_id bigint NOT NULL, job_id bigint,
            FOREIGN KEY (partition_id, job_id) REFERENCES p.jobs (partition_id, id) ON DELETE CASCADE);
        CREATE INDEX ON p.unserved (partition_id);
        """,
    )
    assert {f.obj.table for f in hits(snap, "IDX001") if f.obj.schema == "p"} == {"unserved"}
