"""examples/airflow/pg_auditor_dag.py really run: `airflow dags test` with Airflow 3 against the test cluster.

Airflow's dependencies are not ours, so it lives in its own virtual environment, built once per Airflow and
Python version under the cache directory (~/.cache/pg-auditor/airflow-VERSION-pyX.Y, or
$PG_AUDITOR_AIRFLOW_VENV) from PyPI; pg-auditor is installed into it from this checkout on every run, as the
workers install it from the repository. Metadata in SQLite under a temporary AIRFLOW_HOME, the DAG folder
examples/airflow itself. When Airflow cannot be installed (no PyPI) the tests skip, and fail when
PG_AUDITOR_REQUIRE_DB=1 (CI), as the database tests do.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from paths import ROOT
from scratch import scratch_database

pytestmark = [pytest.mark.db, pytest.mark.slow]

# No constraint file: Airflow publishes them on GitHub only, which CI cannot reach. The packages that make
# up Airflow 3 for a DAG run are pinned; the rest resolves from PyPI against pg-auditor's own dependencies.
AIRFLOW = "3.3.2"
PINS = [
    f"apache-airflow-core=={AIRFLOW}",
    "apache-airflow-task-sdk==1.3.2",
    "apache-airflow-providers-standard==1.21.0",  # @task (the PythonOperator) lives here since Airflow 3
    "hatchling==1.33.0",  # pg-auditor's build backend: the per-run install needs no download
]
DAG_ID = "pg_auditor_nightly"
SECRET = "pgpass-sentinel-7f3a"  # in the pgpass file the targets use: must appear in no output, row or page


def _unavailable(reason: str) -> None:
    if os.environ.get("PG_AUDITOR_REQUIRE_DB") == "1":
        pytest.fail(f"PG_AUDITOR_REQUIRE_DB=1 but Airflow cannot run here: {reason}", pytrace=False)
    pytest.skip(f"Airflow cannot run here: {reason}")


def _pip(python: Path, *args: str, timeout: float = 900) -> None:
    out = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        _unavailable(f"pip install {' '.join(args)} failed: {out.stderr.strip()[-1500:]}")


def _venv_dir() -> Path:
    env = os.environ.get("PG_AUDITOR_AIRFLOW_VENV")
    if env:
        return Path(env).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "pg-auditor" / f"airflow-{AIRFLOW}-py{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def airflow_bin() -> Path:
    """The cached Airflow environment (built under a lock, marked complete only once pip succeeded), with
    this checkout's pg-auditor installed into it; its bin directory."""
    where = _venv_dir()
    where.parent.mkdir(parents=True, exist_ok=True)
    python = where / "bin" / "python"
    with open(where.parent / f".lock-{where.name}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (where / ".complete").exists():
            shutil.rmtree(where, ignore_errors=True)
            started = time.monotonic()
            venv.EnvBuilder(with_pip=True).create(where)
            _pip(python, *PINS, str(ROOT))
            (where / ".complete").write_text(f"{time.monotonic() - started:.0f}s\n")
        # this checkout's code, built as a wheel (pip reinstalls a local directory every time); new deps too
        _pip(python, "--no-build-isolation", str(ROOT), timeout=300)
    return where / "bin"


@pytest.fixture(scope="module")
def migrated_db(airflow_bin, tmp_path_factory) -> Path:
    """An Airflow metadata database (SQLite), migrated once and copied into each test's AIRFLOW_HOME."""
    home = tmp_path_factory.mktemp("airflow-home")
    out = subprocess.run(
        [str(airflow_bin / "airflow"), "db", "migrate"],
        env=airflow_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return home / "airflow.db"


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PG", "PYTHON", "VIRTUAL_ENV"))}
    return env | {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "examples" / "airflow"),
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ in examples/
        **extra,
    }


def last_json(stdout: str):
    """The JSON an `airflow ... -o json` prints, after whatever warnings Airflow prints first."""
    return json.loads(next(line for line in reversed(stdout.splitlines()) if line.startswith("[")))


def run_dag(airflow_bin: Path, migrated_db: Path, tmp_path: Path, targets: str, pgpass_lines: str) -> dict:
    """`airflow dags test` on the example DAG with these targets; what it printed and left behind."""
    home = tmp_path / "airflow"
    home.mkdir()
    shutil.copy(migrated_db, home / "airflow.db")
    (tmp_path / "targets.toml").write_text(targets)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{pgpass_lines}*:*:*:*:{SECRET}\n")
    pgpass.chmod(0o600)
    env = airflow_env(
        home,
        PG_AUDITOR_TARGETS=str(tmp_path / "targets.toml"),
        PG_AUDITOR_REPORTS=str(tmp_path / "reports"),
        PG_AUDITOR_HISTORY_URL=str(tmp_path / "history.sqlite"),
        PGPASSFILE=str(pgpass),
    )
    airflow = str(airflow_bin / "airflow")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [airflow, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
        )

    test = cli("dags", "test", DAG_ID)
    runs = last_json(cli("dags", "list-runs", DAG_ID, "-o", "json").stdout)
    assert len(runs) == 1, runs
    states = last_json(cli("tasks", "states-for-dag-run", DAG_ID, runs[0]["run_id"], "-o", "json").stdout)
    nights = list((tmp_path / "reports").iterdir())
    assert len(nights) == 1, nights  # one directory for the night (the run's logical date)
    return {
        "returncode": test.returncode,
        "output": test.stdout + test.stderr,
        "state": runs[0]["state"],
        "tasks": states,
        "night": nights[0],
    }


def targets_toml(dsns: dict[str, str]) -> str:
    entries = "".join(f'\n[[target]]\nname = "{name}"\ndsn = "{dsn}"\n' for name, dsn in dsns.items())
    return '[defaults]\nfail-on = "critical"\n' + entries


def audit_dsn(dsn: str) -> str:
    """The superuser DSN without a password: the targets file may hold none (the pgpass file has one)."""
    params = conninfo_to_dict(dsn)
    params.pop("password", None)
    return make_conninfo(**params)


@pytest.fixture(scope="module")
def pgpass_lines(pg_server) -> str:
    """The test server's password, if its DSN has one (PG_AUDITOR_TEST_DSN), as a pgpass line."""
    params = conninfo_to_dict(pg_server.dsn)
    if not params.get("password"):
        return ""
    fields = [params.get("host", "*"), params.get("port", "*"), "*", params.get("user", "*"), params["password"]]
    return ":".join(str(f).replace("\\", "\\\\").replace(":", "\\:") for f in fields) + "\n"


@pytest.fixture(scope="module")
def two_databases(pg_server):
    """A database with a finding (a foreign key without an index) and an empty one."""
    ddl = "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, p int REFERENCES parent);"
    with (
        scratch_database(pg_server, "airflow_billing", ddl) as billing,
        scratch_database(pg_server, "airflow_crm") as crm,
    ):
        yield {"billing": audit_dsn(billing), "crm": audit_dsn(crm)}


def check_mapped_and_reports(run: dict, good: list[str], names: list[str]) -> dict:
    """One audit_one task instance per target, each a success; each good target's reports; the index."""
    mapped = [t for t in run["tasks"] if t["task_id"] == "audit_one"]
    assert sorted(int(t["map_index"]) for t in mapped) == list(range(len(names))), mapped
    assert {t["state"] for t in mapped} == {"success"}, mapped  # a failed target is a row, not a failed task
    for name in names:
        assert f"{name}: " in run["output"]  # each mapped task's own line
    for name in good:
        files = {p.name for p in (run["night"] / name).iterdir()}
        assert files == {f"pg-auditor-report.{ext}" for ext in ("md", "html", "json")}, files
        report = json.loads((run["night"] / name / "pg-auditor-report.json").read_text())
        assert isinstance(report["findings"], list) and report["database"], report.keys()
    page = (run["night"] / "index.html").read_text()
    assert all(f"<td>{name}</td>" in page for name in names), page
    assert all(f'href="{name}/pg-auditor-report.html"' in page for name in good), page
    index = json.loads((run["night"] / "index.json").read_text())
    assert sorted(t["name"] for t in index["targets"]) == sorted(names)
    assert SECRET not in run["output"]
    for path in run["night"].rglob("*"):
        assert not path.is_file() or SECRET not in path.read_text(errors="replace"), path
    return {t["name"]: t for t in index["targets"]}


def test_dag_fans_out_and_fails_the_night_when_a_target_cannot_be_audited(
    airflow_bin, migrated_db, two_databases, pgpass_lines, tmp_path
):
    from auditor.pgserver.tempcluster import free_port

    down = f"host=127.0.0.1 port={free_port()} dbname=gone user=auditor connect_timeout=5"
    started = time.monotonic()
    run = run_dag(airflow_bin, migrated_db, tmp_path, targets_toml(two_databases | {"down": down}), pgpass_lines)
    print(f"airflow dags test: {time.monotonic() - started:.1f}s")
    rows = check_mapped_and_reports(run, ["billing", "crm"], ["billing", "crm", "down"])
    assert rows["down"]["status"] == "failed" and rows["down"]["exit_code"] == 2
    error = rows["down"]["error"]
    assert error.startswith("cannot connect") and "\n" not in error, error
    assert not (run["night"] / "down").exists()
    assert '<span class="err">cannot connect' in (run["night"] / "index.html").read_text()
    billing = json.loads((run["night"] / "billing" / "pg-auditor-report.json").read_text())
    assert billing["findings"] and sum(rows["billing"]["counts"].values()) >= 1, "an unindexed foreign key"
    # the index is written, then the last task fails the run: a database not audited is a failed night
    index_task = next(t for t in run["tasks"] if t["task_id"] == "fleet_index")
    assert index_task["state"] == "failed" and run["state"] == "failed", run["tasks"]
    assert run["returncode"] != 0
    assert "pg-auditor could not audit: down" in run["output"]


def test_dag_succeeds_when_every_target_is_audited(airflow_bin, migrated_db, two_databases, pgpass_lines, tmp_path):
    run = run_dag(airflow_bin, migrated_db, tmp_path, targets_toml(two_databases), pgpass_lines)
    rows = check_mapped_and_reports(run, ["billing", "crm"], ["billing", "crm"])
    assert {r["status"] for r in rows.values()} <= {"ok", "findings"}, rows
    assert run["state"] == "success" and run["returncode"] == 0, run["output"][-3000:]
    assert {t["state"] for t in run["tasks"]} == {"success"}, run["tasks"]
