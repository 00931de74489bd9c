"""`pg-auditor check-migration` as a user runs it (a subprocess, the copy in a temporary cluster): the
issue's done-when scenario, exit codes, one-line errors and SARIF that GitHub code scanning accepts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from validate import validate_sarif

from scratch import run_cli, scratch_database

pytestmark = pytest.mark.db

ROWS = 200_000  # bench/migration_review.py runs the same scenario at 2,000,000 rows

SCHEMA = f"""
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id bigint NOT NULL,
                       name text NOT NULL);
CREATE INDEX projects_account_id_idx ON projects (account_id);
CREATE TABLE event_tracker (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_tracker_account_id_idx ON event_tracker (account_id);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_tracker ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON accounts USING (id = current_setting('app.account_id')::bigint);
CREATE POLICY tenant ON projects USING (account_id = current_setting('app.account_id')::bigint);
CREATE POLICY tenant ON event_tracker USING (account_id = current_setting('app.account_id')::bigint);
INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 100) g;
INSERT INTO projects (account_id, name) SELECT 1 + g % 100, 'project ' || g FROM generate_series(1, 2000) g;
INSERT INTO event_tracker (account_id, kind)
    SELECT 1 + g % 100, 'kind ' || g % 7 FROM generate_series(1, {ROWS}) g;
ANALYZE;
"""

MIGRATION = """\
-- 0042_event_trace.sql
ALTER TABLE event_tracker ADD COLUMN trace_id uuid DEFAULT gen_random_uuid();

CREATE INDEX event_tracker_trace_id_idx ON event_tracker (trace_id);

ALTER TABLE projects ADD CONSTRAINT projects_account_id_fkey
    FOREIGN KEY (account_id) REFERENCES accounts (id);

