"""ISO014 unique-without-tenant-column: which keys are global, and fixes that run on every server version."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from support import hits, run_fix, snapshot_after

CTX = "NULLIF(current_setting('app.current_org', true), '')::bigint"  # as in conftest's RLS_SCHEMA


def test_iso014_unique_without_tenant(rls, conn, run):
    found = run(rls, "ISO014")
    # tasks.number is global; comments (task_id, body) includes an FK to a tenant-owned parent; PKs are surrogate.
    assert {f.obj.name for f in found} == {"tasks_number_key"}
    run_fix(conn, found[0].fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "ISO014")


def test_iso014_key_with_a_generated_column_is_not_global(rls, conn, run):
    # A partitioned table's primary key must hold the partition key: (id, created_at) with a generated id
    # can collide with nobody. A natural key widened the same way still leaks across tenants.
    conn.execute(
        "CREATE TABLE app.evlog (id bigint GENERATED ALWAYS AS IDENTITY, org_id bigint NOT NULL"
        " REFERENCES app.orgs, code text NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (id, created_at),"
        " UNIQUE (code, created_at)) PARTITION BY RANGE (created_at);"
        "CREATE TABLE app.evlog_2025 PARTITION OF app.evlog FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
        "ALTER TABLE app.evlog ENABLE ROW LEVEL SECURITY"
    )
    found = {f.obj.name for f in run(snapshot_after(conn, "SELECT 1"), "ISO014") if f.obj.table == "evlog"}
    assert found == {"evlog_code_created_at_key"}


def test_iso014_key_used_by_a_foreign_key_is_not_dropped_blindly(rls, conn, run):
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.refs (id bigint PRIMARY KEY, org_id bigint NOT NULL, n text REFERENCES app.tasks (number));",
    )
    (f,) = [f for f in run(snap, "ISO014") if f.obj.name == "tasks_number_key"]
    assert "the old key stays: a foreign key references it" in f.fix and "DROP" not in f.fix
    run_fix(conn, f.fix)  # the new key is built beside it; the old one, and the foreign key, stay
    assert conn.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'tasks_number_key'").fetchone() == (1,)


TAGS = (
    "CREATE TABLE app.tags (id bigint PRIMARY KEY, org_id bigint REFERENCES app.orgs, code text UNIQUE);"
    f"CREATE POLICY tenant ON app.tags USING (org_id = {CTX});"
    "ALTER TABLE app.tags ENABLE ROW LEVEL SECURITY;"
)


def _apply(conn, fix):
    run_fix(conn, fix)


def _tags_fix(run, snap) -> str:
    (f,) = [f for f in run(snap, "ISO014") if f.obj.table == "tags"]
    assert f.evidence["tenant_column_nullable"] is True
    return f.fix


def test_iso014_nullable_tenant_uses_nulls_not_distinct(rls, conn, pg_server, run):
    if pg_server.major < 15:
        pytest.skip("NULLS NOT DISTINCT needs PostgreSQL 15")
    fix = _tags_fix(run, snapshot_after(conn, TAGS))
    assert "NULLS NOT DISTINCT" in fix and "tenant column is nullable" in fix and "SET NOT NULL" not in fix
    (tasks,) = [f for f in run(rls, "ISO014") if f.obj.table == "tasks"]
    assert "NULLS NOT DISTINCT" not in tasks.fix and "nullable" not in tasks.fix  # tasks.org_id is NOT NULL
    _apply(conn, fix)
    assert not [f for f in run(snapshot_after(conn, "SELECT 1"), "ISO014") if f.obj.table == "tags"]
    conn.execute("INSERT INTO app.tags VALUES (1, NULL, 'a')")
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO app.tags VALUES (2, NULL, 'a')")


def _before_15(snap):
    return dataclasses.replace(snap, server=dataclasses.replace(snap.server, version_num=140000))


def test_iso014_nullable_tenant_before_15_sets_not_null_first(rls, conn, run):
    fix = _tags_fix(run, _before_15(snapshot_after(conn, TAGS)))
    assert "NULLS NOT DISTINCT needs PostgreSQL 15" in fix and "(ISO015)" in fix
    assert fix.index("SET NOT NULL") < fix.index("CREATE UNIQUE INDEX") and "NULLS NOT DISTINCT;" not in fix
    _apply(conn, fix)
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("INSERT INTO app.tags VALUES (2, NULL, 'a')")


def test_iso014_shared_rows_before_15_get_their_own_index(rls, conn, run):
    snap = snapshot_after(conn, TAGS + "ALTER TABLE app.tags ADD CHECK (org_id IS NULL OR code <> '');")
    fix = _tags_fix(run, _before_15(snap))
    assert "SET NOT NULL" not in fix and "WHERE org_id IS NULL;" in fix
    _apply(conn, fix)
    conn.execute("INSERT INTO app.orgs VALUES (1, 'o'); INSERT INTO app.tags VALUES (1, NULL, 'a'), (2, 1, 'a')")
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO app.tags VALUES (3, NULL, 'a')")


def test_iso014_key_that_serves_a_foreign_key_keeps_serving_it(rls, conn, run):
    """A unique key the table's foreign key looks its rows up by (a 1:1 link to a shared table): the tenant
    goes last in the new key, so the lookups keep an index (IDX001 otherwise, as on documenso's Team)."""
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.settings (id bigint PRIMARY KEY);"
        "CREATE TABLE app.teams (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,"
        " settings_id bigint UNIQUE REFERENCES app.settings);"
        f"CREATE POLICY tenant ON app.teams USING (org_id = {CTX}); ALTER TABLE app.teams ENABLE ROW LEVEL SECURITY;",
    )
    (f,) = [f for f in run(snap, "ISO014") if f.obj.table == "teams"]
    assert "ON app.teams (settings_id, org_id)" in f.fix
    run_fix(conn, f.fix)
    after = snapshot_after(conn, "SELECT 1")
    assert not [f for f in run(after, "ISO014") if f.obj.table == "teams"]
    assert not [f for f in hits(after, "IDX001") if f.obj.name == "teams_settings_id_fkey"]


