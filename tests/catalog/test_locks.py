"""Locks: an audit never queues behind an ACCESS EXCLUSIVE lock, granted or waiting (pgwatch2 #403).

One session holds ACCESS EXCLUSIVE on a table (as ALTER TABLE or VACUUM FULL would); on another
table a session holds ACCESS SHARE and a second one waits for ACCESS EXCLUSIVE behind it, so any new
lock request on that table would queue too. The audit must finish well within its lock_timeout
budget, read every section, and report both tables' sizes (and the views over them) as skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from auditor import engine
from auditor.catalog.db import Timeouts
from auditor.output import render

from scratch import run_cli, scratch_database, snapshot_of
from support import debug_log, waited_on_a_lock

DB = "pga_locks"
SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE app.held (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, note text DEFAULT 'x' || 'y',
                       CHECK (id > 0));
CREATE INDEX held_tenant_idx ON app.held (tenant_id) WHERE note IS NOT NULL;
CREATE UNIQUE INDEX held_lower_idx ON app.held (lower(note), id DESC);
ALTER TABLE app.held ENABLE ROW LEVEL SECURITY;
CREATE POLICY held_tenant ON app.held USING (tenant_id = current_setting('app.tenant')::bigint);
CREATE TABLE app.queued (id bigint PRIMARY KEY, held_id bigint REFERENCES app.held);
CREATE TABLE app.free (id bigint PRIMARY KEY);
CREATE TABLE app.events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW app.held_view AS SELECT id FROM app.held;
CREATE VIEW app.free_view AS SELECT id FROM app.free;
INSERT INTO app.held SELECT g, g % 3 FROM generate_series(1, 100) g;
INSERT INTO app.free SELECT generate_series(1, 100);
ANALYZE;
"""


@pytest.fixture
def locked_db(pg_server) -> Iterator[str]:
    with scratch_database(pg_server, DB, SCHEMA) as dsn:
        holder = psycopg.connect(dsn)  # ACCESS EXCLUSIVE granted on app.held and on a partition
        holder.execute("LOCK TABLE app.held, app.events_2024 IN ACCESS EXCLUSIVE MODE")
        reader = psycopg.connect(dsn)  # ACCESS SHARE on app.queued ...
        reader.execute("SELECT count(*) FROM app.queued")
        waiter = psycopg.connect(dsn)  # ... and ACCESS EXCLUSIVE requested behind it: waiting
        thread = threading.Thread(target=_wait_for_lock, args=(waiter,), daemon=True)
        thread.start()
        with psycopg.connect(dsn, autocommit=True) as probe:
            for _ in range(100):
                waiting = probe.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock'"
                ).fetchone()[0]
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting == 1, "the queued ACCESS EXCLUSIVE request never showed up in pg_locks"
        try:
            yield dsn
        finally:
            holder.close()
            reader.close()
            thread.join(timeout=10)
            waiter.close()


def _wait_for_lock(conn: psycopg.Connection) -> None:
    try:
        conn.execute("SET lock_timeout = '60s'")
        conn.execute("LOCK TABLE app.queued IN ACCESS EXCLUSIVE MODE")
        conn.rollback()
    except psycopg.Error:
        pass


def test_audit_skips_locked_relations_and_finishes(locked_db):
    with debug_log() as log:
        snap = snapshot_of(locked_db, Timeouts(lock="1s"))
    assert not waited_on_a_lock(log), "the audit waited on a lock"
    assert snap.unavailable == {}
    tables = {t.name: t for t in snap.tables}
    for name in ("held", "queued", "events_2024"):
        # Sizes are relpages estimates, read without opening the relation: known even under the lock.
        assert tables[name].locked and (tables[name].total_bytes is not None or tables[name].is_partitioned), name
    assert not tables["free"].locked and tables["free"].total_bytes > 0
    views = {v.name: v for v in snap.views}
    assert views["held_view"].definition is None
    assert "free" in views["free_view"].definition
    assert {(lk.granted) for lk in snap.locks} == {True, False}
    indexes = {i.name: i for i in snap.indexes}
    # The definition is built from catalog columns; only what needs a deparse of the locked relation is left out.
    assert indexes["held_tenant_idx"].definition == (
        "CREATE INDEX held_tenant_idx ON app.held USING btree (tenant_id) WHERE (not read: relation locked)"
    )
    assert indexes["held_lower_idx"].definition == (
        "CREATE UNIQUE INDEX held_lower_idx ON app.held USING btree ((not read: relation locked), id DESC)"
    )
    assert indexes["free_pkey"].bytes
    # Catalog facts of a locked table are still read: its policy, constraints and partial index.
    assert [p.name for p in snap.policies] == ["held_tenant"]
    assert indexes["held_tenant_idx"].predicate is not None
    # Key and foreign key definitions are built from catalog columns, so a lock hides none of them; a CHECK's
    # needs the server's deparser (pg_get_constraintdef), which is not asked about a locked table.
    definitions = {c.name: c.definition for c in snap.constraints}
    assert definitions["held_pkey"] == "PRIMARY KEY (id)"
    assert definitions["queued_held_id_fkey"] == "FOREIGN KEY (held_id) REFERENCES app.held(id)"
    assert definitions["held_id_check"] == "(not read: relation locked)"

    limited = snap.limited["locked_relations"]
    assert "app.held (held)" in limited.reason and "app.queued (waiting)" in limited.reason
    report = engine.run(snap)
    assert "locked_relations" in report.limited
    assert not [s for s in report.statuses if s.status == "error"]


def test_cli_audit_reports_locked_tables_as_skipped(locked_db, tmp_path):
    started = time.perf_counter()
    out = run_cli("audit", locked_db, "-o", str(tmp_path), "-f", "md", "--lock-timeout", "1s", "--exit-zero")
    assert out.returncode == 0, out.stderr
    assert time.perf_counter() - started < 30
    md = (tmp_path / "pg-auditor-report.md").read_text(encoding="utf-8")
    section = md.split("## What this audit could not read", 1)[1]
    assert "| `locked_relations` | limited |" in section
    assert "app.queued (waiting)" in section
    assert render  # the same renderer the CLI used
