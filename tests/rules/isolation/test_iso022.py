"""ISO022 tenant-data-skew, from the planner statistics."""

from __future__ import annotations

from auditor.catalog.model import ColumnStats


def test_iso022_skew_from_stats(rls, run, tables):
    assert not run(rls, "ISO022")
    rls.column_stats = [ColumnStats("app", "tasks", "org_id", 0.0, 12, None, 0.8)]
    rls.__dict__.pop("column_stats_of", None)
    found = run(rls, "ISO022")
    assert tables(found) == {"tasks"} and found[0].severity == "info"
