"""What the isolation rules' tests share, given as fixtures (a conftest cannot be imported by name).

`rls` is a real snapshot of an RLS schema with seeded defects and four kinds of roles (owner, member of
the owner, BYPASSRLS, plain application role); roles are created inside the test's transaction and
rolled back with it. `run` runs one rule with `plain` (the plain application role) as the settings,
`tables` names the tables of findings, and `app_schema` is an application-enforced schema.
"""

from __future__ import annotations

import pytest

from support import hits, snapshot_after

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


def _run(snap, code, **settings):
    snap.settings = {**PLAIN, **settings}
    return hits(snap, code)


def _tables(found) -> set[str]:
    return {f.obj.table or f.obj.name for f in found}


@pytest.fixture
def rls(conn):
    snap = snapshot_after(conn, RLS_SCHEMA)
    snap.settings = dict(PLAIN)
    return snap


@pytest.fixture
def run():
    """run(snap, code, **settings): one rule's findings, as the plain application role plus settings."""
    return _run


@pytest.fixture
def tables():
    """tables(findings): the table (or object name) of each finding."""
    return _tables


@pytest.fixture
def plain() -> dict:
    """The settings that make iso_app the application role."""
    return dict(PLAIN)


@pytest.fixture
def app_schema() -> str:
    """An application-enforced schema: 30 tenant tables on organization_id with uuid keys, no RLS."""
    return APP_SCHEMA
