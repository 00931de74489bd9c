"""Fleet runs (a targets file, --all-databases) and webhook notifications, against a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import psycopg
import pytest

from paths import ROOT
from scratch import run_cli as cli
from support import create_database, drop_database

GOOD = "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, p int REFERENCES parent);"
CLEAN = "CREATE TABLE parent (id int PRIMARY KEY);"
DBS = {"pga_fleet_a": GOOD, "pga_fleet_b": CLEAN, "pga_fleet_c": CLEAN, "pga_fleet_locked": CLEAN}


@pytest.fixture
def fleet(pg_server):
    for name, ddl in DBS.items():
        create_database(pg_server.dsn, name, ddl)
    with psycopg.connect(pg_server.dsn, autocommit=True) as c:
        c.execute("ALTER DATABASE pga_fleet_c ALLOW_CONNECTIONS false")
        c.execute("DROP ROLE IF EXISTS pga_fleet_role")
        c.execute("CREATE ROLE pga_fleet_role LOGIN PASSWORD 'Fleet-Pw'")
        c.execute("GRANT pg_monitor TO pga_fleet_role")
        c.execute("REVOKE CONNECT ON DATABASE pga_fleet_locked FROM PUBLIC")
    yield pg_server
    for name in DBS:
        drop_database(pg_server.dsn, name)
    with psycopg.connect(pg_server.dsn, autocommit=True) as c:
        c.execute("DROP ROLE IF EXISTS pga_fleet_role")


@pytest.fixture
def pgpass(tmp_path, fleet) -> dict[str, str]:
    """The role's password where libpq looks for it, never in a DSN or a targets file."""
    params = psycopg.conninfo.conninfo_to_dict(fleet.dsn)
    path = tmp_path / "pgpass"
    path.write_text(f"{params.get('host', 'localhost')}:{params.get('port', 5432)}:*:pga_fleet_role:Fleet-Pw\n")
    path.chmod(0o600)
    return {"PGPASSFILE": str(path)}


def dsn_without_db(server, user: str | None = None) -> str:
    params = psycopg.conninfo.conninfo_to_dict(server.dsn_for(user=user))
    params.pop("dbname", None)
    params.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in sorted(params.items()))


def targets_file(tmp_path: Path, server, names: list[str], user: str | None = None, extra: str = "") -> Path:
    base = dsn_without_db(server, user)
    body = extra + "".join(f'\n[[target]]\nname = "{n}"\ndsn = "{base} dbname={n}"\n' for n in names)
    path = tmp_path / "targets.toml"
    path.write_text(body)
    return path


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/Sekret-Token", Hook.received
    server.shutdown()
    server.server_close()


def test_fleet_from_targets_file_isolates_the_database_that_refuses(fleet, tmp_path):
    names = ["pga_fleet_a", "pga_fleet_b", "pga_fleet_c"]
    path = targets_file(tmp_path, fleet, names, extra='[defaults]\nfail-on = "low"\n')
    out = cli("audit", "--targets", str(path), "--jobs", "2", "-o", str(tmp_path / "r"), "-f", "json", "-f", "html")
    assert out.returncode == 2, out.stderr  # the worst target: pga_fleet_c failed
    for name in ("pga_fleet_a", "pga_fleet_b"):
        assert (tmp_path / "r" / name / "pg-auditor-report.html").is_file()
        assert json.loads((tmp_path / "r" / name / "pg-auditor-report.json").read_text())["run"]["target"] == name
    assert not (tmp_path / "r" / "pga_fleet_c").exists()
    index = json.loads((tmp_path / "r" / "index.json").read_text())
    rows = {t["name"]: t for t in index["targets"]}
    assert index["exit_code"] == 2
    assert rows["pga_fleet_a"]["status"] == "findings" and rows["pga_fleet_a"]["exit_code"] == 1
    assert rows["pga_fleet_b"]["status"] == "ok" and rows["pga_fleet_b"]["exit_code"] == 0
    assert rows["pga_fleet_c"]["status"] == "failed"
    assert rows["pga_fleet_c"]["error"].startswith("cannot connect")
    assert 'database "pga_fleet_c" is not currently accepting connections' in rows["pga_fleet_c"]["error"]
    assert "\n" not in rows["pga_fleet_c"]["error"]
    page = (tmp_path / "r" / "index.html").read_text()
    assert page.index("pga_fleet_c") < page.index("pga_fleet_a") < page.index("pga_fleet_b")  # worst first
    assert 'href="pga_fleet_a/pg-auditor-report.html"' in page
    assert "pga_fleet_c: failed" in out.stderr

    # Without the refusing database, the exit code is the worst of the rest: 1 (findings at or above low).
    path = targets_file(tmp_path, fleet, names[:2], extra='[defaults]\nfail-on = "low"\n')
    loud = cli("audit", "--targets", str(path), "-o", str(tmp_path / "r2"), "-f", "json", "-v")
    assert loud.returncode == 1
    # -v: one line per database as it finishes (not every database's sections), counted as they end
    said = sorted(re.sub(r"^pg-auditor: \[ *\d+\.\ds\] ", "", ln) for ln in loud.stderr.splitlines() if "] " in ln)
    assert [re.sub(r" \(\d/2\)$", "", s) for s in said] == [
        "auditing the databases: pga_fleet_a: findings",
        "auditing the databases: pga_fleet_b: ok",
    ] and {s[-5:] for s in said} == {"(1/2)", "(2/2)"}, loud.stderr
    assert cli("audit", "--targets", str(path), "-o", str(tmp_path / "r3"), "-f", "json", "--exit-zero").returncode == 0


