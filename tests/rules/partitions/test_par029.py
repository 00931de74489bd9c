"""PAR029 partman-premake-stalled: data that stopped two months ago, and the fix."""

from __future__ import annotations

from support import hits, snapshot_after


def test_partman_premake_stalled_when_data_stopped(partman, by_table, partman_ddl, run_fix):
    ddl = partman_ddl + (
        "INSERT INTO public.obs SELECT g, date_trunc('month', now()) - interval '2 months' + interval '1 day', g "
        "FROM generate_series(1, 50) g; ANALYZE public.obs;"
    )
    found = by_table(hits(snapshot_after(partman, ddl), "PAR029"))
    assert set(found) == {"obs"}
    assert "infinite_time_partitions = true" in found["obs"].fix
    run_fix(partman, found["obs"].fix)
    assert not hits(snapshot_after(partman, "SELECT 1"), "PAR029")
