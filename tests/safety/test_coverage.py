"""Never a false all-clear (issue 18, items 8, 9, 11): a section that was not read makes the run exit 2
with its report written, names itself on the report's first screen, and marks every score partial;
comparisons skip rules that did not run on both sides; the database size is optional."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest
from safety.helpers import audit, json_report, reports_in

from auditor import engine
from auditor.catalog import snapshot_file

from scratch import snapshot_of


def test_revoked_pg_locks_costs_only_the_lock_facts_and_exits_2_with_the_report(safety_db, tmp_path):
    """REVOKE SELECT ON pg_locks FROM PUBLIC used to lose every relation section (all joined pg_locks)
    and still exit 0 with a clean score. Now: only `locks` is lost, exit 2, the report says so."""
    out = tmp_path / "out"
    safety_db.admin("REVOKE SELECT ON pg_catalog.pg_locks FROM PUBLIC")
    try:
        run = audit(safety_db.as_role(), "-o", str(out), "--fail-on", "never")
        allowed = audit(safety_db.as_role(), "-o", str(tmp_path / "allowed"), "--fail-on", "never", "--allow-partial")
    finally:
        safety_db.admin("GRANT SELECT ON pg_catalog.pg_locks TO PUBLIC")
    assert run.returncode == 2, run.stderr
    doc = json_report(out)
    assert set(doc["unavailable"]) == {"locks"}, doc["unavailable"]
    assert "permission denied" in doc["unavailable"]["locks"]["reason"]
    assert doc["unavailable"]["locks"]["grant"] == "GRANT SELECT ON pg_catalog.pg_locks TO pga_safety_reader;"
    assert doc["scores"]["partial"] is True
    assert doc["inventory"]["tables"] == 2 and doc["inventory"]["indexes"] >= 2  # the relation sections were read
    files = reports_in(out)
    assert set(files) == {"md", "html", "json"}
    first_screen = "\n".join(files["md"].splitlines()[:12])
    assert "Partial audit" in first_screen and "`locks`: permission denied" in first_screen
    assert "**100**/100" not in files["md"] and "score 100/100 ·" not in files["md"]
    html_top = files["html"].split('<section class="cards"', 1)[0]
    assert 'id="not-read"' in html_top and "<code>locks</code>" in html_top
    assert "partial audit: not read: locks" in run.stderr
    score = next(ln for ln in run.stderr.splitlines() if ln.startswith("score "))
    assert "(partial: * scores cover only what was read)" in score and "100/100" not in score
    assert run.stderr.splitlines()[-1] == "exit 2: a partial audit, locks not read (--allow-partial accepts it)"
    # opting out is explicit, and the report still says it is partial
    assert allowed.returncode == 0, allowed.stderr
    assert json_report(tmp_path / "allowed")["scores"]["partial"] is True


def test_a_catalog_under_an_exclusive_lock_loses_its_section_exit_2_and_report_names_it(safety_db, tmp_path):
    """A catalog under VACUUM FULL (ACCESS EXCLUSIVE): its section is lost to lock_timeout. That used to
    exit 0 with the score of what was read; now it exits 2 and the report names the section and why."""
    out = tmp_path / "out"
    holder = psycopg.connect(safety_db.dsn, autocommit=False)
    try:
        holder.execute("LOCK TABLE pg_catalog.pg_policy IN ACCESS EXCLUSIVE MODE")
        run = audit(safety_db.as_role(), "-o", str(out), "--fail-on", "never", "--lock-timeout", "200ms")
    finally:
        holder.rollback()
        holder.close()
    assert run.returncode == 2, run.stderr
    doc = json_report(out)
    assert set(doc["unavailable"]) == {"policies"}
    assert "lock" in doc["unavailable"]["policies"]["reason"]
    assert "policies" in "\n".join(reports_in(out)["md"].splitlines()[:12])


def _crash_constraints(path: Path) -> None:
    """A snapshot whose constraints the rules cannot read: every rule over them crashes."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    for row in doc["constraints"]:
        row["columns"] = 7
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_compare_to_a_snapshot_where_rules_crashed_compares_only_rules_that_ran_on_both_sides(safety_db, tmp_path):
    snap_path = tmp_path / "before.json"
    snapshot_file.save(snapshot_of(safety_db.dsn), snap_path)
    _crash_constraints(snap_path)
    crashed = {s.code for s in engine.run(snapshot_file.load(snap_path)).statuses if s.status == "error"}
    assert crashed  # the earlier side really has rules that did not run
    out = tmp_path / "out"
    run = audit(safety_db.dsn, "-o", str(out), "--compare-to", str(snap_path), "--fail-on", "never")
    assert run.returncode == 0, run.stderr
    doc = json_report(out)
    changes = doc["context"]["changes"]
    by_fp = {f["fingerprint"]: f for f in doc["findings"]}
    assert not [by_fp[fp]["code"] for fp in changes["new"] if by_fp[fp]["code"] in crashed]
    assert set(changes["not_compared"]["rules"]) <= crashed and changes["not_compared"]["findings"] > 0
    assert "did not run there" in run.stderr


@pytest.fixture
def unstattable_database_dir(safety_db, pg_server):
    """A symlink loop in the database's directory: pg_database_size() fails on it (ELOOP), nothing else
    reads it. The server must be local to the test."""
    with psycopg.connect(safety_db.dsn) as conn:
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    loop = Path(data_dir) / "base" / str(oid) / "pga_loop"
    if not loop.parent.is_dir() or not os.access(loop.parent, os.W_OK):
        pytest.skip("the test server's data directory is not writable here")
    loop.symlink_to(loop.name)
    try:
        yield
    finally:
        loop.unlink()


def test_database_size_failing_costs_only_the_size(safety_db, unstattable_database_dir, tmp_path):
    """pg_database_size() was in the mandatory server-facts query: its failure (or a timeout on a slow
    filesystem) failed the whole audit. Now it is read apart, bounded, and optional."""
    with psycopg.connect(safety_db.dsn) as conn, pytest.raises(psycopg.Error):
        conn.execute("SELECT pg_database_size(current_database())")  # really fails
    out = tmp_path / "out"
    run = audit(safety_db.as_role(), "-o", str(out), "--fail-on", "never")
    assert run.returncode == 0, run.stderr
    doc = json_report(out)
    assert doc["database"]["database_bytes"] is None
    assert "database_size" in doc["limited"] and not doc["unavailable"]


def test_database_size_is_read_when_it_can_be(safety_db):
    snap = snapshot_of(safety_db.dsn)
    assert snap.server.database_bytes and snap.server.database_bytes > 1_000_000
