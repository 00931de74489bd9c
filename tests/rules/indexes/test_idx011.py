"""IDX011 over-indexed-write-heavy-table on a real snapshot whose counters are edited by hand."""

from __future__ import annotations

import dataclasses

from support import hits, snapshot_after

WRITE_HEAVY = """
CREATE SCHEMA w;
CREATE TABLE w.events (id bigint PRIMARY KEY, a int, b int, c int, d int, e int, f int, g int, h int);
CREATE INDEX ev_a ON w.events (a); CREATE INDEX ev_b ON w.events (b); CREATE INDEX ev_c ON w.events (c);
CREATE INDEX ev_d ON w.events (d); CREATE INDEX ev_e ON w.events (e); CREATE INDEX ev_f ON w.events (f);
CREATE INDEX ev_g ON w.events (g);
CREATE TABLE w.read_mostly (LIKE w.events INCLUDING INDEXES);
CREATE TABLE w.few (id bigint PRIMARY KEY, a int);
"""


def test_over_indexed_write_heavy(conn, run_fix, with_usage, with_table_stats):
    snap = snapshot_after(conn, WRITE_HEAVY)
    stats = {"events": (10, 0, 1_000), "read_mostly": (10, 0, 900_000), "few": (10, 0, 0)}
    snap = with_table_stats(snap, stats)
    writes = {"events": 500_000, "read_mostly": 500_000, "few": 500_000}
    by_oid = {t.oid: t.name for t in snap.tables}
    snap.table_stats = [dataclasses.replace(s, n_tup_ins=writes.get(by_oid[s.table_oid], 0)) for s in snap.table_stats]
    snap.__dict__.pop("stats_of", None)
    with_usage(snap, {"ev_a": 10, "ev_b": 10, "ev_c": 10, "ev_d": 10, "events_pkey": 500})
    (f,) = hits(snap, "IDX011")
    assert f.obj.table == "events" and f.evidence["indexes"] == 8
    assert f.evidence["never_scanned"] == ["ev_e", "ev_f", "ev_g"] and f.severity == "medium"
    run_fix(conn, f.fix)
