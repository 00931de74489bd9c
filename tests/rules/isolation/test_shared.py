"""The tenant model, app roles, scores, points and grouping the isolation rules share."""

from __future__ import annotations

import pytest

from auditor.analysis.isolation_model import model_for
from auditor.analysis.tenancy import cells, describe, tenancy

from support import hits, snapshot_after


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


def test_configuration_overrides_classification(rls, plain):
    rls.settings = {**plain, "table_classes": {"app.countries": "tenant", "task_events": "unknown"}}
    cls = {i.table.name: i.cls for i in tenancy(rls).tables.values()}
    assert cls["countries"] == "tenant" and cls["task_events"] == "unknown"


def test_configured_classes_that_match_no_table_are_reported(rls, plain):
    rls.settings = {
        **plain,
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
    rls.settings = {**plain, "table_classes": {"app.countries": "tenant", "task_events": "unknown"}}
    assert tenancy(rls).unmatched_classes == [] and "table_classes_unmatched" not in describe(rls)


def test_a_tenant_root_that_names_no_table_is_reported(rls, plain):
    rls.settings = {**plain, "tenant_root": "app.organisations"}
    assert describe(rls)["tenant_root_unmatched"] == "app.organisations: no such table among those audited"
    rls.settings = {**plain, "tenant_root": "app.orgs"}
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


def test_isolation_area_score_reports_model(conn, app_schema):
    from auditor.engine import run as run_engine
    from auditor.engine.config import Config

    snap = snapshot_after(conn, app_schema)
    report = run_engine(snap, Config())
    iso = report.scores["isolation"]
    assert iso.model.startswith("application-enforced")
    assert iso.notes[0].startswith("application-enforced: organization_id on 30 of 32 tables holding tenant data")
    assert any("readiness" in n for n in iso.notes)
    assert report.extras["tenancy"]["classes"]["tenant"] == 30
    assert iso.score <= 15
    # A team that chose application enforcement can make readiness the headline.
    forced = run_engine(snap, Config(thresholds={"isolation_model": "app"})).scores["isolation"]
    assert forced.score == report.extras["tenancy"]["score"]["readiness"] and forced.score >= 80


def test_points_say_what_fixing_is_worth(rls, run):
    found = {f.obj.table: f for f in run(rls, "ISO005")}
    assert found["invoices"].points and found["invoices"].points > found["ledger"].points
    sm = model_for(rls)
    assert sm.table_points("app.invoices") > 0 and sm.table_points("app.orgs") == 0


def test_many_similar_findings_become_one_line(rls, conn, run, plain):
    ddl = "".join(
        f"CREATE TABLE app.child{i} (id bigint PRIMARY KEY, task_id bigint NOT NULL REFERENCES app.tasks);"
        for i in range(12)
    )
    snap = snapshot_after(conn, ddl)
    (f,) = run(snap, "ISO012")
    assert f.obj.kind == "schema" and f.obj.name == "app" and f.evidence["count"] == 13
    assert f.message.startswith("13 tables hang off tenant data without org_id")
    snap.settings = {**plain, "isolation_group_over": 20}
    assert len(hits(snap, "ISO012")) == 13


def test_indirect_table_gets_a_policy_through_its_parent(rls, conn, run, tables):
    snap = snapshot_after(conn, "DROP POLICY via_task ON app.task_events;")
    found = {x.obj.table: x for x in run(snap, "ISO003")}
    assert set(found) == {"secrets", "task_events"}
    fix = found["task_events"].fix
    assert "EXISTS (SELECT 1 FROM app.tasks p WHERE p.id = task_events.task_id AND p.org_id = " in fix
    conn.execute(fix)
    again = snapshot_after(conn, "SELECT 1")
    assert "task_events" not in tables(run(again, "ISO003")) and "task_events" not in tables(run(again, "ISO005"))


def test_structural_findings_carry_their_points(rls, run):
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
