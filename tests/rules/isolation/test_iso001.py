"""ISO001 tenant-table-without-rls: per table under RLS, one statement for an application-enforced schema."""

from __future__ import annotations

from auditor.analysis.isolation_model import model_for
from auditor.analysis.tenancy import tenancy

from support import hits, snapshot_after


def test_iso001_rls_model_flags_each_table(rls, run, tables):
    found = run(rls, "ISO001")
    assert tables(found) == {"notes"}
    assert found[0].severity == "critical"


def test_iso001_fix_runs(rls, conn, run):
    (f,) = run(rls, "ISO001")
    conn.execute("DROP POLICY tenant ON app.notes")
    conn.execute(f.fix)
    again = hits(snapshot_after(conn, "SELECT 1"), "ISO001")
    assert not again


def test_application_enforced_is_one_statement_and_bounded(conn, app_schema):
    snap = snapshot_after(conn, app_schema)
    ten = tenancy(snap)
    assert ten.model == "app"
    assert ten.statement == (
        "application-enforced: organization_id on 30 of 32 tables holding tenant data, no row-level security"
    )
    (f,) = hits(snap, "ISO001")
    assert f.obj.kind == "database" and len(f.evidence["tables"]) == 32  # one count: the statement's 32
    assert f.fix.startswith("-- per table, starting with the one that weighs most in the score")  # not "sensitive"
    # adopting RLS is an application change: printed for the DBA, never run from a script
    assert all(line.startswith("--") for line in f.fix.splitlines()) and "-- CREATE POLICY" in f.fix
    fks = hits(snap, "ISO013")
    assert len(fks) == 1 and fks[0].evidence["count"] == 30 and fks[0].severity == "low"  # uuid keys
    sm = model_for(snap)
    assert sm.read == 0 and sm.score <= 15 and sm.readiness >= 80
