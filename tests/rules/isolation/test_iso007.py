"""ISO007 policy-null-tenant-branch."""

from __future__ import annotations


def test_iso007_null_branch(rls, run):
    found = run(rls, "ISO007")
    assert {(f.obj.table, f.obj.name) for f in found} == {("invoices", "inv")}
    assert found[0].evidence["branches"] == ["org_id IS NULL"]
