"""ISO005 command-not-tenant-scoped: per command, per role."""

from __future__ import annotations

from support import hits, snapshot_after


def test_iso005_commands_not_scoped(rls, run):
    found = {f.obj.table: f for f in run(rls, "ISO005")}
    # memberships: USING (true) neutralised by a restrictive floor; task_events: EXISTS through the parent.
    assert set(found) == {"invoices", "documents", "ledger", "reports"}
    assert set(found["ledger"].evidence["commands"]) == {"UPDATE"}
    assert set(found["invoices"].evidence["commands"]) == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert found["invoices"].severity == "critical"


def test_iso005_policy_targets_a_role(rls, conn, tables, plain):
    snap = snapshot_after(conn, "CREATE POLICY other ON app.projects TO iso_bypass USING (true);")
    snap.settings = dict(plain)
    assert "projects" not in tables(hits(snap, "ISO005"))  # applies to iso_bypass only
    snap.settings = {"app_roles": ["iso_app", "iso_bypass"]}
    assert "projects" in tables(hits(snap, "ISO005"))
