"""Inputs and the terminal (issue 18, items 13-17): every config section is checked before connecting;
names holding ESC/OSC sequences reach the terminal escaped; one parser and one validation for rule codes
in suppressions; the user's errors are one clear line; SIGTERM exits 143; a zero timeout needs `off`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psycopg
import pytest
from safety.helpers import audit, history_rows

from auditor import engine

from scratch import ROOT, run_cli, scratch_database, snapshot_of


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NOWHERE = f"host=127.0.0.1 port={closed_port()} dbname=x"


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            '[notify]\nwebhook = "https://hooks.example.invalid/x"\nmin-severty = "high"\n',
            "unknown key 'min-severty'",
        ),
        ('[notify]\nwebhook = "https://hooks.example.invalid/x"\ntimeout = "abc"\n', "timeout must be a number"),
        ('targets = ["db1"]\n', "targets is not a config key"),
    ],
)
def test_config_sections_are_checked_before_connecting(tmp_path, section, expected):
    cfg = tmp_path / "pg-auditor.toml"
    cfg.write_text(section, encoding="utf-8")
    hist = tmp_path / "history.sqlite"
    run = audit(NOWHERE, "--config", str(cfg), "-o", str(tmp_path / "out"), "--history", str(hist))
    assert run.returncode == 2
    assert expected in run.stderr and "cannot connect" not in run.stderr, run.stderr
    assert not hist.exists() or history_rows(hist) == []  # no `ok` (nor any) row for a run that never started


ESC_DB = "pga_esc\x1b]0;owned\x07\x1b[2J"


def test_names_with_terminal_escapes_reach_the_terminal_escaped(pg_server, tmp_path):
    hist = tmp_path / "history.sqlite"
    with scratch_database(pg_server, ESC_DB, "CREATE TABLE t (id int)") as dsn:
        run = audit(dsn, "-o", str(tmp_path / "out"), "--history", str(hist), "--fail-on", "never")
        missing = audit(pg_server.dsn_for(ESC_DB + "_missing"), "-o", str(tmp_path / "out2"))
    listing = run_cli("history", "--history", str(hist))
    assert run.returncode == 0, run.stderr
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    for text in (run.stdout, run.stderr, missing.stderr, listing.stdout, listing.stderr):
        assert "\x1b" not in text and "\x07" not in text
    assert "pga_esc\\u001b]0;owned\\u0007" in listing.stdout


def test_a_comment_tag_suppresses_only_valid_rule_codes(pg_server):
    """`pg-auditor: ignore I C P -- reason` suppressed every rule of the schema; the CLI and the config
    refuse such prefixes. One parser and one validation now: they suppress nothing."""
    ddl = """
    CREATE SCHEMA app;
    CREATE TABLE app.accounts (id bigint PRIMARY KEY);
    CREATE TABLE app.orders (id bigint, account_id bigint REFERENCES app.accounts, status text);
    COMMENT ON SCHEMA app IS 'owned by billing. pg-auditor: ignore I C P -- we know';
    COMMENT ON TABLE app.accounts IS 'pg-auditor: ignore con001, IDX -- legacy';
    """
    with scratch_database(pg_server, "pga_suppress", ddl) as dsn:
        report = engine.run(snapshot_of(dsn))
    suppressed = {(f.code, f.obj.display, f.suppressed) for f in report.findings if f.suppressed}
    unsuppressed = {f.code for f in report.findings if not f.suppressed}
    assert {"CON001", "IDX001"} <= unsuppressed  # app.orders: no primary key, unindexed foreign key
    assert all(reason == "comment on table: legacy" for _, _, reason in suppressed), suppressed
    assert all(obj.startswith("app.accounts") or "accounts" in obj for _, obj, _ in suppressed)
    refused = run_cli("audit", "--from-snapshot", "x.json", "--ignore", "I")
    assert refused.returncode == 2 and "unknown rule code or prefix 'I'" in refused.stderr


def test_the_users_errors_are_one_clear_line(tmp_path):
    bad_snapshot = tmp_path / "snap.json"
    from auditor.catalog.snapshot_file import SNAPSHOT_FORMAT

    bad_snapshot.write_text(f'{{"format": {SNAPSHOT_FORMAT}, "server": {{}}, "unavailable": []}}', encoding="utf-8")
    cases = {
        "snapshot": (["--from-snapshot", str(bad_snapshot), "-o", str(tmp_path / "o1")], "snapshot does not match"),
        "history port": (
            [NOWHERE, "--history", "postgresql://u:Port-secret@localhost:abc/h", "-o", str(tmp_path / "o2")],
            "invalid history URL",
        ),
    }
    for name, (args, expected) in cases.items():
        run = audit(*args)
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 2, name
        assert len(lines) == 1 and expected in lines[0], (name, run.stderr)
        assert "internal error" not in run.stderr and "Port-secret" not in run.stderr


def test_sigterm_exits_143_and_leaves_nothing_half_written(safety_db, tmp_path):
    out = tmp_path / "out"
    holder = psycopg.connect(safety_db.dsn, autocommit=False)
    holder.execute("LOCK TABLE pg_catalog.pg_policy IN ACCESS EXCLUSIVE MODE")  # the audit waits on it
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "auditor", "audit", safety_db.dsn, "-o", str(out), "--lock-timeout", "20s"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd="/",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _waiting_on_pg_policy(safety_db.dsn):
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "pg-auditor: terminated (SIGTERM)"
    assert not out.exists() or list(out.iterdir()) == []  # no staging directory, no partial file


def _waiting_on_pg_policy(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return bool(
            conn.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'pg_catalog.pg_policy'::regclass"
            ).fetchone()[0]
        )


@pytest.mark.parametrize("option", ["--statement-timeout", "--lock-timeout"])
def test_a_zero_timeout_needs_an_explicit_off(safety_db, tmp_path, option):
    zero = audit(safety_db.dsn, option, "0", "-o", str(tmp_path / "zero"))
    assert zero.returncode == 2 and f"{option} off" in zero.stderr, zero.stderr
    assert not (tmp_path / "zero").exists()
    off = audit(safety_db.dsn, option, "off", "-o", str(tmp_path / "off"), "--fail-on", "never")
    assert off.returncode == 0, off.stderr
    nonsense = audit(safety_db.dsn, option, "soon", "-o", str(tmp_path / "nonsense"))
    assert nonsense.returncode == 2 and "is not a duration" in nonsense.stderr
