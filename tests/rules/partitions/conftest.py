"""What several partition rules' tests share, given as fixtures (a conftest cannot be imported by name).

The DDL of the shared scenes (`ended_ddl`, `short_ddl`, `gaps_ddl`, `indexes_ddl`, `uneven_ddl`,
`partman_ddl`, `observations_ddl`, `empty_default_only_ddl`, `fine_ddl`) runs inside the test's
transaction and is rolled back; "now" is the transaction's now(), which is also the snapshot's
collection time, so the month arithmetic agrees with what the rules see. `run_fix` runs a finding's
printed fix in that transaction; `partman` is the connection where pg_partman 4.7 (the Debian package)
can be created; `as_partman` and `with_scheduler` edit a real snapshot into pg_partman 5.x rows or a
scheduled maintenance.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from auditor.catalog.model import Extension, PartmanConfig, Snapshot

import support
from paths import TESTS
from support import hits

FIXTURES = TESTS / "fixtures" / "partman"


def _run_fix(conn, fix: str) -> None:
    """Run printed fix SQL inside the test transaction: BEGIN/COMMIT lines dropped, the rest as support.run_fix."""
    support.run_fix(conn, "\n".join(line for line in fix.splitlines() if line.strip() not in ("BEGIN;", "COMMIT;")))


def _monthly(table: str, first: int, last: int, suffix: str) -> str:
    """SQL creating monthly partitions of `table` for months first..last relative to now (suffix: to_char format)."""
    schema, name = table.split(".")
    return f"""
DO $$
DECLARE m0 timestamptz := date_trunc('month', now()); s timestamptz;
BEGIN
    FOR i IN {first}..{last} LOOP
        s := m0 + make_interval(months => i);
        EXECUTE format('CREATE TABLE {schema}.%I PARTITION OF {table} FOR VALUES FROM (%L) TO (%L)',
                       '{name}_' || to_char(s, '{suffix}'), s, s + interval '1 month');
    END LOOP;
END $$;
"""


# A hand-partitioned monthly set whose partitions ended three months ago, with a default catching rows;
# the same without a default; an integer set whose sequence ran past its partitions.
ENDED = (
    """
CREATE SCHEMA t;
CREATE TABLE t.events (id bigint NOT NULL, at timestamptz NOT NULL, note text) PARTITION BY RANGE (at);
"""
    + _monthly("t.events", -9, -4, "YYYY_MM")
    + """
