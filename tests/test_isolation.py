"""ISO rules on a real PostgreSQL: an RLS schema with seeded defects and four kinds of roles (owner,
member of the owner, BYPASSRLS, plain application role), an application-enforced schema, and a
schema-per-tenant layout. Roles are created inside the test's transaction and rolled back with it."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from auditor.analysis.isolation_model import model_for
from auditor.analysis.tenancy import cells, describe, tenancy
from auditor.catalog.model import ColumnStats

from scratch import scratch_database
from support import hits, objects, snapshot_after

CTX = "NULLIF(current_setting('app.current_org', true), '')::bigint"

RLS_SCHEMA = f"""
CREATE ROLE iso_owner LOGIN;
CREATE ROLE iso_member LOGIN IN ROLE iso_owner;
CREATE ROLE iso_bypass LOGIN BYPASSRLS;
CREATE ROLE iso_etl LOGIN;
GRANT iso_bypass TO iso_etl;
CREATE ROLE iso_app LOGIN;
CREATE SCHEMA app AUTHORIZATION iso_owner;
SET ROLE iso_owner;
CREATE TABLE app.orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.countries (code text PRIMARY KEY, name text);
CREATE TABLE app.schema_migrations (version text PRIMARY KEY);
CREATE TABLE app.projects (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs, name text,
                           UNIQUE (org_id, id));
CREATE TABLE app.tasks (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs,
                        project_id bigint NOT NULL REFERENCES app.projects, number text UNIQUE,
                        country text REFERENCES app.countries, UNIQUE (org_id, id));
CREATE TABLE app.comments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, org_id bigint NOT NULL
                           REFERENCES app.orgs, task_id bigint NOT NULL, body text,
                           FOREIGN KEY (org_id, task_id) REFERENCES app.tasks (org_id, id),
                           UNIQUE (task_id, body));