CREATE TABLE audit_notes (
    id serial PRIMARY KEY,
    account_id bigint NOT NULL,
    note text,
    noted_at timestamp
);
"""


@pytest.fixture(scope="module")
def target(pg_server):
    with scratch_database(pg_server, "mig_cli_target", SCHEMA) as dsn:
        yield dsn


def live_state(dsn: str) -> tuple:
    out = subprocess.run(["pg_dump", "--schema-only", "-d", dsn], capture_output=True, text=True, check=True).stdout
    schema = "\n".join(ln for ln in out.splitlines() if not ln.startswith(("\\restrict", "\\unrestrict")))
    with psycopg.connect(dsn) as conn:
        files = conn.execute("SELECT relname, relfilenode FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                             "ORDER BY 1").fetchall()  # fmt: skip
        counts = conn.execute("SELECT (SELECT count(*) FROM event_tracker), (SELECT count(*) FROM projects)").fetchone()
    return schema, files, counts


def test_done_when_scenario(target, tmp_path) -> None:
    """The issue's scenario: per statement the measured lock, the rewrite, the live size and the advice; a
    new finding on the created table; the live database unchanged."""
    before = live_state(target)
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    mig = tmp_path / "db" / "migrations" / "0042_event_trace.sql"
    mig.write_text(MIGRATION, encoding="utf-8")
    out = run_cli("check-migration", "db/migrations/0042_event_trace.sql", target, "-o", "review", "-f", "md",
                  "-f", "json", "-f", "sarif", cwd=tmp_path)  # fmt: skip
    assert out.returncode == 1, out.stderr  # the new table has tenant data and no RLS: ISO001 (critical)
    assert "Traceback" not in out.stderr
    review = json.loads((tmp_path / "review" / "pg-auditor-migration.json").read_text())
    add, index, fk, create = review["migration"]["statements"]

    assert [s["line"] for s in (add, index, fk, create)] == [2, 4, 6, 9]
    assert add["table_locks"][0] == {
        "relation": "event_tracker",
        "mode": "ACCESS EXCLUSIVE",
        "blocks": "reads and writes",
    }
    assert add["rewrite"] and add["rewrites"] == ["event_tracker"]
    live = add["live"]["event_tracker"]
    assert abs(live["rows"] - ROWS) < ROWS * 0.1 and live["bytes"] > 5_000_000
    assert {"MIG001", "MIG019"} <= {a["code"] for a in add["advice"]}

    assert index["table_locks"] == [{"relation": "event_tracker", "mode": "SHARE", "blocks": "writes"}]
    (concurrently,) = [a for a in index["advice"] if a["code"] == "MIG008"]
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS event_tracker_trace_id_idx ON event_tracker" in concurrently["fix"]

    assert {(lk["relation"], lk["mode"]) for lk in fk["table_locks"]} == {
        ("projects", "SHARE ROW EXCLUSIVE"), ("accounts", "SHARE ROW EXCLUSIVE")}  # fmt: skip
    assert fk["scans"] == ["projects"] and not fk["rewrite"]
    (not_valid,) = [a for a in fk["advice"] if a["code"] == "MIG004"]
    assert "NOT VALID" in not_valid["fix"] and "VALIDATE CONSTRAINT projects_account_id_fkey" in not_valid["fix"]

    assert create["table_locks"] == [] and {"MIG020", "MIG023"} <= {a["code"] for a in create["advice"]}
    introduced = {(f["code"], f["object"]) for f in review["audit_diff"]["introduced"]}
    assert {("ISO001", "public.audit_notes"), ("CON008", "public.audit_notes")} <= introduced
    assert ("CON002", "public.projects") in {(f["code"], f["object"]) for f in review["audit_diff"]["removed"]}

    md = (tmp_path / "review" / "pg-auditor-migration.md").read_text()
    assert "ACCESS EXCLUSIVE on `event_tracker`" in md and "CREATE INDEX CONCURRENTLY" in md and "NOT VALID" in md
    sarif = json.loads((tmp_path / "review" / "pg-auditor-migration.sarif").read_text())
    validate_sarif(sarif)
    (run,) = sarif["runs"]
    assert run["artifacts"] == [{"location": {"uri": "db/migrations/0042_event_trace.sql"}}]
    at = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert {("MIG001", 2), ("MIG008", 4), ("MIG004", 6), ("MIG023", 9), ("ISO001", 9)} <= at
    assert live_state(target) == before  # the live database only read


def test_exit_codes_follow_fail_on_and_the_size_limit(target, tmp_path) -> None:
    mig = tmp_path / "index.sql"
    mig.write_text("SET lock_timeout = '2s';\nSET statement_timeout = '5min';\n"
                   "CREATE INDEX IF NOT EXISTS event_tracker_kind_idx ON event_tracker (kind);\n")  # fmt: skip
    common = ("check-migration", str(mig), target, "-o", str(tmp_path / "o"), "--fail-on", "never", "--no-audit-diff")
    small = run_cli(*common, "--max-locked-size", "1MB")
    assert small.returncode == 1, small.stderr
    assert "takes SHARE on event_tracker" in small.stderr
    big = run_cli(*common, "--max-locked-size", "10GB")
    assert big.returncode == 0, big.stderr
    zero = run_cli(*common, "--max-locked-size", "1MB", "--exit-zero")
    assert zero.returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.sql", "dbname=x"], "migration file not found: missing.sql"),
        (["bad.sql", "dbname=x"], "bad.sql:2: PostgreSQL's parser refuses the migration"),
        (["ok.sql", "dbname=x", "-f", "html"], "check-migration writes md, json or sarif, not 'html'"),
        (["ok.sql", "dbname=x", "--max-locked-size", "lots"], "--max-locked-size takes a size"),
        (["ok.sql", "dbname=x", "--lock-timeout", "0"], "--lock-timeout"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message) -> None:
    (tmp_path / "ok.sql").write_text("CREATE TABLE t (id bigint);\n")
    (tmp_path / "bad.sql").write_text("CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUM x int;\n")
    out = run_cli("check-migration", *args, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], out.stderr
    assert not list(tmp_path.glob("pg-auditor-migration.*"))


def test_connection_failure_never_shows_the_password(pg_server, tmp_path) -> None:
    (tmp_path / "ok.sql").write_text("CREATE TABLE t (id bigint);\n")
    params = psycopg.conninfo.conninfo_to_dict(pg_server.dsn)
    password = "S3cr@t:/pw'x"
    dsn = f"postgresql://nobody_here:{quote(password, safe='')}@{params['host']}:{params['port']}/postgres"
    out = run_cli("check-migration", "ok.sql", dsn, cwd=tmp_path)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert password not in out.stderr + out.stdout and quote(password, safe="") not in out.stderr + out.stdout


def test_a_pg_dump_older_than_the_server_is_said_clearly(target, tmp_path) -> None:
    """pg_dump cannot dump a newer server: one line says which versions and what to do, before dumping."""
    fake = tmp_path / "bin"
    fake.mkdir()
    tool = fake / "pg_dump"
    tool.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "ok.sql").write_text("CREATE TABLE t (id bigint);\n")
    out = run_cli("check-migration", "ok.sql", target, cwd=tmp_path, env={"PG_AUDITOR_PG_BINDIR": str(fake),
                                                                             "PATH": os.environ["PATH"]})  # fmt: skip
    assert out.returncode == 2, out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert "pg_dump is 9" in line and "cannot dump a newer server" in line and "--on-target" in line


def test_readme_shows_the_command() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "pg-auditor check-migration" in readme and "ACCESS EXCLUSIVE on `event_tracker`" in readme


def test_a_password_never_shows_in_a_successful_review(pg_server, target, tmp_path) -> None:
    """With --debug, pg_dump and every connection: the password reaches neither the terminal nor a file
    (pg_dump gets it through PGPASSWORD, never on its command line)."""
    password = "Mig@:/pw'x y%40"
    role = "pga_mig_reader"
    with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(psycopg.sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            psycopg.sql.Identifier(role), psycopg.sql.Literal(password)))  # fmt: skip
    try:
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        params = psycopg.conninfo.conninfo_to_dict(target)
        dsn = f"postgresql://{role}:{quote(password, safe='')}@{params['host']}:{params['port']}/{params['dbname']}"
        (tmp_path / "ok.sql").write_text("SET lock_timeout = '1s';\nCREATE TABLE notes (id bigint);\n")
        out = run_cli("check-migration", "ok.sql", dsn, "--debug", "-o", "r", "-f", "md,json,sarif", cwd=tmp_path)
        assert out.returncode in (0, 1), out.stderr
        written = out.stdout + out.stderr + "".join(p.read_text() for p in (tmp_path / "r").iterdir())
        for form in (password, quote(password, safe=""), password[:6]):
            assert form not in written
    finally:
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_on_target_traces_in_a_rolled_back_transaction(target, tmp_path) -> None:
    before = live_state(target)
    (tmp_path / "m.sql").write_text("ALTER TABLE projects ADD COLUMN code text DEFAULT md5(random()::text);\n"
                                    "CREATE INDEX CONCURRENTLY projects_code_idx ON projects (code);\n")  # fmt: skip
    out = run_cli("check-migration", "m.sql", target, "--on-target", "--no-audit-diff", "-o", "r", "-f", "md,json",
                  cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr  # projects is small: no blocking lock over the size limit
    review = json.loads((tmp_path / "r" / "pg-auditor-migration.json").read_text())
    add, cic = review["migration"]["statements"]
    assert add["rewrite"] and add["table_locks"][0]["mode"] == "ACCESS EXCLUSIVE" and cic["status"] == "skipped"
    assert "rolled back" in (tmp_path / "r" / "pg-auditor-migration.md").read_text()
    assert live_state(target) == before


def test_an_unreachable_scratch_server_is_one_line(target, tmp_path) -> None:
    (tmp_path / "ok.sql").write_text("CREATE TABLE t (id bigint);\n")
    scratch = "host=127.0.0.1 port=1 user=nobody password=Scr4tch-secret dbname=postgres"
    out = run_cli("check-migration", "ok.sql", target, "--scratch", scratch, "--no-audit-diff", cwd=tmp_path)
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert "cannot make the schema copy on a scratch database" in line and "Scr4tch-secret" not in line
