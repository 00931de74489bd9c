"""ISO006 policy-not-tenant-scoped, and its fix."""

from __future__ import annotations

from support import snapshot_after


def test_iso006_unscoped_policies(rls, run):
    found = run(rls, "ISO006")
    assert {(f.obj.table, f.obj.name) for f in found} == {
        ("invoices", "inv"),  # WITH CHECK (true)
        ("memberships", "m_open"),  # USING (true), reported even with a floor
        ("ledger", "upd"),  # USING (true)
    }  # documents.by_role references org_id (against current_user): that is ISO009's


def test_iso006_fix_runs(rls, conn, run, tables):
    found = {f.obj.name: f for f in run(rls, "ISO006")}
    conn.execute(found["inv"].fix)
    snap = snapshot_after(conn, "SELECT 1")
    assert "inv" not in {f.obj.name for f in run(snap, "ISO006")}
    assert "invoices" not in tables(run(snap, "ISO005"))
