"""Fixes resolved when they run: partitioned indexes completed over the partitions that exist then, and
partitions created only where absent. Run with psql on a scratch database, as a DBA runs them
(CONCURRENTLY and \\gexec cannot run in the test's transaction)."""

from __future__ import annotations

import psycopg
import pytest

from auditor.engine import Run
from auditor.engine.config import Config
from auditor.rules.runtime_sql import dollar_quoted

from scratch import psql, scratch_database, snapshot_of

LONG = "p" * 55  # partition names of 63 bytes sharing their first 55: per-partition index names must still differ


def fixes(dsn: str, code: str) -> list[str]:
    report = Run(Config()).finish(snapshot_of(dsn), {"source": "test"})
    return [f.fix for f in report.active if f.code == code and f.fix]


def valid(dsn: str, index: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass", (index,)).fetchone()[0]


SET = f"""
CREATE TABLE ev (org bigint NOT NULL, kind text NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE "{LONG}_2024_01" PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE "{LONG}_2024_02" PARTITION OF ev FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE ev_2024_03 PARTITION OF ev FOR VALUES FROM ('2024-03-01') TO ('2024-04-01') PARTITION BY LIST (org);
CREATE TABLE ev_2024_03_a PARTITION OF ev_2024_03 FOR VALUES IN (1);
CREATE TABLE ev_2024_03_b PARTITION OF ev_2024_03 FOR VALUES IN (2);
CREATE INDEX ev_2024_03_a_kind ON ev_2024_03_a (kind, at);
CREATE INDEX long_2024_02_kind ON "{LONG}_2024_02" (kind, at);
"""


@pytest.mark.parametrize("code", ["PAR008", "PAR007"])
def test_partitioned_index_fix_covers_partitions_added_after_the_audit(pg_server, code):
    """Long partition names, a sub-partitioned partition, copies that exist already, and partitions created
    between the audit and the fix: the parent index ends valid, every partition holding one copy."""
    ddl = SET if code == "PAR008" else SET + "CREATE INDEX ev_kind_at_idx ON ONLY ev (kind, at);"
    with scratch_database(pg_server, "pga_runtime_index", ddl) as dsn:
        fix = "\n".join(fixes(dsn, code))  # PAR008: the sub-partitioned partition's own finding, then the root's
        later = f"CREATE TABLE \"{LONG}_2024_04\" PARTITION OF ev FOR VALUES FROM ('2024-04-01') TO ('2024-05-01');"
        later += "CREATE TABLE ev_2024_03_c PARTITION OF ev_2024_03 FOR VALUES IN (3);"
        assert psql(dsn, later).returncode == 0
        done = psql(dsn, fix)
        assert done.returncode == 0, done.stderr
        assert valid(dsn, "ev_kind_at_idx")
        with psycopg.connect(dsn) as conn:
            per_table = conn.execute(
                "SELECT x.indrelid::regclass::text, count(*), bool_and(i.inhrelid IS NOT NULL) FROM pg_index x "
                "JOIN pg_partition_tree('ev') t ON t.relid = x.indrelid "
                "LEFT JOIN pg_inherits i ON i.inhrelid = x.indexrelid GROUP BY 1"
            ).fetchall()
            names = [n for (n,) in conn.execute("SELECT relname FROM pg_class WHERE relkind IN ('i', 'I')")]
        assert len(per_table) == 8  # the root, 3 + 1 partitions, 2 + 1 sub-partitions
        assert all(count == 1 and attached for table, count, attached in per_table if table != "ev")
        assert len(names) == len(set(names)) and all(len(n.encode()) <= 63 for n in names)
        assert psql(dsn, fix).returncode == 0  # a second run finds nothing to do


def test_a_partition_with_no_copy_stops_the_script(pg_server):
    """A copy that cannot be built (a unique index over duplicate rows) stops the script there, the parent
    index left invalid, and nothing that follows runs."""
    ddl = SET + "INSERT INTO ev VALUES (1, 'a', '2024-01-05'), (1, 'a', '2024-01-05');"
    with scratch_database(pg_server, "pga_runtime_stop", ddl) as dsn:
        (fix,) = [f for f in fixes(dsn, "PAR008") if " ON ONLY public.ev " in f]
        fix = fix.replace("INDEX IF NOT EXISTS", "UNIQUE INDEX IF NOT EXISTS", 1)
        done = psql(dsn, fix + "\nCREATE TABLE after_the_fix ();")
        assert done.returncode != 0
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT to_regclass('after_the_fix')").fetchone()[0] is None


ENDED = """
CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;
INSERT INTO events SELECT g, now() - g * interval '1 day' FROM generate_series(1, 60) g;
INSERT INTO events VALUES (0, '2024-01-10');
ANALYZE events;
"""


def test_partition_fixes_follow_one_another(pg_server):
    """PAR001's fix, then PAR006's (the same ranges), then a range another partition already covers:
    each creates only what is absent, and the default ends empty."""
    with scratch_database(pg_server, "pga_runtime_ranges", ENDED) as dsn:
        (par001,) = fixes(dsn, "PAR001")
        (par006,) = fixes(dsn, "PAR006")
        overlap = "CREATE TABLE events_other PARTITION OF events FOR VALUES FROM (now() + interval '5 months') TO (now() + interval '6 months');"  # noqa: E501
        for script in (overlap, par001, par006):
            done = psql(dsn, script)
            assert done.returncode == 0, done.stderr
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT count(*) FROM ONLY events_default").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 61


def test_dollar_quote_tag_is_not_in_the_body():
    assert dollar_quoted("x := '$fix$';") == "$fix1$\nx := '$fix$';\n$fix1$"
    assert dollar_quoted("SELECT 1;").startswith("$fix$\n")


HOSTILE = """
CREATE TABLE canary (id int);
CREATE SCHEMA "s'; DROP TABLE canary; --";
CREATE TABLE "s'; DROP TABLE canary; --"."ev
DROP TABLE canary; --$fix$" (kind text NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE "s'; DROP TABLE canary; --"."p1 ""x""; --" PARTITION OF "s'; DROP TABLE canary; --"."ev
DROP TABLE canary; --$fix$" FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE "s'; DROP TABLE canary; --"."p2
$$" PARTITION OF "s'; DROP TABLE canary; --"."ev
DROP TABLE canary; --$fix$" FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE INDEX "i'x" ON "s'; DROP TABLE canary; --"."p1 ""x""; --" (kind);
"""


def test_hostile_names_in_a_partitioned_index_fix(pg_server):
    with scratch_database(pg_server, "pga_runtime_hostile", HOSTILE) as dsn:
        (fix,) = fixes(dsn, "PAR008")
        done = psql(dsn, fix)
        assert done.returncode == 0, done.stderr
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT to_regclass('public.canary')").fetchone()[0] is not None
            (ok,) = conn.execute(
                "SELECT bool_and(x.indisvalid) FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid "
                "WHERE c.relkind = 'p' AND c.relname LIKE 'ev%'"
            ).fetchone()
        assert ok


def test_hostile_names_in_a_partition_creation_fix(pg_server):
    """PAR001's fix on a set whose schema, table, partitions and key hold quotes, semicolons, a newline, --
    and $fix$: the partitions are made, the default's rows moved, the canary kept."""
    table = '"s\'; DROP TABLE canary; --"."ev\nDROP TABLE canary; --$fix$"'
    ddl = f"""
CREATE TABLE canary (id int);
CREATE SCHEMA "s'; DROP TABLE canary; --";
CREATE TABLE {table} (id bigint NOT NULL, "at'; --" timestamptz NOT NULL) PARTITION BY RANGE ("at'; --");
CREATE TABLE "s'; DROP TABLE canary; --"."ev
DROP TABLE canary; --$fix$_2024_01" PARTITION OF {table} FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE "s'; DROP TABLE canary; --"."d'$$" PARTITION OF {table} DEFAULT;
INSERT INTO {table} SELECT g, now() - g * interval '1 day' FROM generate_series(1, 40) g;
ANALYZE;
"""
    with scratch_database(pg_server, "pga_runtime_hostile_ranges", ddl) as dsn:
        (fix,) = fixes(dsn, "PAR001")
        done = psql(dsn, fix)
        assert done.returncode == 0, done.stderr
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT to_regclass('public.canary')").fetchone()[0] is not None
            default = '"s\'; DROP TABLE canary; --"."d\'$$"'
            assert conn.execute(f"SELECT count(*) FROM ONLY {default}").fetchone()[0] == 0
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 40
