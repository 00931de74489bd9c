"""IDX013/IDX014 on a workload this test runs itself: pg_stat_statements (preloaded by the test cluster)
records it, hypopg verifies the candidates, and the audit's connection stays read-only throughout."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import psycopg
import pytest

from auditor.catalog.collect import collect
from auditor.catalog.db import Target, connect
from auditor.catalog.model import Snapshot
from auditor.catalog.workload import analyse
from auditor.engine import note_partial, run_rule
from auditor.engine.config import Config
from auditor.rules import load_all

from scratch import scratch_database
from support import hits

SCHEMA = """
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION hypopg;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_email text NOT NULL, total numeric NOT NULL);
INSERT INTO orders SELECT g, 'c' || (g % 50000) || '@example.com', g % 1000 FROM generate_series(1, 300000) g;
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, status text NOT NULL, created_at date NOT NULL);
INSERT INTO accounts SELECT g, 'a' || g || '@example.com', (ARRAY['new', 'active', 'gone'])[g % 3 + 1],
    date '2020-01-01' + g % 1500 FROM generate_series(1, 30000) g;
CREATE INDEX accounts_email_idx ON accounts (email);
CREATE INDEX accounts_status_created_idx ON accounts (status, created_at);
CREATE TABLE events (id bigint, day date NOT NULL, kind text NOT NULL) PARTITION BY RANGE (day);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO events SELECT g, date '2024-01-01' + g % 700, 'k' || g % 5000 FROM generate_series(1, 40000) g;
CREATE TABLE "Mixed ""Case"" T" (id bigint PRIMARY KEY, "E mail" text);
INSERT INTO "Mixed ""Case"" T" SELECT g, 'e' || g FROM generate_series(1, 20000) g;
CREATE ROLE pga_wl_reader LOGIN PASSWORD 'pga_wl_reader';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO pga_wl_reader;
ANALYZE;
"""
SCAN = "SELECT count(*) FROM orders WHERE total::text LIKE $1"
HOSTILE = 'SELECT * FROM "Mixed ""Case"" T" WHERE "E mail" = $1'


def needs_extensions(pg_server) -> None:
    with psycopg.connect(pg_server.dsn_for(), autocommit=True) as c:
        have = {n for (n,) in c.execute("SELECT name FROM pg_available_extensions")}
        preload = c.execute("SHOW shared_preload_libraries").fetchone()[0]
    if not {"pg_stat_statements", "hypopg"} <= have or "pg_stat_statements" not in preload:
        pytest.skip("needs pg_stat_statements preloaded and hypopg (postgresql-NN-hypopg)")


def xid_horizon(dsn: str) -> int:
    """The next transaction id: it moves only when some transaction writes."""
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint").fetchone()[0]


@pytest.fixture(scope="module")
def workload(pg_server) -> Iterator[tuple[Snapshot, str, int]]:
    """The issue's workload: 400 lookups by a non-indexed customer_email, 400 by the primary key, plus
    lookups served by existing indexes (one by a leading-column prefix); then one audit's collection."""
    needs_extensions(pg_server)
    with scratch_database(pg_server, "pga_workload", SCHEMA, roles=("pga_wl_reader",)) as dsn:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("SELECT pg_stat_statements_reset()")
            for i in range(400):
                c.execute("SELECT * FROM orders WHERE customer_email = %s", (f"c{i}@example.com",))
                c.execute("SELECT * FROM orders WHERE id = %s", (i,))
            for i in range(50):
                c.execute("SELECT id FROM accounts WHERE email = %s", (f"a{i}@example.com",))
                c.execute("SELECT count(*) FROM accounts WHERE status = %s", ("active",))
            for i in range(30):
                c.execute("SELECT * FROM events WHERE kind = %s", (f"k{i}",))
                c.execute(HOSTILE.replace("$1", "%s"), (f"e{i}",))
            for i in range(25):  # no index can serve a cast column: IDX014's case
                c.execute("SELECT count(*) FROM orders WHERE total::text LIKE %s", (f"{i}%",))
            c.execute("UPDATE orders SET total = total WHERE id = %s", (1,))
        before = xid_horizon(dsn)
        session = connect(Target(conninfo=dsn))
        try:
            assert session.conn.read_only
            snap = collect(session)
        finally:
            session.conn.close()
        written = xid_horizon(dsn) - before  # reading the horizon takes no transaction id itself
        yield snap, dsn, written


