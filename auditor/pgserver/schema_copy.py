"""A throwaway copy of a database's schema: `pg_dump --schema-only` of the target, restored with psql into a
fresh database (on a TempCluster, or on a scratch server the user names), dropped afterwards.

pg_dump only reads: one REPEATABLE READ, READ ONLY transaction with ACCESS SHARE locks on the tables it
dumps, which give up after --lock-wait-timeout instead of queueing behind DDL.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from auditor.base.errors import AuditorError


class CopyError(AuditorError):
    """The schema could not be dumped or the copy could not be made."""


def find_tool(name: str, bindir: Path | None = None) -> Path:
    """pg_dump or psql: from PG_AUDITOR_PG_BINDIR, the cluster's bindir, then PATH."""
    env = os.environ.get("PG_AUDITOR_PG_BINDIR")
    for d in (Path(env) if env else None, bindir):
        if d is not None and (d / name).exists():
            return d / name
    found = shutil.which(name)
    if not found:
        raise CopyError(f"{name} not found (PATH, PG_AUDITOR_PG_BINDIR): it makes the copy of the schema")
    return Path(found)


def major_of(tool: Path) -> int:
    out = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False, timeout=30)
    m = re.search(r"(\d+)(?:\.\d+)?", out.stdout or "")
    if not m:
        raise CopyError(f"cannot tell the version of {tool.name}: {(out.stdout or out.stderr).strip()[:200]}")
    return int(m.group(1))


def check_versions(pg_dump: Path, server_version_num: int) -> None:
    """pg_dump refuses a server newer than itself: say so before trying, with what to do."""
    server, dump = server_version_num // 10000, major_of(pg_dump)
    if server > dump:
        raise CopyError(
            f"the target runs PostgreSQL {server} and pg_dump is {dump} ({pg_dump}): pg_dump cannot dump a newer "
            f"server. Put pg_dump {server} or later first on PATH (or set PG_AUDITOR_PG_BINDIR), or pass "
            "--on-target to trace inside a rolled-back transaction on the target instead"
        )


def _env(password: str | None) -> dict[str, str]:
    env = {**os.environ, "PGAPPNAME": "pg-auditor", "PGCONNECT_TIMEOUT": "10"}
    if password:
        env["PGPASSWORD"] = password
    return env


def dump_schema(pg_dump: Path, conninfo: str, password: str | None, lock_wait: str = "2s") -> str:
    """The schema as SQL. Raises CopyError with pg_dump's own last error line (never the conninfo)."""
    args = [str(pg_dump), "--schema-only", "--no-subscriptions", "--no-publications", "--quote-all-identifiers",
            f"--lock-wait-timeout={lock_wait}", "-d", conninfo]  # fmt: skip
    try:
        out = subprocess.run(args, capture_output=True, text=True, env=_env(password), check=False, timeout=600)
    except subprocess.TimeoutExpired:
        raise CopyError("pg_dump --schema-only of the target took more than 10 minutes") from None
    if out.returncode != 0:
        lines = [ln for ln in out.stderr.strip().splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower()] or lines
        raise CopyError(f"pg_dump --schema-only of the target failed: {(errors or ['no message'])[-1].strip()}")
    return out.stdout


@dataclass
class RestoreResult:
    errors: list[str] = field(default_factory=list)  # psql's ERROR lines: what the copy lacks


def restore(psql: Path, conninfo: str, dump: str) -> RestoreResult:
    """Load a schema dump, going on past errors (an extension the copy's server lacks): they are returned."""
    out = subprocess.run(
        [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=0", "-d", conninfo, "-f", "-"],
        input=dump, capture_output=True, text=True, env=_env(None), check=False, timeout=600,
    )  # fmt: skip
    errors = [ln.split("ERROR:", 1)[1].strip() for ln in out.stderr.splitlines() if "ERROR:" in ln]
    if out.returncode not in (0, 3):
        raise CopyError(f"psql could not restore the schema copy: {out.stderr.strip().splitlines()[-1:]}")
    return RestoreResult(errors)


def copy_name() -> str:
    return "pg_auditor_migration_" + secrets.token_hex(4)
