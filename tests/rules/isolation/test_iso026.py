"""ISO026 policy-per-row-call: direct current_setting()/auth.uid() calls in policies, rewritten as InitPlans."""

from __future__ import annotations

from support import hits, run_fix, snapshot_after

SCHEMA = r'''
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$ SELECT '{}'::jsonb $$;
CREATE SCHEMA app;
CREATE TABLE app.invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, note text);
ALTER TABLE app.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Tenant ""isolation""" ON app.invoices
    USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
CREATE POLICY wrapped ON app.invoices FOR SELECT
    USING (org_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint));
CREATE POLICY literal ON app.invoices FOR SELECT USING (note <> 'current_setting(');
CREATE TABLE app.profiles (id uuid PRIMARY KEY, role text);
ALTER TABLE app.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON app.profiles FOR UPDATE
    USING (id = auth.uid() OR (auth.jwt() ->> 'role') = 'admin');
CREATE POLICY own_insert ON app.profiles FOR INSERT WITH CHECK (id = (select auth.uid()));
'''


def test_per_row_calls_reported_per_policy_with_the_rewrite(conn):
    found = {f.obj.name: f for f in hits(snapshot_after(conn, SCHEMA), "ISO026")}
    assert set(found) == {'Tenant "isolation"', "own"}
    tenant = found['Tenant "isolation"']
    assert tenant.obj.table == "invoices" and tenant.obj.schema == "app"
    assert 'ALTER POLICY "Tenant ""isolation""" ON app.invoices' in tenant.fix
    assert "(SELECT current_setting('app.tenant_id'::text, true))" in tenant.fix and "WITH CHECK" in tenant.fix
    assert found["own"].evidence["calls"] == ["auth.uid()", "auth.jwt()"]
    assert "WITH CHECK" not in found["own"].fix  # an UPDATE policy without one keeps none
    for f in found.values():
        run_fix(conn, f.fix)
    # the same rows: the rewritten policy still scopes by tenant, and nothing is left to wrap
    after = snapshot_after(conn, "SELECT 1")
    assert hits(after, "ISO026") == []
    pol = next(p for p in after.policies if p.name == 'Tenant "isolation"')
    assert "SELECT NULLIF" not in pol.using_expr and "current_setting" in pol.using_expr


def test_wrapped_calls_are_silent(conn):
    snap = snapshot_after(
        conn,
        "CREATE TABLE t (id bigint PRIMARY KEY, org_id bigint); ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY p ON t USING (org_id = (SELECT current_setting('app.tenant_id'))::bigint);",
    )
    assert hits(snap, "ISO026") == []


def test_a_policy_changed_since_the_audit_is_left_as_it_is(conn):
    """An earlier fix in the script narrowed the policy (ISO007) or replaced it (ISO006): rewriting it from the
    audited text would undo that, so the block changes nothing and says so."""
    found = {f.obj.name: f for f in hits(snapshot_after(conn, SCHEMA), "ISO026")}
    conn.execute(
        "ALTER POLICY own ON app.profiles USING (id = auth.uid())"  # the admin branch gone since the audit
    )
    conn.execute('DROP POLICY "Tenant ""isolation""" ON app.invoices')
    for f in found.values():
        run_fix(conn, f.fix)
    (using,) = conn.execute("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'own'").fetchone()
    assert using == "(id = auth.uid())"
    assert conn.execute("SELECT count(*) FROM pg_policy WHERE polrelid = 'app.invoices'::regclass").fetchone() == (2,)


def test_many_policies_become_one_line_whose_fix_rewrites_them_all(conn):
    tables = "".join(
        f"CREATE TABLE t{n} (id bigint PRIMARY KEY, org_id bigint NOT NULL);"
        f"ALTER TABLE t{n} ENABLE ROW LEVEL SECURITY;"
        f"CREATE POLICY p ON t{n} USING (org_id = current_setting('app.tenant_id')::bigint);"
        for n in range(10)
    )
    (f,) = hits(snapshot_after(conn, tables), "ISO026")
    assert f.obj.kind in ("schema", "database") and f.evidence["count"] == 10
    run_fix(conn, f.fix)
    assert hits(snapshot_after(conn, "SELECT 1"), "ISO026") == []
