"""Issue 15's tenancy models on small catalogs: per user, membership through a helper, none (no invented
tenant), the configured model validated, and application roles reached by SET ROLE (Supabase's shape)."""

from __future__ import annotations

import pytest

from auditor.analysis.isolation_model import model_for
from auditor.analysis.tenancy import check_tenant_keys, tenancy
from auditor.engine.config import ConfigError, check_threshold

from support import hits, snapshot_after


def status_of(snap, code: str):
    from auditor.engine import run_rule
    from auditor.engine.config import Config
    from auditor.rules import load_all

    return run_rule(load_all()[code], snap, Config())[0]


API = """
CREATE ROLE t15_anon NOLOGIN;
CREATE ROLE t15_authenticated NOLOGIN;
CREATE ROLE t15_service NOLOGIN BYPASSRLS;
CREATE ROLE t15_authenticator LOGIN NOINHERIT;
GRANT t15_anon, t15_authenticated, t15_service TO t15_authenticator;
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
"""

PER_USER = (
    API
    + """
CREATE TABLE notes (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users, body text,
                    sharing text NOT NULL DEFAULT 'private');
CREATE TABLE chats (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users, name text);
CREATE TABLE folders (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users);
CREATE POLICY own ON notes USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());
CREATE POLICY shared ON notes FOR SELECT USING (sharing <> 'private');
CREATE POLICY own ON chats USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());
CREATE POLICY own ON folders USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE chats ENABLE ROW LEVEL SECURITY;
ALTER TABLE folders ENABLE ROW LEVEL SECURITY;
GRANT ALL ON notes, chats, folders TO t15_anon, t15_authenticated, t15_service;
"""
)


def test_per_user_tenancy_is_a_model(conn):
    snap = snapshot_after(conn, PER_USER)
    ten = tenancy(snap)
    assert ten.model == "user" and ten.column == "user_id" and ten.shape == "user"
    assert ten.statement.startswith("RLS-enforced, per user")
    assert {i.table.name: i.cls for i in ten.tables.values()}["users"] == "identity"
    # the API roles are reached from the NOINHERIT login role by SET ROLE; the BYPASSRLS one is an inventory
    assert ten.app_roles == ["t15_anon", "t15_authenticated"]
    assert "t15_service" in ten.bypass_roles and "SET ROLE from t15_authenticator" in ten.bypass_roles["t15_service"]
    assert not [f for f in hits(snap, "ISO005") + hits(snap, "ISO006") if f.severity in ("high", "critical")]
    sharing = [f for f in hits(snap, "ISO006") if f.obj.name == "shared"]
    assert sharing and sharing[0].severity == "info"  # opt-in sharing on read: said, not alarmed
    truncate = {f.obj.name: f for f in hits(snap, "ISO021")}
    assert set(truncate) == {"t15_anon", "t15_authenticated"} and "TRUNCATE 3" in truncate["t15_anon"].message


@pytest.mark.parametrize(
    ("leak", "code", "severity"),
    [
        ("CREATE POLICY open ON chats FOR SELECT USING (true)", "ISO006", "high"),
        ("ALTER TABLE chats DISABLE ROW LEVEL SECURITY", "ISO001", "critical"),
        ("CREATE POLICY meta ON chats FOR SELECT USING ((auth.jwt() ->> 'user_metadata') = 'admin')", "ISO010", None),
        ("CREATE POLICY n ON chats FOR SELECT USING (user_id = auth.uid() OR user_id IS NULL)", "ISO007", "high"),
    ],
)
def test_per_user_leaks_are_reported(conn, leak, code, severity):
    ddl = PER_USER
    if "auth.jwt" in leak:
        ddl += "CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;"
    snap = snapshot_after(conn, ddl + leak + ";")
    found = [f for f in hits(snap, code) if f.obj.table == "chats" or f.obj.name == "chats"]
    assert found, code
    assert found[0].severity in ((severity,) if severity else ("high", "critical"))


def test_membership_through_a_helper_is_scoped_and_joining_is_critical(conn):
    ddl = """
    CREATE ROLE t15_app LOGIN;
    CREATE TABLE accounts (id uuid PRIMARY KEY, name text);
    CREATE TABLE account_user (user_id uuid NOT NULL, account_id uuid NOT NULL REFERENCES accounts,
                               PRIMARY KEY (user_id, account_id));
    CREATE TABLE invoices (id uuid PRIMARY KEY, account_id uuid NOT NULL REFERENCES accounts, total numeric);
    CREATE TABLE projects (id uuid PRIMARY KEY, account_id uuid NOT NULL REFERENCES accounts);
    CREATE FUNCTION has_role(acc uuid) RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = public
        AS $$ SELECT EXISTS (SELECT 1 FROM public.account_user WHERE user_id = current_setting('app.uid')::uuid
                             AND account_id = acc) $$;
    CREATE POLICY m ON accounts FOR SELECT USING (has_role(id));
    CREATE POLICY m ON account_user FOR SELECT USING (has_role(account_id));
    CREATE POLICY m ON invoices USING (has_role(account_id));
    CREATE POLICY m ON projects USING (has_role(account_id));
    ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
    ALTER TABLE account_user ENABLE ROW LEVEL SECURITY;
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
    GRANT SELECT, INSERT, UPDATE, DELETE ON accounts, account_user, invoices, projects TO t15_app;
    """
    snap = snapshot_after(conn, ddl)
    ten = tenancy(snap)
    assert ten.column == "account_id" and ten.shape == "membership" and ten.model == "rls"
    assert not hits(snap, "ISO005") and not hits(snap, "ISO006")  # the helper's body is read: scoped
    snap = snapshot_after(conn, "CREATE POLICY j ON public.account_user FOR INSERT WITH CHECK (true);")
    (join,) = [f for f in hits(snap, "ISO006") if f.obj.name == "j"]
    assert join.severity == "critical" and "add themselves to any tenant" in join.message


