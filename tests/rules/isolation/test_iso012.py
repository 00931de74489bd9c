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
