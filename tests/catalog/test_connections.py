"""Catalogs read on several connections: the same snapshot and report as on one, fewer connections when
the server refuses more, and nothing left running on the server when the read is interrupted."""

from __future__ import annotations

import time
from dataclasses import fields

import psycopg
import pytest
from psycopg.rows import tuple_row

from auditor import engine
from auditor.base.errors import ConfigError
from auditor.catalog import snapshot_file
from auditor.catalog.collect import collect
from auditor.catalog.db import Target, connect
from auditor.catalog.model import Snapshot
from auditor.demo.run import DEMO_DIR
from auditor.engine.config import Config, check_threshold
from auditor.output import render
from auditor.runs.single import check_database

from scratch import scratch_database

# A sequence per table, so that the sequences' values take several chunks on several connections.
MORE_SEQUENCES = "\n".join(f"CREATE SEQUENCE extra_seq_{n}; SELECT nextval('extra_seq_{n}');" for n in range(450))


def collected(dsn: str, connections: int, meanwhile=None) -> tuple[Snapshot, object]:
    session = connect(Target(conninfo=dsn))
    try:
        snap = collect(session, meanwhile=meanwhile, settings={"collect_connections": connections})
    finally:
        session.conn.close()
    return snap, session


def comparable(snap: Snapshot) -> dict:
    """The snapshot as saved, without the moment it was read at."""
    data = snapshot_file.to_dict(snap)
    data["server"].pop("collected_at")
    return data


def test_several_connections_read_the_same_snapshot_and_the_rules_the_same_report(pg_server):
    """Sections arrive in another order on three connections, rules run meanwhile on whatever has arrived:
    the snapshot equals the one read on one connection, and the report the one of rules run after."""
    ddl = (DEMO_DIR / "saas.sql").read_text(encoding="utf-8") + "\n" + MORE_SEQUENCES
    with scratch_database(pg_server, "pga_connections", ddl) as dsn:
        one, one_session = collected(dsn, 1)
        rules = engine.Run()
        three, three_session = collected(dsn, 3, meanwhile=rules.step)
    assert one_session.connections == 1 and three_session.connections == 3 and not three_session.notes
    # every query ran once, on some connection; and the connection limits were read (and its set_config)
    assert three_session.queries == one_session.queries + 2
    assert comparable(three) == comparable(one)
    assert sum(1 for s in three.sequences if s.name.startswith("extra_seq_") and s.last_value == 1) == 450
    assert not [h for h in three.horizon if h.kind == "session" and int(h.name) in three_session.pids]

    early = len(rules.results)
    got = render.render(rules.finish(three), "json")
    whole = Snapshot(**{f.name: getattr(three, f.name) for f in fields(Snapshot)})  # no cached lookups
    expected = render.render(engine.run(whole), "json")
    assert early > 0 and got == expected


def test_a_role_near_its_connection_limit_reads_on_fewer_connections(pg_server):
    """A role allowed one connection reads everything on it: the cut is noted in the report, never an error;
    and a connection the server refuses all the same (the limits changed meanwhile) is done without."""
    secret = "s3cret-pw-42"
    ddl = f"CREATE ROLE one_conn LOGIN PASSWORD '{secret}' CONNECTION LIMIT 1; CREATE TABLE t (id int PRIMARY KEY);"
    with scratch_database(pg_server, "pga_refused", ddl, roles=("one_conn",)) as dsn:
        superuser, _ = collected(dsn, 1)
        role_dsn = pg_server.dsn_for("pga_refused", user="one_conn", password=secret)
        session = connect(Target(conninfo=role_dsn))
        config = Config()
        config.thresholds["collect_connections"] = 3
        report, snap = check_database(session, config, None, None, time.time())
        assert session.connections == 1 and session.conn.closed
        assert session.notes == [
            "3 connections asked, 1 used: the role allows 1 connections and has 1 open, and the audit leaves "
            "some to others"
        ]
        assert [t.name for t in snap.tables] == [t.name for t in superuser.tables] == ["t"]
        for kind in ("md", "html"):  # the report says so where it says how the run went
            text = render.render(report, kind)
            assert "catalogs read on 1 connection, each query its own read-only snapshot" in text
            assert "3 connections asked, 1 used" in text

        session = connect(Target(conninfo=role_dsn))
        try:
            got = list(session.fetch_ahead([(str(n), "SELECT 1", tuple_row) for n in range(5)], connections=3))
        finally:
            session.conn.close()
    assert sorted(name for name, _ in got) == ["0", "1", "2", "3", "4"]
    assert session.connections == 1
    assert len(session.notes) == 1 and "3 connections asked, 1 opened" in session.notes[0]
    assert "too many connections" in session.notes[0] and secret not in session.notes[0]


def test_an_interrupted_read_leaves_no_query_running_and_no_connection_open(pg_server):
    session = connect(Target(conninfo=pg_server.dsn_for()))
    try:
        plan = [("quick", "SELECT 1", tuple_row)] + [(f"long{n}", "SELECT pg_sleep(60)", tuple_row) for n in range(4)]
        ahead = session.fetch_ahead(plan, connections=3)
        assert next(ahead)[0] == "quick"
        time.sleep(0.5)  # the other connections are now waiting on pg_sleep
        started = time.monotonic()
        ahead.close()
        assert time.monotonic() - started < 30
        mine = session.pids[1:]
        assert len(mine) == 2
        with psycopg.connect(pg_server.dsn_for(), autocommit=True) as watcher:
            for _ in range(100):
                running = watcher.execute(
                    "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = 'pg-auditor'"
                    " AND (pid = ANY(%s) OR query LIKE %s)",
                    (mine, "%pg_sleep(60)%"),
                ).fetchall()
                if all(pid == session.conn.info.backend_pid and state == "idle" for pid, state, _ in running):
                    break
                time.sleep(0.05)
        assert all(pid == session.conn.info.backend_pid and state == "idle" for pid, state, _ in running), running
        assert session.fetch("after", "SELECT 44 AS answer") == [{"answer": 44}]
    finally:
        session.conn.close()


@pytest.mark.parametrize("value", [0, 9, 1.5])
def test_the_number_of_connections_is_checked(value):
    with pytest.raises(ConfigError):
        check_threshold("collect-connections", value, "config")
    assert check_threshold("collect-connections", 3, "config") == 3
