"""A real PostgreSQL for the tests, never a mock.

PG_AUDITOR_TEST_DSN if set; else a throwaway cluster from the initdb/pg_ctl on PATH or
`pg_config --bindir`; else Testcontainers when a Docker engine answers; else skip, unless
PG_AUDITOR_REQUIRE_DB=1 (CI sets it), which turns the skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest


@dataclass
class Server:
    dsn: str  # a superuser DSN (database postgres)
    major: int
    partman: bool  # pg_partman can be created
    cluster: object | None = None

    def dsn_for(self, dbname: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        params = psycopg.conninfo.conninfo_to_dict(self.dsn) | {"dbname": dbname}
        if user:
            params["user"] = user
        if password:
            params["password"] = password
        return psycopg.conninfo.make_conninfo(**params)


def _no_db(reason: str) -> None:
    if os.environ.get("PG_AUDITOR_REQUIRE_DB") == "1":
        pytest.fail(f"PG_AUDITOR_REQUIRE_DB=1 but no database: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL available: {reason}")


def _server_facts(dsn: str) -> tuple[int, bool]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        num = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()[0]
        partman = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_partman'").fetchone()[0]
    return num // 10000, bool(partman)


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-not-found]

        docker.from_env().ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    dsn = os.environ.get("PG_AUDITOR_TEST_DSN")
    if dsn:
        major, partman = _server_facts(dsn)
        yield Server(dsn, major, partman)
        return
    from auditor.pgserver.tempcluster import ClusterError, TempCluster, find_bindir

    from pgbinaries import PostgresBinariesError, ensure_postgres

    major_env = os.environ.get("PG_AUDITOR_TEST_MAJOR")
    try:
        bindir = ensure_postgres(int(major_env)) if major_env else find_bindir()
    except (ClusterError, PostgresBinariesError) as exc:
        bindir = None
        reason = str(exc)
    if bindir is not None:
        cluster = TempCluster(bindir=bindir)
        try:
            cluster.start()
        except ClusterError as exc:
            cluster.stop()
            _no_db(str(exc))
        try:
            major, partman = _server_facts(cluster.dsn())
            yield Server(cluster.dsn(), major, partman, cluster)
        finally:
            cluster.stop()
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]

        with PostgresContainer("postgres:17") as pgc:
            url = pgc.get_connection_url().replace("postgresql+psycopg2://", "postgresql://")
            major, partman = _server_facts(url)
            yield Server(url, major, partman)
        return
    _no_db(reason)


@pytest.fixture
def conn(pg_server: Server) -> Iterator[psycopg.Connection]:
    """A connection in an open transaction that is rolled back after the test."""
    with psycopg.connect(pg_server.dsn_for(), autocommit=False) as c:
        yield c
        c.rollback()
