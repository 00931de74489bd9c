"""PAR018 partitioned-table-without-partitions: every INSERT fails; the fix (a DEFAULT) run and re-audited; the
"created at run time" exception from the configuration."""

from __future__ import annotations

import pytest
from psycopg import errors

from auditor.engine import run_rule
from auditor.engine.config import Config
from auditor.rules import load_all

from support import hits, run_fix, snapshot_after

DDL = """
CREATE SCHEMA t;
CREATE TABLE t."Audit Events" (id bigint NOT NULL, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
CREATE TABLE t.jobs (id bigint NOT NULL, partition_id bigint NOT NULL) PARTITION BY LIST (partition_id);
CREATE TABLE t.ok (id bigint NOT NULL, k int NOT NULL) PARTITION BY HASH (k);
CREATE TABLE t.ok_0 PARTITION OF t.ok FOR VALUES WITH (MODULUS 1, REMAINDER 0);
"""


def test_partitioned_table_without_partitions(conn):
    found = {f.obj.table: f for f in hits(snapshot_after(conn, DDL), "PAR018")}
    assert set(found) == {"Audit Events", "jobs"}
    with pytest.raises(errors.CheckViolation), conn.transaction():
        conn.execute('INSERT INTO t."Audit Events" VALUES (1, now())')
    run_fix(conn, found["Audit Events"].fix)
    conn.execute('INSERT INTO t."Audit Events" VALUES (1, now())')
    assert {f.obj.table for f in hits(snapshot_after(conn, "SELECT 1"), "PAR018")} == {"jobs"}


def test_created_at_run_time_is_low(conn):
    snap = snapshot_after(conn, DDL)
    config = Config(thresholds={"partitions_created_at_run_time": ["t.job*"]})
    snap.settings = config.thresholds_for_run()
    _, found = run_rule(load_all()["PAR018"], snap, config)
    assert {f.obj.table: f.severity for f in found} == {"Audit Events": "critical", "jobs": "low"}
