"""ISO011 app-role-bypasses-rls: each way a role skips the policies, and fixes that run."""

from __future__ import annotations

import pytest

from support import hits, snapshot_after


@pytest.mark.parametrize(
    ("role", "expected", "severity"),
    [
        ("iso_app", None, None),
        ("iso_owner", "table owner (RLS not forced)", "high"),
        ("iso_member", "member of the owner role iso_owner (RLS not forced)", "high"),
        ("iso_bypass", "BYPASSRLS", "critical"),
        ("iso_etl", "can SET ROLE iso_bypass (BYPASSRLS)", "critical"),
    ],
)
def test_iso011_roles(rls, role, expected, severity, run):
    found = run(rls, "ISO011", app_roles=[role])
    if expected is None:
        assert not found
        return
    (f,) = found
    assert f.obj.name == role and expected in f.evidence["reasons"] and f.severity == severity
    if "owner" in expected:  # only the non-FORCE table is open to the owner and its members
        assert f.evidence["reasons"][expected] == ["app.tasks"]


@pytest.mark.parametrize("role", ["iso_member", "iso_etl", "iso_owner"])
def test_iso011_fix_runs(rls, conn, role, run):
    (f,) = run(rls, "ISO011", app_roles=[role])
    for stmt in f.fix.split(";\n"):
        conn.execute(stmt)
    snap = snapshot_after(conn, "SELECT 1")
    snap.settings = {"app_roles": [role]}
    assert not hits(snap, "ISO011")