CREATE TABLE app.task_events (id bigint PRIMARY KEY, task_id bigint NOT NULL REFERENCES app.tasks, kind text);
CREATE TABLE app.notes (id bigint PRIMARY KEY, org_id bigint REFERENCES app.orgs, body text);
CREATE TABLE app.invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs, total numeric);
CREATE TABLE app.documents (id bigint PRIMARY KEY, org_id text NOT NULL, body text);
CREATE TABLE app.memberships (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs, user_name text);
CREATE TABLE app.secrets (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs, token text);
CREATE TABLE app.ledger (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs, amount numeric);
CREATE TABLE app.reports (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.orgs, body text);
CREATE TABLE app.events (id bigint, org_id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

CREATE POLICY orgs_self ON app.orgs USING (id = {CTX});
CREATE POLICY tenant ON app.projects USING (org_id = {CTX});
CREATE POLICY tenant ON app.tasks USING (org_id = {CTX});
CREATE POLICY tenant ON app.comments USING (org_id = {CTX});
CREATE POLICY via_task ON app.task_events USING (EXISTS (SELECT 1 FROM app.tasks t
       WHERE t.id = task_events.task_id AND t.org_id = {CTX}));
CREATE POLICY tenant ON app.notes USING (org_id = {CTX});
CREATE POLICY inv ON app.invoices USING (org_id IS NULL OR org_id = {CTX}) WITH CHECK (true);
CREATE POLICY by_role ON app.documents USING (org_id = current_user);
CREATE POLICY m_open ON app.memberships USING (true);
CREATE POLICY m_floor ON app.memberships AS RESTRICTIVE USING (org_id = {CTX});
CREATE POLICY read ON app.ledger FOR SELECT USING (org_id = {CTX});
CREATE POLICY ins ON app.ledger FOR INSERT WITH CHECK (org_id = {CTX});
CREATE POLICY upd ON app.ledger FOR UPDATE USING (true) WITH CHECK (org_id = {CTX});
CREATE POLICY del ON app.ledger FOR DELETE USING (org_id = {CTX});
CREATE POLICY tenant ON app.reports USING (org_id = {CTX});
CREATE POLICY admins ON app.reports USING (current_setting('app.user_role', true) = 'admin');
CREATE POLICY tenant ON app.events USING (org_id = {CTX});
CREATE POLICY tenant ON app.events_2024 USING (org_id = {CTX});

ALTER TABLE app.orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.orgs FORCE ROW LEVEL SECURITY;
ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.projects FORCE ROW LEVEL SECURITY;
ALTER TABLE app.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.comments FORCE ROW LEVEL SECURITY;
ALTER TABLE app.task_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.task_events FORCE ROW LEVEL SECURITY;
ALTER TABLE app.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.invoices FORCE ROW LEVEL SECURITY;
ALTER TABLE app.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.documents FORCE ROW LEVEL SECURITY;
ALTER TABLE app.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE app.secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.secrets FORCE ROW LEVEL SECURITY;
ALTER TABLE app.ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.ledger FORCE ROW LEVEL SECURITY;
ALTER TABLE app.reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.reports FORCE ROW LEVEL SECURITY;
ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.events FORCE ROW LEVEL SECURITY;
ALTER TABLE app.events_2024 ENABLE ROW LEVEL SECURITY;

CREATE VIEW app.v_tasks AS SELECT id, org_id FROM app.tasks;
CREATE VIEW app.v_tasks_invoker WITH (security_invoker = true) AS SELECT id, org_id FROM app.tasks;
CREATE VIEW app.v_projects AS SELECT id, org_id FROM app.projects;
CREATE MATERIALIZED VIEW app.mv_projects AS SELECT org_id, count(*) FROM app.projects GROUP BY org_id;
CREATE FUNCTION app.all_tasks() RETURNS SETOF app.tasks LANGUAGE sql SECURITY DEFINER AS 'SELECT * FROM app.tasks';
CREATE FUNCTION app.pinned() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION app.pinned() FROM PUBLIC;
CREATE FUNCTION app.trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
GRANT USAGE ON SCHEMA app TO iso_app, iso_bypass;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA app TO iso_app, iso_bypass;
GRANT TRUNCATE ON app.tasks TO iso_app;
RESET ROLE;
ALTER ROLE iso_app SET app.current_org = '1';
"""

PLAIN = {"app_roles": ["iso_app"]}


@pytest.fixture
def rls(conn):
    snap = snapshot_after(conn, RLS_SCHEMA)
    snap.settings = dict(PLAIN)
    return snap


def run(snap, code, **settings):
    snap.settings = {**PLAIN, **settings}
    return hits(snap, code)


def tables(found) -> set[str]:
    return {f.obj.table or f.obj.name for f in found}


# ---- tenant model ---------------------------------------------------------------------------------


def test_model_detection_and_classes(rls):
    ten = tenancy(rls)
    assert ten.column == "org_id" and ten.confidence == "high"
    assert ten.root is not None and ten.root.name == "orgs"
    assert "foreign keys to app.orgs" in ten.how
    assert ten.settings == ["app.current_org"]
    assert ten.model == "rls"
    cls = {i.table.name: i.cls for i in ten.tables.values()}
    assert cls["orgs"] == "root"
    assert cls["countries"] == "reference"  # never punished for lacking the column
    assert cls["schema_migrations"] == "framework"
    assert cls["task_events"] == "indirect"
    assert cls["tasks"] == cls["documents"] == cls["events"] == "tenant"
    assert "events_2024" not in cls  # partitions are judged with their parent
    assert ten.statement.startswith("RLS-enforced: org_id on ")


def test_configuration_overrides_classification(rls):
    rls.settings = {**PLAIN, "table_classes": {"app.countries": "tenant", "task_events": "unknown"}}
    cls = {i.table.name: i.cls for i in tenancy(rls).tables.values()}
    assert cls["countries"] == "tenant" and cls["task_events"] == "unknown"


def test_configured_classes_that_match_no_table_are_reported(rls):
    rls.settings = {
        **PLAIN,
        "table_classes": {"app.countries": "tenant", "app.gone": "reference", "countrie": "x", "events_2024": "tenant"},
    }
    rls.settings["table_classes"]["countrie"] = "reference"
    ten = tenancy(rls)
    assert ten.unmatched_classes == [
        "app.gone: no such table among those audited",
        "countrie: no such table among those audited",
        "events_2024: a partition, classified with its parent",
    ]
    assert describe(rls)["table_classes_unmatched"] == ten.unmatched_classes
    assert {i.table.name: i.cls for i in ten.tables.values()}["countries"] == "tenant"  # the good entry still counts
    rls.settings = {**PLAIN, "table_classes": {"app.countries": "tenant", "task_events": "unknown"}}
    assert tenancy(rls).unmatched_classes == [] and "table_classes_unmatched" not in describe(rls)


def test_a_tenant_root_that_names_no_table_is_reported(rls):
    rls.settings = {**PLAIN, "tenant_root": "app.organisations"}
    assert describe(rls)["tenant_root_unmatched"] == "app.organisations: no such table among those audited"
    rls.settings = {**PLAIN, "tenant_root": "app.orgs"}
    assert tenancy(rls).root is not None and "tenant_root_unmatched" not in describe(rls)


def test_tenant_column_from_policies_and_names(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA p;
        CREATE TABLE p.a (id int, ws uuid NOT NULL);
        CREATE TABLE p.b (id int, ws uuid NOT NULL);
        ALTER TABLE p.a ENABLE ROW LEVEL SECURITY;
        CREATE POLICY x ON p.a USING (ws = NULLIF(current_setting('app.ws', true), '')::uuid AND id > 0);
        CREATE POLICY y ON p.b USING ((SELECT current_setting('app.ws')::uuid) = ws);
        CREATE SCHEMA n;
        CREATE TABLE n.c (id int, tenant_id int NOT NULL);
        """,
    )
    ten = tenancy(snap)
    assert (
        ten.column == "ws" and ten.confidence == "medium" and ten.how.startswith("compared with a session setting in 2")
    )
    assert ten.settings == ["app.ws"]
    snap.settings = {"tenant_column": "tenant_id"}
    ten = tenancy(snap)
    assert ten.column == "tenant_id" and ten.how.startswith("configuration")