def test_suggests_the_sequentially_scanned_column_with_the_planners_gain(workload):
    snap, _, _ = workload
    found = {f.obj.table: f for f in hits(snap, "IDX013")}
    assert found["orders"].members == ("customer_email",)
    f = found["orders"]
    ev = f.evidence
    assert ev["verified"] is True and f.severity == "medium"
    assert ev["cost_before"] > 100 * ev["cost_after"] > 0, ev  # a 300k-row seq scan against an index probe
    assert [s["calls"] for s in ev["statements"]] == [400]
    assert ev["statements"][0]["query"] == "SELECT * FROM orders WHERE customer_email = $1"
    assert ev["hypothetical_index_size"] != "unknown"
    assert (
        f.fix == "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_email_idx ON public.orders (customer_email);"
    )


def test_nothing_for_the_primary_key_or_indexed_columns(workload):
    snap, _, _ = workload
    suggested = {(snap.table_by_oid[c.table_oid].name, tuple(c.columns)) for c in snap.index_candidates}
    # not orders.id, accounts.email, accounts(status): served by the key, an index, a leading-column prefix
    assert suggested == {("orders", ("customer_email",)), ("events", ("kind",)), ('Mixed "Case" T', ("E mail",))}
    by_text = {st.query: st for st in snap.statements}
    assert by_text["SELECT * FROM orders WHERE id = $1"].cost < 20  # explained: an index scan already
    assert by_text["SELECT count(*) FROM accounts WHERE status = $1"].cost is not None


