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


def test_kubernetes_pgpass_reaches_libpq_with_mode_0600(tmp_path):
    """A Secret mounted with fsGroup is root:fsGroup 0440, which libpq refuses as a password file: the
    init container copies it into memory as 0600, owned by the auditor, and PGPASSFILE names the copy."""
    import os
    import stat

    docs = list(yaml.safe_load_all((EXAMPLES / "kubernetes" / "cronjob.yaml").read_text()))
    pod = next(d for d in docs if d["kind"] == "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    main = pod["containers"][0]
    passfile = next(e["value"] for e in main["env"] if e["name"] == "PGPASSFILE")
    init = pod["initContainers"][0]
    mounts = {m["name"]: m["mountPath"] for m in init["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    command = init["command"]
    assert command[:3] == ["install", "-m", "0600"] and command[-1] == passfile
    assert command[-2].startswith(mounts["secrets"] + "/") and "secret" in volumes["secrets"]
    copy_volume = next(n for n, path in mounts.items() if passfile.startswith(path + "/"))
    assert volumes[copy_volume]["emptyDir"]["medium"] == "Memory"  # the password never touches a disk
    assert any(m["name"] == copy_volume for m in main["volumeMounts"])
    assert pod["securityContext"]["runAsUser"] == 10001  # the init container writes the copy as the auditor
    # the command does what libpq needs, here: from a group-readable file, a 0600 copy of the same text
    secret = tmp_path / "pgpass"
    secret.write_text("db:5432:app:pg_auditor:s3cret\n")
    secret.chmod(0o440)
    copy = tmp_path / "copy"
    subprocess.run([*command[:3], str(secret), str(copy)], check=True)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600 and copy.stat().st_uid == os.getuid()
    assert copy.read_text() == secret.read_text()


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
    # pg-auditor is on no package index: the workflow installs it from its repository
    install = next(s["run"] for s in wf["jobs"]["audit"]["steps"] if "pip install" in str(s.get("run", "")))
    source = tomllib.loads((EXAMPLES.parent / "pyproject.toml").read_text())["project"]["urls"]["Source"]
    assert shlex.split(install)[2] == f"pg-auditor @ git+{source}@main", install


def test_airflow_dag_uses_only_the_public_api(tmp_path):
    """tests/system/test_airflow_dag.py runs the DAG with Airflow 3; this checks, without Airflow, that it
    reaches pg-auditor through `import auditor` and names in auditor.__all__ only, and Airflow through its SDK."""
    import ast

    import auditor

    path = EXAMPLES / "airflow" / "pg_auditor_dag.py"
    py_compile.compile(str(path), cfile=str(tmp_path / "dag.pyc"), doraise=True)  # no __pycache__ in examples/
    text = path.read_text()
    assert ".expand(target=" in text and "max_active_runs=1" in text
    tree = ast.parse(text)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    froms = {n.module for n in imports if isinstance(n, ast.ImportFrom)}
    assert "airflow.sdk" in froms and not {m for m in froms if m and m.startswith(("auditor", "airflow.decorators"))}
    assert {a.name for n in imports if isinstance(n, ast.Import) for a in n.names} <= {"auditor", "os"}
    attributes = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
    used = {n.attr for n in attributes if isinstance(n.value, ast.Name) and n.value.id == "auditor"}
    assert used and used <= set(auditor.__all__), used - set(auditor.__all__)
    assert all(callable(getattr(auditor, name)) for name in used)


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
    # cron's PATH is /usr/bin:/bin: the entry names where pip (and pipx, for the auditor user) put the command
    path = env["PATH"].split(":")
    assert (
        "/usr/local/bin" in path
        and "/var/lib/pg-auditor/.local/bin" in path
        and env["PGA_HOME"] == "/var/lib/pg-auditor"
    )
    assert {"/usr/bin", "/bin"} <= set(path)  # flock and date
