"""IDX005 unused-index on real snapshots whose usage counters are edited by hand."""

from __future__ import annotations

import dataclasses

from auditor.engine import run_rule
from auditor.engine.config import Config
from auditor.rules import load_all

from support import hits, snapshot_after

UNUSED = """
CREATE SCHEMA u;
CREATE TABLE u.p (id bigint PRIMARY KEY);
CREATE TABLE u.t (id bigint PRIMARY KEY, p_id bigint REFERENCES u.p, code text UNIQUE, a int, b int);
CREATE INDEX t_p_idx ON u.t (p_id);           -- the foreign key's only index: kept
CREATE INDEX t_a_idx ON u.t (a);              -- unused
CREATE INDEX t_b_idx ON u.t (b);              -- used
CREATE UNIQUE INDEX t_ab_uq ON u.t (a, b);    -- unique: kept
CREATE TABLE u.ev (id bigint, at date NOT NULL, k int) PARTITION BY RANGE (at);
CREATE TABLE u.ev_1 PARTITION OF u.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE u.ev_2 PARTITION OF u.ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX ev_k_idx ON u.ev (k);            -- unused in both partitions
CREATE INDEX ev_at_idx ON u.ev (at);          -- used in one partition
"""


def test_unused_indexes(conn, by_name, with_usage):
    snap = with_usage(snapshot_after(conn, UNUSED), {"t_b_idx": 5, "ev_at_idx": 0, "ev_2_at_idx": 3})
    found = by_name(hits(snap, "IDX005"))
    assert set(found) == {"t_a_idx", "ev_k_idx"}
    f = found["t_a_idx"]
    assert f.evidence["idx_scan"] == 0 and f.evidence["statistics_since"] == "2026-05-01T00:00:00+00:00"
    assert f.evidence["statistics_age_days"] == 60.0
    assert f.fix.startswith("DROP INDEX CONCURRENTLY IF EXISTS u.t_a_idx;")
    assert "CREATE INDEX CONCURRENTLY t_a_idx ON u.t USING btree (a);" in f.fix
    assert found["ev_k_idx"].obj.table == "ev" and "DROP INDEX IF EXISTS u.ev_k_idx;" in found["ev_k_idx"].fix


def test_unused_last_scan_long_ago(conn, by_name, with_usage):
    snap = with_usage(
        snapshot_after(conn, UNUSED),
        {"t_a_idx": 9, "t_b_idx": 9, "ev_1_k_idx": 1, "ev_1_at_idx": 1},
        last={"t_a_idx": "2026-03-01T00:00:00+00:00", "t_b_idx": "2026-06-29T00:00:00+00:00"},
    )
    found = by_name(hits(snap, "IDX005"))
    assert set(found) == {"t_a_idx"} and "last scanned 121 days ago" in found["t_a_idx"].message


def test_unused_not_evaluated_on_young_statistics(conn, with_usage):
    snap = with_usage(snapshot_after(conn, UNUSED), {}, days=2)
    status, findings = run_rule(load_all()["IDX005"], snap, Config())
    assert status.status == "not_evaluated" and findings == [] and "2.0 days" in status.reason
    # Never reset: the server start is the lower bound, and the reason says so.
    snap.server = dataclasses.replace(snap.server, stats_reset=None, postmaster_start="2026-06-29T00:00:00+00:00")
    status, _ = run_rule(load_all()["IDX005"], snap, Config())
    assert status.status == "not_evaluated" and "lower bound" in status.reason


def test_unused_size_floor(conn, with_usage):
    snap = with_usage(snapshot_after(conn, UNUSED), {}, index_min_bytes=1024 * 1024)
    assert hits(snap, "IDX005") == []
