"""Timeouts and faults: a cancelled query costs its section and the rules on it, never the run; a lost
connection stops the audit with exit 2, one line on stderr and no report presented as whole.

A catalog query is made to wait by another session holding ACCESS EXCLUSIVE on pg_policy (a
per-database catalog only the policies query reads), so the fault hits one known query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from auditor import engine
from auditor.catalog.db import Session, Timeouts
from auditor.rules.registry import RULES, rule

from scratch import run_cli, scratch_database, snapshot_of

DB = "pga_faults"
SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE app.tenants (id bigint PRIMARY KEY);
CREATE TABLE app.orders (id bigint PRIMARY KEY, tenant_id bigint REFERENCES app.tenants);
-- Raises a recovery conflict (SQLSTATE 40001) on its first call in a session, then answers.
CREATE FUNCTION app.conflict_once() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242
                   AND pid = pg_backend_pid()) THEN
        PERFORM pg_advisory_lock(4242);  -- session-level: survives the rollback
        RAISE EXCEPTION 'canceling statement due to conflict with recovery' USING ERRCODE = '40001';
    END IF;
    RETURN 1;
END $$;
CREATE FUNCTION app.conflict_always() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'canceling statement due to conflict with recovery' USING ERRCODE = '40001';
END $$;
"""


@pytest.fixture(scope="module")
def faults_db(pg_server) -> Iterator[str]:
    with scratch_database(pg_server, DB, SCHEMA) as dsn:
        yield dsn


@pytest.fixture
def policy_rule() -> Iterator[str]:
    @rule("ISO990", "test-needs-policies", severity="low", subject="table", requires=("policies",))
    def needs_policies(snap):
        """Test rule reading policies."""
        yield from ()

    yield "ISO990"
    RULES.pop("ISO990")


@contextmanager
def catalog_locked(dsn: str) -> Iterator[psycopg.Connection]:
    """Another session holds ACCESS EXCLUSIVE on pg_policy until the block ends."""
    holder = psycopg.connect(dsn)
    holder.execute("LOCK TABLE pg_catalog.pg_policy IN ACCESS EXCLUSIVE MODE")
    try:
        yield holder
    finally:
        holder.close()


def act_on_waiting_auditor(dsn: str, action: str) -> threading.Thread:
    """Once pg-auditor's query waits on a lock, cancel or terminate its backend from outside."""

    def run() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for _ in range(400):
                row = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'pg-auditor' "
                    "AND wait_event_type = 'Lock' AND query LIKE '%pg-auditor%'"
                ).fetchone()
                if row:
                    conn.execute(f"SELECT {action}(%s)", (row[0],))
                    return
                time.sleep(0.05)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_statement_timeout_fails_that_section_and_its_rules_not_the_run(faults_db, policy_rule):
    with catalog_locked(faults_db):
        started = time.perf_counter()
        snap = snapshot_of(faults_db, Timeouts(statement="300ms", lock="20s"))
        assert time.perf_counter() - started < 15  # cancelled at 300 ms, not waiting out the 20 s lock_timeout
    assert set(snap.unavailable) == {"policies"}
    assert snap.unavailable["policies"].reason == "cancelled by statement_timeout (300ms)"
    assert {t.name for t in snap.tables} == {"orders", "tenants"}
    report = engine.run(snap)
    status = {s.code: s for s in report.statuses}
    assert status[policy_rule].status == "skipped"
    assert "statement_timeout" in status[policy_rule].reason
    assert status["IDX001"].status in ("ok", "findings")
    assert not [s for s in report.statuses if s.status == "error"]


def test_cancelled_query_fails_that_section_only(faults_db, policy_rule):
    with catalog_locked(faults_db):
        canceller = act_on_waiting_auditor(faults_db, "pg_cancel_backend")
        snap = snapshot_of(faults_db, Timeouts(statement="30s", lock="30s"))
        canceller.join(timeout=5)
    assert set(snap.unavailable) == {"policies"}
    assert snap.unavailable["policies"].reason.startswith("cancelled: canceling statement due to user request")
    assert snap.tables and snap.table_stats


def test_terminated_connection_exits_2_with_one_line_and_no_report(faults_db, tmp_path):
    out_dir = tmp_path / "report"
    with catalog_locked(faults_db):
        killer = act_on_waiting_auditor(faults_db, "pg_terminate_backend")
        out = run_cli("audit", faults_db, "-o", str(out_dir), "--lock-timeout", "30s", "--statement-timeout", "60s")
        killer.join(timeout=5)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("pg-auditor: connection lost during query policies:")
    assert "terminating connection due to administrator command" in lines[0]
    assert out.stdout == ""
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_collect_command_writes_no_snapshot_after_connection_loss(faults_db, tmp_path):
    target = tmp_path / "snap.json"
    with catalog_locked(faults_db):
        killer = act_on_waiting_auditor(faults_db, "pg_terminate_backend")
        out = run_cli("collect", faults_db, "-o", str(target), "--lock-timeout", "30s")
        killer.join(timeout=5)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_recovery_conflict_is_retried_once(faults_db):
    with psycopg.connect(faults_db) as conn:
        session = Session(conn=conn)
        assert session.fetch("flaky", "SELECT app.conflict_once() AS v") == [{"v": 1}]
        with pytest.raises(Exception) as err:
            session.fetch("conflicting", "SELECT app.conflict_always() AS v")
        assert "cancelled twice by recovery conflicts" in str(err.value)
        assert session.fetch("after", "SELECT 1 AS v") == [{"v": 1}]  # the connection is still usable