CREATE TABLE t.events_default PARTITION OF t.events DEFAULT;
INSERT INTO t.events SELECT g, now() - (g % 80) * interval '1 day', 'x' FROM generate_series(1, 2000) g;
ANALYZE t.events_default;
CREATE TABLE t."No Default" (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t."No Default_2020" PARTITION OF t."No Default" FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE t.ids (id bigserial, v int) PARTITION BY RANGE (id);
CREATE TABLE t.ids_0 PARTITION OF t.ids FOR VALUES FROM (0) TO (1000);
SELECT setval('t.ids_id_seq', 5000);
CREATE TABLE t.fine (at timestamptz NOT NULL) PARTITION BY RANGE (at);
"""
    + _monthly("t.fine", -1, 4, "YYYYMM")
)


SHORT = """
CREATE SCHEMA t;
CREATE TABLE t.short (at date NOT NULL) PARTITION BY RANGE (at);
DO $$
DECLARE m0 date := date_trunc('month', now())::date;
BEGIN
    EXECUTE format('CREATE TABLE t.short_p%s PARTITION OF t.short FOR VALUES FROM (%L) TO (%L)',
                   to_char(m0, 'YYYYMMDD'), m0, (m0 + interval '1 month')::date);
    EXECUTE format('CREATE TABLE t.short_p%s PARTITION OF t.short FOR VALUES FROM (%L) TO (%L)',
                   to_char(m0 + interval '1 month', 'YYYYMMDD'), (m0 + interval '1 month')::date,
                   (m0 + interval '2 months')::date);
END $$;
CREATE TABLE t.cliff (at timestamp NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.cliff_now PARTITION OF t.cliff
    FOR VALUES FROM (date_trunc('day', now()::timestamp)) TO (date_trunc('day', now()::timestamp) + interval '1 day');
CREATE TABLE t.open_end (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.open_end_all PARTITION OF t.open_end FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
"""


GAPS = """
CREATE SCHEMA t;
CREATE TABLE t.gappy (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.gappy_2024_01 PARTITION OF t.gappy FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE t.gappy_2024_03 PARTITION OF t.gappy FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
CREATE TABLE t.gappy_2024_04 PARTITION OF t.gappy FOR VALUES FROM ('2024-04-01') TO ('2024-05-01');
CREATE TABLE t.texty (code text NOT NULL) PARTITION BY RANGE (code);
CREATE TABLE t.texty_a PARTITION OF t.texty FOR VALUES FROM ('a') TO ('f');
CREATE TABLE t.texty_m PARTITION OF t.texty FOR VALUES FROM ('m') TO ('t');
CREATE TABLE t.texty_d PARTITION OF t.texty DEFAULT;
CREATE TABLE t.tight (n int NOT NULL) PARTITION BY RANGE (n);
CREATE TABLE t.tight_1 PARTITION OF t.tight FOR VALUES FROM (0) TO (10);
CREATE TABLE t.tight_2 PARTITION OF t.tight FOR VALUES FROM (10) TO (20);
"""


INDEXES = """
CREATE SCHEMA t;
CREATE TABLE t.ev (id bigint NOT NULL, at date NOT NULL, kind text, body text) PARTITION BY RANGE (at);
CREATE TABLE t.ev_1 PARTITION OF t.ev FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE t.ev_2 PARTITION OF t.ev FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE t.ev_3 PARTITION OF t.ev FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
-- invalid partitioned index: attached on ev_1 only; ev_2 has a matching but unattached index
CREATE INDEX ev_body_idx ON ONLY t.ev (body);
CREATE INDEX ev_1_body_idx ON t.ev_1 (body);
ALTER INDEX t.ev_body_idx ATTACH PARTITION t.ev_1_body_idx;
CREATE INDEX ev_2_body_hand ON t.ev_2 (body);
-- a hand-made index on two of three partitions
CREATE INDEX ON t.ev_1 (kind, at);
CREATE INDEX ON t.ev_2 (kind, at);
-- per-partition unique indexes: one includes the key, one does not
CREATE UNIQUE INDEX ON t.ev_1 (id);
CREATE UNIQUE INDEX ON t.ev_2 (id);
CREATE UNIQUE INDEX ON t.ev_1 (id, at);
CREATE UNIQUE INDEX ON t.ev_2 (id, at);
CREATE UNIQUE INDEX ON t.ev_3 (id, at);
-- a proper parent index is never reported
CREATE INDEX ON t.ev (at);
"""


UNEVEN = """
CREATE SCHEMA t;
CREATE TABLE t.tenant_data (org int NOT NULL) PARTITION BY LIST (org);
CREATE TABLE t.td_1 PARTITION OF t.tenant_data FOR VALUES IN (1);
CREATE TABLE t.td_2 PARTITION OF t.tenant_data FOR VALUES IN (2);
CREATE TABLE t.td_3 PARTITION OF t.tenant_data FOR VALUES IN (3);
CREATE TABLE t.td_4 PARTITION OF t.tenant_data FOR VALUES IN (4);
CREATE TABLE t.td_default PARTITION OF t.tenant_data DEFAULT;
"""


PARTMAN = """
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE public.obs (id bigint NOT NULL, observed_at timestamptz NOT NULL, v int) PARTITION BY RANGE (observed_at);
CREATE INDEX ON public.obs (observed_at);
SELECT partman.create_parent('public.obs', 'observed_at', 'native', 'monthly', p_premake := 3);
"""


@pytest.fixture
def partman(conn, pg_server):
    """The test's connection, where pg_partman can be created (skips otherwise)."""
    if not pg_server.partman:
        pytest.skip("pg_partman is not installed on this server")
    return conn


def _with_scheduler(snap: Snapshot, bgw_db: str | None, cron: list[dict] | None = None) -> Snapshot:
    settings = dict(snap.server.settings)
    preload = "pg_stat_statements"
    if bgw_db is not None:
        settings["pg_partman_bgw.dbname"] = bgw_db
        settings["pg_partman_bgw.interval"] = "3600"
        preload += ",pg_partman_bgw"
    snap.server = dataclasses.replace(snap.server, settings=settings, shared_preload_libraries=preload)
    if cron is not None:
        from auditor.catalog.model import CronJob

        snap.extensions = [*snap.extensions, Extension("pg_cron", "1.6", "1.6", "pg_catalog")]
        snap.__dict__.pop("extension", None)
        snap.cron_jobs = [CronJob(j) for j in cron]
    return snap


OBSERVATIONS = (
    """
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE public.observations (id bigint, observed_at timestamptz NOT NULL) PARTITION BY RANGE (observed_at);
"""
    + _monthly("public.observations", -1, 3, '"p"YYYYMMDD')
    + """
CREATE TABLE public.observations_default PARTITION OF public.observations DEFAULT;
"""
)


def _as_partman(snap: Snapshot, version: str, fixture: str, **changes) -> Snapshot:
    rows = json.loads((FIXTURES / fixture).read_text())
    snap.partman_config = [PartmanConfig("part_config", r | changes) for r in rows]
    snap.extensions = [
        dataclasses.replace(e, installed_version=version, default_version=version) if e.name == "pg_partman" else e
        for e in snap.extensions
    ]
    snap.__dict__.pop("extension", None)
    return snap


EMPTY_DEFAULT_ONLY = """
CREATE SCHEMA t;
CREATE TABLE t.enriched (id bigint, "timestamp" timestamp(6) NOT NULL) PARTITION BY RANGE ("timestamp");
CREATE TABLE t.enriched_default PARTITION OF t.enriched DEFAULT;
ANALYZE t.enriched_default;
"""


def _default_only_findings(snap) -> list:
    return [f for code in ("PAR001", "PAR024") for f in hits(snap, code) if f.obj.table == "enriched"]


def _monthly_fine() -> str:
    return "CREATE TABLE t.fine (at timestamptz NOT NULL) PARTITION BY RANGE (at);" + _monthly(
        "t.fine", -1, 4, "YYYYMM"
    )


@pytest.fixture
def run_fix():
    return _run_fix


@pytest.fixture
def by_table():
    return support.by_table


@pytest.fixture
def monthly():
    return _monthly


@pytest.fixture
def with_scheduler():
    return _with_scheduler


@pytest.fixture
def as_partman():
    return _as_partman


@pytest.fixture
def default_only_findings():
    return _default_only_findings


@pytest.fixture
def ended_ddl() -> str:
    return ENDED


@pytest.fixture
def short_ddl() -> str:
    return SHORT


@pytest.fixture
def gaps_ddl() -> str:
    return GAPS


@pytest.fixture
def indexes_ddl() -> str:
    return INDEXES


@pytest.fixture
def uneven_ddl() -> str:
    return UNEVEN


@pytest.fixture
def partman_ddl() -> str:
    return PARTMAN


@pytest.fixture
def observations_ddl() -> str:
    return OBSERVATIONS


@pytest.fixture
def empty_default_only_ddl() -> str:
    return EMPTY_DEFAULT_ONLY


@pytest.fixture
def fine_ddl() -> str:
    return _monthly_fine()