def test_name_heuristic_when_nothing_else(conn):
    snap = snapshot_after(conn, "CREATE SCHEMA n; CREATE TABLE n.c (id int, workspace_id int NOT NULL);")
    ten = tenancy(snap)
    assert ten.column == "workspace_id" and ten.confidence == "low" and ten.how.startswith("column name")


def test_schema_per_tenant(conn):
    ddl = "".join(
        f"CREATE SCHEMA t{i}; CREATE TABLE t{i}.orders (id int, total numeric); CREATE TABLE t{i}.items (id int);"
        for i in range(3)
    )
    snap = snapshot_after(conn, ddl)
    ten = tenancy(snap)
    assert ten.model == "schema" and ten.schema_groups == [["t0", "t1", "t2"]]
    assert "row-level rules do not apply" in ten.statement
    from auditor.engine import run_rule
    from auditor.engine.config import Config
    from auditor.rules import load_all

    status, _ = run_rule(load_all()["ISO001"], snap, Config())
    assert status.status == "skipped" and "schema-per-tenant" in status.reason


# ---- RLS on / forced / policies -------------------------------------------------------------------


def test_iso001_rls_model_flags_each_table(rls):
    found = run(rls, "ISO001")
    assert tables(found) == {"notes"}
    assert found[0].severity == "critical"


def test_iso001_fix_runs(rls, conn):
    (f,) = run(rls, "ISO001")
    conn.execute("DROP POLICY tenant ON app.notes")
    conn.execute(f.fix)
    again = hits(snapshot_after(conn, "SELECT 1"), "ISO001")
    assert not again


def test_iso002_not_forced(rls):
    found = run(rls, "ISO002")
    assert tables(found) == {"tasks"}
    assert found[0].severity == "medium"  # iso_app is not the owner
    found = run(rls, "ISO002", app_roles=["iso_member"])
    assert found[0].severity == "high" and "iso_member" in found[0].message


def test_iso003_rls_without_policy(rls):
    assert tables(run(rls, "ISO003")) == {"secrets"}


def test_iso004_policy_without_rls(rls):
    assert tables(run(rls, "ISO004")) == {"notes"}


def test_iso005_commands_not_scoped(rls):
    found = {f.obj.table: f for f in run(rls, "ISO005")}
    # memberships: USING (true) neutralised by a restrictive floor; task_events: EXISTS through the parent.
    assert set(found) == {"invoices", "documents", "ledger", "reports"}
    assert set(found["ledger"].evidence["commands"]) == {"UPDATE"}
    assert set(found["invoices"].evidence["commands"]) == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert found["invoices"].severity == "critical"


def test_iso005_policy_targets_a_role(rls, conn):
    snap = snapshot_after(conn, "CREATE POLICY other ON app.projects TO iso_bypass USING (true);")
    snap.settings = dict(PLAIN)
    assert "projects" not in tables(hits(snap, "ISO005"))  # applies to iso_bypass only
    snap.settings = {"app_roles": ["iso_app", "iso_bypass"]}
    assert "projects" in tables(hits(snap, "ISO005"))


def test_iso006_unscoped_policies(rls):
    found = run(rls, "ISO006")
    assert {(f.obj.table, f.obj.name) for f in found} == {
        ("invoices", "inv"),  # WITH CHECK (true)
        ("memberships", "m_open"),  # USING (true), reported even with a floor
        ("ledger", "upd"),  # USING (true)
    }  # documents.by_role references org_id (against current_user): that is ISO009's


def test_iso007_null_branch(rls):
    found = run(rls, "ISO007")
    assert {(f.obj.table, f.obj.name) for f in found} == {("invoices", "inv")}
    assert found[0].evidence["branches"] == ["org_id IS NULL"]


def test_iso008_update_using_wider(rls):
    assert tables(run(rls, "ISO008")) == {"ledger"}


def test_iso009_current_user(rls):
    assert {(f.obj.table, f.obj.name) for f in run(rls, "ISO009")} == {("documents", "by_role")}


def test_iso010_settable_setting(rls):
    found = run(rls, "ISO010")
    assert {(f.obj.table, f.obj.name) for f in found} == {("reports", "admins")}
    assert "app.user_role" in found[0].message


