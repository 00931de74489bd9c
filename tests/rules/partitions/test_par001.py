"""PAR001 range-coverage-ended: sets whose partitions ended, sets with only a default, and fixes that run."""

from __future__ import annotations

import pytest

from support import hits, snapshot_after


def test_ended_coverage_and_default_catching_rows(conn, by_table, ended_ddl):
    snap = snapshot_after(conn, ended_ddl)
    found = by_table(hits(snap, "PAR001"))
    assert set(found) == {"events", "No Default", "ids"}  # t.fine has its runway
    ev = found["events"]
    assert ev.severity == "high" and "new rows land in events_default" in ev.message
    assert ev.evidence["future_partitions"] == 0 and ev.evidence["default_estimated_rows"] > 0
    assert found["No Default"].severity == "critical" and "inserts fail" in found["No Default"].message
    assert found["ids"].evidence["sequence_last_value"] == 5000
    default = by_table(hits(snap, "PAR006"))
    assert set(default) == {"events"} and default["events"].severity == "high"
    assert default["events"].members == ("events_default",)


def test_ended_coverage_fix_moves_rows_out_of_the_default(conn, by_table, ended_ddl, run_fix):
    snap = snapshot_after(conn, ended_ddl)
    fix = by_table(hits(snap, "PAR001"))["events"].fix
    assert "dflt text := 't.events_default'" in fix and "ATTACH PARTITION %s" in fix
    run_fix(conn, fix)
    run_fix(conn, fix)  # decided when it runs: a second run finds the partitions made and does nothing
    rows_left = conn.execute("SELECT count(*) FROM ONLY t.events_default").fetchone()[0]
    assert rows_left == 0
    again = snapshot_after(conn, "ANALYZE t.events_default")
    assert "events" not in by_table(hits(again, "PAR001")) | by_table(hits(again, "PAR002"))
    assert "events" not in by_table(hits(again, "PAR006"))


def test_plain_create_fails_while_default_holds_rows(conn, ended_ddl):
    """Why the fix goes through the default: CREATE ... PARTITION OF refuses while the default has those rows."""
    import psycopg

    snapshot_after(conn, ended_ddl)
    conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "CREATE TABLE t.events_now PARTITION OF t.events FOR VALUES FROM (date_trunc('month', now())) "
            "TO (date_trunc('month', now()) + interval '1 month')"
        )
    conn.execute("ROLLBACK TO SAVEPOINT s")


def test_fingerprints_do_not_depend_on_oids_or_values(conn, ended_ddl):
    snap = snapshot_after(conn, ended_ddl)
    first = {f.fingerprint for code in ("PAR001", "PAR006") for f in hits(snap, code)}
    again = snapshot_after(conn, "INSERT INTO t.events SELECT g, now(), 'y' FROM generate_series(1, 10) g")
    assert first == {f.fingerprint for code in ("PAR001", "PAR006") for f in hits(again, code)}


DEFAULT_ONLY = """
CREATE SCHEMA t;
CREATE TABLE t.enriched (id bigint, "timestamp" timestamp(6) NOT NULL) PARTITION BY RANGE ("timestamp");
CREATE TABLE t.enriched_default PARTITION OF t.enriched DEFAULT;
INSERT INTO t.enriched SELECT g, now()::timestamp - (g % 20) * interval '1 hour' FROM generate_series(1, 100) g;
CREATE TABLE t.by_expr (at timestamptz NOT NULL) PARTITION BY RANGE (date_trunc('day', at AT TIME ZONE 'UTC'));
CREATE TABLE t.by_expr_1 PARTITION OF t.by_expr FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE t.codes (code text NOT NULL) PARTITION BY RANGE (code);
CREATE TABLE t.codes_a PARTITION OF t.codes FOR VALUES FROM ('a') TO ('z');
"""


