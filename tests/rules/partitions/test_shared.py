"""What several partition rules do together: no pg_partman, the report's context and score, sub-partitioned sets."""

from __future__ import annotations

from support import hits, objects, snapshot_after


def test_no_partman_means_nothing_to_judge(conn, gaps_ddl):
    snap = snapshot_after(conn, gaps_ddl)
    for code in ("PAR020", "PAR021", "PAR022", "PAR023", "PAR025", "PAR026", "PAR027", "PAR028", "PAR029", "PAR030"):
        assert hits(snap, code) == []


def test_context_and_score_show_their_working(partman, ended_ddl, partman_ddl):
    from auditor.engine import run
    from auditor.engine.config import Config

    snap = snapshot_after(partman, ended_ddl + partman_ddl)
    report = run(snap, Config(select=["PAR"]))
    ctx = report.extras["partitions"]
    rows = {r["set"]: r for r in ctx["sets"]}
    assert set(rows) >= {"t.events", "t.ids", "t.fine", "public.obs"}
    assert rows["t.events"]["runway_days"] < -60 and rows["t.events"]["default_rows"] > 0
    assert rows["t.fine"]["future_partitions"] == 4
    assert rows["public.obs"]["pg_partman"]["premake"] == 3
    assert ctx["pg_partman"]["maintenance_run_by"] == "nothing" and ctx["pg_partman"]["version"] == "4.7.2"
    score = report.scores["partitions"]
    assert score.model == "per-set deductions" and score.caps  # t."No Default" is critical: capped at 50
    by_set = {w["set"]: w for w in score.working}
    # t.fine is healthy; pg_partman being installed only adds the low "not registered" note.
    assert [d["code"] for d in by_set["t.fine"]["deductions"]] == ["PAR024"] and by_set["t.fine"]["score"] == 97
    assert {"PAR001", "PAR006"} <= {d["code"] for d in by_set["t.events"]["deductions"]}
    # The unscheduled maintenance counts against the set it leaves unmaintained.
    assert "PAR021" in {d["code"] for d in by_set["public.obs"]["deductions"]}
    assert score.working[0]["score"] == min(w["score"] for w in score.working)


def test_score_of_a_clean_database(conn):
    from auditor.engine import run
    from auditor.engine.config import Config

    report = run(snapshot_after(conn, "CREATE SCHEMA t; CREATE TABLE t.x (id int)"), Config(select=["PAR"]))
    assert report.scores["partitions"].score == 100


def test_partman_sub_partitioned_set(partman, partman_ddl):
    ddl = (
        partman_ddl + "SELECT partman.create_sub_parent('public.obs', 'id', 'native', '1000', p_premake := 2,"
        " p_native_check := 'yes');"
    )
    snap = snapshot_after(partman, ddl)
    subs = [c for c in snap.partman_config if c.source == "part_config_sub"]
    assert subs and subs[0].config["sub_parent"] == "public.obs"
    # Children registered as their own sets exist; nothing is orphaned, unregistered or mis-scored.
    assert not hits(snap, "PAR023") and not hits(snap, "PAR024")
    # One line for the set, not one per child set pg_partman registered from part_config_sub.
    assert objects(hits(snap, "PAR028")) == {"public.obs"}
    assert hits(snap, "PAR021")[0].evidence["sets"] == ["public.obs"]
    from auditor.analysis.partman import sub_sets

    assert [s.parent_table for s in sub_sets(snap)] == ["public.obs"] and sub_sets(snap)[0].is_id_based