# ---- roles ----------------------------------------------------------------------------------------


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
def test_iso011_roles(rls, role, expected, severity):
    found = run(rls, "ISO011", app_roles=[role])
    if expected is None:
        assert not found
        return
    (f,) = found
    assert f.obj.name == role and expected in f.evidence["reasons"] and f.severity == severity
    if "owner" in expected:  # only the non-FORCE table is open to the owner and its members
        assert f.evidence["reasons"][expected] == ["app.tasks"]


def test_app_roles_inferred_from_grants(rls):
    rls.settings = {}
    ten = tenancy(rls)
    # iso_etl inherits iso_bypass's grants; iso_member is a member of the owner.
    assert ten.app_roles == ["iso_app", "iso_bypass", "iso_etl", "iso_member"]
    assert ten.app_roles_how.startswith("inferred")


def test_score_differs_by_role(rls):
    scores = {}
    for role in ("iso_app", "iso_member", "iso_bypass", "iso_etl"):
        rls.settings = {"app_roles": [role]}
        scores[role] = model_for(rls).score
    assert scores["iso_bypass"] <= 10 and scores["iso_etl"] < scores["iso_app"]
    assert scores["iso_member"] < scores["iso_app"]
    assert scores["iso_app"] > 40
    rls.settings = {"app_roles": ["iso_app", "iso_bypass"]}
    sm = model_for(rls)
    assert sm.per_role == {"iso_app": scores["iso_app"], "iso_bypass": scores["iso_bypass"]}
    assert sm.score == min(sm.per_role.values()) and sm.role == "iso_bypass"


def test_cells_for_roles(rls):
    ten = tenancy(rls)
    tasks = next(i for i in ten.tables.values() if i.table.name == "tasks")
    assert cells(rls, ten, tasks, "iso_app")["SELECT"].value == 1.0
    assert cells(rls, ten, tasks, "iso_member")["SELECT"].value == 0.0
    assert cells(rls, ten, tasks, "iso_etl")["SELECT"].why.startswith("iso_etl bypasses")
    secrets = next(i for i in ten.tables.values() if i.table.name == "secrets")
    assert cells(rls, ten, secrets, "iso_app")["SELECT"].why.startswith("denied")  # fails closed: no points lost


# ---- structure ------------------------------------------------------------------------------------


def test_iso012_child_without_tenant_column(rls):
    found = run(rls, "ISO012")
    assert tables(found) == {"task_events"}
    assert found[0].evidence["via"] == ["task_id -> app.tasks"]


def test_iso013_cross_tenant_fk(rls, conn):
    found = run(rls, "ISO013")
    # tasks.project_id leaves org_id out; comments' composite key includes it; FKs to the root are the key itself.
    assert {f.obj.name for f in found} == {"tasks_project_id_fkey"}
    assert not found[0].fix.startswith("CREATE UNIQUE INDEX")  # projects already has UNIQUE (org_id, id)
    for stmt in found[0].fix.replace("CONCURRENTLY ", "").split(";\n"):
        conn.execute(stmt)
    again = hits(snapshot_after(conn, "SELECT 1"), "ISO013")
    assert not again


def test_iso014_unique_without_tenant(rls, conn):
    found = run(rls, "ISO014")
    # tasks.number is global; comments (task_id, body) includes an FK to a tenant-owned parent; PKs are surrogate.
    assert {f.obj.name for f in found} == {"tasks_number_key"}
    for stmt in found[0].fix.replace("CONCURRENTLY ", "").split(";\n"):
        conn.execute(stmt)
    assert not hits(snapshot_after(conn, "SELECT 1"), "ISO014")


def test_iso014_key_with_a_generated_column_is_not_global(rls, conn):
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


def test_iso015_nullable_tenant_column(rls, conn):
    found = run(rls, "ISO015")
    assert {f.obj.display for f in found} == {"app.notes.org_id"}
    snap = dataclasses.replace(rls)
    snap.column_stats = [ColumnStats("app", "notes", "org_id", 0.25, 3, None, 0.4)]
    snap.settings = dict(PLAIN)
    (f,) = hits(snap, "ISO015")
    assert f.severity == "high" and "25.0%" in f.message
    for stmt in found[0].fix.split(";\n"):
        conn.execute(stmt)
    assert not hits(snapshot_after(conn, "SELECT 1"), "ISO015")


def test_iso015_fix_leaves_only_the_not_null(rls, conn):
    (f,) = run(rls, "ISO015")
    for stmt in f.fix.split(";\n"):
        conn.execute(stmt)
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
def test_iso015_shared_rows_look_intentional(rls, conn, pg_server, ddl):
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
        "ALTER TABLE app.notes ADD CONSTRAINT notes_org_id_not_null CHECK (org_id IS NOT NULL) NOT VALID",
        "CREATE UNIQUE INDEX notes_org_body ON app.notes (org_id, body)",
        "CREATE INDEX notes_owned ON app.notes (id) WHERE org_id IS NOT NULL",
        "ALTER TABLE app.notes ADD CONSTRAINT body_set CHECK (body IS NOT NULL OR id > 0)",
        f"CREATE POLICY other ON app.notes FOR SELECT USING (body IS NULL OR org_id = {CTX})",
    ],
)
def test_iso015_no_shared_row_signal_is_still_a_defect(rls, conn, ddl):
    snap = snapshot_after(conn, ddl)
    (f,) = run(snap, "ISO015")
    assert f.severity == "medium" and f.fix and f.points and "looks intentional" not in f.message
    assert "shared_rows" not in f.evidence