def test_no_tenancy_invented_on_a_single_tenant_shop(conn):
    ddl = """
    CREATE TABLE customer (customer_id int PRIMARY KEY, name text);
    CREATE TABLE store (store_id int PRIMARY KEY);
    CREATE TABLE film (film_id int PRIMARY KEY, title text);
    CREATE TABLE inventory (inventory_id int PRIMARY KEY, film_id int REFERENCES film, store_id int REFERENCES store);
    CREATE TABLE rental (rental_id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer,
                         inventory_id int REFERENCES inventory);
    CREATE TABLE payment (payment_id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer,
                          rental_id int REFERENCES rental);
    CREATE TABLE actor (actor_id int PRIMARY KEY);
    CREATE TABLE category (category_id int PRIMARY KEY);
    """
    snap = snapshot_after(conn, ddl)
    ten = tenancy(snap)
    assert ten.model == "none" and ten.column is None and "customer_id" in ten.how
    assert ten.statement.startswith("isolation not applicable")
    assert model_for(snap).score is None  # left out of the overall score
    status = status_of(snap, "ISO001")
    assert status.status == "skipped" and status.reason.startswith("isolation not applicable")
    snap.settings = {"tenant_column": "customer_id"}  # the DBA says otherwise: taken
    assert tenancy(snap).column == "customer_id"


def test_isolation_model_is_validated_and_none_or_user_forced(conn):
    for good in ("rls", "app", "schema", "user", "none", ""):
        assert check_threshold("isolation_model", good, "test") == good
    with pytest.raises(ConfigError, match="'banana' is not an isolation model"):
        check_threshold("isolation_model", "banana", "test")
    snap = snapshot_after(conn, PER_USER)
    snap.settings = {"isolation_model": "none"}
    assert tenancy(snap).model == "none" and status_of(snap, "ISO005").status == "skipped"


def test_a_wrong_isolation_model_stops_the_run_before_connecting():
    from scratch import run_cli

    out = run_cli("audit", "host=/nonexistent dbname=x", "--set", "isolation_model=banana")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "pg-auditor: --set: threshold 'isolation_model': 'banana' is not an isolation model "
        "(one of rls, app, schema, user, none, or '' to detect it)"
    ]


IMPLIED = """
CREATE ROLE t15_app LOGIN;
CREATE TABLE organizations (id bigint PRIMARY KEY, name text);
CREATE TABLE requests (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES organizations, body text);
CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES organizations);
CREATE TABLE request_events (id bigint PRIMARY KEY, request_id bigint NOT NULL, payload jsonb);
CREATE TABLE job_runs (id bigint PRIMARY KEY, job_ref bigint NOT NULL, output text);
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO t15_app;
"""


def test_a_table_reached_only_through_an_implied_reference_holds_tenant_data(conn):
    """request_events.request_id points at requests(id) with no foreign key: it holds every tenant's rows."""
    snap = snapshot_after(conn, IMPLIED)
    snap.settings = {"app_roles": ["t15_app"], "isolation_model": "app"}
    info = {i.table.name: i for i in tenancy(snap).tables.values()}
    assert info["request_events"].cls == "indirect", info["request_events"].reason
    assert "request_id -> public.requests (implied by its name)" in info["request_events"].via[0]
    assert info["job_runs"].cls != "indirect"  # a name that says nothing is no path
    (iso001,) = hits(snap, "ISO001")  # application-enforced: the finding names every table of tenant data
    assert "public.request_events" in iso001.evidence["tables"]
    assert "public.job_runs" not in iso001.evidence["tables"]


def test_a_declared_reference_is_a_path_too(conn):
    snap = snapshot_after(conn, IMPLIED)
    snap.settings = {
        "app_roles": ["t15_app"],
        "isolation_model": "app",
        "references": {"job_runs.job_ref": "projects(id)"},
    }
    info = {i.table.name: i for i in tenancy(snap).tables.values()}
    assert info["job_runs"].cls == "indirect" and "declared reference" in info["job_runs"].via[0]


