"""IDX004 invalid-index: catalog-edited and real failed builds, builds in progress, and PAR007's share."""

from __future__ import annotations

import pytest

from auditor.catalog.model import IndexBuild

from support import hits, run_fix, snapshot_after

INVALID = """
CREATE SCHEMA v;
CREATE TABLE v.t (id bigint PRIMARY KEY, email text, n int);
CREATE UNIQUE INDEX t_email_key ON v.t (email);
CREATE INDEX t_n_idx ON v.t (n);
CREATE INDEX t_n_idx_ccnew ON v.t (n);
UPDATE pg_index SET indisvalid = false WHERE indexrelid IN ('v.t_email_key'::regclass, 'v.t_n_idx_ccnew'::regclass);
CREATE TABLE v.ev (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE v.ev_1 PARTITION OF v.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE v.ev_2 PARTITION OF v.ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX ev_at_idx ON ONLY v.ev (at);
CREATE INDEX ev_1_at ON v.ev_1 (at);                              -- matching, not attached yet
"""


def test_invalid_indexes(conn, by_name):
    found = by_name(hits(snapshot_after(conn, INVALID), "IDX004"))
    assert set(found) == {"t_email_key", "t_n_idx_ccnew"}
    assert found["t_email_key"].severity == "high"
    assert "REINDEX INDEX CONCURRENTLY v.t_email_key;" in found["t_email_key"].fix
    assert "duplicate values" in found["t_email_key"].fix
    assert found["t_n_idx_ccnew"].fix == "DROP INDEX CONCURRENTLY IF EXISTS v.t_n_idx_ccnew;"
    # the alternative is a comment: running the block never rebuilds and then drops
    assert "\n-- DROP INDEX CONCURRENTLY IF EXISTS v.t_email_key;" in found["t_email_key"].fix
    # An invalid partitioned index is PAR007's finding, not reported twice.
    assert "ev_at_idx" not in found
    (par,) = [f for f in hits(snapshot_after(conn, "SELECT 1"), "PAR007") if f.obj.name == "ev_at_idx"]
    run_fix(conn, par.fix)  # the existing twin is attached, not rebuilt
    attached = "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'v.ev_at_idx'::regclass"
    assert ("v.ev_1_at",) in conn.execute(attached).fetchall()


def test_invalid_index_being_built_is_left_out(conn, by_name):
    snap = snapshot_after(conn, INVALID)
    t = snap.table_by_name[("v", "t")]
    email = next(i for i in snap.indexes if i.name == "t_email_key")
    snap.index_builds = [IndexBuild(t.oid, email.oid, "CREATE INDEX CONCURRENTLY", "building index")]
    assert set(by_name(hits(snap, "IDX004"))) == set()


def test_invalid_partitioned_fix_makes_it_valid(conn, run_fix):
    snapshot_after(conn, INVALID)
    (par,) = [f for f in hits(snapshot_after(conn, "SELECT 1"), "PAR007") if f.obj.name == "ev_at_idx"]
    run_fix(conn, par.fix)
    assert conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'v.ev_at_idx'::regclass").fetchone()[0]
    assert not [f for f in hits(snapshot_after(conn, "SELECT 1"), "PAR007") if f.obj.name == "ev_at_idx"]


def test_real_failed_create_index_concurrently(pg_server):
    """A real failed CREATE UNIQUE INDEX CONCURRENTLY (not a catalog edit), and the printed fix run as-is."""
    import psycopg

    from auditor.catalog.collect import collect
    from auditor.catalog.db import Session

    with psycopg.connect(pg_server.dsn_for(), autocommit=True) as c:
        c.execute("DROP SCHEMA IF EXISTS cic CASCADE; CREATE SCHEMA cic; CREATE TABLE cic.u (id int, email text)")
        c.execute("INSERT INTO cic.u VALUES (1, 'a'), (2, 'a')")
        with pytest.raises(psycopg.errors.UniqueViolation):
            c.execute("CREATE UNIQUE INDEX CONCURRENTLY u_email_key ON cic.u (email)")
        try:
            (f,) = [f for f in hits(collect(Session(conn=c)), "IDX004") if f.obj.schema == "cic"]
            assert f.obj.name == "u_email_key" and f.severity == "high"
            c.execute("DELETE FROM cic.u WHERE id = 2")
            for stmt in f.fix.split("-- or, if it is not wanted:")[0].splitlines():
                if stmt and not stmt.startswith("--"):
                    c.execute(stmt)  # REINDEX INDEX CONCURRENTLY, as printed
            assert not [f for f in hits(collect(Session(conn=c)), "IDX004") if f.obj.schema == "cic"]
        finally:
            c.execute("DROP SCHEMA cic CASCADE")