TAGS = (
    "CREATE TABLE app.tags (id bigint PRIMARY KEY, org_id bigint REFERENCES app.orgs, code text UNIQUE);"
    f"CREATE POLICY tenant ON app.tags USING (org_id = {CTX});"
    "ALTER TABLE app.tags ENABLE ROW LEVEL SECURITY;"
)


def _apply(conn, fix):
    for stmt in fix.replace("CONCURRENTLY ", "").split(";\n"):
        conn.execute(stmt)


def _tags_fix(snap) -> str:
    (f,) = [f for f in run(snap, "ISO014") if f.obj.table == "tags"]
    assert f.evidence["tenant_column_nullable"] is True
    return f.fix


def test_iso014_nullable_tenant_uses_nulls_not_distinct(rls, conn, pg_server):
    if pg_server.major < 15:
        pytest.skip("NULLS NOT DISTINCT needs PostgreSQL 15")
    fix = _tags_fix(snapshot_after(conn, TAGS))
    assert "NULLS NOT DISTINCT" in fix and "org_id is nullable" in fix and "SET NOT NULL" not in fix
    (tasks,) = [f for f in run(rls, "ISO014") if f.obj.table == "tasks"]
    assert "NULLS NOT DISTINCT" not in tasks.fix and "nullable" not in tasks.fix  # tasks.org_id is NOT NULL
    _apply(conn, fix)
    assert not [f for f in run(snapshot_after(conn, "SELECT 1"), "ISO014") if f.obj.table == "tags"]
    conn.execute("INSERT INTO app.tags VALUES (1, NULL, 'a')")
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO app.tags VALUES (2, NULL, 'a')")


def _before_15(snap):
    return dataclasses.replace(snap, server=dataclasses.replace(snap.server, version_num=140000))


def test_iso014_nullable_tenant_before_15_sets_not_null_first(rls, conn):
    fix = _tags_fix(_before_15(snapshot_after(conn, TAGS)))
    assert "NULLS NOT DISTINCT needs PostgreSQL 15" in fix and "(ISO015)" in fix
    assert fix.index("SET NOT NULL") < fix.index("CREATE UNIQUE INDEX") and "NULLS NOT DISTINCT;" not in fix
    _apply(conn, fix)
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("INSERT INTO app.tags VALUES (2, NULL, 'a')")


def test_iso014_shared_rows_before_15_get_their_own_index(rls, conn):
    snap = snapshot_after(conn, TAGS + "ALTER TABLE app.tags ADD CHECK (org_id IS NULL OR code <> '');")
    fix = _tags_fix(_before_15(snap))
    assert "SET NOT NULL" not in fix and "WHERE org_id IS NULL;" in fix
    _apply(conn, fix)
    conn.execute("INSERT INTO app.orgs VALUES (1, 'o'); INSERT INTO app.tags VALUES (1, NULL, 'a'), (2, 1, 'a')")
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO app.tags VALUES (3, NULL, 'a')")


def test_iso016_setting_default(rls):
    found = run(rls, "ISO016")
    assert {f.obj.name for f in found} == {"iso_app"}
    assert found[0].fix == "ALTER ROLE iso_app RESET app.current_org;"


# ---- paths around RLS -----------------------------------------------------------------------------


def test_iso017_definer_view(rls):
    # v_tasks: owner owns the non-FORCE tasks; v_projects: projects is FORCEd; v_tasks_invoker: invoker rights.
    assert objects(run(rls, "ISO017")) == {"app.v_tasks"}


def test_iso018_materialized_view_and_foreign_table(rls, conn):
    assert objects(run(rls, "ISO018")) == {"app.mv_projects"}
    snap = snapshot_after(
        conn,
        """
        CREATE FOREIGN DATA WRAPPER iso_dummy;
        CREATE SERVER iso_remote FOREIGN DATA WRAPPER iso_dummy;
        CREATE FOREIGN TABLE app.remote_tasks (id bigint, org_id bigint NOT NULL) SERVER iso_remote;
        """,
    )
    assert objects(run(snap, "ISO018")) == {"app.mv_projects", "app.remote_tasks"}
    assert "remote_tasks" not in tables(run(snap, "ISO001"))  # RLS cannot be enabled on it


def test_iso019_partition_without_rls(rls):
    assert tables(run(rls, "ISO019")) == {"events_2025"}


