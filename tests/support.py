"""Helpers for check tests: DDL in the test's transaction, collect on the same connection, run one rule."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields

import psycopg

from auditor.catalog.collect import collect
from auditor.catalog.db import Session, Target, connect
from auditor.catalog.model import Snapshot
from auditor.demo.run import DEMO_DIR
from auditor.engine import run_rule


def snapshot_after(conn: psycopg.Connection, ddl: str) -> Snapshot:
    """Run DDL inside the test's transaction, then collect on the same connection."""
    conn.execute(ddl)
    return collect(Session(conn=conn))


def demo_snapshot(pg_server: object, name: str) -> Snapshot:
    """The demo's SaaS schema, collected from a scratch database of its own (dropped after)."""
    from scratch import scratch_database

    with scratch_database(pg_server, name, (DEMO_DIR / "saas.sql").read_text(encoding="utf-8")) as dsn:
        session = connect(Target(conninfo=dsn))
        try:
            return collect(session)
        finally:
            session.conn.close()


def fresh_copy(snap: Snapshot) -> Snapshot:
    """The same sections in a new Snapshot, with none of the cached lookups built."""
    return Snapshot(**{f.name: getattr(snap, f.name) for f in fields(Snapshot)})


def hits(snap: Snapshot, code: str) -> list:
    """The findings of one rule over a snapshot."""
    from auditor.engine.config import Config
    from auditor.rules import load_all

    status, findings = run_rule(load_all()[code], snap, Config())
    assert status.status in ("ok", "findings"), f"{code} did not run: {status.status} {status.reason}"
    return findings


def objects(findings: list) -> set[str]:
    return {f.obj.display for f in findings}


def create_database(admin_dsn: str, name: str, ddl: str = "") -> None:
    """A scratch database (dropped first if a crashed run left it), with optional DDL run inside it."""
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with psycopg.connect(admin_dsn, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if ddl:
        dsn = make_conninfo(**(conninfo_to_dict(admin_dsn) | {"dbname": name}))
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(ddl)


def drop_database(admin_dsn: str, name: str) -> None:
    from psycopg import sql

    with psycopg.connect(admin_dsn, autocommit=True) as c:
        c.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name)))
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def debug_log() -> Iterator[list[logging.LogRecord]]:
    """Capture pg-auditor's debug log (query timings, lock-timeout retries) during the block."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("pg_auditor")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def waited_on_a_lock(records: list[logging.LogRecord]) -> list[str]:
    """The queries that hit lock_timeout (each is retried once, so a wait shows here)."""
    return [r.getMessage() for r in records if "lock_timeout" in r.getMessage()]


def by_table(found: list) -> dict:
    """Findings by their table's name."""
    return {f.obj.table: f for f in found}


def by_column(found: list) -> dict:
    """Findings by (table, column or object name)."""
    return {(f.obj.table, f.obj.name): f for f in found}


def run_fix(conn: psycopg.Connection, fix: str) -> None:
    """Run fix SQL as printed (CONCURRENTLY cannot run in the test's transaction: drop that word only; a
    fix's own BEGIN ... COMMIT becomes a savepoint inside it, all or nothing as printed). A query followed
    by psql's `\\gexec` line is run as psql runs it: each value it returns is a statement."""
    body = re.sub(r"(?m)^BEGIN;$", "SAVEPOINT fix;", fix.replace(" CONCURRENTLY", ""))
    body = re.sub(r"(?m)^COMMIT;$", "RELEASE SAVEPOINT fix;", body)
    parts = re.split(r"(?m)^\\gexec[ \t]*$", body)
    for part in parts[:-1]:
        end = part.rfind(";\n") + 1  # the query is the text after the last statement (it holds no `;` line end)
        if part[:end].strip():
            conn.execute(part[:end])
        for row in conn.execute(part[end:]).fetchall():
            for statement in row:
                if statement:
                    conn.execute(statement.replace(" CONCURRENTLY", ""))
    if parts[-1].strip():
        conn.execute(parts[-1])
