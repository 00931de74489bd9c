"""A report is never lost (issue 18, items 4-7): the reports are written before the history, all formats
together through a staging directory checked before connecting; fleet directories never collide; a
fresh SQLite history survives processes creating it at once."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from safety.helpers import audit, history_rows, json_report, reports_in

from scratch import ROOT, run_cli, scratch_database


def test_locked_sqlite_history_warns_exits_2_and_keeps_every_report(safety_db, tmp_path):
    hist = tmp_path / "history.sqlite"
    first = audit(safety_db.dsn, "-o", str(tmp_path / "first"), "--history", str(hist), "--fail-on", "never")
    assert first.returncode == 0, first.stderr
    locker = sqlite3.connect(hist, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        out = tmp_path / "out"
        args = ("-o", str(out), "--history", str(hist), "--connect-timeout", "1", "--fail-on", "never")
        run = audit(safety_db.dsn, *args)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert run.returncode == 2, run.stderr
    assert "the reports are written, the run is not in the history" in run.stderr
    assert set(reports_in(out)) == {"md", "html", "json"}
    assert json_report(out)["database"]["name"] == safety_db.dbname
    assert [r["status"] for r in history_rows(hist)] == ["ok"]  # the first run only


@pytest.fixture
def read_only_history(pg_server, safety_db) -> Iterator[str]:
    """A PostgreSQL history whose role may read but not write."""
    role, pw = "pga_hist_ro", "Hist-ro-55"
    with scratch_database(pg_server, "pga_hist", roles=(role,)) as dsn:
        from auditor.runs.history import History

        admin_url = f"postgresql://postgres@{safety_db.host}:{safety_db.port}/pga_hist"
        History(admin_url).close()  # the schema, created by its owner
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(pw)))
            conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(role)))
        yield f"postgresql://{role}:{pw}@{safety_db.host}:{safety_db.port}/pga_hist"


def test_history_role_that_may_not_write_costs_a_warning_not_the_reports(safety_db, read_only_history, tmp_path):
    out = tmp_path / "out"
    run = audit(safety_db.dsn, "-o", str(out), "--history", read_only_history, "--fail-on", "never")
    assert run.returncode == 2, run.stderr
    assert "cannot write history" in run.stderr and "permission denied" in run.stderr
    assert "Hist-ro-55" not in run.stderr
    assert set(reports_in(out)) == {"md", "html", "json"}
    warnings = [ln for ln in run.stderr.splitlines() if ln.startswith("pg-auditor: ")]
    assert len(warnings) == 1, run.stderr


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@pytest.fixture
def read_only_dir(tmp_path) -> Iterator[Path]:
    """A directory on a read-only bind mount (root ignores permission bits, not a read-only mount)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if not (shutil.which("mount") and _mount("--bind", str(ro), str(ro))):
        pytest.skip("cannot bind-mount here (needs root and CAP_SYS_ADMIN)")
    try:
        if not _mount("-o", "remount,bind,ro", str(ro)):
            pytest.skip("cannot remount read-only")
        yield ro
    finally:
        _mount("-l", "-f", str(ro)) or subprocess.run(["umount", "-l", str(ro)], check=False)


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A 48 kB filesystem: too small for an HTML report."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not (shutil.which("mount") and _mount("-t", "tmpfs", "-o", "size=48k", "tmpfs", str(disk))):
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_read_only_output_directory_fails_before_connecting(read_only_dir, tmp_path):
    """The output is checked first: with a server that is not even there, the error is the directory's."""
    hist = tmp_path / "history.sqlite"
    run = audit(f"host=127.0.0.1 port={closed_port()} dbname=x", "-o", str(read_only_dir), "--history", str(hist))
    assert run.returncode == 2
    assert run.stderr.strip() == f"pg-auditor: cannot write the reports to {read_only_dir}: Read-only file system"
    assert list(read_only_dir.iterdir()) == []
    assert [r["status"] for r in history_rows(hist)] == ["failed"]


def test_file_in_the_way_of_the_output_directory(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("mine", encoding="utf-8")
    run = audit(f"host=127.0.0.1 port={closed_port()} dbname=x", "-o", str(blocker))
    assert run.returncode == 2
    assert "a file is in the way" in run.stderr and "internal error" not in run.stderr
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_full_disk_leaves_the_last_run_whole_and_records_a_failure(safety_db, tiny_disk, tmp_path):
    """A full disk used to leave .partial files, this run's .md beside the last run's .html, and an `ok`
    history row with no report. Now: nothing of this run is moved in, and the run is recorded failed."""
    last = {"pg-auditor-report.md": "last run md\n", "pg-auditor-report.html": "last run html\n"}
    for name, text in last.items():
        (tiny_disk / name).write_text(text, encoding="utf-8")
    hist = tmp_path / "history.sqlite"
    run = audit(safety_db.dsn, "-o", str(tiny_disk), "--history", str(hist), "-f", "md", "-f", "html")
    assert run.returncode == 2
    assert "No space left on device" in run.stderr and "internal error" not in run.stderr
    assert {p.name: p.read_text(encoding="utf-8") for p in tiny_disk.iterdir()} == last
    rows = history_rows(hist)
    assert [r["status"] for r in rows] == ["failed"] and "No space left" in rows[0]["error"]


@pytest.fixture
def two_databases(pg_server) -> Iterator[tuple[str, str]]:
    with (
        scratch_database(pg_server, "pga_slug_a", "CREATE TABLE a_only (id int PRIMARY KEY)") as a,
        scratch_database(pg_server, "pga_slug_b", "CREATE TABLE b_only (id int PRIMARY KEY)") as b,
    ):
        yield a, b


def test_fleet_targets_that_slug_alike_keep_their_own_reports(two_databases, tmp_path):
    a, b = two_databases
    targets = tmp_path / "fleet.toml"
    targets.write_text(
        f'[[target]]\nname = "prod/billing"\ndsn = "{a}"\n\n[[target]]\nname = "prod_billing"\ndsn = "{b}"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run = run_cli("audit", "--targets", str(targets), "-o", str(out), "--fail-on", "never")
    assert run.returncode == 0, run.stderr
    import json

    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    reports = {t["name"]: t["report"] for t in index["targets"]}
    assert len(set(reports.values())) == 2
    for name, db in (("prod/billing", "pga_slug_a"), ("prod_billing", "pga_slug_b")):
        doc = json_report((out / reports[name]).parent)
        assert doc["database"]["name"] == db


CREATE_AT = """
import sys, time
from auditor.runs.history import History
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
History(sys.argv[1]).close()
"""


def test_processes_creating_a_fresh_sqlite_history_at_once_all_succeed(tmp_path):
    failures = []
    for round_ in range(12):
        path = tmp_path / f"h{round_}.sqlite"
        start = time.time() + 1.0
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CREATE_AT, str(path), str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            )
            for _ in range(6)
        ]
        for p in procs:
            _, err = p.communicate(timeout=120)
            if p.returncode != 0:
                failures.append(err.strip().splitlines()[-1])
    assert failures == []