def test_iso020_security_definer(rls):
    found = {f.obj.name: f for f in run(rls, "ISO020")}
    assert set(found) == {"all_tasks()", "pinned()"}  # the plain trigger function runs as the invoker
    assert found["all_tasks()"].severity == "high" and "no pinned search_path" in found["all_tasks()"].message
    assert found["pinned()"].severity == "low"


def test_iso021_truncate(rls):
    found = run(rls, "ISO021")
    assert {f.obj.name for f in found} == {"iso_app"}
    assert found[0].evidence["tables"] == ["app.tasks"]
    assert not run(rls, "ISO021", app_roles=["iso_member"])


def test_iso022_skew_from_stats(rls):
    assert not run(rls, "ISO022")
    rls.column_stats = [ColumnStats("app", "tasks", "org_id", 0.0, 12, None, 0.8)]
    rls.__dict__.pop("column_stats_of", None)
    found = run(rls, "ISO022")
    assert tables(found) == {"tasks"} and found[0].severity == "info"


def two_tenant_tables(schema: str) -> str:
    """A schema whose tenant model is clear (org_id on two tables), for tables it cannot classify."""
    return f"""
        CREATE SCHEMA {schema};
        CREATE TABLE {schema}.orgs (id int PRIMARY KEY);
        CREATE TABLE {schema}.a (id int, org_id int NOT NULL REFERENCES {schema}.orgs);
        CREATE TABLE {schema}.b (id int, org_id int NOT NULL REFERENCES {schema}.orgs);
        """


def test_iso023_unclassified(conn):
    versions = "CREATE TABLE u.versions (id int, item_type text, item_id int);"
    snap = snapshot_after(conn, two_tenant_tables("u") + versions)
    assert tables(hits(snap, "ISO023")) == {"versions"}
    assert hits(snap, "ISO023")[0].severity == "info"  # a polymorphic reference alone: no copy of the row
    snap.settings = {"table_classes": {"u.versions": "reference"}}
    assert not hits(snap, "ISO023")


def test_iso023_row_history_tables_are_medium(conn):
    """paper_trail, audited and django-reversion keep copies of every tenant's rows in one table."""
    snap = snapshot_after(
        conn,
        two_tenant_tables("h")
        + """
        CREATE TABLE h.versions (id bigint, item_type text, item_id bigint, event text, object jsonb);
        CREATE TABLE h.audits (id bigint, auditable_type text, auditable_id bigint, audited_changes jsonb);
        CREATE TABLE h.reversion_version (id int, content_type_id int, object_id text, serialized_data text);
        CREATE TABLE h.change_log (id int, item_type text, item_id bigint, note text);
        """,
    )
    found = {h.obj.table or h.obj.name: h for h in hits(snap, "ISO023")}
    assert set(found) == {"versions", "audits", "reversion_version", "change_log"}
    assert {t for t, h in found.items() if h.severity == "medium"} == {"versions", "audits", "reversion_version"}
    assert found["versions"].evidence["row_history"] == "paper_trail"
    assert found["audits"].evidence["row_history"] == "audited"
    assert "copies of rows of every tenant" in found["reversion_version"].message
    assert found["change_log"].severity == "info"  # no copy of the row: not a row-history table


# ---- the application-enforced model and the score -------------------------------------------------


APP_SCHEMA = (
    """
CREATE SCHEMA s;
CREATE TABLE s.organizations (id uuid PRIMARY KEY);
"""
    + "".join(
        f"CREATE TABLE s.t{i} (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES s.organizations,"
        f" parent_id uuid REFERENCES s.t{max(i - 1, 0)});\n"
        for i in range(30)
    )
    + "CREATE TABLE s.t_child (id uuid PRIMARY KEY, t0_id uuid NOT NULL REFERENCES s.t0);"
)


def test_application_enforced_is_one_statement_and_bounded(conn):
    snap = snapshot_after(conn, APP_SCHEMA)
    ten = tenancy(snap)
    assert ten.model == "app"
    assert ten.statement == ("application-enforced: organization_id on 30 of 31 tenant tables, no row-level security")
    (f,) = hits(snap, "ISO001")
    assert f.obj.kind == "database" and len(f.evidence["tables"]) == 32
    assert f.fix.startswith("-- per table, starting with the one that weighs most in the score")  # not "sensitive"
    fks = hits(snap, "ISO013")
    assert len(fks) == 1 and fks[0].evidence["count"] == 30 and fks[0].severity == "low"  # uuid keys
    sm = model_for(snap)
    assert sm.read == 0 and sm.score <= 15 and sm.readiness >= 80


