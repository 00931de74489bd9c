"""Scratch databases and roles for the safety tests: created by the superuser, dropped afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from auditor.catalog.collect import collect
from auditor.catalog.db import Target, Timeouts, connect
from auditor.catalog.model import Snapshot

ROOT = Path(__file__).resolve().parent.parent


def admin(dsn: str, statements: str) -> None:
    """Run SQL as the superuser in autocommit (CREATE DATABASE, roles, CONCURRENTLY)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statements)  # type: ignore[arg-type]


@contextmanager
def scratch_database(server, name: str, ddl: str = "", roles: tuple[str, ...] = ()) -> Iterator[str]:
    """A fresh database loaded with DDL; yields its superuser DSN and drops it after, with every role
    created meanwhile (roles are cluster-wide: one left behind would change other tests' audits)."""
    base = server.dsn_for()
    with psycopg.connect(base, autocommit=True) as conn:
        before = {r for (r,) in conn.execute("SELECT rolname FROM pg_roles")}
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = server.dsn_for(name)
    try:
        if ddl:
            admin(dsn, ddl)
        yield dsn
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            created = {r for (r,) in conn.execute("SELECT rolname FROM pg_roles")} - before
            for role in sorted(created):
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            for role in sorted(created | set(roles)):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def psql(
    dsn: str, script: str, *, stop: bool = True, options: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """SQL run as a DBA runs a pasted fix: `psql -X -q -f -`, ON_ERROR_STOP on (or off: every statement runs
    after a failed one, the worst case), `options` as PGOPTIONS (`-c lock_timeout=300ms`)."""
    env = {**os.environ, "PGOPTIONS": options} if options else None
    return subprocess.run(
        ["psql", "-X", "-q", "-v", f"ON_ERROR_STOP={int(stop)}", "-d", dsn, "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=timeout,
    )


def snapshot_of(dsn: str, timeouts: Timeouts | None = None) -> Snapshot:
    session = connect(Target(conninfo=dsn), timeouts)
    try:
        return collect(session)
    finally:
        session.conn.close()


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """pg-auditor as a user runs it: a subprocess of this checkout, whatever the working directory
    (an installed pg-auditor may be another one)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=full_env,
        check=False,
    )
