"""ISO013 cross-tenant-foreign-key: findings and fixes that run, one by one and grouped."""

from __future__ import annotations

from auditor.output.evidence import member_fixes

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
    fixes = member_fixes(f)
    assert len(fixes) == f.evidence["count"]
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


def test_link_table_without_tenant_column_joins_two_tenants(rls, conn, run):
    """A link table carrying no org_id whose two NOT NULL keys point at two tenant tables: a project of
    one organization can be linked to a memberships row of another. Both keys are named, without fix SQL
    (the table needs the column first)."""
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.project_members (project_id bigint NOT NULL REFERENCES app.projects,"
        " membership_id bigint NOT NULL REFERENCES app.memberships, PRIMARY KEY (project_id, membership_id));"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON app.project_members TO iso_app;",
    )
    found = {f.obj.name: f for f in run(snap, "ISO013") if f.obj.table == "project_members"}
    assert set(found) == {"project_members_project_id_fkey", "project_members_membership_id_fkey"}
    assert found["project_members_project_id_fkey"].evidence["links_to"] == ["app.memberships"]
    assert all(f.fix is None for f in found.values())


def test_link_table_to_one_tenant_table_or_optional_is_not_a_cross_link(rls, conn, run):
    """One tenant parent (a child table, ISO012's business), or an optional second key, is not a link."""
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.task_labels (task_id bigint NOT NULL REFERENCES app.tasks, label text);"
        "CREATE TABLE app.task_notes (task_id bigint NOT NULL REFERENCES app.tasks,"
        " membership_id bigint REFERENCES app.memberships);"
        "GRANT SELECT, INSERT ON app.task_labels, app.task_notes TO iso_app;",
    )
    assert not {f.obj.table for f in run(snap, "ISO013")} & {"task_labels", "task_notes"}


def test_references_to_shared_users_and_hierarchy_levels_are_not_cross_tenant(rls, conn, run):
    """Users who join orgs through a membership table belong to no one org: a task assigned to a user of
    "another" org is normal. With declared tenant keys (hierarchical tenancy), a key to a level of the
    hierarchy (projects, which tables declare as their key) places the row. The correct variants: users of
    one org only, or no hierarchy declared, still report."""
    ddl = (
        "CREATE TABLE app.users (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs);"
        "ALTER TABLE app.tasks ADD COLUMN assignee_id bigint REFERENCES app.users;"
        "CREATE TABLE app.boards (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,"
        " project_id bigint NOT NULL REFERENCES app.projects);"
        "ALTER TABLE app.users ENABLE ROW LEVEL SECURITY; ALTER TABLE app.boards ENABLE ROW LEVEL SECURITY;"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON app.users, app.boards TO iso_app;"
    )
    alone = snapshot_after(conn, ddl)
    names = {f.obj.name for f in run(alone, "ISO013")}
    assert {"tasks_assignee_id_fkey", "boards_project_id_fkey"} <= names
    joined = snapshot_after(
        conn,
        "CREATE TABLE app.org_users (user_id bigint NOT NULL REFERENCES app.users,"
        " org_id bigint NOT NULL REFERENCES app.orgs, PRIMARY KEY (user_id, org_id));",
    )
    names = {f.obj.name for f in run(joined, "ISO013", tenant_keys={"app.issues": "project_id"})}
    assert "tasks_assignee_id_fkey" not in names  # shared identities
    assert "boards_project_id_fkey" in names  # app.issues does not exist: no level declared


def test_hierarchy_level_from_declared_keys(rls, conn, run):
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.boards (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,"
        " project_id bigint NOT NULL REFERENCES app.projects);"
        "CREATE TABLE app.issues (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,"
        " project_id bigint NOT NULL REFERENCES app.projects);"
        "ALTER TABLE app.boards ENABLE ROW LEVEL SECURITY; ALTER TABLE app.issues ENABLE ROW LEVEL SECURITY;"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON app.boards, app.issues TO iso_app;",
    )
    assert "boards_project_id_fkey" in {f.obj.name for f in run(snap, "ISO013")}
    names = {f.obj.name for f in run(snap, "ISO013", tenant_keys={"app.issues": "project_id"})}
    assert "boards_project_id_fkey" not in names and "issues_project_id_fkey" not in names


def test_implied_key_between_tenant_tables_is_added_tenant_scoped(rls, conn, run):
    """CON002 on a column between two tenant tables adds the composite key, with the UNIQUE (org_id, id) and
    the index it needs: a plain key would be ISO013's next finding (a row pointing at another tenant's row)."""
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.payments (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,"
        " invoice_id bigint NOT NULL); GRANT ALL ON app.payments TO iso_app;",
    )
    (f,) = [f for f in run(snap, "CON002") if f.obj.table == "payments"]
    assert "FOREIGN KEY (org_id, invoice_id) REFERENCES app.invoices (org_id, id)" in f.fix
    run_fix(conn, f.fix)
    after = snapshot_after(conn, "SELECT 1")
    for code in ("CON002", "ISO013", "IDX001"):
        assert not [h for h in run(after, code) if h.obj.table == "payments"], code
