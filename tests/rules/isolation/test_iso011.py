"""ISO011 app-role-bypasses-rls: each way a role skips the policies, and fixes that run."""

from __future__ import annotations

import pytest

from support import hits, snapshot_after


def _bypassing(found):
    """The findings on application roles (the BYPASSRLS inventory of other roles aside)."""
    return [f for f in found if not f.evidence.get("inventory")]


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
    found = _bypassing(run(rls, "ISO011", app_roles=[role]))
    if expected is None:
        assert not found
        return
    (f,) = found
    assert f.obj.name == role and expected in f.evidence["reasons"] and f.severity == severity
    if "owner" in expected:  # only the non-FORCE table is open to the owner and its members
        assert f.evidence["reasons"][expected] == ["app.tasks"]


@pytest.mark.parametrize("role", ["iso_member", "iso_etl", "iso_owner"])
def test_iso011_fix_runs(rls, conn, role, run):
    (f,) = _bypassing(run(rls, "ISO011", app_roles=[role]))
    for stmt in f.fix.split(";\n"):
        conn.execute(stmt)
    snap = snapshot_after(conn, "SELECT 1")
    snap.settings = {"app_roles": [role]}
    assert not _bypassing(hits(snap, "ISO011"))


def test_bypassrls_roles_that_are_not_the_app_are_an_inventory(rls, run):
    """iso_bypass skips RLS and holds DML grants, but the application runs as iso_app: info, with how it is reached."""
    inventory = {f.obj.name: f for f in run(rls, "ISO011") if f.evidence.get("inventory")}
    assert set(inventory) == {"iso_bypass"}
    assert inventory["iso_bypass"].severity == "info"
    assert "reached by SET ROLE from iso_etl" in inventory["iso_bypass"].message
    assert not [f for f in run(rls, "ISO011", app_roles=["iso_bypass"]) if f.evidence.get("inventory")]