def test_per_target_config_and_refused_privilege(fleet, tmp_path, pgpass):
    """A target's own keys override [defaults]; a role without CONNECT gets a one-line error row."""
    base = dsn_without_db(fleet, "pga_fleet_role")
    path = tmp_path / "targets.toml"
    path.write_text(
        '[defaults]\nfail-on = "low"\n'
        f'[[target]]\nname = "a-lenient"\ndsn = "{base} dbname=pga_fleet_a"\nfail-on = "critical"\n'
        f'[[target]]\nname = "locked"\ndsn = "{base} dbname=pga_fleet_locked"\n'
    )
    out = cli("audit", "--targets", str(path), "-o", str(tmp_path / "r"), "-f", "json", env=pgpass)
    assert out.returncode == 2, out.stderr
    rows = {t["name"]: t for t in json.loads((tmp_path / "r" / "index.json").read_text())["targets"]}
    assert (
        rows["a-lenient"]["status"] == "ok"
        and rows["a-lenient"]["counts"]["medium"]
        + rows["a-lenient"]["counts"]["low"]
        + rows["a-lenient"]["counts"]["high"]
        >= 1
    )
    assert rows["locked"]["status"] == "failed" and "permission denied" in rows["locked"]["error"]


def test_targets_file_refuses_passwords_and_bad_entries(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[[target]]\nname = "x"\ndsn = "host=db password=hunter2 dbname=x"\n')
    out = cli("audit", "--targets", str(path), "-o", str(tmp_path))
    assert out.returncode == 2 and "no passwords in the targets file" in out.stderr and "hunter2" not in out.stderr
    path.write_text('[[target]]\nname = "x"\ndsn = "dbname=x"\n')
    out = cli("audit", "--targets", str(path), "--compare-to", "3", "--history", str(tmp_path / "h.sqlite"))
    assert out.returncode == 2 and "use --compare-to latest" in out.stderr
    path.write_text('[[target]]\nname = "x"\n')
    assert "needs a dsn or a service" in cli("audit", "--targets", str(path)).stderr
    path.write_text('[[target]]\nname = "x"\ndsn = "x"\nselct = ["IDX"]\n')
    assert "unknown key 'selct'" in cli("audit", "--targets", str(path)).stderr


def test_all_databases_skips_templates_and_refusing_ones(fleet, tmp_path, pgpass):
    base = dsn_without_db(fleet, "pga_fleet_role")
    out = cli(
        "audit", base, "--all-databases", "-j", "3", "-o", str(tmp_path / "r"), "-f", "json", "--exit-zero", env=pgpass
    )
    assert out.returncode == 0, out.stderr
    assert "Fleet-Pw" not in out.stdout + out.stderr
    rows = {t["name"]: t for t in json.loads((tmp_path / "r" / "index.json").read_text())["targets"]}
    assert not any(n.startswith("template") for n in rows)
    assert rows["pga_fleet_c"]["status"] == "skipped" and "allow connections" in rows["pga_fleet_c"]["error"]
    assert rows["pga_fleet_locked"]["status"] == "skipped" and "CONNECT" in rows["pga_fleet_locked"]["error"]
    for name in ("pga_fleet_a", "pga_fleet_b", "postgres"):
        assert rows[name]["status"] in ("ok", "findings")
        assert (tmp_path / "r" / name / "pg-auditor-report.json").is_file()


def test_fleet_history_compares_each_target_with_its_own_last_run(fleet, tmp_path):
    path = targets_file(tmp_path, fleet, ["pga_fleet_a", "pga_fleet_b"])
    hist = str(tmp_path / "h.sqlite")
    for night in ("1", "2"):
        out = cli("audit", "--targets", str(path), "--history", hist, "--compare-to", "latest", "-o",
                  str(tmp_path / night), "-f", "json", "--exit-zero")  # fmt: skip
        assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "2" / "pga_fleet_a" / "pg-auditor-report.json").read_text())
    assert doc["context"]["changes"]["against"].startswith("run ")
    assert doc["context"]["changes"]["new"] == [] and len(doc["context"]["changes"]["known"]) >= 1
    listing = cli("history", "--history", hist, "--target", "pga_fleet_a", "--json")
    assert [json.loads(x)["target"] for x in listing.stdout.splitlines()] == ["pga_fleet_a", "pga_fleet_a"]
    # the index: each database's trend (two nights, a line of two points) and its known findings
    page = (tmp_path / "2" / "index.html").read_text()
    assert page.count("overall score of the last 2 runs") == 2 and ">Known</th>" in page
    index = json.loads((tmp_path / "2" / "index.json").read_text())
    row = next(r for r in index["targets"] if r["name"] == "pga_fleet_a")
    assert len(row["trend"]) == 2 and row["known"] >= 1