def test_range_set_with_only_a_default(conn, by_table, run_fix):
    """The Lago shape: a time set whose only partition is the default (pg_partman's config not loaded)."""
    snap = snapshot_after(conn, DEFAULT_ONLY)
    found = by_table(hits(snap, "PAR001"))
    assert set(found) == {"enriched"}  # by_expr cannot be ordered, codes cannot run out
    assert "no range partitions" in found["enriched"].message and found["enriched"].severity == "high"
    run_fix(conn, found["enriched"].fix)
    now_rows = conn.execute(
        "SELECT count(*) FROM ONLY t.enriched_default WHERE \"timestamp\" >= date_trunc('month', now()::timestamp)"
    )
    assert now_rows.fetchone()[0] == 0
    assert "enriched" not in by_table(hits(snapshot_after(conn, "SELECT 1"), "PAR001"))


def test_unorderable_keys_are_not_evaluated(conn):
    from auditor.engine import run_rule
    from auditor.engine.config import Config
    from auditor.rules import load_all

    only_expr = "\n".join(line for line in DEFAULT_ONLY.splitlines() if "enriched" not in line)
    snap = snapshot_after(conn, only_expr)
    status, findings = run_rule(load_all()["PAR001"], snap, Config())
    assert status.status == "not_evaluated" and "t.by_expr" in status.reason and not findings


def test_tables_beside_an_extension_are_still_audited(conn, by_table, ended_ddl):
    """An extension installed in an application schema (pgcrypto in public, as Lago does) must not hide it."""
    snap = snapshot_after(conn, ended_ddl + "CREATE EXTENSION pg_stat_statements SCHEMA t;")
    assert "t" not in snap.extension_schemas
    assert "events" in by_table(hits(snap, "PAR001"))


def test_move_fix_keeps_generated_columns(conn, by_table, ended_ddl, run_fix):
    ddl = ended_ddl.replace(
        "note text) PARTITION BY RANGE (at);",
        "note text, day date GENERATED ALWAYS AS ((at AT TIME ZONE 'UTC')::date) STORED) PARTITION BY RANGE (at);",
    )
    fix = by_table(hits(snapshot_after(conn, ddl), "PAR001"))["events"].fix
    assert "cols text := 'id, at, note'" in fix  # the generated column is recomputed, not copied
    run_fix(conn, fix)
    assert conn.execute("SELECT count(*) FROM t.events WHERE day IS NULL").fetchone()[0] == 0


def test_empty_default_only_set_without_partman_is_one_medium_par001(
    conn, by_table, default_only_findings, empty_default_only_ddl, run_fix
):
    snap = snapshot_after(conn, empty_default_only_ddl)
    (f,) = default_only_findings(snap)
    assert f.code == "PAR001" and f.severity == "medium"
    assert "holds no rows yet" in f.message and f.evidence["set_empty"] is True
    run_fix(conn, f.fix)  # the printed fix runs on the empty set too
    assert "enriched" not in by_table(hits(snapshot_after(conn, "SELECT 1"), "PAR001"))


def test_default_only_set_with_rows_stays_high(conn, default_only_findings, empty_default_only_ddl):
    snap = snapshot_after(
        conn, empty_default_only_ddl + "INSERT INTO t.enriched VALUES (1, now()); ANALYZE t.enriched;"
    )
    (f,) = default_only_findings(snap)
    assert f.code == "PAR001" and f.severity == "high" and "no rows" not in f.message
    assert f.evidence["set_empty"] is False


def test_default_only_set_never_analyzed_is_not_called_empty(conn, default_only_findings, empty_default_only_ddl):
    # No ANALYZE yet: reltuples is -1 and relpages 0 whether or not rows were written, so nothing is known.
    ddl = empty_default_only_ddl.replace("ANALYZE t.enriched_default;", "")
    (g,) = default_only_findings(snapshot_after(conn, ddl))
    assert g.code == "PAR001" and g.severity == "high" and g.evidence["set_empty"] is False
    (h,) = default_only_findings(snapshot_after(conn, "ANALYZE t.enriched_default"))
    assert h.severity == "medium"


