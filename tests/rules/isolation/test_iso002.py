"""ISO002 rls-not-forced."""

from __future__ import annotations


def test_iso002_not_forced(rls, run, tables):
    found = run(rls, "ISO002")
    assert tables(found) == {"tasks"}
    assert found[0].severity == "medium"  # iso_app is not the owner
    found = run(rls, "ISO002", app_roles=["iso_member"])
    assert found[0].severity == "high" and "iso_member" in found[0].message
