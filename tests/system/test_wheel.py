"""The package as it ships: the wheel carries queries/, templates/ and schemas/, no test code, and runs
from a fresh virtual environment; the sdist holds what its files refer to; the Dockerfile's COPY set
installs with pip; the compose file's health check goes through TCP."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

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
    assert "auditor/_schemas/report-1.0.schema.json" in names
    assert not [n for n in names if n.startswith("tests/") or n.endswith("conftest.py")]
    assert not imports_of_test_packages(zipfile.ZipFile(wheel)), "runtime code must not import test-only packages"
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta and any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "Project-URL: Source, https://" in meta and "Project-URL: Changelog, https://" in meta
    assert "Classifier: Programming Language :: Python :: 3.11" in meta

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


TEST_ONLY = {"pytest", "hypothesis", "testcontainers", "jsonschema", "playwright", "yaml", "build"}


def imports_of_test_packages(wheel: zipfile.ZipFile) -> list[str]:
    """Modules of the wheel that import a package only the tests install (the `test` extra)."""
    found = []
    for name in wheel.namelist():
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(wheel.read(name))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                tops = [node.module.split(".")[0]]
            else:
                continue
            found += [f"{name}: {t}" for t in tops if t in TEST_ONLY]
    return found


@pytest.mark.slow
def test_the_dockerfiles_copy_set_installs_with_pip(tmp_path):
    """The image copies only some files: what pyproject.toml refers to must be among them. There is no
    Docker engine here, so the COPY lines are replayed into a folder, and the image's `pip install .`
    runs on it into a fresh virtual environment, whose pg-auditor then finds its queries and schema."""
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
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    inst = subprocess.run(
        [str(env_dir / "bin" / "pip"), "install", "-q", "--no-cache-dir", "."],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    exe = env_dir / "bin" / "pg-auditor"
    rules = subprocess.run([str(exe), "rules"], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert rules.returncode == 0 and "IDX001" in rules.stdout, rules.stderr
    where = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "from auditor.base.resources import schemas_dir; print(schemas_dir())"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert where.returncode == 0 and (Path(where.stdout.strip()) / "report-1.0.schema.json").is_file(), where.stderr


def test_the_compose_health_check_goes_through_tcp():
    """The postgres image's init server listens on the socket only: a socket check would report ready
    while the demo schema still loads, and the auditor would start against a server about to restart."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    check = " ".join(compose["services"]["db"]["healthcheck"]["test"])
    assert re.search(r"pg_isready .*-h (127\.0\.0\.1|localhost)\b", check), check
    for service in compose["services"].values():
        build = service.get("build")
        if isinstance(build, dict):
            assert (ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).is_file()
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./") and not source.startswith("./reports"):
                assert (ROOT / source).exists(), source


LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([\w./-]+)`")


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    """The sdist built from this checkout, unpacked: its top directory."""
    out = tmp_path_factory.mktemp("sdist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(out / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    with tarfile.open(next((out / "dist").glob("pg_auditor-*.tar.gz"))) as tar:
        tar.extractall(out / "x", filter="data")
    return next((out / "x").iterdir())


def referred(text: str, base: Path) -> set[str]:
    """Repository paths a Markdown file refers to: relative links, and code spans naming a file or
    directory of the checkout (`scripts/dev`, `docs/setup-role.sql`), relative to the repository root."""
    out = set()
    for target in LINK.findall(text):
        target = target.split("#", 1)[0]
        if target and "://" not in target and not target.startswith("mailto:"):
            out.add((base / target).as_posix())
    for span in CODE_SPAN.findall(text):
        if "/" in span and not span.startswith("/") and (ROOT / span).exists():
            out.add(span.rstrip("/"))
    return out


@pytest.mark.slow
def test_the_sdist_holds_what_its_files_refer_to(sdist):
    missing = []
    for md in sorted(sdist.rglob("*.md")):
        rel = md.relative_to(sdist)
        if rel.parts[0] == "tests":  # test fixtures quote other projects' documents
            continue
        for path in referred(md.read_text(encoding="utf-8"), rel.parent):
            if not (sdist / path).resolve().is_relative_to(sdist.resolve()) or not (sdist / path).exists():
                missing.append(f"{rel} -> {path}")
    pyproject = tomllib.loads((sdist / "pyproject.toml").read_text())
    for source in pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]:
        if not (sdist / source).exists():
            missing.append(f"pyproject.toml -> {source}")
    for line in (sdist / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            missing += [f"Dockerfile -> {n}" for n in line.split()[1:-1] if not (sdist / n).exists()]
    for test in (sdist / "tests").rglob("*.py"):
        for name in re.findall(r'ROOT / "([\w./-]+)"', test.read_text(encoding="utf-8")):
            if not (sdist / name).exists():
                missing.append(f"{test.relative_to(sdist)} -> {name}")
    assert not missing, missing
    for name in ("LICENSE", "CHANGELOG.md", "README.md", "docker-compose.yml", "scripts/dev", "examples"):
        assert (sdist / name).exists(), name
    assert not list(sdist.rglob("__pycache__")) and not list(sdist.rglob("*.pyc"))