def test_covered_range_sets_get_neither_rule(partman, fine_ddl, partman_ddl):
    # obs is registered with three months ahead; t.fine is hand-made with four months ahead.
    snap = snapshot_after(partman, partman_ddl + "CREATE SCHEMA t;" + fine_ddl)
    assert not [f for f in hits(snap, "PAR001") if f.obj.table in ("obs", "fine")]
    assert not [f for f in hits(snap, "PAR024") if f.obj.table == "obs"]


def test_covered_range_set_without_partman_gets_neither_rule(conn, fine_ddl):
    snap = snapshot_after(conn, "CREATE SCHEMA t;" + fine_ddl)
    assert not hits(snap, "PAR001") and not hits(snap, "PAR024")


def test_ended_set_with_an_empty_default_is_medium_and_without_a_default_stays_critical(
    conn, by_table, monthly, run_fix
):
    ddl = (
        """
CREATE SCHEMA t;
CREATE TABLE t.quiet (at timestamptz NOT NULL) PARTITION BY RANGE (at);
"""
        + monthly("t.quiet", -9, -4, "YYYY_MM")
        + """
CREATE TABLE t.quiet_default PARTITION OF t.quiet DEFAULT;
CREATE TABLE t.nodef (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.nodef_2020 PARTITION OF t.nodef FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
ANALYZE t.quiet, t.nodef;
"""
    )
    found = by_table(hits(snapshot_after(conn, ddl), "PAR001"))
    assert found["quiet"].severity == "medium" and "no rows" in found["quiet"].message
    assert found["nodef"].severity == "critical" and "inserts fail" in found["nodef"].message
    run_fix(conn, found["quiet"].fix)
    assert "quiet" not in by_table(hits(snapshot_after(conn, "SELECT 1"), "PAR001"))


ID_SET = """
CREATE SCHEMA ids;
CREATE TABLE ids.jobs (id bigint GENERATED BY DEFAULT AS IDENTITY, PRIMARY KEY (id)) PARTITION BY RANGE (id);
CREATE TABLE ids.jobs_0 PARTITION OF ids.jobs FOR VALUES FROM (0) TO (1000);
SELECT setval(pg_get_serial_sequence('ids.jobs', 'id'), 5000);
"""


@pytest.mark.parametrize("code", ["PAR001", "PAR002"])
def test_integer_set_whose_sequence_was_not_read_is_not_evaluated(conn, code):
    """The owned sequence of an integer range set was left unread (skipped under another session's ACCESS
    EXCLUSIVE lock, or its read failed): today's position is unknown, so the rule says it could not judge
    instead of passing. The correct variant: read, the set is judged (PAR001: ended at 1000, below 5000)."""
    from auditor.catalog.model import Unavailable
    from auditor.engine import run_rule
    from auditor.engine.config import Config
    from auditor.rules import load_all

    snap = snapshot_after(conn, ID_SET)
    if code == "PAR001":
        assert [f.obj.table for f in hits(snap, code)] == ["jobs"]
    for seq in snap.sequences:
        seq.last_value = None
    snap.limited["sequence_values"] = Unavailable("last_value not read for sequences whose read failed: 1 (timeout)")
    snap.__dict__.pop("_once", None)
    status, found = run_rule(load_all()[code], snap, Config())
    assert status.status == "not_evaluated" and not found, (status.status, status.reason)
    assert "ids.jobs" in (status.reason or "")


def test_integer_set_whose_sequence_was_never_used_passes(conn):
    """A sequence never used yet (read, NULL) is not an unread one: nothing to say."""
    from auditor.engine import run_rule
    from auditor.engine.config import Config
    from auditor.rules import load_all

    snap = snapshot_after(conn, ID_SET.replace("SELECT setval", "-- SELECT setval"))
    status, found = run_rule(load_all()["PAR001"], snap, Config())
    assert status.status != "not_evaluated" and not found
