"""ISO015 nullable-tenant-column: defects, shared NULL rows on purpose, and the fix."""

from __future__ import annotations

import dataclasses

import pytest

from auditor.analysis.isolation_model import model_for
from auditor.catalog.model import ColumnStats

from support import hits, snapshot_after

CTX = "NULLIF(current_setting('app.current_org', true), '')::bigint"  # as in conftest's RLS_SCHEMA


def test_iso015_nullable_tenant_column(rls, conn, run, plain):
    found = run(rls, "ISO015")
    assert {f.obj.display for f in found} == {"app.notes.org_id"}
    snap = dataclasses.replace(rls)
    snap.column_stats = [ColumnStats("app", "notes", "org_id", 0.25, 3, None, 0.4)]
    snap.settings = dict(plain)
    (f,) = hits(snap, "ISO015")
    assert f.severity == "high" and "25.0%" in f.message
    conn.execute(found[0].fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "ISO015")


def test_iso015_fix_leaves_only_the_not_null(rls, conn, run):
    (f,) = run(rls, "ISO015")
    conn.execute(f.fix)
    checks = conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'app.notes'::regclass AND contype = 'c'"
    ).fetchall()
    assert checks == []  # the helper CHECK is dropped once the NOT NULL is set
    assert conn.execute(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'app.notes'::regclass AND attname = 'org_id'"
    ).fetchone() == (True,)


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE UNIQUE INDEX notes_shared_body ON app.notes (body) WHERE org_id IS NULL",
        "CREATE UNIQUE INDEX notes_org_body ON app.notes (org_id, body) NULLS NOT DISTINCT",
        "CREATE INDEX notes_shared ON app.notes (id) WHERE org_id IS NULL",
        "ALTER TABLE app.notes ADD CONSTRAINT shared_has_body CHECK (org_id IS NULL OR body IS NOT NULL)",
        "ALTER TABLE app.notes ADD CONSTRAINT own_has_body CHECK (org_id IS NOT NULL OR body IS NULL)",
        f"CREATE POLICY shared ON app.notes FOR SELECT USING (org_id IS NULL OR org_id = {CTX})",
    ],
)
def test_iso015_shared_rows_look_intentional(rls, conn, pg_server, ddl, run):
    if "NULLS NOT DISTINCT" in ddl and pg_server.major < 15:
        pytest.skip("NULLS NOT DISTINCT needs PostgreSQL 15")
    snap = snapshot_after(conn, ddl)
    (f,) = run(snap, "ISO015")
    assert f.severity == "info" and f.fix is None and f.points is None
    assert "looks intentional" in f.message and len(f.evidence["shared_rows"]) == 1
    assert not model_for(snap).table_points("app.notes", ("struct",))  # no structure points off either


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE UNIQUE INDEX notes_org_body ON app.notes (org_id, body)",
        "CREATE INDEX notes_owned ON app.notes (id) WHERE org_id IS NOT NULL",
        "ALTER TABLE app.notes ADD CONSTRAINT body_set CHECK (body IS NOT NULL OR id > 0)",
        f"CREATE POLICY other ON app.notes FOR SELECT USING (body IS NULL OR org_id = {CTX})",
    ],
)
def test_iso015_no_shared_row_signal_is_still_a_defect(rls, conn, ddl, run):
    snap = snapshot_after(conn, ddl)
    (f,) = run(snap, "ISO015")
    assert f.severity == "medium" and f.fix and f.points and "looks intentional" not in f.message
    assert "shared_rows" not in f.evidence


def test_iso015_not_valid_check_is_low(rls, conn, run):
    """CHECK (org_id IS NOT NULL) NOT VALID already refuses new NULLs: the backfill is under way (low, still
    a defect with its fix, not a sign of shared rows)."""
    snap = snapshot_after(conn, "ALTER TABLE app.notes ADD CONSTRAINT notes_org CHECK (org_id IS NOT NULL) NOT VALID;")
    (f,) = run(snap, "ISO015")
    assert f.severity == "low" and "notes_org NOT VALID" in f.message and f.fix
    assert "shared_rows" not in f.evidence


@pytest.mark.parametrize(
    ("declared", "severity"),
    [
        ({"app.notes": "org_id"}, "medium"),  # its one published key, nullable: the finding stands
        ({"app.notes": ["org_id", "author_id"]}, "low"),  # one of several published keys
        ({"app.notes": "author_id"}, "low"),  # another key published
        ({"app.tasks": "org_id"}, "low"),  # keys published, none for this table yet
    ],
)
def test_iso015_published_tenant_keys(rls, conn, run, declared, severity):
    snap = snapshot_after(conn, "ALTER TABLE app.notes ADD COLUMN author_id bigint;")
    (f,) = run(snap, "ISO015", tenant_keys=declared)
    assert f.severity == severity