def test_iso014_key_that_serves_a_partitions_foreign_key_keeps_serving_it(rls, conn, run):
    """The same when the foreign keys are declared on the partitions only (GitLab's ci_runner_machines)."""
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.settings (id bigint, kind int, PRIMARY KEY (id, kind));"
        "CREATE TABLE app.machines (org_id bigint NOT NULL REFERENCES app.orgs, settings_id bigint, kind int NOT NULL,"
        " xid text, UNIQUE (settings_id, kind, xid)) PARTITION BY LIST (kind);"
        "CREATE TABLE app.machines_1 PARTITION OF app.machines FOR VALUES IN (1);"
        "ALTER TABLE app.machines_1 ADD CONSTRAINT machines_1_fk FOREIGN KEY (settings_id, kind)"
        " REFERENCES app.settings;"
        f"CREATE POLICY tenant ON app.machines USING (org_id = {CTX});"
        "ALTER TABLE app.machines ENABLE ROW LEVEL SECURITY;",
    )
    (f,) = [f for f in run(snap, "ISO014") if f.obj.table == "machines"]
    assert "ON app.machines (settings_id, kind, xid, org_id)" in f.fix
    run_fix(conn, f.fix)
    assert not [f for f in hits(snapshot_after(conn, "SELECT 1"), "IDX001") if f.obj.name == "machines_1_fk"]


def _iso014_on(snap, run, table, **settings):
    return {f.obj.name: f.severity for f in run(snap, "ISO014", **settings) if f.obj.table == table}


def test_iso014_unique_within_a_parent_by_implied_or_partition_reference(rls, conn, run):
    """A key holding a reference to a tenant-owned row is unique per parent, so per tenant, whether the
    reference is a foreign key on the partitions only or implied by the name (no key at all); a key on a
    column that references nothing still leaks."""
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.task_counts (org_id bigint NOT NULL REFERENCES app.orgs, day date NOT NULL,"
        " task_id bigint NOT NULL, n int, UNIQUE (day, task_id));"
        "CREATE TABLE app.runs (id bigint NOT NULL, org_id bigint NOT NULL REFERENCES app.orgs, kind int NOT NULL,"
        " task_id bigint NOT NULL, xid text NOT NULL, UNIQUE (task_id, kind, xid)) PARTITION BY LIST (kind);"
        "CREATE TABLE app.runs_1 PARTITION OF app.runs FOR VALUES IN (1);"
        "ALTER TABLE app.runs_1 ADD FOREIGN KEY (task_id) REFERENCES app.tasks;"
        "CREATE TABLE app.codes (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs, code text,"
        " UNIQUE (code));"
        "ALTER TABLE app.task_counts ENABLE ROW LEVEL SECURITY; ALTER TABLE app.runs ENABLE ROW LEVEL SECURITY;"
        "ALTER TABLE app.codes ENABLE ROW LEVEL SECURITY;",
    )
    assert not _iso014_on(snap, run, "task_counts") and not _iso014_on(snap, run, "runs")
    assert _iso014_on(snap, run, "codes") == {"codes_code_key": "medium"}


def test_iso014_declared_tenant_keys_scope_a_unique_key(rls, conn, run):
    """Hierarchical tenancy (tenant_keys): a key holding the table's own declared key is per tenant at that
    level, and one restricted to rows where that key IS NULL covers the shared rows."""
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.roles (id bigint PRIMARY KEY, org_id bigint REFERENCES app.orgs, space_key bigint,"
        " name text NOT NULL, code text);"
        "CREATE UNIQUE INDEX roles_global_name ON app.roles (name) WHERE space_key IS NULL;"
        "CREATE UNIQUE INDEX roles_project_code ON app.roles (space_key, code);"
        "ALTER TABLE app.roles ENABLE ROW LEVEL SECURITY;",
    )
    assert set(_iso014_on(snap, run, "roles")) == {"roles_global_name", "roles_project_code"}
    assert not _iso014_on(snap, run, "roles", tenant_keys={"app.roles": ["space_key", "org_id"]})


def test_iso014_login_names_of_users_who_join_tenants_are_global(rls, conn, run):
    """users carrying org_id, with a membership table linking them to orgs: one identity across tenants,
    its email unique across them by design (low). The correct variant, users of one org only: medium."""
    ddl = (
        "CREATE TABLE app.users (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,"
        " email text NOT NULL, UNIQUE (email));"
        "CREATE TABLE app.ssh_keys (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,"
        " fingerprint_sha256 bytea UNIQUE);"
        "ALTER TABLE app.users ENABLE ROW LEVEL SECURITY; ALTER TABLE app.ssh_keys ENABLE ROW LEVEL SECURITY;"
    )
    alone = snapshot_after(conn, ddl)
    assert _iso014_on(alone, run, "users") == {"users_email_key": "medium"}
    assert _iso014_on(alone, run, "ssh_keys") == {"ssh_keys_fingerprint_sha256_key": "low"}  # a key's hash
    joined = snapshot_after(
        conn,
        "CREATE TABLE app.org_users (user_id bigint NOT NULL REFERENCES app.users,"
        " org_id bigint NOT NULL REFERENCES app.orgs, PRIMARY KEY (user_id, org_id));",
    )
    assert _iso014_on(joined, run, "users")["users_email_key"] == "low"
