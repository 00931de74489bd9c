"""HLT005 cache-hit-ratio: real block counters are read; a ratio under 99 % over old enough statistics fires,
young statistics leave the rule not evaluated."""

from __future__ import annotations

import dataclasses

from auditor.catalog.model import TableIO
from auditor.engine import run_rule
from auditor.engine.config import Config
from auditor.rules import load_all

from support import hits, snapshot_after


def test_counters_read_and_a_low_ratio_reported(conn):
    conn.execute("CREATE TABLE hot (id bigint PRIMARY KEY); INSERT INTO hot SELECT generate_series(1, 1000)")
    conn.execute("SELECT count(*) FROM hot")
    snap = snapshot_after(conn, "SELECT 1")
    hot = next(t for t in snap.tables if t.name == "hot")
    # this transaction's own counters are not flushed yet: the section's query is what is checked here
    assert snap.available("table_io") and all(io.heap_hit >= 0 for io in snap.table_io)
    snap.table_io = [TableIO(hot.oid, heap_read=50_000, heap_hit=950_000, idx_read=100, idx_hit=900_000)]
    snap.server = dataclasses.replace(
        snap.server, collected_at="2026-06-30T00:00:00+00:00", stats_reset="2026-05-01T00:00:00+00:00"
    )
    (f,) = hits(snap, "HLT005")
    assert f.members == ("table",) and f.evidence["ratio"] == 0.95 and f.evidence["most_read"] == ["public.hot"]


def test_young_statistics_are_not_evaluated(conn):
    snap = snapshot_after(conn, "SELECT 1")
    snap.server = dataclasses.replace(
        snap.server, collected_at="2026-06-30T00:00:00+00:00", stats_reset="2026-06-29T00:00:00+00:00"
    )
    status, found = run_rule(load_all()["HLT005"], snap, Config())
    assert status.status == "not_evaluated" and "7" in status.reason and found == []
