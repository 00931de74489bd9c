"""IDX010 mostly-null-index on real data and planner statistics."""

from __future__ import annotations

import dataclasses
import re

import pytest

from auditor.engine import run_rule
from auditor.engine.config import Config
from auditor.rules import load_all

from support import hits, snapshot_after


def test_mostly_null(conn, run_fix, by_name, jobs_ddl):
    snap = snapshot_after(conn, jobs_ddl)
    snap.settings = {"index_min_bytes": 0}
    found = by_name(hits(snap, "IDX010"))
    assert set(found) == {"jobs_canceled_at_idx"}
    f = found["jobs_canceled_at_idx"]
    assert f.evidence["null_fraction"] == pytest.approx(0.9, abs=0.03)
    assert re.search(
        r"CREATE INDEX CONCURRENTLY jobs_canceled_at_partial_idx ON l\.jobs USING btree \(canceled_at\) "
        r"WHERE canceled_at IS NOT NULL;",
        f.fix,
    )
    run_fix(conn, f.fix)
    snap = snapshot_after(conn, "ANALYZE l.jobs")
    snap.settings = {"index_min_bytes": 0}
    assert hits(snap, "IDX010") == []


def test_mostly_null_not_evaluated_without_statistics(conn, jobs_ddl):
    snap = snapshot_after(conn, jobs_ddl)
    snap.index_stats = [dataclasses.replace(s, with_stats=0, lead_null_frac=None) for s in snap.index_stats]
    status, _ = run_rule(load_all()["IDX010"], snap, Config())
    assert status.status == "not_evaluated" and "ANALYZE" in status.reason
