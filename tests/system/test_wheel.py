"""The built wheel carries queries/ and templates/ and runs from a fresh virtual environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile

import pytest

from paths import ROOT


@pytest.mark.slow
def test_wheel_installs_and_runs(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "*.egg-info", "__pycache__", "build", "dist", ".pytest_cache", "pg-auditor-*"
        ),
    )
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("pg_auditor-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "auditor/_queries/tables.sql" in names
    assert "auditor/_templates/report.html.j2" in names
    assert any(n.startswith("auditor/demo/") and n.endswith(".sql") for n in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = env_dir / "bin" / "pip"
    inst = subprocess.run(
        [str(pip), "install", "-q", str(wheel)], capture_output=True, text=True, timeout=900, check=False
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    exe = env_dir / "bin" / "pg-auditor"
    ver = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert ver.returncode == 0 and ver.stdout.startswith("pg-auditor ")
    rules = subprocess.run([str(exe), "rules"], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert rules.returncode == 0 and "IDX001" in rules.stdout
    # The installed package finds its own SQL and templates, not the checkout's.
    where = subprocess.run(
        [
            str(env_dir / "bin" / "python"),
            "-c",
            "from auditor.base.resources import queries_dir, templates_dir;"
            " print(queries_dir()); print(templates_dir())",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert where.returncode == 0 and str(env_dir) in where.stdout and "_queries" in where.stdout


@pytest.mark.slow
def test_the_dockerfiles_copy_set_builds(tmp_path):
    """The image copies only some files: what pyproject.toml refers to must be among them (there is no
    Docker engine here, so the COPY lines are replayed into a folder and built as the image would)."""
    src = tmp_path / "image-src"
    src.mkdir()
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, dest = line.split()[1:]
            for name in sources:
                target = src / (name if dest.endswith("/") and dest in ("./", ".") else dest.rstrip("/"))
                if (ROOT / name).is_dir():
                    shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy2(ROOT / name, target)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    assert next((tmp_path / "dist").glob("pg_auditor-*.whl"))
