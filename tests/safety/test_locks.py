"""Locks and hangs (issue 18, items 10 and 12): sequences are read without RowExclusiveLock, so an
ALTER SEQUENCE in another session neither holds the audit up nor loses the section; a history server
that accepts TCP and never answers fails within the connect timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from safety.helpers import audit

from auditor.catalog.db import Timeouts

from scratch import snapshot_of
from support import debug_log, waited_on_a_lock


@contextmanager
def held(dsn: str, statement: str) -> Iterator[None]:
    """A statement run in another session whose transaction stays open (its locks held) meanwhile."""
    conn = psycopg.connect(dsn, autocommit=False)
    try:
        conn.execute(statement)  # type: ignore[arg-type]
        yield
    finally:
        conn.rollback()
        conn.close()


def test_held_alter_sequence_neither_waits_nor_loses_the_section(safety_db):
    """ALTER SEQUENCE holds ShareRowExclusiveLock: pg_sequences.last_value (RowExclusiveLock) waited
    twice the lock timeout behind it and the section was lost. Reading the sequence takes AccessShareLock."""
    with held(safety_db.dsn, "ALTER SEQUENCE app.invoice_no RESTART WITH 10"), debug_log() as records:
        started = time.monotonic()
        snap = snapshot_of(safety_db.as_role(), Timeouts(lock="1s"))
        took = time.monotonic() - started
    assert "sequences" not in snap.unavailable
    assert waited_on_a_lock(records) == []
    assert took < 1.5, took
    seqs = {s.name: s for s in snap.sequences}
    assert seqs["invoice_no"].last_value == 4242  # the committed value, read without waiting
    assert seqs["orders_id_seq"].last_value == 50
    assert seqs["orders_id_seq"].owner_column == "id"
    assert "sequence_values" not in snap.limited


def test_sequence_under_access_exclusive_is_skipped_like_a_table(safety_db):
    """ALTER SEQUENCE ... OWNED BY / RENAME take ACCESS EXCLUSIVE: that sequence's last value is skipped
    (and said), the others are read, nothing waits."""
    with held(safety_db.dsn, "ALTER SEQUENCE app.invoice_no RENAME TO invoice_no_renamed"), debug_log() as records:
        snap = snapshot_of(safety_db.as_role(), Timeouts(lock="1s"))
    assert waited_on_a_lock(records) == []
    assert "sequences" not in snap.unavailable
    seqs = {s.name: s for s in snap.sequences}
    assert seqs["invoice_no"].last_value is None and seqs["orders_id_seq"].last_value == 50
    assert "app.invoice_no" in snap.limited["sequence_values"].reason


def test_audit_behind_a_held_alter_sequence_exits_as_usual(safety_db, tmp_path):
    with held(safety_db.dsn, "ALTER SEQUENCE app.invoice_no RESTART WITH 10"):
        run = audit(safety_db.as_role(), "-o", str(tmp_path), "--lock-timeout", "500ms", "--fail-on", "never")
    assert run.returncode == 0, run.stderr


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for s in accepted:
            s.close()
        listener.close()


def test_history_server_that_never_answers_fails_within_the_connect_timeout(safety_db, silent_server, tmp_path):
    url = f"postgresql://nobody@127.0.0.1:{silent_server}/history"
    started = time.monotonic()
    try:
        run = audit(safety_db.dsn, "-o", str(tmp_path), "--history", url, "--connect-timeout", "2", timeout=60)
    except Exception as exc:  # subprocess.TimeoutExpired: it hung
        pytest.fail(f"the audit hung on the history server: {type(exc).__name__}")
    assert time.monotonic() - started < 30
    assert run.returncode == 2
    assert "history" in run.stderr and "timeout" in run.stderr.lower(), run.stderr
