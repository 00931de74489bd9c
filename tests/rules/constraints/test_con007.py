"""CON007 unbounded-number on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

import psycopg
import pytest

from support import by_table, hits, run_fix, snapshot_after

NUMBERS_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.lines (id bigint PRIMARY KEY, quantity int, unit_price numeric(12,2), amount_cents bigint,
                      match_confidence float8, discount_percentage numeric, percentage_rate numeric(10,5),
                      conversion_rate numeric, balance_cents bigint, negative_amount_cents bigint,
                      finalize_zero_amount_invoice int, price_note text, checked_qty int CHECK (checked_qty >= 0));
"""


def test_unbounded_numbers(conn):
    snap = snapshot_after(conn, NUMBERS_SCHEMA)
    (f,) = hits(snap, "CON007")
    assert f.evidence["checks"] == [
        "quantity >= 0",
        "unit_price >= 0",
        "amount_cents >= 0",
        "match_confidence BETWEEN 0 AND 1",
        "discount_percentage BETWEEN 0 AND 100",
        "percentage_rate BETWEEN 0 AND 100",
        "conversion_rate > 0",
    ]
    run_fix(conn, f.fix)  # as printed: a read-only count, the CHECKs commented out
    assert hits(snapshot_after(conn, "SELECT 1"), "CON007")
    run_fix(conn, uncomment(f.fix))
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON007")


def uncomment(fix: str) -> str:
    """What the DBA runs after confirming: the commented ALTER TABLE statements."""
    return "\n".join(line[3:] for line in fix.splitlines() if line.startswith(("-- ALTER", "--     ADD")))


def test_unbounded_numbers_fix_counts_rows_and_adds_nothing_as_printed(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.orders (id int PRIMARY KEY, amount_cents bigint, discount_percentage numeric);
        INSERT INTO t.orders VALUES (1, 100, 150), (2, 200, 10);
        """,
    )
    (f,) = hits(snap, "CON007")
    assert all(line.startswith("-- ") for line in f.fix.splitlines() if "ALTER TABLE" in line or "ADD " in line)
    counts = conn.execute(f.fix)  # the last statement of the fix is the count: it tells the DBA which bound fails
    assert counts.fetchone() == (0, 1)
    conn.execute("INSERT INTO t.orders VALUES (3, -5, 0)")  # nothing was added: the row still goes in
    with pytest.raises(psycopg.errors.CheckViolation):
        run_fix(conn, uncomment(f.fix))  # and the uncommented CHECK refuses the rows the count showed


def test_unbounded_numbers_leave_signed_names_out(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.wallets (id int PRIMARY KEY, credits_amount_cents bigint, balance_amount numeric,
                                adjustment_amount_cents bigint, amount_delta numeric, price_offset numeric,
                                net_amount numeric, refunded_amount_cents bigint, price_change numeric,
                                price_diff numeric, amount_cents bigint, network_price numeric);
        CREATE TABLE t.credit_notes (id int PRIMARY KEY, total_amount_cents bigint, conversion_rate numeric);
        CREATE TABLE t.refunds (id int PRIMARY KEY, amount_cents bigint);
        """,
    )
    found = by_table(hits(snap, "CON007"))
    assert found["wallets"].evidence["checks"] == ["amount_cents >= 0", "network_price >= 0"]
    assert found["credit_notes"].evidence["checks"] == ["conversion_rate > 0"]  # amounts of a credit table: no >= 0
    assert "refunds" not in found


def test_unbounded_numbers_leave_out_columns_pg_stats_shows_negative(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.ledger (id int PRIMARY KEY, amount_cents bigint, fee_amount numeric, price float8,
                               quantity int, label text);
        INSERT INTO t.ledger SELECT g, g * 10 - 5000, g / 3.0, g, (g % 5) - 1, '-' || g
        FROM generate_series(1, 1000) g;
        CREATE TABLE t.lines (id int PRIMARY KEY, amount_cents bigint);
        INSERT INTO t.lines SELECT g, g FROM generate_series(1, 1000) g;
        ANALYZE t.ledger, t.lines;
        """,
    )
    stats = snap.column_stats_of
    assert stats[("t", "ledger", "amount_cents")].negative_seen  # histogram's lowest bound
    assert stats[("t", "ledger", "quantity")].negative_seen  # a most common value
    assert ("t", "ledger", "label") not in stats  # text starting with '-' is not a negative number
    found = by_table(hits(snap, "CON007"))
    ledger = found["ledger"]
    assert ledger.evidence["checks"] == ["fee_amount >= 0", "price >= 0"]
    assert ledger.evidence["negative_in_statistics"] == ["amount_cents", "quantity"]
    assert found["lines"].evidence["checks"] == ["amount_cents >= 0"]  # no negative seen: still proposed
    assert "negative_in_statistics" not in found["lines"].evidence
    run_fix(conn, ledger.fix)
    run_fix(conn, uncomment(ledger.fix))
    run_fix(conn, uncomment(found["lines"].fix))
    assert not hits(snapshot_after(conn, "ANALYZE t.ledger, t.lines"), "CON007")


def test_unbounded_numbers_roll_up_per_schema(conn):
    ddl = "CREATE SCHEMA t;" + "".join(f"CREATE TABLE t.x{i} (id int PRIMARY KEY, price numeric);" for i in range(4))
    ddl += "CREATE TABLE t.y1 (id int PRIMARY KEY); CREATE TABLE t.y2 (id int PRIMARY KEY);"  # 4 of 6: not 80%
    snap = snapshot_after(conn, ddl)
    assert len(hits(snap, "CON007")) == 4
    snap.settings = {"rollup_tables": 3}
    (f,) = hits(snap, "CON007")
    assert f.obj.kind == "schema" and f.evidence["tables"] == 4
    run_fix(conn, f.fix)
    run_fix(conn, uncomment(f.fix))
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON007")
