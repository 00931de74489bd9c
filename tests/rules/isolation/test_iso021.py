"""ISO021 truncate-granted."""

from __future__ import annotations


def test_iso021_truncate(rls, run):
    found = run(rls, "ISO021")
    assert {f.obj.name for f in found} == {"iso_app"}
    assert found[0].evidence["tables"] == ["app.tasks"]
    assert not run(rls, "ISO021", app_roles=["iso_member"])
