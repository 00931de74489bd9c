"""PAR024 partman-set-unregistered: time sets beside pg_partman, and a set with only a default."""

from __future__ import annotations

import psycopg
import pytest

from support import hits, snapshot_after
from support import run_fix as run_fix_text


def test_partman_unregistered_range_set(partman, by_table, monthly, partman_ddl, short_ddl):
    snap = snapshot_after(partman, partman_ddl + short_ddl.replace("CREATE SCHEMA t;", "CREATE SCHEMA t;"))
    found = by_table(hits(snap, "PAR024"))
    assert set(found) == {"short", "cliff"}  # open_end runs to MAXVALUE: nothing to maintain
    assert "partman.create_parent('t.short', 'at', 'native', 'monthly');" in found["short"].fix


def test_partman_registration_fix_runs_beside_an_existing_default(partman, partman_ddl, with_scheduler):
    # A set holding only a default partition (rows in it): create_parent makes its own <parent>_default,
    # so the fix moves the old one aside, registers the set, and puts the rows back through the parent.
    snap = snapshot_after(
        partman,
        partman_ddl + "CREATE SCHEMA t; CREATE TABLE t.ev (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);"
        "CREATE TABLE t.ev_default PARTITION OF t.ev DEFAULT; INSERT INTO t.ev VALUES (1, now()), (2, now());",
    )
    # Nothing runs maintenance here: registering would only postpone the end, so the fix is comments.
    (unscheduled,) = [f for f in hits(snap, "PAR024") if f.obj.table == "ev"]
    assert "Schedule maintenance first" in unscheduled.fix
    assert all(line.startswith("--") for line in unscheduled.fix.splitlines())
    (f,) = [f for f in hits(with_scheduler(snap, snap.server.database), "PAR024") if f.obj.table == "ev"]
    assert "DETACH PARTITION t.ev_default" in f.fix
    partman.execute(f.fix)
    assert partman.execute("SELECT count(*) FROM t.ev").fetchone()[0] == 2
    assert not [f for f in hits(snapshot_after(partman, "SELECT 1"), "PAR024") if f.obj.table == "ev"]


def test_default_only_set_with_partman_is_one_par024(
    partman, default_only_findings, empty_default_only_ddl, partman_ddl, run_fix, with_scheduler
):
    snap = snapshot_after(partman, partman_ddl + empty_default_only_ddl)
    snap = with_scheduler(snap, snap.server.database)  # the background worker maintains this database
    (f,) = default_only_findings(snap)
    assert f.code == "PAR024" and f.severity == "medium"
    assert "only partition is the default enriched_default" in f.message and "holds no rows yet" in f.message
    run_fix(partman, f.fix)
    after = snapshot_after(partman, "SELECT 1")
    assert not default_only_findings(after)
    full = snapshot_after(partman, "INSERT INTO public.obs VALUES (1, now(), 1)")  # unrelated: still quiet
    assert not default_only_findings(full)


def test_default_only_set_with_partman_and_rows_is_one_high_par024(
    partman, default_only_findings, empty_default_only_ddl, partman_ddl
):
    ddl = partman_ddl + empty_default_only_ddl + "INSERT INTO t.enriched VALUES (1, now()); ANALYZE t.enriched;"
    (f,) = default_only_findings(snapshot_after(partman, ddl))
    assert f.code == "PAR024" and f.severity == "high" and "no rows" not in f.message


def test_partman_registration_waits_for_partman_names(partman, partman_ddl, with_scheduler):
    # Partitions named otherwise than pg_partman names them: create_parent would make its own for the same
    # ranges and fail on the overlap (the demo's events_2026_08 against events_p2026_08). Comments, not run;
    # and when the names are right, the fix checks them again when it runs (another fix may add some).
    ddl = partman_ddl + (
        "CREATE SCHEMA t; CREATE TABLE t.ev (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
        "CREATE TABLE t.ev_2025_01 PARTITION OF t.ev FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');"
    )
    snap = snapshot_after(partman, ddl)
    snap = with_scheduler(snap, snap.server.database)
    (f,) = [f for f in hits(snap, "PAR024") if f.obj.table == "ev"]
    assert f.evidence["not_partman_named"] == ["ev_2025_01"]
    assert all(line.startswith("--") for line in f.fix.splitlines())
    renamed = snapshot_after(partman, "ALTER TABLE t.ev_2025_01 RENAME TO ev_p2025_01")
    (g,) = [f for f in hits(with_scheduler(renamed, renamed.server.database), "PAR024") if f.obj.table == "ev"]
    assert "create_parent" in g.fix and not g.fix.startswith("--")
    partman.execute("CREATE TABLE t.ev_late PARTITION OF t.ev FOR VALUES FROM ('2025-02-01') TO ('2025-03-01')")
    partman.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.RaiseException, match="not named as pg_partman names it"):
        run_fix_text(partman, g.fix)
    partman.execute("ROLLBACK TO SAVEPOINT s")
