"""IDX012 partial-unique-implied: a partial unique index a full unique one makes redundant, and what is not."""

from __future__ import annotations

import psycopg
import pytest

from support import hits, snapshot_after

SCHEMA = """
CREATE SCHEMA p;
CREATE TABLE p.users (id bigint PRIMARY KEY, email text NOT NULL, org bigint, active boolean NOT NULL DEFAULT true,
                      "Handle" text, CONSTRAINT users_email_key UNIQUE (email));
CREATE UNIQUE INDEX users_active_email ON p.users (email) WHERE active;             -- implied by users_email_key
CREATE UNIQUE INDEX users_active_org_email ON p.users (org, email) WHERE active;    -- key contains (email): implied
CREATE UNIQUE INDEX users_active_org ON p.users (org) WHERE active;                 -- no full unique on org: kept
CREATE UNIQUE INDEX users_email_c ON p.users (email COLLATE "C") WHERE active;      -- other collation: kept
CREATE UNIQUE INDEX users_email_nnd ON p.users (email, org) NULLS NOT DISTINCT WHERE active; -- NULLs equal: kept
CREATE UNIQUE INDEX "Users_Handle" ON p.users ("Handle");
CREATE UNIQUE INDEX "Users_Handle_active" ON p.users ("Handle") WHERE active;        -- quoted names: implied
CREATE TABLE p.ev (id bigint, at date NOT NULL, code text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE p.ev_1 PARTITION OF p.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE UNIQUE INDEX ev_live ON p.ev (id, at) WHERE code IS NOT NULL;                 -- implied on the parent only
"""


def test_partial_unique_implied_by_a_full_one(conn, by_name):
    found = by_name(hits(snapshot_after(conn, SCHEMA), "IDX012"))
    assert set(found) == {"users_active_email", "users_active_org_email", "Users_Handle_active", "ev_live"}
    assert "users_email_key" in found["users_active_email"].message
    assert "  DROP INDEX p.users_active_email;" in found["users_active_email"].fix
    assert '  DROP INDEX p."Users_Handle_active";' in found["Users_Handle_active"].fix
    assert found["ev_live"].obj.table == "ev" and "DROP INDEX p.ev_live;" in found["ev_live"].fix
    assert all("the index kept in its place is missing" in f.fix for f in found.values())


def test_without_the_full_unique_it_stays_silent(conn):
    snap = snapshot_after(
        conn,
        "CREATE TABLE u (id bigint PRIMARY KEY, email text, active boolean);"
        "CREATE UNIQUE INDEX u_active_email ON u (email) WHERE active;"
        "CREATE INDEX u_email ON u (email);",  # not unique: implies nothing
    )
    assert hits(snap, "IDX012") == []


def test_fix_runs_and_clears(conn, run_fix):
    for f in hits(snapshot_after(conn, SCHEMA), "IDX012"):
        run_fix(conn, f.fix.split("-- undo:")[0])
    assert hits(snapshot_after(conn, "SELECT 1"), "IDX012") == []


def test_fix_keeps_the_partial_index_when_the_full_one_is_gone(conn, run_fix):
    """The full unique index dropped since the audit: the guard raises and the partial one, now the only
    uniqueness left, stays."""
    (f, *_) = [f for f in hits(snapshot_after(conn, SCHEMA), "IDX012") if f.obj.name == "users_active_email"]
    conn.execute("ALTER TABLE p.users DROP CONSTRAINT users_email_key")
    with pytest.raises(psycopg.errors.RaiseException, match="the index kept in its place is missing"):
        run_fix(conn, f.fix.split("-- undo:")[0])