def test_a_write_is_never_explained_and_nothing_is_written(workload):
    snap, dsn, written = workload
    update = next(st for st in snap.statements if st.query and st.query.startswith("UPDATE orders"))
    assert update.cost is None and update.note == "not a SELECT from tables"
    assert written <= 0, "the audit's transactions took a transaction id: something wrote"
    with psycopg.connect(dsn, autocommit=True) as c:  # no index, no prepared statement left behind
        assert c.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'").fetchone()[0] == 1
        sent = [q for (q,) in c.execute(
            "SELECT query FROM pg_stat_statements WHERE query LIKE '/* pg-auditor */%' AND dbid = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )]  # fmt: skip
    # what the audit sent, as pg_stat_statements recorded it: reads and EXPLAINs only
    first = {
        re.sub(r"^(\s*--[^\n]*\n)*\s*", "", q.removeprefix("/* pg-auditor */")).split(None, 1)[0].upper() for q in sent
    }
    assert "EXPLAIN" in first and first <= {"SELECT", "WITH", "EXPLAIN"}, first


def test_top_queries_context(workload):
    snap, _, _ = workload
    from auditor.rules.indexes._workload import workload_context

    ctx = workload_context(snap)
    top = ctx["statements"][0]
    assert top["query"] == "SELECT * FROM orders WHERE customer_email = $1"
    assert top["share"] > 0.5 and top["seq_scans"] == ["public.orders"]
    assert top["suggestions"] == ["(customer_email) on public.orders"]


def test_unverified_at_low_severity_without_hypopg(workload):
    snap, dsn, _ = workload
    blind = dataclasses.replace(snap, extensions=[e for e in snap.extensions if e.name != "hypopg"])
    blind.statements = [dataclasses.replace(st) for st in snap.statements]
    session = connect(Target(conninfo=dsn))
    try:
        analyse(session, blind)
    finally:
        session.conn.close()
    found = [f for f in hits(blind, "IDX013") if f.obj.table == "orders"]
    assert [(f.members, f.severity) for f in found] == [(("customer_email",), "low")]
    assert found[0].evidence["verified"] is False and "unverified" in found[0].message


def test_no_query_text(workload):
    _, dsn, _ = workload
    session = connect(Target(conninfo=dsn))
    try:
        bare = collect(session, settings={"workload_query_text": False})
    finally:
        session.conn.close()
    assert bare.statements and all(st.query is None for st in bare.statements)
    found = [f for f in hits(bare, "IDX013") if f.obj.table == "orders"]
    assert [f.members for f in found] == [("customer_email",)]
    assert "query" not in found[0].evidence["statements"][0]


def test_skipped_with_the_sql_that_unlocks_it_without_the_extension(pg_server):
    ddl = "CREATE TABLE t (id bigint PRIMARY KEY, v text);"
    with scratch_database(pg_server, "pga_no_pgss", ddl) as dsn:
        session = connect(Target(conninfo=dsn))
        try:
            snap = collect(session)
        finally:
            session.conn.close()
    assert snap.statements == [] and "statements" not in snap.unavailable  # not a partial audit
    for code in ("IDX013", "IDX014"):
        status, findings = run_rule(load_all()[code], snap, Config())
        assert status.status == "skipped" and not findings
        assert "pg_stat_statements is not installed" in status.reason
        assert "CREATE EXTENSION pg_stat_statements;" in (status.grant or "")


def test_top_queries_in_markdown_and_html(workload):
    from auditor import engine
    from auditor.output import render

    snap, _, _ = workload
    report = engine.run(snap)
    md, page = render.render(report, "md"), render.render(report, "html")
    assert "## Top queries" in md and "<h2>Top queries</h2>" in page
    assert "`SELECT * FROM orders WHERE customer_email = $1`" in md
    assert "<pre>SELECT * FROM orders WHERE customer_email = $1</pre>" in page
    assert "`(customer_email) on public.orders`" in md


def test_a_partitioned_table_and_a_hostile_name(workload):
    snap, dsn, _ = workload
    found = {f.obj.table: f for f in hits(snap, "IDX013")}
    events, hostile = found["events"], found['Mixed "Case" T']
    assert events.evidence["verified"] and "ON ONLY public.events" in events.fix  # the partitioned helper
    assert hostile.evidence["verified"] and hostile.evidence["statements"][0]["query"] == HOSTILE
    assert hostile.fix == (
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "Mixed ""Case"" T_E mail_idx" ON public."Mixed ""Case"" T" ("E mail");'
    )
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(hostile.fix)
        try:
            assert c.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass", ('"Mixed ""Case"" T_E mail_idx"',)
            ).fetchone() == (True,)
        finally:
            c.execute('DROP INDEX "Mixed ""Case"" T_E mail_idx"')


def test_other_roles_statements_need_pg_read_all_stats(workload, pg_server):
    # the workload's statements were run by the superuser; this role sees them as other roles' statements
    session = connect(Target(conninfo=pg_server.dsn_for("pga_workload", "pga_wl_reader", "pga_wl_reader")))
    try:
        limited = collect(session)
    finally:
        session.conn.close()
    hidden = [st for st in limited.statements if st.queryid == 0]
    assert hidden and hidden[0].query == "<insufficient privilege>" and hidden[0].calls > 800  # summed
    assert limited.index_candidates == []  # the texts are hidden: nothing to parse
    assert limited.limited["statements"].grant == "GRANT pg_read_all_stats TO pga_wl_reader;"
    rule = load_all()["IDX013"]
    status, _ = run_rule(rule, limited, Config())
    note_partial(status, rule, limited)
    assert status.status == "ok" and status.reason.startswith("partial statements: other roles' statements")
    assert status.grant == "GRANT pg_read_all_stats TO pga_wl_reader;"


def test_a_heavy_full_scan_no_index_serves_is_informational(workload):
    snap, _, _ = workload
    scan = next(st for st in snap.statements if st.query == SCAN)
    found = hits(snap, "IDX014")
    assert [(f.obj.table, f.members) for f in found] == [("orders", (str(scan.queryid),))]  # not the served one
    assert found[0].severity == "info" and found[0].evidence["share"] >= 0.05, found[0].evidence


def test_the_time_budget_bounds_the_work(workload):
    _, dsn, _ = workload
    session = connect(Target(conninfo=dsn))
    try:
        spent = collect(session, settings={"workload_budget_seconds": 1e-9})
    finally:
        session.conn.close()
    selects = [st for st in spent.statements if st.query and st.query.startswith("SELECT * FROM orders")]
    assert selects and all(st.cost is None and "workload_budget_seconds" in (st.note or "") for st in selects)
    assert {tuple(c.columns) for c in spent.index_candidates if not c.verified} >= {("customer_email",)}