def test_webhook_on_new_findings_and_on_failure_never_leaks_the_url(fleet, tmp_path, webhook):
    url, received = webhook
    (tmp_path / "pg-auditor.toml").write_text(
        'fail-on = "low"\n[notify]\nwebhook-env = "PGA_TEST_HOOK"\nmin-severity = "low"\n'
    )
    path = targets_file(tmp_path, fleet, ["pga_fleet_a", "pga_fleet_b", "pga_fleet_c"])
    out = cli("audit", "--targets", str(path), "-o", str(tmp_path / "r"), "--config", str(tmp_path / "pg-auditor.toml"),
              env={"PGA_TEST_HOOK": url}, cwd=tmp_path)  # fmt: skip
    assert out.returncode == 2
    texts = sorted(payload["text"] for _, payload in received)
    assert len(texts) == 2, texts  # a: new findings; b: nothing; c: failed
    assert texts[0].startswith("pg-auditor: 1 new finding(s) at or above low on pga_fleet_a")
    assert "IDX001" in texts[0]
    assert texts[1].startswith("pg-auditor: the run on pga_fleet_c failed: cannot connect")
    assert {p for p, _ in received} == {"/services/T000/B000/Sekret-Token"}
    leaked = [p for p in (tmp_path / "r").rglob("*") if p.is_file() and "Sekret-Token" in p.read_text()]
    assert leaked == [] and "Sekret-Token" not in out.stdout + out.stderr


def test_webhook_delivery_failure_is_a_warning_without_the_url(pg_server, tmp_path):
    (tmp_path / "pg-auditor.toml").write_text(
        '[notify]\nwebhook = "http://127.0.0.1:9/hooks/Sekret-Token"\nmin-severity = "low"\n'
    )
    create_database(pg_server.dsn, "pga_fleet_a", GOOD)
    try:
        out = cli("audit", pg_server.dsn_for("pga_fleet_a"), "-o", str(tmp_path / "r"), "-f", "json", "--exit-zero",
                  "--debug", cwd=tmp_path)  # fmt: skip
    finally:
        drop_database(pg_server.dsn, "pga_fleet_a")
    assert out.returncode == 0, out.stderr
    assert "notify: cannot reach the webhook" in out.stderr and "Sekret-Token" not in out.stderr