def test_isolation_area_score_reports_model(conn):
    from auditor.engine import run as run_engine
    from auditor.engine.config import Config

    snap = snapshot_after(conn, APP_SCHEMA)
    report = run_engine(snap, Config())
    iso = report.scores["isolation"]
    assert iso.model.startswith("application-enforced")
    assert iso.notes[0].startswith("application-enforced: organization_id on 30 of 31")
    assert any("readiness" in n for n in iso.notes)
    assert report.extras["tenancy"]["classes"]["tenant"] == 30
    assert iso.score <= 15
    # A team that chose application enforcement can make readiness the headline.
    forced = run_engine(snap, Config(thresholds={"isolation_model": "app"})).scores["isolation"]
    assert forced.score == report.extras["tenancy"]["score"]["readiness"] and forced.score >= 80


def test_points_say_what_fixing_is_worth(rls):
    found = {f.obj.table: f for f in run(rls, "ISO005")}
    assert found["invoices"].points and found["invoices"].points > found["ledger"].points
    sm = model_for(rls)
    assert sm.table_points("app.invoices") > 0 and sm.table_points("app.orgs") == 0


def test_grouped_fk_fixes_run_in_order(conn):
    snap = snapshot_after(conn, APP_SCHEMA)
    (f,) = hits(snap, "ISO013")
    fixes = f.evidence["fixes"]
    assert sum("CREATE UNIQUE INDEX" in x for x in fixes) == 29  # one per parent (t0 is referenced twice)
    for fix in fixes:
        for stmt in fix.replace("CONCURRENTLY ", "").split(";\n"):
            conn.execute(stmt)
    assert not hits(snapshot_after(conn, "SELECT 1"), "ISO013")


@pytest.mark.parametrize("role", ["iso_member", "iso_etl", "iso_owner"])
def test_iso011_fix_runs(rls, conn, role):
    (f,) = run(rls, "ISO011", app_roles=[role])
    for stmt in f.fix.split(";\n"):
        conn.execute(stmt)
    snap = snapshot_after(conn, "SELECT 1")
    snap.settings = {"app_roles": [role]}
    assert not hits(snap, "ISO011")


def test_iso006_fix_runs(rls, conn):
    found = {f.obj.name: f for f in run(rls, "ISO006")}
    for stmt in found["inv"].fix.split(";\n"):
        conn.execute(stmt)
    snap = snapshot_after(conn, "SELECT 1")
    assert "inv" not in {f.obj.name for f in run(snap, "ISO006")}
    assert "invoices" not in tables(run(snap, "ISO005"))


def test_iso016_database_default_and_other_settings(rls, conn):
    snap = snapshot_after(
        conn, "ALTER DATABASE postgres SET app.current_org = '2'; ALTER ROLE iso_member SET app.user_role = 'x';"
    )
    found = {f.obj.display: f for f in run(snap, "ISO016")}
    assert set(found) == {"iso_app", "postgres"}  # app.user_role is not a tenant setting
    assert found["postgres"].obj.kind == "database"
    assert found["postgres"].fix == "ALTER DATABASE postgres RESET app.current_org;"
    conn.execute(found["postgres"].fix)


def test_iso012_nullable_link_is_worse(rls, conn):
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.outbox (id bigint PRIMARY KEY, task_id bigint REFERENCES app.tasks, payload jsonb);",
    )
    found = {f.obj.table: f for f in run(snap, "ISO012")}
    assert set(found) == {"task_events", "outbox"}
    assert found["outbox"].severity == "high" and found["task_events"].severity == "medium"
    assert "outbox" not in tables(run(snap, "ISO023"))  # it is tenant data, not unclassified


def test_many_similar_findings_become_one_line(rls, conn):
    ddl = "".join(
        f"CREATE TABLE app.child{i} (id bigint PRIMARY KEY, task_id bigint NOT NULL REFERENCES app.tasks);"
        for i in range(12)
    )
    snap = snapshot_after(conn, ddl)
    (f,) = run(snap, "ISO012")
    assert f.obj.kind == "schema" and f.obj.name == "app" and f.evidence["count"] == 13
    assert f.message.startswith("13 tables hang off tenant data without org_id")
    snap.settings = {**PLAIN, "isolation_group_over": 20}
    assert len(hits(snap, "ISO012")) == 13


def test_iso014_key_used_by_a_foreign_key_is_not_dropped_blindly(rls, conn):
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.refs (id bigint PRIMARY KEY, org_id bigint NOT NULL, n text REFERENCES app.tasks (number));",
    )
    (f,) = [f for f in run(snap, "ISO014") if f.obj.name == "tasks_number_key"]
    assert "-- ALTER TABLE app.tasks DROP CONSTRAINT tasks_number_key;" in f.fix


def test_indirect_table_gets_a_policy_through_its_parent(rls, conn):
    snap = snapshot_after(conn, "DROP POLICY via_task ON app.task_events;")
    found = {x.obj.table: x for x in run(snap, "ISO003")}
    assert set(found) == {"secrets", "task_events"}
    fix = found["task_events"].fix
    assert "EXISTS (SELECT 1 FROM app.tasks p WHERE p.id = task_events.task_id AND p.org_id = " in fix
    conn.execute(fix)
    again = snapshot_after(conn, "SELECT 1")
    assert "task_events" not in tables(run(again, "ISO003")) and "task_events" not in tables(run(again, "ISO005"))


