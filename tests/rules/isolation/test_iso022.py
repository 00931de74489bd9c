"""ISO022 tenant-data-skew, from the planner statistics."""

from __future__ import annotations

from auditor.catalog.model import ColumnStats


def skewed(snap, rows: float):
    """app.tasks with 80 % of its rows in one tenant, at the estimated size given."""
    snap.column_stats = [ColumnStats("app", "tasks", "org_id", 0.0, 12, None, 0.8)]
    snap.__dict__.pop("column_stats_of", None)
    next(t for t in snap.user_tables if t.name == "tasks").reltuples = rows
    return snap


def test_iso022_skew_from_stats(rls, run, tables):
    assert not run(rls, "ISO022")
    found = run(skewed(rls, 5_000), "ISO022")
    assert tables(found) == {"tasks"} and found[0].severity == "info"


def test_iso022_says_nothing_of_a_handful_of_rows(rls, run):
    """Two rows of one tenant are 100 % of the table and mean nothing (a review found it on a 2-row table)."""
    assert not run(skewed(rls, 2), "ISO022")
    assert run(skewed(rls, 2), "ISO022", tenant_skew_min_rows=1)
