"""PAR002 range-runway-short: too few future partitions, hand-made and pg_partman sets, fixes that run."""

from __future__ import annotations

from support import hits, snapshot_after


def test_short_runway(conn, by_table, run_fix, short_ddl):
    snap = snapshot_after(conn, short_ddl)
    found = by_table(hits(snap, "PAR002"))
    assert set(found) == {"short", "cliff"}  # MAXVALUE never runs out
    assert found["short"].severity == "medium" and found["short"].evidence["future_partitions"] == 1
    assert found["cliff"].severity == "high" and found["cliff"].evidence["interval"] == "1 day"
    assert not hits(snap, "PAR001")
    for f in found.values():
        run_fix(conn, f.fix)
    again = snapshot_after(conn, "SELECT 1")
    assert not hits(again, "PAR002")
    names = {t.name for t in again.tables if t.parent_oid and again.table_by_oid[t.parent_oid].name == "short"}
    assert len(names) == 5 and all(n.startswith("short_p") for n in names)  # named like the existing ones


def test_premake_threshold_is_configurable(conn, by_table, short_ddl):
    snap = snapshot_after(conn, short_ddl)
    snap.settings = {"partition_premake": 1}
    assert "short" not in by_table(hits(snap, "PAR002"))


def test_partman_premake_short_and_fix(partman, by_table, partman_ddl, run_fix):
    snap = snapshot_after(partman, partman_ddl + "UPDATE partman.part_config SET premake = 6;")
    found = by_table(hits(snap, "PAR002"))
    assert set(found) == {"obs"} and found["obs"].evidence["wanted_future_partitions"] == 6
    assert "SELECT partman.run_maintenance('public.obs');" in found["obs"].fix
    run_fix(partman, found["obs"].fix)
    assert not hits(snapshot_after(partman, "SELECT 1"), "PAR002")


def test_partman_epoch_set_is_judged_against_now(partman, by_table, partman_ddl):
    ddl = partman_ddl + (
        "CREATE TABLE public.ep (id bigint, ts bigint NOT NULL) PARTITION BY RANGE (ts);"
        "SELECT partman.create_parent('public.ep', 'ts', 'native', 'daily', p_epoch := 'seconds', p_premake := 2);"
        "UPDATE partman.part_config SET premake = 5 WHERE parent_table = 'public.ep';"
    )
    found = by_table(hits(snapshot_after(partman, ddl), "PAR002"))
    assert set(found) == {"ep"} and found["ep"].evidence["future_partitions"] == 2
    assert "epoch_now" in found["ep"].evidence
