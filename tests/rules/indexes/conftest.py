"""What several index rules' tests share, given as fixtures (a conftest cannot be imported by name).

`run_fix` runs a finding's fix in the test's transaction, `by_name` keys findings by object name,
`with_usage` and `with_table_stats` edit a real snapshot's usage counters, and `jobs_ddl` is the data
set IDX009 and IDX010 judge.
"""

from __future__ import annotations

import dataclasses

import pytest

from auditor.catalog.model import IndexUsage, TableStats

import support


def _run_fix(conn, fix: str) -> None:
    """Run a finding's fix inside the test transaction (CONCURRENTLY cannot run in one), as support.run_fix."""
    support.run_fix(conn, fix)


def _by_name(findings) -> dict:
    return {f.obj.name: f for f in findings}


def _with_usage(snap, scans: dict[str, int], *, days: float = 30, last: dict[str, str] | None = None, **settings):
    """The snapshot with idx_scan set per index name (partition copies by their own names), stats `days` old."""
    names = {i.oid: i.name for i in snap.indexes}
    snap.index_usage = [
        IndexUsage(i.oid, scans.get(i.name, 0), 0, (last or {}).get(i.name))
        for i in snap.indexes
        if not i.is_partitioned
    ]
    assert set(scans) <= set(names.values())
    collected = "2026-06-30T00:00:00+00:00"
    reset = f"2026-06-{30 - int(days):02d}T00:00:00+00:00" if days < 30 else "2026-05-01T00:00:00+00:00"
    snap.server = dataclasses.replace(snap.server, collected_at=collected, stats_reset=reset)
    snap.settings = {"index_min_bytes": 0, **settings}
    for name in ("usage_of", "stats_of"):
        snap.__dict__.pop(name, None)
    return snap


def _with_table_stats(snap, rows: dict[str, tuple[int, int, int]], **settings):
    """(seq_scan, seq_tup_read, idx_scan) per table name; reltuples from the read volume."""
    out = []
    for t in snap.tables:
        seq, read, idx = rows.get(t.name, (0, 0, 0))
        out.append(TableStats(t.oid, seq, read, idx, 0, 0, 0, 0, 0, 0, None, None, None, None, None))
    snap.table_stats = out
    snap.tables = [dataclasses.replace(t, reltuples=50_000.0) if t.name in rows else t for t in snap.tables]
    for name in ("stats_of", "table_by_oid", "partitions_of"):
        snap.__dict__.pop(name, None)
    return _with_usage(snap, {}, **settings)


JOBS = """
CREATE SCHEMA l;
CREATE TABLE l.jobs (id bigint PRIMARY KEY, done boolean NOT NULL, state text, even boolean, created date,
                     canceled_at timestamptz, ref bigint);
INSERT INTO l.jobs SELECT g, g % 50 <> 0, CASE WHEN g % 40 = 0 THEN 'failed' ELSE 'ok' END, g % 2 = 0,
       date '2024-01-01' + g % 300, CASE WHEN g % 10 = 0 THEN now() - g * interval '1 minute' END, g
FROM generate_series(1, 30000) g;
CREATE INDEX jobs_done_idx ON l.jobs (done);
CREATE INDEX jobs_state_idx ON l.jobs (state);
CREATE INDEX jobs_even_idx ON l.jobs (even);
CREATE INDEX jobs_done_created_idx ON l.jobs (done, created);     -- composite: the next key narrows
CREATE INDEX jobs_created_idx ON l.jobs (created);                -- 300 values: fine
CREATE INDEX jobs_canceled_at_idx ON l.jobs (canceled_at);        -- 90 % NULL
CREATE INDEX jobs_ref_idx ON l.jobs (ref);                         -- never NULL
CREATE INDEX jobs_canceled_live_idx ON l.jobs (canceled_at) WHERE canceled_at IS NOT NULL;  -- already partial
ANALYZE l.jobs;
"""


@pytest.fixture
def run_fix():
    return _run_fix


@pytest.fixture
def by_name():
    return _by_name


@pytest.fixture
def with_usage():
    return _with_usage


@pytest.fixture
def with_table_stats():
    return _with_table_stats


@pytest.fixture
def jobs_ddl() -> str:
    """Jobs with a boolean, a two-valued, an even and a 90 %-NULL column, indexed alone and composite."""
    return JOBS
