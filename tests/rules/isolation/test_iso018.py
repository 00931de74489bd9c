"""ISO018 unprotected-copy-of-tenant-data."""

from __future__ import annotations

from support import hits, objects, run_fix, snapshot_after


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


def test_iso018_materialized_view_becomes_an_invoker_view_with_its_grants(conn):
    """The fix replaces the materialized view, in one statement, by a security_invoker view with its name,
    query, owner and grants: the role that read every tenant's rows through it now reads its own tenant's."""
    snap = snapshot_after(
        conn,
        """
        CREATE ROLE iso018_app;
        CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
        CREATE POLICY tenant ON invoices USING (org_id = NULLIF(current_setting('app.org', true), '')::bigint);
        ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
        INSERT INTO invoices VALUES (1, 1, 10), (2, 2, 20);
        CREATE MATERIALIZED VIEW "Totals" AS SELECT org_id, sum(total) AS total FROM invoices GROUP BY org_id;
        GRANT SELECT ON invoices, "Totals" TO iso018_app;
        """,
    )
    (f,) = [h for h in hits(snap, "ISO018") if h.obj.table == "Totals"]
    assert 'REVOKE ALL ON TABLE public."Totals" FROM iso018_app;' in f.fix  # the alternative, commented
    run_fix(conn, f.fix)
    kind, options = conn.execute(
        "SELECT relkind, reloptions FROM pg_class WHERE oid = 'public.\"Totals\"'::regclass"
    ).fetchone()
    assert kind == "v" and options == ["security_invoker=true"]
    conn.execute("SET LOCAL ROLE iso018_app; SET LOCAL app.org = '1'")
    assert conn.execute('SELECT org_id, total FROM public."Totals"').fetchall() == [(1, 10)]
    conn.execute("RESET ROLE")
    assert not hits(snapshot_after(conn, "SELECT 1"), "ISO018")
