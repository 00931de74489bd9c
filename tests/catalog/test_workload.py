"""The workload's parsing and candidates: what a statement compares, and which index it would need, on
real catalogs (the test's transaction); the EXPLAIN and hypopg side is in tests/rules/indexes/test_idx013.py."""

from __future__ import annotations

from auditor.catalog.workload import candidates
from auditor.catalog.workload_parse import Ref, parse_statement
from auditor.rules.indexes._workload import suggestions

from support import snapshot_after


def test_parse_keeps_what_an_index_on_plain_columns_serves():
    p = parse_statement(
        "SELECT o.id FROM app.orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE o.status IN ($1, $2) AND o.created_at BETWEEN $3 AND $4 AND lower(o.email) = $5 "
        "AND (o.a = $6 OR o.b = $7) AND NOT o.c = $8 AND o.deleted_at IS NULL AND $9 = o.region "
        "ORDER BY o.created_at DESC LIMIT 10"
    )
    assert p is not None
    assert [(s.schema, s.name, s.alias) for s in p.sources] == [("app", "orders", "o"), (None, "customers", "c")]
    assert p.equality == [Ref("o", "status"), Ref("o", "deleted_at"), Ref("o", "region")]  # not lower(), OR, NOT
    assert p.ranges == [Ref("o", "created_at")]
    assert p.joins == [(Ref("c", "id"), Ref("o", "customer_id"))]
    assert p.sorts == [Ref("o", "created_at")] and p.limited and p.params == 9


def test_parse_refuses_what_is_not_one_select_from_tables():
    for text in (
        "UPDATE t SET a = $1 WHERE id = $2",
        "SELECT 1",
        "SELECT * FROM t WHERE a = $1; SELECT 2",
        "SELECT a FROM t UNION SELECT a FROM u",
        "SELECT * FROM t WHERE",  # cut off (pg_stat_statements' track_activity_query_size)
        "VALUES ($1)",
    ):
        assert parse_statement(text) is None, text


DDL = """
CREATE TABLE wl_t (id bigint PRIMARY KEY, org_id bigint NOT NULL, email text, status text, created_at date,
                   code text UNIQUE);
CREATE INDEX wl_t_status_created ON wl_t (status, created_at);
CREATE INDEX wl_t_email_part ON wl_t (email) WHERE status = 'active';
"""


def wanted(snap, text: str, verified: bool = True) -> list[tuple[str, ...]]:
    return [w.columns for w in candidates(snap, parse_statement(text), verified)]


def test_candidates_skip_what_an_index_serves(conn):
    snap = snapshot_after(conn, DDL)
    snap.settings = {"workload_min_rows": 0}
    assert wanted(snap, "SELECT * FROM wl_t WHERE id = $1") == []  # the primary key
    assert wanted(snap, "SELECT * FROM wl_t WHERE code = $1 AND status = $2") == []  # unique within the equality
    assert wanted(snap, "SELECT * FROM wl_t WHERE status = $1") == []  # a leading-column prefix
    assert wanted(snap, "SELECT * FROM wl_t WHERE created_at > $1 AND status = $2") == []  # equality, then range
    assert wanted(snap, "SELECT * FROM wl_t WHERE created_at = $1") == [("created_at",)]  # not the second column
    assert wanted(snap, "SELECT * FROM wl_t WHERE status = $1 AND org_id = $2 AND created_at < $3") == [
        ("status", "org_id", "created_at")
    ]
    # a partial index on the column: the planner decides with hypopg; without it, it counts as serving
    assert wanted(snap, "SELECT * FROM wl_t WHERE email = $1") == [("email",)]
    assert wanted(snap, "SELECT * FROM wl_t WHERE email = $1", verified=False) == []
    assert wanted(snap, "SELECT * FROM wl_t ORDER BY created_at LIMIT 5") == [("created_at",)]
    assert wanted(snap, "SELECT * FROM wl_t ORDER BY created_at") == []  # no LIMIT: a sort of everything
    snap.settings = {"workload_min_rows": 10_000}
    assert wanted(snap, "SELECT * FROM wl_t WHERE created_at = $1") == []  # a small table


def test_the_tenant_column_leads_the_suggested_index(conn):
    from auditor.catalog.model import IndexCandidate, Statement

    snap = snapshot_after(conn, DDL)
    t = next(t for t in snap.tables if t.name == "wl_t")
    snap.statements = [Statement(1, "SELECT * FROM wl_t WHERE status = $1 AND org_id = $2", 10, 5.0, 0.5, 1, 0, 0)]
    snap.index_candidates = [IndexCandidate(t.oid, ["status", "org_id"], 2, [1], False, [None], [None], None)]
    snap.settings = {"tenant_columns": ["org_id"]}
    assert [s.columns for s in suggestions(snap)] == [["org_id", "status"]]
