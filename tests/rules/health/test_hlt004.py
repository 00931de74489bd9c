"""HLT004 xmin-horizon-held-back: a real session left idle in a transaction is named (the threshold lowered to a
second), not before; a prepared transaction's hostile gid stays inside the fix's comment."""

from __future__ import annotations

import time

import psycopg
import pytest

from scratch import scratch_database, snapshot_of
from support import hits


@pytest.fixture
def held(pg_server):
    with scratch_database(pg_server, "pga_hlt004") as dsn:
        idle = psycopg.connect(dsn, autocommit=False)
        idle.execute("SELECT txid_current()")  # an xid, then nothing: idle in transaction
        yield dsn, idle.info.backend_pid
        idle.close()


def test_idle_session_named_with_its_pid(held):
    dsn, pid = held
    time.sleep(1.2)
    snap = snapshot_of(dsn)
    mine = [h for h in snap.horizon if h.kind == "session" and h.name == str(pid)]
    assert mine and mine[0].state == "idle in transaction" and mine[0].xmin_age is not None
    assert hits(snap, "HLT004") == []  # one second is not five minutes
    snap.settings["idle_in_transaction_seconds"] = 1
    found = [f for f in hits(snap, "HLT004") if f.evidence["name"] == str(pid)]
    assert len(found) == 1 and "idle in transaction" in found[0].message
    assert found[0].obj.kind == "database" and found[0].members == ("session", str(pid))
    assert f"SELECT pg_terminate_backend({pid});" in found[0].fix
    assert "SET idle_in_transaction_session_timeout = '10min';" in found[0].fix


def test_a_prepared_transactions_gid_stays_inside_its_comment(held):
    """The test cluster has max_prepared_transactions = 0: a real session row stands in for one."""
    dsn, _ = held
    snap = snapshot_of(dsn)
    assert {h.kind for h in snap.horizon} <= {"session", "prepared", "slot"}
    old = next(h for h in snap.horizon if h.kind == "session")
    old.kind, old.name, old.seconds = "prepared", "tx'; DROP TABLE x; --\nnext", 3600.0
    (f,) = [f for f in hits(snap, "HLT004") if f.evidence["kind"] == "prepared"]
    # the gid is a literal inside a comment (E'...': it reads back with its line break): no line break gets out
    assert f.fix.count("\n") == 0 and "ROLLBACK PREPARED E'tx''; DROP TABLE x; --\\nnext'" in f.fix
