"""HLT002 autovacuum-health: autovacuum disabled, dead rows piling up, never analyzed; a healthy table is silent."""

from __future__ import annotations

import dataclasses

from support import hits, run_fix, snapshot_after


def test_disabled_and_piling_up(conn):
    snap = snapshot_after(
        conn,
        "CREATE TABLE jobs (id bigint PRIMARY KEY) WITH (autovacuum_enabled = false);"
        "CREATE TABLE blobs (id bigint PRIMARY KEY, b text) WITH (toast.autovacuum_enabled = off);"
        "CREATE TABLE healthy (id bigint PRIMARY KEY);",
    )
    found = {f.obj.display: f for f in hits(snap, "HLT002")}
    assert set(found) == {"public.jobs", "public.blobs"}
    assert found["public.jobs"].fix.startswith("ALTER TABLE public.jobs RESET (autovacuum_enabled);")
    assert "toast.autovacuum_enabled" in found["public.blobs"].fix
    # the same snapshot, with the statistics a busy week leaves behind
    jobs = next(t for t in snap.tables if t.name == "jobs")
    healthy = next(t for t in snap.tables if t.name == "healthy")
    stats = {s.table_oid: s for s in snap.table_stats}
    stats[jobs.oid].n_dead_tup = 50_000
    stats[healthy.oid].n_mod_since_analyze = 20_000  # never analyzed
    snap.server = dataclasses.replace(snap.server)
    found = {f.obj.display: f for f in hits(snap, "HLT002")}
    assert found["public.jobs"].severity == "medium" and "50000 dead rows" in found["public.jobs"].message
    assert "never analyzed" in found["public.healthy"].message
    assert found["public.healthy"].fix == "VACUUM (ANALYZE) public.healthy;"


def test_reset_clears_it(conn):
    snap = snapshot_after(conn, "CREATE TABLE jobs (id bigint PRIMARY KEY) WITH (autovacuum_enabled = false);")
    (f,) = hits(snap, "HLT002")
    run_fix(conn, f.fix.split("\nVACUUM")[0])  # VACUUM cannot run in the test's transaction
    assert hits(snapshot_after(conn, "SELECT 1"), "HLT002") == []


def test_autovacuum_off_for_the_server(conn):
    snap = snapshot_after(conn, "SELECT 1")
    snap.server.settings["autovacuum"] = "off"
    (f,) = hits(snap, "HLT002")
    assert f.obj.kind == "database" and f.severity == "high"
