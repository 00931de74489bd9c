"""A real hot standby (pg_basebackup of a throwaway primary): detected, labelled, and fully readable.

Statistics-based findings carry a `statistics_source` note (a standby's counters are its own reads);
unlogged relations and sequences, which a standby cannot open, do not cost their sections.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import psycopg
import pytest

from auditor import engine
from auditor.engine import STANDBY_NOTE
from auditor.output import render
from auditor.rules.registry import RULES, Hit, Obj, rule

from scratch import snapshot_of

SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE app.orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
CREATE INDEX orders_tenant ON app.orders (tenant_id);
CREATE UNLOGGED TABLE app.scratch (id int PRIMARY KEY);
CREATE SEQUENCE app.invoice_no;
SELECT nextval('app.invoice_no');
INSERT INTO app.orders SELECT g, g % 7 FROM generate_series(1, 1000) g;
ANALYZE;
"""


@pytest.fixture(scope="module")
def standby(pg_server) -> Iterator[tuple[str, str]]:
    from auditor.pgserver.tempcluster import TempCluster, find_bindir

    from pgbinaries import ensure_postgres

    if pg_server.cluster is None:
        pytest.skip("needs a throwaway cluster (not PG_AUDITOR_TEST_DSN)")
    bindir = find_bindir() if pg_server.major == 15 else ensure_postgres(pg_server.major)
    if not (bindir / "pg_basebackup").exists():
        pytest.skip("pg_basebackup not available")
    primary = TempCluster(bindir=bindir, preload=())
    standby_port = TempCluster.__dataclass_fields__["port"].default_factory()
    primary.start()
    try:
        with (primary.data / "pg_hba.conf").open("a", encoding="utf-8") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        primary._run(bindir / "pg_ctl", "-D", primary.data, "reload")
        with psycopg.connect(primary.dsn(), autocommit=True) as conn:
            conn.execute(SCHEMA)
            if pg_server.major >= 15:
                conn.execute("CREATE UNLOGGED SEQUENCE app.scratch_no")
        standby_dir = primary.base / "standby"
        backup = primary._run(
            bindir / "pg_basebackup",
            "-D",
            standby_dir,
            "-R",
            "-X",
            "stream",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-c",
            "fast",
        )
        assert backup.returncode == 0, backup.stderr
        opts = (
            f"-p {standby_port} -k {primary.base} -c listen_addresses=127.0.0.1 -c hot_standby=on"
            " -c max_locks_per_transaction=256 -c max_connections=60"
        )
        started = primary._run(
            bindir / "pg_ctl", "-D", standby_dir, "-l", primary.base / "standby.log", "-o", opts, "-w", "start"
        )
        assert started.returncode == 0, (primary.base / "standby.log").read_text(errors="replace")[-2000:]
        standby_dsn = f"host=127.0.0.1 port={standby_port} user=postgres dbname=postgres"
        with psycopg.connect(primary.dsn(), autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        with psycopg.connect(standby_dsn, autocommit=True) as conn:
            for _ in range(200):
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]:
                    break
                time.sleep(0.05)
        yield primary.dsn(), standby_dsn
        primary._run(bindir / "pg_ctl", "-D", standby_dir, "-m", "immediate", "-w", "stop")
    finally:
        primary.stop()
        shutil.rmtree(primary.base, ignore_errors=True)


@pytest.fixture
def usage_rule() -> Iterator[str]:
    @rule("IDX991", "test-index-usage", severity="info", subject="index", requires=("indexes", "index_usage"))
    def every_index(snap):
        """Test rule drawn from index usage counters."""
        for i in snap.indexes:
            table = snap.table_by_oid[i.table_oid]
            yield Hit(Obj("index", table.schema, table.name, i.name), "scanned", {"scans": 0})

    yield "IDX991"
    RULES.pop("IDX991")


def test_standby_is_detected_and_statistics_findings_are_labelled(standby, usage_rule, tmp_path):
    primary_dsn, standby_dsn = standby
    snap = snapshot_of(standby_dsn)
    assert snap.server.in_recovery
    assert snap.unavailable == {}
    assert {t.name for t in snap.tables} >= {"orders", "scratch"}
    assert [s.last_value for s in snap.sequences if s.name == "invoice_no"] == [1]
    report = engine.run(snap)
    assert report.database["standby"] is True
    labelled = [f for f in report.findings if f.code == usage_rule]
    assert labelled and all(f.evidence["statistics_source"] == STANDBY_NOTE for f in labelled)
    assert all("statistics_source" not in f.evidence for f in report.findings if f.code != usage_rule)
    md = render.render(report, "md")
    assert "hot standby" in md

    primary = engine.run(snapshot_of(primary_dsn))
    assert primary.database["standby"] is False
    assert all("statistics_source" not in f.evidence for f in primary.findings)