HIERARCHY = """
CREATE ROLE t15_app2 LOGIN;
CREATE TABLE organizations (id bigint PRIMARY KEY);
CREATE TABLE namespaces (id bigint PRIMARY KEY, organization_id bigint NOT NULL REFERENCES organizations);
CREATE TABLE projects (id bigint PRIMARY KEY, namespace_id bigint NOT NULL REFERENCES namespaces);
CREATE TABLE issues (id bigint PRIMARY KEY, project_id bigint NOT NULL REFERENCES projects, title text);
CREATE TABLE labels (id bigint PRIMARY KEY, project_id bigint REFERENCES projects,
                     group_id bigint REFERENCES namespaces, CHECK (num_nonnulls(project_id, group_id) = 1));
GRANT SELECT ON ALL TABLES IN SCHEMA public TO t15_app2;
"""


def test_declared_tenant_keys_place_each_table_at_its_level_of_the_hierarchy(conn):
    """GitLab publishes a sharding key per table (project_id, namespace_id, organization_id): a table keyed
    at its own level is tenant data by design, not a child that lacks organization_id (ISO012)."""
    snap = snapshot_after(conn, HIERARCHY)
    snap.settings = {"app_roles": ["t15_app2"], "isolation_model": "app", "tenant_column": "organization_id"}
    before = {f.obj.table for f in hits(snap, "ISO012")} | {
        o for f in hits(snap, "ISO012") for o in f.evidence.get("objects", [])
    }
    assert "issues" in before or "public.issues" in before
    snap.settings = {
        **snap.settings,
        "tenant_keys": {"issues": "project_id", "public.labels": ["project_id", "group_id"]},
    }
    info = {i.table.name: i for i in tenancy(snap).tables.values()}
    assert info["issues"].declared_keys == ["project_id"] and info["labels"].declared_keys == ["project_id", "group_id"]
    assert info["issues"].cls == "indirect" and "declared tenant key project_id" in info["issues"].reason
    flagged = {f.obj.table for f in hits(snap, "ISO012")}
    assert "issues" not in flagged and "labels" not in flagged


def test_tenant_keys_are_validated():
    assert check_tenant_keys({"issues": "project_id", "s.labels": ["project_id", "group_id"]}) is None
    assert check_tenant_keys({"issues": []}) and check_tenant_keys(["issues"]) and check_tenant_keys({"x": [1]})


WRITE_BY_AUTHOR = """
CREATE ROLE w15_anon NOLOGIN; CREATE ROLE w15_auth NOLOGIN; CREATE ROLE w15_authenticator LOGIN NOINHERIT;
GRANT w15_anon, w15_auth TO w15_authenticator;
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
CREATE TABLE orgs (id uuid PRIMARY KEY, name text);
CREATE TABLE members (org_id uuid NOT NULL REFERENCES orgs, user_id uuid NOT NULL REFERENCES auth.users,
                      PRIMARY KEY (org_id, user_id));
CREATE FUNCTION orgs_of_user() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT org_id FROM public.members WHERE user_id = auth.uid() $$;
CREATE TABLE notes (id uuid PRIMARY KEY, org_id uuid NOT NULL REFERENCES orgs,
                    user_id uuid NOT NULL REFERENCES auth.users, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON notes FOR SELECT TO w15_auth USING (org_id IN (SELECT orgs_of_user()));
CREATE POLICY members_read ON members FOR SELECT TO w15_auth USING (user_id = auth.uid());
CREATE POLICY orgs_read ON orgs FOR SELECT TO w15_auth USING (id IN (SELECT orgs_of_user()));
GRANT SELECT, INSERT ON notes, members, orgs TO w15_auth;
"""
AUTHOR_ONLY = "CREATE POLICY notes_insert ON notes FOR INSERT TO w15_auth WITH CHECK (user_id = auth.uid());"
AUTHOR_IN_TENANT = (
    "CREATE POLICY notes_insert ON notes FOR INSERT TO w15_auth"
    " WITH CHECK (user_id = auth.uid() AND org_id IN (SELECT orgs_of_user()));"
)


def test_a_write_checked_only_by_its_author_may_land_in_another_tenant(conn):
    """notes carries org_id; its INSERT policy checks user_id = auth.uid() alone: any member can write a
    note into another organization. The read side (membership) is right; the write side is a hole."""
    snap = snapshot_after(conn, WRITE_BY_AUTHOR + AUTHOR_ONLY)
    assert "notes" in {f.obj.table for f in hits(snap, "ISO005") if "INSERT" in f.message}
    (iso006,) = [f for f in hits(snap, "ISO006") if f.obj.table == "notes"]
    assert iso006.severity == "high" and "author's own id" in iso006.message


def test_a_write_checked_by_author_and_tenant_is_scoped(conn):
    scoped = snapshot_after(conn, WRITE_BY_AUTHOR + AUTHOR_IN_TENANT)
    assert not [f for f in hits(scoped, "ISO005") + hits(scoped, "ISO006") if f.obj.table == "notes"]
