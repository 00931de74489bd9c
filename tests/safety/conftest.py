"""The safety tests' database: a small multi-tenant schema, a sequence in use, a least-privileged role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg.conninfo import conninfo_to_dict
from safety.helpers import DB, ROLE, SCHEMA, SafetyDb

from scratch import scratch_database


@pytest.fixture(scope="session")
def safety_db(pg_server) -> Iterator[SafetyDb]:
    with scratch_database(pg_server, DB, SCHEMA, roles=(ROLE,)) as dsn:
        params = conninfo_to_dict(dsn)
        yield SafetyDb(dsn=dsn, host=str(params.get("host") or "127.0.0.1"), port=str(params.get("port") or 5432))
