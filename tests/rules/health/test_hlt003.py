"""HLT003 transaction-id-wraparound: the ages are read from the catalog; old tables are reported, else the
database; a fresh database is silent."""

from __future__ import annotations

from support import hits, snapshot_after


def test_ages_are_read_and_a_fresh_database_is_silent(conn):
    snap = snapshot_after(
        conn, "CREATE TABLE ledger (id bigint PRIMARY KEY); CREATE TABLE p (at date) PARTITION BY RANGE (at);"
    )
    ledger = next(t for t in snap.tables if t.name == "ledger")
    parent = next(t for t in snap.tables if t.name == "p")
    assert isinstance(ledger.xid_age, int) and isinstance(ledger.mxid_age, int) and parent.xid_age is None
    assert isinstance(snap.server.frozenxid_age, int) and snap.server.frozenxid_age >= ledger.xid_age
    assert snap.server.settings["autovacuum_freeze_max_age"] == "200000000"
    assert hits(snap, "HLT003") == []


def test_old_tables_then_the_database(conn):
    snap = snapshot_after(conn, "CREATE TABLE ledger (id bigint PRIMARY KEY); CREATE TABLE audit_log (id bigint);")
    ledger = next(t for t in snap.tables if t.name == "ledger")
    log = next(t for t in snap.tables if t.name == "audit_log")
    ledger.xid_age = 1_200_000_000  # 56 % of the horizon
    log.mxid_age = 700_000_000  # 33 %, by multixacts
    snap.server.frozenxid_age = 1_200_000_000
    found = {f.obj.display: f for f in hits(snap, "HLT003")}
    assert set(found) == {"public.ledger", "public.audit_log"}  # the database is not reported a second time
    assert found["public.ledger"].severity == "high" and found["public.audit_log"].severity == "medium"
    assert "multixact" in found["public.audit_log"].message
    assert found["public.ledger"].fix == "VACUUM (FREEZE, VERBOSE) public.ledger;"
    assert found["public.ledger"].evidence["past_autovacuum_freeze_max_age"] is True
    ledger.xid_age = log.mxid_age = 1000  # frozen; the oldest is now a catalog
    snap.server.frozenxid_age = 1_800_000_000
    (db,) = hits(snap, "HLT003")
    assert db.obj.kind == "database" and db.severity == "critical"
