"""ISO012 tenant-child-without-tenant-column."""

from __future__ import annotations

from support import snapshot_after


def test_iso012_child_without_tenant_column(rls, run, tables):
    found = run(rls, "ISO012")
    assert tables(found) == {"task_events"}
    assert found[0].evidence["via"] == ["task_id -> app.tasks"]


def test_iso012_nullable_link_is_worse(rls, conn, run, tables):
    snap = snapshot_after(
        conn,
        "CREATE TABLE app.outbox (id bigint PRIMARY KEY, task_id bigint REFERENCES app.tasks, payload jsonb);",
    )
    found = {f.obj.table: f for f in run(snap, "ISO012")}
    assert set(found) == {"task_events", "outbox"}
    assert found["outbox"].severity == "high" and found["task_events"].severity == "medium"
    assert "outbox" not in tables(run(snap, "ISO023"))  # it is tenant data, not unclassified


NORMALISED = """
CREATE SCHEMA n;
CREATE TABLE n.organizations (id bigint PRIMARY KEY, name text);
""" + "".join(
    f"CREATE TABLE n.team{i} (id bigint PRIMARY KEY, organization_id bigint NOT NULL REFERENCES n.organizations);\n"
    f"CREATE TABLE n.doc{i} (id bigint PRIMARY KEY, team{i}_id bigint NOT NULL REFERENCES n.team{i}, body text);\n"
    for i in range(10)
)


def test_iso012_application_enforced_normalised_design_is_low(conn, run):
    """No RLS, and half the tenant tables reach the organization through their team: that is the design (low),
    and the ten tables form one low line, not a medium or high one."""
    snap = snapshot_after(conn, NORMALISED)
    found = run(snap, "ISO012", isolation_model="app")
    assert [(f.obj.kind, f.severity, f.evidence["count"]) for f in found] == [("schema", "low", 10)]


def test_iso012_application_enforced_outlier_is_medium(conn, run):
    """No RLS, and nearly every tenant table carries organization_id: the one child without it is an outlier."""
    ddl = "CREATE SCHEMA d; CREATE TABLE d.organizations (id bigint PRIMARY KEY, name text);\n" + "".join(
        f"CREATE TABLE d.t{i} (id bigint PRIMARY KEY, organization_id bigint NOT NULL REFERENCES d.organizations);\n"
        for i in range(8)
    )
    ddl += "CREATE TABLE d.t0_events (id bigint PRIMARY KEY, t0_id bigint NOT NULL REFERENCES d.t0, kind text);"
    snap = snapshot_after(conn, ddl)
    found = run(snap, "ISO012", isolation_model="app")
    assert [(f.obj.table, f.severity) for f in found] == [("t0_events", "medium")]


def test_grouping_keeps_each_severity_apart(rls, conn, run):
    """Nine medium children and one high (nullable key): the high one stands alone, the nine are one medium
    line; no line takes the worst member's severity for all."""
    ddl = "".join(
        f"CREATE TABLE app.ev{i} (id bigint PRIMARY KEY, task_id bigint NOT NULL REFERENCES app.tasks);"
        for i in range(8)
    )
    snap = snapshot_after(
        conn, ddl + "CREATE TABLE app.outbox (id bigint PRIMARY KEY, task_id bigint REFERENCES app.tasks);"
    )
    found = run(snap, "ISO012")
    assert sorted((f.obj.kind, f.obj.table or f.obj.name, f.severity) for f in found) == [
        ("schema", "app", "medium"),
        ("table", "outbox", "high"),
    ]
    (group,) = [f for f in found if f.obj.kind == "schema"]
    assert group.evidence["count"] == 9 and group.message.startswith("9 tables")
