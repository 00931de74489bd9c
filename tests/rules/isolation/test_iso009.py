"""ISO009 tenant-compared-with-current-user."""

from __future__ import annotations


def test_iso009_current_user(rls, run):
    assert {(f.obj.table, f.obj.name) for f in run(rls, "ISO009")} == {("documents", "by_role")}
