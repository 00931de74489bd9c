"""ISO010 policy-switch-on-settable-setting."""

from __future__ import annotations


def test_iso010_settable_setting(rls, run):
    found = run(rls, "ISO010")
    assert {(f.obj.table, f.obj.name) for f in found} == {("reports", "admins")}
    assert "app.user_role" in found[0].message
