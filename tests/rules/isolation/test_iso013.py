"""ISO013 cross-tenant-foreign-key: findings and fixes that run, one by one and grouped."""

from __future__ import annotations

from support import hits, run_fix, snapshot_after


def test_iso013_cross_tenant_fk(rls, conn, run):
    found = run(rls, "ISO013")
    # tasks.project_id leaves org_id out; comments' composite key includes it; FKs to the root are the key itself.
    assert {f.obj.name for f in found} == {"tasks_project_id_fkey"}
    assert not found[0].fix.startswith("CREATE UNIQUE INDEX")  # projects already has UNIQUE (org_id, id)
    run_fix(conn, found[0].fix)
    again = hits(snapshot_after(conn, "SELECT 1"), "ISO013")
    assert not again


def test_grouped_fk_fixes_run_in_order(conn, app_schema):
    snap = snapshot_after(conn, app_schema)
    (f,) = hits(snap, "ISO013")
    fixes = f.evidence["fixes"]
    # each member stands alone: its parent's unique index is in its own fix (IF NOT EXISTS, one name per parent:
    # t0, referenced twice, gets it from whichever runs first)
    assert all("CREATE UNIQUE INDEX" in x and "IF NOT EXISTS" in x for x in fixes)
    for fix in fixes:
        run_fix(conn, fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "ISO013")


def test_composite_key_keeps_update_action_and_deferrability(rls, conn, run):
    """The new key keeps ON UPDATE CASCADE and DEFERRABLE INITIALLY DEFERRED (the application may rely on
    checking at commit), and the old one goes only once it is validated."""
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.links (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,"
        " project_id bigint CONSTRAINT links_project_fk REFERENCES app.projects ON UPDATE CASCADE"
        " DEFERRABLE INITIALLY DEFERRED);"
        "GRANT ALL ON app.links TO iso_app;",
    )
    (f,) = [f for f in run(snap, "ISO013") if f.obj.table == "links"]
    assert "ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID" in f.fix
    run_fix(conn, f.fix)
    (row,) = conn.execute(
        "SELECT confupdtype, condeferrable, condeferred, array_length(conkey, 1) FROM pg_constraint"
        " WHERE conrelid = 'app.links'::regclass AND contype = 'f' AND confrelid = 'app.projects'::regclass"
    ).fetchall()
    assert row == ("c", True, True, 2)