def test_iso016_role_in_database_fix_runs(rls, conn):
    snap = snapshot_after(conn, "ALTER ROLE iso_member IN DATABASE postgres SET app.current_org = '3';")
    found = {f.obj.display: f for f in run(snap, "ISO016")}
    fix = found["iso_member"].fix
    assert fix == "ALTER ROLE iso_member IN DATABASE postgres RESET app.current_org;"
    conn.execute(fix)
    assert "iso_member" not in {f.obj.display for f in run(snapshot_after(conn, "SELECT 1"), "ISO016")}


def test_iso016_ignores_settings_for_other_databases(rls, conn, pg_server):
    with scratch_database(pg_server, "iso016_other"):
        try:
            snap = snapshot_after(
                conn,
                "ALTER ROLE iso_member IN DATABASE iso016_other SET app.current_org = '4';"
                "ALTER ROLE iso_etl IN DATABASE iso016_other SET app.current_org = '5';"
                "ALTER ROLE iso_etl IN DATABASE postgres SET app.current_org = '6';"
                "ALTER ROLE ALL IN DATABASE iso016_other SET app.current_org = '7';",
            )
        finally:
            conn.rollback()  # the settings name the scratch database: its DROP would wait on them
    found = {f.obj.display: f for f in run(snap, "ISO016")}
    assert set(found) == {"iso_app", "iso_etl"}  # iso_app: the fixture's ALTER ROLE ... SET for all databases
    assert found["iso_etl"].evidence["this_database_only"] is True
    assert found["iso_etl"].fix == "ALTER ROLE iso_etl IN DATABASE postgres RESET app.current_org;"
    assert found["iso_app"].evidence["this_database_only"] is False


def test_iso016_alter_role_all_is_reset_for_all_roles(rls, conn):
    snap = snapshot_after(conn, "ALTER ROLE ALL SET app.current_org = '8';")
    (f,) = [f for f in run(snap, "ISO016") if f.obj.kind == "database"]
    assert f.message.startswith("ALTER ROLE ALL gives every session a tenant by default (app.current_org)")
    assert f.fix == "ALTER ROLE ALL RESET app.current_org;"
    conn.execute(f.fix)
    assert not [f for f in run(snapshot_after(conn, "SELECT 1"), "ISO016") if f.obj.kind == "database"]


def test_structural_findings_carry_their_points(rls):
    sm = model_for(rls)
    (fk,) = run(rls, "ISO013")
    (uq,) = run(rls, "ISO014")
    (nl,) = run(rls, "ISO015")
    assert fk.points and uq.points and nl.points
    assert fk.points == pytest.approx(2 * uq.points, rel=0.01)  # 0.4 vs 0.2 of the same table's structure
    assert sm.table_points("app.tasks", ("struct",)) == pytest.approx(
        fk.points + uq.points, abs=0.06
    )  # table_points rounds to 0.1


def test_configured_role_missing_from_the_cluster_is_ignored(rls):
    rls.settings = {"app_roles": ["nobody_here", "iso_app"]}
    ten = tenancy(rls)
    assert ten.app_roles == ["iso_app"] and "ignored: nobody_here" in ten.app_roles_how
    rls.settings = {"app_roles": ["nobody_here"]}
    assert tenancy(rls).app_roles_how.startswith("inferred")


def test_identity_tables_are_not_tenant_data_gaps(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA i;
        CREATE TABLE i.organizations (id bigint PRIMARY KEY);
        CREATE TABLE i.users (id bigint PRIMARY KEY, email text UNIQUE);
        CREATE TABLE i.user_devices (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES i.users);
        CREATE TABLE i.memberships (id bigint PRIMARY KEY, organization_id bigint NOT NULL REFERENCES i.organizations,
                                    user_id bigint NOT NULL REFERENCES i.users);
        CREATE TABLE i.invoices (id bigint PRIMARY KEY, organization_id bigint NOT NULL REFERENCES i.organizations);
        CREATE TABLE i.plan_types (code text PRIMARY KEY);
        CREATE TABLE i.plans (id bigint PRIMARY KEY, organization_id bigint NOT NULL REFERENCES i.organizations,
                              type text REFERENCES i.plan_types);
        """,
    )
    cls = {i.table.name: i.cls for i in tenancy(snap).tables.values()}
    assert cls == {
        "organizations": "root",
        "users": "identity",
        "user_devices": "identity",
        "memberships": "tenant",
        "invoices": "tenant",
        "plans": "tenant",
        "plan_types": "reference",
    }
    assert not hits(snap, "ISO012") and not hits(snap, "ISO023")
