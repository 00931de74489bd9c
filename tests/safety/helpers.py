"""Helpers of the safety tests, and the database they audit: a small multi-tenant schema with findings,
a sequence in use, and a least-privileged login role with a password (the test cluster asks for one
on host connections)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from scratch import run_cli

DB = "pga_safety"
ROLE = "pga_safety_reader"
PASSWORD = "Sfty-pw-7c1e"

SCHEMA = f"""
CREATE SCHEMA app;
CREATE TABLE app.tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.orders (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES app.tenants, status text);
CREATE SEQUENCE app.invoice_no;
SELECT setval('app.invoice_no', 4242);
INSERT INTO app.tenants VALUES (1, 'one'), (2, 'two');
INSERT INTO app.orders (tenant_id, status) SELECT g % 2 + 1, 'new' FROM generate_series(1, 50) g;
ANALYZE;
DROP ROLE IF EXISTS {ROLE};
CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}' IN ROLE pg_monitor;
GRANT CONNECT ON DATABASE {DB} TO {ROLE};
GRANT USAGE ON SCHEMA app TO {ROLE};
GRANT SELECT ON ALL TABLES IN SCHEMA app TO {ROLE};
GRANT SELECT ON ALL SEQUENCES IN SCHEMA app TO {ROLE};
"""


@dataclass
class SafetyDb:
    dsn: str  # superuser
    host: str
    port: str
    dbname: str = DB
    role: str = ROLE
    password: str = PASSWORD

    def as_role(self, password: str | None = None, user: str = ROLE) -> str:
        return (
            f"host={self.host} port={self.port} dbname={self.dbname} user={user} password='{password or self.password}'"
        )

    def uri(self, password: str, user: str = ROLE, dbname: str = DB, encode: bool = False) -> str:
        pw = quote(password, safe="") if encode else password
        return f"postgresql://{user}:{pw}@{self.host}:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def set_password(self, password: str) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                psycopg.sql.Identifier(self.role), psycopg.sql.Literal(password)))  # fmt: skip


def audit(*args: str, env: dict[str, str] | None = None, timeout: float = 300):
    """`pg-auditor audit` as a user runs it, with no config file found from a test's directory."""
    return run_cli(
        "audit", *args, env={"PGPASSFILE": "/nonexistent/pgpass", **(env or {})}, cwd=Path("/"), timeout=timeout
    )


def reports_in(out: Path, stem: str = "pg-auditor-report") -> dict[str, str]:
    """The report files of a run, by extension, and nothing else that was left in the directory."""
    return {p.name.removeprefix(stem + "."): p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}


def history_rows(path: Path) -> list[dict]:
    with sqlite3.connect(path) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM pga_runs ORDER BY id")]


def json_report(out: Path) -> dict:
    return json.loads((out / "pg-auditor-report.json").read_text(encoding="utf-8"))
