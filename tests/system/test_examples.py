"""The scheduler recipes under examples/: each checked as far as this machine allows."""

from __future__ import annotations

import py_compile
import shlex
import shutil
import subprocess
import tomllib

import pytest
import yaml
from example_files import EXAMPLES, cron_entry


def audit_options() -> set[str]:
    import typer.main

    from auditor.cli import app

    command = typer.main.get_command(app).commands["audit"]  # type: ignore[attr-defined]
    return {opt for p in command.params for opt in p.opts if opt.startswith("-")}


def check_command(args: list[str]) -> None:
    """A pg-auditor command line of an example: `audit` with options that exist, fleet mode, a history."""
    assert args[0] == "audit", args
    known = audit_options()
    used = [a.split("=", 1)[0] for a in args[1:] if a.startswith("-")]
    assert set(used) <= known, set(used) - known
    assert "--targets" in used and "--history" in used and "--compare-to" in used


def test_kubernetes_cronjob_forbids_overlap_and_its_config_loads():
    docs = list(yaml.safe_load_all((EXAMPLES / "kubernetes" / "cronjob.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    job = kinds["CronJob"]["spec"]
    assert job["concurrencyPolicy"] == "Forbid"
    container = job["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    check_command(container["args"])
    assert not any("password" in str(e).lower() for e in container["env"] if "value" in e)
    from auditor.engine.config import from_mapping

    data = kinds["ConfigMap"]["data"]
    cfg = from_mapping(tomllib.loads(data["pg-auditor.toml"]), "pg-auditor.toml")
    assert cfg.extra["notify"]["webhook-env"] == "PG_AUDITOR_WEBHOOK"


def test_kubernetes_targets_parse(tmp_path):
    from auditor.runs.fleet import load_targets

    docs = list(yaml.safe_load_all((EXAMPLES / "kubernetes" / "cronjob.yaml").read_text()))
    (tmp_path / "targets.toml").write_text(docs[0]["data"]["targets.toml"])
    targets, defaults = load_targets(tmp_path / "targets.toml")
    assert [t.name for t in targets] == ["billing", "crm"] and defaults == {"fail-on": "high"}


def test_github_actions_schedule():
    wf = yaml.safe_load((EXAMPLES / "github-actions" / "nightly.yml").read_text())
    assert wf[True]["schedule"][0]["cron"] == "15 2 * * *"  # YAML 1.1 reads `on:` as true
    assert wf["concurrency"]["cancel-in-progress"] is False
    run = next(s["run"] for s in wf["jobs"]["audit"]["steps"] if "pg-auditor audit" in str(s.get("run", "")))
    check_command(shlex.split(run)[1:])


def test_airflow_dag_compiles():
    py_compile.compile(str(EXAMPLES / "airflow" / "pg_auditor_dag.py"), doraise=True)
    text = (EXAMPLES / "airflow" / "pg_auditor_dag.py").read_text()
    assert ".expand(target=" in text and "max_active_runs=1" in text


def test_systemd_units_verify(tmp_path):
    service = (EXAMPLES / "systemd" / "pg-auditor.service").read_text()
    exec_start = next(ln for ln in service.splitlines() if ln.startswith("ExecStart="))
    check_command(shlex.split(exec_start.removeprefix("ExecStart="))[1:])
    assert "Type=oneshot" in service
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    shim = tmp_path / "pg-auditor"
    shim.write_text("#!/bin/sh\nexit 0\n")
    shim.chmod(0o755)
    (tmp_path / "pg-auditor.service").write_text(service.replace("/usr/local/bin/pg-auditor", str(shim)))
    shutil.copy(EXAMPLES / "systemd" / "pg-auditor.timer", tmp_path / "pg-auditor.timer")
    out = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "pg-auditor.service"), str(tmp_path / "pg-auditor.timer")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stderr.strip() == "", out.stderr


def test_cron_line_is_well_formed():
    env, command = cron_entry()
    assert command.startswith('flock -n "$PGA_HOME/run.lock" pg-auditor audit ')
    check_command(shlex.split(command.split(">>")[0])[4:])
    assert env["CRON_TZ"] == "UTC"