def test_cron_example_runs_the_fleet_and_never_overlaps(fleet, tmp_path, pgpass):
    """The cron.d line as cron would run it (sh, its variables); flock -n turns a second start away."""
    from example_files import cron_entry

    env, command = cron_entry()
    home, conf, bin_dir = tmp_path / "home", tmp_path / "conf", tmp_path / "bin"
    for d in (home, conf, bin_dir):
        d.mkdir()
    targets_file(conf, fleet, ["pga_fleet_a", "pga_fleet_b"])
    (conf / "pg-auditor.toml").write_text("[history]\nkeep-runs = 30\n")
    shim = bin_dir / "pg-auditor"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m auditor "$@"\n')
    shim.chmod(0o755)
    root = str(ROOT)
    run_env = {**os.environ, **env, **pgpass, "PGA_HOME": str(home), "PGA_CONF": str(conf), "PYTHONPATH": root}
    run_env["PATH"] = f"{bin_dir}:{os.environ['PATH']}"

    def run() -> int:
        return subprocess.run(["/bin/sh", "-c", command], env=run_env, timeout=300, check=False).returncode

    assert run() == 0, (home / "cron.log").read_text()
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert (home / "reports" / day / "index.html").is_file()
    assert (home / "reports" / day / "pga_fleet_a" / "pg-auditor-report.html").is_file()
    from auditor.runs.history import History

    with History(str(home / "history.sqlite")) as h:
        assert sorted(h.targets()) == ["pga_fleet_a", "pga_fleet_b"] and len(h.runs()) == 2

    holder = subprocess.Popen(["flock", str(home / "run.lock"), "sleep", "60"])  # last night's run, still going
    try:
        deadline = time.time() + 10
        while subprocess.run(["flock", "-n", str(home / "run.lock"), "true"], check=False).returncode == 0:
            assert time.time() < deadline, "the holder never took the lock"
            time.sleep(0.05)
        assert run() == 1  # flock -n: the second start gives up at once
    finally:
        holder.kill()
        holder.wait()
    with History(str(home / "history.sqlite")) as h:
        assert len(h.runs()) == 2


def test_single_audit_that_cannot_connect_is_recorded_and_notified(pg_server, tmp_path, webhook):
    url, received = webhook
    (tmp_path / "pg-auditor.toml").write_text('[notify]\nwebhook-env = "PGA_TEST_HOOK"\n')
    hist = str(tmp_path / "h.sqlite")
    dsn = pg_server.dsn_for("pga_no_such_db")
    out = cli("audit", dsn, "--history", hist, "--label", "staging", "-o", str(tmp_path / "r"),
              env={"PGA_TEST_HOOK": url}, cwd=tmp_path)  # fmt: skip
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert 'database "pga_no_such_db" does not exist' in out.stderr
    rows = [json.loads(x) for x in cli("history", "--history", hist, "--json").stdout.splitlines()]
    assert [(r["target"], r["status"]) for r in rows] == [("staging", "failed")]
    assert "does not exist" in rows[0]["error"]
    assert [p["text"].split(":")[0:2] for _, p in received] == [["pg-auditor", " the run on staging failed"]]
    assert "Sekret-Token" not in out.stderr


def test_python_api_fleet_pieces_give_the_cli_rows(fleet, tmp_path):
    """auditor.load_targets / audit_target / write_index / fleet_exit_code (a scheduler's own fan-out, the
    Airflow DAG's) are `audit --targets` one target at a time: the same rows, as plain JSON data."""
    import auditor

    names = ["pga_fleet_a", "pga_fleet_b", "pga_fleet_c"]
    path = targets_file(tmp_path, fleet, names, extra='[defaults]\nfail-on = "low"\n')
    targets = auditor.load_targets(path)
    assert json.loads(json.dumps(targets)) == targets and [t["dir"] for t in targets] == names
    rows = [auditor.audit_target(t, tmp_path / "api", ["json"]) for t in targets]
    assert json.loads(json.dumps(rows)) == rows
    auditor.write_index(rows, tmp_path / "api")
    assert auditor.fleet_exit_code(rows) == 2
    out = cli("audit", "--targets", str(path), "-o", str(tmp_path / "cli"), "-f", "json")
    assert out.returncode == 2, out.stderr

    def comparable(directory: Path) -> list[dict]:
        skip = {"seconds", "history_id"}
        index = json.loads((directory / "index.json").read_text())
        return [{k: v for k, v in row.items() if k not in skip} for row in index["targets"]]

    assert comparable(tmp_path / "api") == comparable(tmp_path / "cli")
    assert (tmp_path / "api" / "pga_fleet_a" / "pg-auditor-report.json").is_file()
