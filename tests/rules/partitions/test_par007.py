"""PAR007 invalid-partitioned-index: an ON ONLY index left invalid, and the fix that attaches or builds."""

from __future__ import annotations

from support import hits, snapshot_after


def test_invalid_partitioned_index_and_fix(conn, indexes_ddl, run_fix):
    snap = snapshot_after(conn, indexes_ddl)
    found = hits(snap, "PAR007")
    assert [(f.obj.table, f.obj.name) for f in found] == [("ev", "ev_body_idx")]
    f = found[0]
    assert f.evidence["partitions_missing_it"] == ["ev_2", "ev_3"]
    assert "c.relname = 'ev_body_idx'" in f.fix and "\n\\gexec\n" in f.fix  # partitions read when it runs
    run_fix(conn, f.fix)
    valid = conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 't.ev_body_idx'::regclass").fetchone()[0]
    assert valid
    attached = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 't.ev_body_idx'::regclass ORDER BY 1"
    ).fetchall()
    assert ("ev_2_body_hand",) in attached  # the matching index ev_2 had is attached, not built a second time
    assert not hits(snapshot_after(conn, "SELECT 1"), "PAR007")
