"""PAR006 default-partition-has-rows: rows in the default, moved out by the printed fix."""

from __future__ import annotations

from support import hits, snapshot_after


def test_partman_default_catching_rows_and_partition_data_fix(partman, by_table, partman_ddl, run_fix):
    snap = snapshot_after(
        partman,
        partman_ddl + "INSERT INTO public.obs VALUES (1, '2001-01-15', 1), (2, '2001-01-20', 2); ANALYZE public.obs;",
    )
    found = by_table(hits(snap, "PAR006"))
    assert set(found) == {"obs"} and found["obs"].evidence["estimated_rows"] == 2
    assert "partman.partition_data_time('public.obs'" in found["obs"].fix
    run_fix(partman, found["obs"].fix)
    assert partman.execute("SELECT count(*) FROM ONLY public.obs_default").fetchone()[0] == 0
    assert not hits(snapshot_after(partman, "ANALYZE public.obs_default"), "PAR006")


def test_default_partition_fix_runs_as_printed(conn, by_table, ended_ddl, run_fix):
    snap = snapshot_after(conn, ended_ddl)
    fix = by_table(hits(snap, "PAR006"))["events"].fix
    assert fix == by_table(hits(snap, "PAR001"))["events"].fix  # the same partitions: one block in -f sql
    run_fix(conn, fix)
    assert conn.execute("SELECT count(*) FROM ONLY t.events_default").fetchone()[0] == 0
    assert "events" not in by_table(hits(snapshot_after(conn, "ANALYZE t.events_default"), "PAR006"))


def test_partman_fix_fills_a_short_gap_left_by_old_rows(partman, by_table, partman_ddl, run_fix):
    """Rows a few months older than the set: partition_data makes their month's child, and the fix fills the
    months between it and the others (PAR003 would report them), the gap being short."""
    old = "date_trunc('month', now()) - interval '6 months' + interval '3 days'"
    snap = snapshot_after(partman, partman_ddl + f"INSERT INTO public.obs VALUES (1, {old}, 1); ANALYZE public.obs;")
    run_fix(partman, by_table(hits(snap, "PAR006"))["obs"].fix)
    assert partman.execute("SELECT count(*) FROM ONLY public.obs_default").fetchone()[0] == 0
    after = snapshot_after(partman, "ANALYZE public.obs_default")
    assert "obs" not in by_table(hits(after, "PAR003")) | by_table(hits(after, "PAR006"))
