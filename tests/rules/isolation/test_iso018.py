"""ISO018 unprotected-copy-of-tenant-data."""

from __future__ import annotations

from support import objects, snapshot_after


def test_iso018_materialized_view_and_foreign_table(rls, conn, run, tables):
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
