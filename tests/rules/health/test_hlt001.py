"""HLT001 heap-bloat: a 200k-row table with 90 % of its rows deleted and autovacuum off is reported, by its
dead rows before ANALYZE and by the pg_stats estimate after; a table that kept its rows stays silent."""

from __future__ import annotations

import time

import psycopg
import pytest

from auditor.catalog.model import Snapshot

from scratch import scratch_database, snapshot_of
from support import hits

ROWS = """
CREATE TABLE public.{name} (id bigint PRIMARY KEY, payload text) WITH (autovacuum_enabled = false);
INSERT INTO public.{name} SELECT g, repeat('x', 80) FROM generate_series(1, 200000) g;
"""


def settled(dsn: str, counter: str, value: int) -> None:
    """Wait (up to 20 s) until a closed session's counts for `events` have reached the statistics."""
    with psycopg.connect(dsn, autocommit=True) as c:
        for _ in range(200):
            c.execute("SELECT pg_stat_clear_snapshot()")
            row = c.execute(f"SELECT {counter} FROM pg_stat_user_tables WHERE relname = 'events'").fetchone()
            if row and row[0] >= value:
                return
            time.sleep(0.1)
    raise AssertionError(f"{counter} of events never reached {value}")


@pytest.fixture(scope="module")
def bloated(pg_server) -> tuple[Snapshot, Snapshot]:
    """One database, snapshots before and after ANALYZE: `events` lost 90 % of its rows, `kept` none,
    `small` 90 % of 2,000 rows (too small to matter)."""
    with scratch_database(pg_server, "pga_hlt001") as dsn:
        # one session per step: a session's row counts reach the statistics when it ends, so each step
        # lands in order (an ANALYZE overtaken by the inserts' late counts would double the live rows)
        with psycopg.connect(dsn, autocommit=True) as c:
            for name in ("events", "kept"):
                c.execute(ROWS.format(name=name))
            c.execute("CREATE TABLE public.small (id bigint PRIMARY KEY, payload text) WITH (autovacuum_enabled = off)")
            c.execute("INSERT INTO public.small SELECT g, repeat('x', 80) FROM generate_series(1, 2000) g")
        settled(dsn, "n_tup_ins", 200000)
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("ANALYZE")
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("DELETE FROM public.events WHERE id % 10 <> 0")
            c.execute("DELETE FROM public.small WHERE id % 10 <> 0")
        settled(dsn, "n_tup_del", 180000)
        before = snapshot_of(dsn)
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("ANALYZE")
        yield before, snapshot_of(dsn)


def test_dead_rows_flag_the_table_before_analyze(bloated):
    before, _ = bloated
    (f,) = hits(before, "HLT001")
    assert f.obj.display == "public.events"
    assert f.evidence["dead_rows"] == 180000 and f.evidence["live_rows"] == 20000
    assert f.evidence["autovacuum_disabled"] is True and f.evidence["last_autovacuum"] is None
    assert f.evidence["wasted_bytes"] >= 0.85 * f.evidence["table_bytes"]
    assert f.fix.startswith("VACUUM (ANALYZE) public.events;")


def test_the_pg_stats_estimate_flags_it_after_analyze(bloated):
    _, after = bloated
    (f,) = hits(after, "HLT001")
    assert f.obj.display == "public.events"
    # the estimate alone (ANALYZE counted 20,000 live rows on the old pages): about 90 % wasted
    assert f.evidence["estimated_from_pg_stats"] >= 0.8 * f.evidence["table_bytes"]
    kept = next(t for t in after.tables if t.name == "kept")
    assert kept.option("autovacuum_enabled") == "false"
