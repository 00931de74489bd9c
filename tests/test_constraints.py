"""CON rules on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

import time

import psycopg
import pytest

from auditor.rules import load_all

from scratch import scratch_database, snapshot_of
from support import hits, snapshot_after


def by_table(found: list) -> dict:
    return {f.obj.table: f for f in found}


def by_column(found: list) -> dict:
    return {(f.obj.table, f.obj.name): f for f in found}


def run_fix(conn, fix: str) -> None:
    """Run fix SQL as printed (CONCURRENTLY cannot run in the test's transaction: drop that word only)."""
    conn.execute(fix.replace(" CONCURRENTLY", ""))


def test_every_con_rule_is_documented():
    rules = {code: r for code, r in load_all().items() if code.startswith("CON")}
    assert len(rules) >= 14
    for code, r in rules.items():
        for section in ("## Why is this bad?", "## Example", "## Fix"):
            assert section in r.doc, f"{code} lacks {section}"


# ---- CON001 missing-primary-key -------------------------------------------------------------------

PK_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.keyed (id bigint PRIMARY KEY);
CREATE TABLE t.no_key (a int, b text);
CREATE TABLE t.unique_nn (code text NOT NULL UNIQUE, note text);
CREATE TABLE t.unique_nullable (code text UNIQUE);
CREATE TABLE t.partial_unique (code text NOT NULL);
CREATE UNIQUE INDEX ON t.partial_unique (code) WHERE code <> '';
CREATE TABLE t.has_id (id bigint NOT NULL, x int);
CREATE TABLE t.plain_unique (a int NOT NULL, b int NOT NULL);
CREATE UNIQUE INDEX promote_me ON t.plain_unique (b, a);
CREATE TABLE t."Mixed Case" (v int);
CREATE TABLE t.ev (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.ev_2024 PARTITION OF t.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.ev_noid (v text, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.ev_noid_2024 PARTITION OF t.ev_noid FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.ev_ok (id bigint, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE t.ev_ok_2024 PARTITION OF t.ev_ok FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
"""


def test_missing_primary_key(conn):
    found = by_table(hits(snapshot_after(conn, PK_SCHEMA), "CON001"))
    assert set(found) == {
        "no_key",
        "unique_nn",
        "unique_nullable",
        "partial_unique",
        "has_id",
        "Mixed Case",
        "ev",
        "plain_unique",
        "ev_noid",
    }
    # a unique index on NOT NULL columns is a key in all but name: milder, and promoted as it is
    assert found["unique_nn"].severity == "low"
    assert found["unique_nn"].evidence["unique_not_null_index"] == "unique_nn_code_key"
    assert "USING INDEX unique_nn_pkey" in found["unique_nn"].fix  # a constraint's index cannot be promoted
    assert "USING INDEX promote_me" in found["plain_unique"].fix
    # nullable or partial unique indexes do not stop duplicates
    assert found["unique_nullable"].severity is None or found["unique_nullable"].severity == "high"
    assert "unique_not_null_index" not in found["partial_unique"].evidence
    # a partitioned set is judged on its parent, and its key must include the partition key
    assert "ev_2024" not in found and "ev_ok_2024" not in found
    assert "ADD PRIMARY KEY (id, at)" in found["ev"].fix


def test_missing_primary_key_fixes_run(conn):
    found = by_table(hits(snapshot_after(conn, PK_SCHEMA), "CON001"))
    for table in ("no_key", "unique_nn", "has_id", "Mixed Case", "ev", "plain_unique", "ev_noid"):
        run_fix(conn, found[table].fix)
    left = by_table(hits(snapshot_after(conn, "SELECT 1"), "CON001"))
    assert set(left) == {"unique_nullable", "partial_unique"}


# ---- CON002 implied-foreign-key -------------------------------------------------------------------

FK_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.customers (id uuid PRIMARY KEY);
CREATE TABLE t.categories (id bigint PRIMARY KEY);
CREATE TABLE t.invoices (id uuid PRIMARY KEY, customer_id uuid NOT NULL, voided_invoice_id uuid,
                         external_id varchar, sequential_id int);
CREATE TABLE t.posts (id bigint PRIMARY KEY, category_id integer, customer_id bigint);
CREATE TABLE t.linked (id bigint PRIMARY KEY, customer_id uuid REFERENCES t.customers);
CREATE TABLE t.notes (id bigint PRIMARY KEY, customer_type varchar, customer_id uuid, invoice_id uuid);
CREATE TABLE t.charges (id uuid PRIMARY KEY, parent_id uuid);
CREATE TABLE t.adjusted (id bigint PRIMARY KEY, invoice_type int, invoice_id uuid);  -- an int kind, not polymorphic
CREATE TABLE t.pagw (pagw_id int PRIMARY KEY);
CREATE TABLE t.usage (id bigint PRIMARY KEY, pagw_id int);
CREATE TABLE t.ar_internal_metadata (key varchar PRIMARY KEY, value varchar);
CREATE TABLE t.settings (id bigint PRIMARY KEY, key varchar);
CREATE TABLE t.ev (id bigint, customer_id uuid, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.ev_2024 PARTITION OF t.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.accounts (org_id bigint, id bigint, PRIMARY KEY (org_id, id));
CREATE TABLE t.ledger (id bigint PRIMARY KEY, org_id bigint NOT NULL, account_id bigint NOT NULL);
CREATE TABLE t.global_ledger (id bigint PRIMARY KEY, account_id bigint);  -- no org_id: no key to point at
"""


def test_implied_foreign_keys(conn):
    found = by_table(hits(snapshot_after(conn, FK_SCHEMA), "CON002"))
    refs = {table: f.evidence["references"] for table, f in found.items()}
    assert refs == {
        "invoices": {"customer_id": "t.customers(id)", "voided_invoice_id": "t.invoices(id)"},
        "posts": {"category_id": "t.categories(id)"},  # -ies plural; customer_id bigint is not a uuid key
        "notes": {"invoice_id": "t.invoices(id)"},
        "adjusted": {"invoice_id": "t.invoices(id)"},
        "charges": {"parent_id": "t.charges(id)"},  # self-reference
        "usage": {"pagw_id": "t.pagw(pagw_id)"},  # same name and type as another table's key
        "ev": {"customer_id": "t.customers(id)"},  # judged on the partitioned parent, not per partition
        "ledger": {"account_id": "t.accounts(org_id, id) as (org_id, account_id)"},  # tenant-scoped key
    }
    # linked has its FK; settings.key is a generic name (ar_internal_metadata's key is no target)
    assert found["posts"].evidence["types_differ"] == {"category_id": "integer vs bigint"}
    assert found["invoices"].message.startswith("2 columns look like references")
    # polymorphic (customer_type, customer_id) is named in the evidence, never flagged
    assert found["notes"].evidence["polymorphic_pairs_not_flagged"] == ["(customer_type, customer_id)"]


def test_implied_foreign_key_fixes_run(conn):
    found = by_table(hits(snapshot_after(conn, FK_SCHEMA), "CON002"))
    fix = found["invoices"].fix
    assert "NOT VALID;\nALTER TABLE t.invoices VALIDATE CONSTRAINT invoices_customer_id_fkey;" in fix
    run_fix(conn, fix)
    run_fix(conn, found["ev"].fix)  # partitioned: plain ADD before PostgreSQL 18
    run_fix(conn, found["usage"].fix)
    assert "FOREIGN KEY (org_id, account_id) REFERENCES t.accounts (org_id, id) NOT VALID" in found["ledger"].fix
    run_fix(conn, found["ledger"].fix)
    left = by_table(hits(snapshot_after(conn, "SELECT 1"), "CON002"))
    assert {"invoices", "ev", "usage", "ledger"}.isdisjoint(left) and "posts" in left


def test_polymorphic_pairs_are_context():
    from auditor.engine import CONTEXT

    assert "constraints" in CONTEXT


# ---- CON003 foreign-key-type-mismatch ------------------------------------------------------------

TYPES_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.big (id bigint PRIMARY KEY);
CREATE TABLE t.small (id int PRIMARY KEY);
CREATE TABLE t.codes (code varchar(50) PRIMARY KEY);
CREATE TABLE t.narrow (id bigint PRIMARY KEY, big_id int REFERENCES t.big);
CREATE TABLE t.wide (id bigint PRIMARY KEY, small_id bigint REFERENCES t.small);
CREATE TABLE t.short (id bigint PRIMARY KEY, code varchar(20) REFERENCES t.codes);
CREATE TABLE t.same (id bigint PRIMARY KEY, big_id bigint REFERENCES t.big, code varchar(50) REFERENCES t.codes);
CREATE TABLE t.pnarrow (big_id int REFERENCES t.big, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.pnarrow_1 PARTITION OF t.pnarrow FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
"""


def test_foreign_key_type_mismatch(conn):
    found = by_table(hits(snapshot_after(conn, TYPES_SCHEMA), "CON003"))
    assert set(found) == {"narrow", "wide", "short", "pnarrow"}  # the partition's clone of the key: not again
    assert found["narrow"].severity == "high"
    assert found["wide"].severity == "low"
    assert found["short"].severity == "medium"
    run_fix(conn, found["narrow"].fix)
    run_fix(conn, found["short"].fix)
    run_fix(conn, found["pnarrow"].fix)
    assert set(by_table(hits(snapshot_after(conn, "SELECT 1"), "CON003"))) == {"wide"}


# ---- CON004 set-null-on-not-null-column ----------------------------------------------------------

SET_NULL_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.users (id bigint PRIMARY KEY, org bigint NOT NULL, UNIQUE (org, id));
CREATE TABLE t.bad (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES t.users ON DELETE SET NULL);
CREATE TABLE t.fine (id bigint PRIMARY KEY, user_id bigint REFERENCES t.users ON DELETE SET NULL);
CREATE TABLE t.no_default (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES t.users ON DELETE SET DEFAULT);
CREATE TABLE t.with_default (id bigint PRIMARY KEY,
                             user_id bigint NOT NULL DEFAULT 0 REFERENCES t.users ON DELETE SET DEFAULT);
"""
SET_NULL_COLUMNS = """
CREATE TABLE t.cols (id bigint PRIMARY KEY, org bigint NOT NULL, user_id bigint,
                     FOREIGN KEY (org, user_id) REFERENCES t.users (org, id) ON DELETE SET NULL (user_id));
"""


def test_set_null_on_not_null(conn, pg_server):
    ddl = SET_NULL_SCHEMA + (SET_NULL_COLUMNS if pg_server.major >= 15 else "")  # SET NULL (columns): 15+
    found = by_table(hits(snapshot_after(conn, ddl), "CON004"))
    assert set(found) == {"bad", "no_default"}
    assert found["bad"].evidence["columns"] == ["user_id"]
    # the fix runs and the delete that would have failed now works
    run_fix(conn, found["bad"].fix.split("-- or delete them with it:")[0])
    conn.execute("INSERT INTO t.users VALUES (1, 1); INSERT INTO t.bad VALUES (1, 1); DELETE FROM t.users")
    cascade = found["no_default"].fix.split("-- or delete them with it:\n")[1]
    run_fix(conn, cascade)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON004")


# ---- CON005 constraint-not-validated -------------------------------------------------------------


def test_not_valid_constraints(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.p (id bigint PRIMARY KEY);
        CREATE TABLE t.c (id bigint PRIMARY KEY, p_id bigint, qty int);
        ALTER TABLE t.c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES t.p NOT VALID;
        ALTER TABLE t.c ADD CONSTRAINT "Qty Positive" CHECK (qty > 0) NOT VALID;
        ALTER TABLE t.c ADD CONSTRAINT qty_small CHECK (qty < 100);
        """,
    )
    found = {f.obj.name: f for f in hits(snap, "CON005")}
    assert set(found) == {"c_p_fk", "Qty Positive"}
    for f in found.values():
        run_fix(conn, f.fix)
    assert found["Qty Positive"].fix == 'ALTER TABLE t.c VALIDATE CONSTRAINT "Qty Positive";'
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON005")


# ---- CON006 free-text-enum-column ----------------------------------------------------------------

ENUM_SCHEMA = """
CREATE SCHEMA t;
CREATE TYPE t.mood AS ENUM ('ok', 'bad');
CREATE TABLE t.lookup (code text PRIMARY KEY);
CREATE TABLE t.tickets (id bigint PRIMARY KEY, status text NOT NULL, payment_status varchar(20),
                        severity text CHECK (severity IN ('low', 'high')), mood t.mood, kind text REFERENCES t.lookup,
                        content_type text, owner_type varchar, owner_id bigint, priority_level int, title text);
CREATE TABLE t.addresses (id bigint PRIMARY KEY, city text, zipcode text, state text,
                          shipping_city text, shipping_state text);
CREATE TABLE t.things (id bigint PRIMARY KEY, type text);
"""


def test_free_text_enum(conn):
    found = by_column(hits(snapshot_after(conn, ENUM_SCHEMA), "CON006"))
    assert set(found) == {("tickets", "status"), ("tickets", "payment_status"), ("things", "type")}
    assert found[("tickets", "status")].evidence["values_seen"] == "table is empty (no statistics to judge)"
    assert found[("tickets", "status")].fix.splitlines()[-1].startswith("-- ")  # no values: a template, commented


def test_free_text_enum_says_why_there_are_no_statistics(pg_server):
    ddl = """
        CREATE SCHEMA t;
        CREATE TABLE t.empty_analyzed (id int PRIMARY KEY, status text);
        CREATE TABLE t.never_analyzed (id int PRIMARY KEY, status text);
        INSERT INTO t.never_analyzed SELECT g, 'open' FROM generate_series(1, 100) g;
        CREATE TABLE t.many_values (id int PRIMARY KEY, status text);
        INSERT INTO t.many_values SELECT g, 'status ' || g FROM generate_series(1, 40) g;
        ANALYZE t.empty_analyzed, t.many_values;
    """
    with scratch_database(pg_server, "con006_stats", ddl) as dsn, psycopg.connect(dsn, autocommit=True) as c:
        for _ in range(50):  # committed inserts reach the cumulative statistics within a second or so
            if c.execute("SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'never_analyzed'").fetchone()[0]:
                break
            time.sleep(0.1)
        snap = snapshot_of(dsn)
        found = by_column(hits(snap, "CON006"))
        _judge_missing_statistics(c, snap, found)


def _judge_missing_statistics(conn, snap, found) -> None:
    assert snap.column_stats_of.get(("t", "empty_analyzed", "status")) is None  # ANALYZE wrote no row
    empty = found[("empty_analyzed", "status")]
    assert empty.evidence["values_seen"] == "table is empty (no statistics to judge)"
    assert empty.severity == "info" and "table is empty" in empty.message
    assert "not analyzed" not in empty.message + empty.fix and "stale" not in empty.message
    run_fix(conn, empty.fix)  # a commented template: runs as printed, changes nothing
    never = found[("never_analyzed", "status")]
    assert never.evidence["values_seen"] == "unknown (no pg_stats for this column: table never analyzed)"
    assert never.severity == "low" and "empty" not in never.message
    run_fix(conn, never.fix)
    many = found[("many_values", "status")]  # analyzed, 40 distinct of 40 rows: pg_stats lists no small set
    assert many.evidence["values_seen"].startswith("unknown (pg_stats lists no small set")
    assert many.severity == "low"


def test_free_text_enum_uses_pg_stats_values(conn):
    snap = snapshot_after(
        conn,
        ENUM_SCHEMA
        + """
        INSERT INTO t.tickets (id, status) SELECT g, (ARRAY['open', 'closed', 'pending'])[1 + g % 3]
        FROM generate_series(1, 300) g;
        ANALYZE t.tickets;
        """,
    )
    f = by_column(hits(snap, "CON006"))[("tickets", "status")]
    assert f.evidence["values_seen"] == ["closed", "open", "pending"]
    run_fix(conn, f.fix)
    assert ("tickets", "status") not in by_column(hits(snapshot_after(conn, "SELECT 1"), "CON006"))


def test_free_text_enum_spelling_variants_and_partitioned_stats(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.subs (id int PRIMARY KEY, status varchar(20));
        INSERT INTO t.subs
        SELECT g, (ARRAY['active', 'active', 'Active', 'canceled', 'cancelled', 'past_due'])[1 + g % 6]
        FROM generate_series(1, 600) g;
        CREATE TABLE t.ev (id int, at date NOT NULL, event_type text) PARTITION BY RANGE (at);
        CREATE TABLE t.ev_1 PARTITION OF t.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        INSERT INTO t.ev SELECT g, '2024-02-01', (ARRAY['a.created', 'a.deleted'])[1 + g % 2]
        FROM generate_series(1, 200) g;
        ANALYZE t.subs, t.ev;
        """,
    )
    found = by_column(hits(snap, "CON006"))
    subs = found[("subs", "status")]
    assert subs.severity == "medium"
    assert subs.evidence["spelling_variants"] == {"active": ["Active"], "canceled": ["cancelled"]}
    assert "CHECK (status IN ('active', 'canceled', 'past_due'))" in subs.fix
    assert found[("ev", "event_type")].evidence["values_seen"] == ["a.created", "a.deleted"]  # parent's own stats
    run_fix(conn, subs.fix)
    run_fix(conn, found[("ev", "event_type")].fix)  # NOT VALID then VALIDATE works on a partitioned table
    assert conn.execute("SELECT count(DISTINCT status) FROM t.subs").fetchone()[0] == 3


def test_free_text_enum_skips_rails_sti_type(conn):
    snap = snapshot_after(
        conn,
        ENUM_SCHEMA
        + """
        CREATE TABLE t.schema_migrations (version varchar PRIMARY KEY);
        CREATE TABLE t.ar_internal_metadata (key varchar PRIMARY KEY, value varchar);
        """,
    )
    assert ("things", "type") not in by_column(hits(snap, "CON006"))


# ---- CON007 unbounded-number ---------------------------------------------------------------------

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


# ---- CON008 timestamp-without-time-zone ----------------------------------------------------------


def test_timestamp_without_time_zone(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.a (id int PRIMARY KEY, created_at timestamp, updated_at timestamp(6), ok timestamptz);
    CREATE TABLE t.b (id int PRIMARY KEY, at timestamptz);
    CREATE TABLE t.c (id int PRIMARY KEY, at timestamptz);
    CREATE TABLE t.p (id int, at timestamp NOT NULL, seen timestamp) PARTITION BY RANGE (at);
    CREATE TABLE t.p_1 PARTITION OF t.p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    """
    found = by_table(hits(snapshot_after(conn, ddl), "CON008"))
    assert set(found) == {"a", "p"}
    assert found["a"].evidence["columns"] == ["created_at", "updated_at"]
    run_fix(conn, found["a"].fix)
    assert "in the partition key" in found["p"].fix  # cannot be altered in place: said, not attempted
    run_fix(conn, found["p"].fix)
    left = by_table(hits(snapshot_after(conn, "SELECT 1"), "CON008"))
    assert set(left) == {"p"} and left["p"].evidence["columns"] == ["at"]


def test_timestamp_rolls_up_in_small_schema_when_nearly_everywhere(conn):
    ddl = "CREATE SCHEMA t;" + "".join(f"CREATE TABLE t.x{i} (id int, at timestamp);" for i in range(4))
    (f,) = hits(snapshot_after(conn, ddl + "CREATE TABLE t.y (id int, at timestamptz);"), "CON008")
    assert f.obj.kind == "schema" and "in 4 of 5 tables" in f.message


def test_timestamp_rolls_up_when_everywhere(conn):
    ddl = "CREATE SCHEMA t;" + "".join(f"CREATE TABLE t.x{i} (id int, created_at timestamp);" for i in range(12))
    (f,) = hits(snapshot_after(conn, ddl), "CON008")
    assert f.obj.kind == "schema" and f.obj.name == "t"
    assert "12 timestamp without time zone columns in 12 of 12 tables" in f.message
    assert f.evidence["most_common"] == ["created_at (12 tables)"]


# ---- CON009 updated-at-without-trigger -----------------------------------------------------------

TRIGGER_SCHEMA = """
CREATE SCHEMA t;
CREATE FUNCTION t.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated_at = now(); RETURN NEW; END$$;
CREATE TABLE t.a (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE t.b (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE t.c (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE t.no_col (id int PRIMARY KEY);
CREATE TRIGGER set_updated_at BEFORE UPDATE ON t.a FOR EACH ROW EXECUTE FUNCTION t.touch();
CREATE TRIGGER set_updated_at BEFORE UPDATE ON t.b FOR EACH ROW EXECUTE FUNCTION t.touch();
CREATE SCHEMA orm;
CREATE TABLE orm.x (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE orm.y (id int PRIMARY KEY, updated_at timestamptz);
"""


def test_updated_at_without_trigger(conn):
    found = by_table(hits(snapshot_after(conn, TRIGGER_SCHEMA), "CON009"))
    assert set(found) == {"c"}  # orm.* have no triggers anywhere: the ORM's job, not judged
    assert found["c"].evidence["function_used_elsewhere"] == "t.touch"
    run_fix(conn, found["c"].fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON009")


def test_updated_at_trigger_disabled_counts_as_missing(conn):
    ddl = (
        TRIGGER_SCHEMA
        + """
    CREATE TABLE t.d (id int PRIMARY KEY, updated_at timestamptz);
    CREATE TRIGGER set_updated_at BEFORE UPDATE ON t.d FOR EACH ROW EXECUTE FUNCTION t.touch();
    ALTER TABLE t.b DISABLE TRIGGER set_updated_at;
    """
    )
    found = by_table(hits(snapshot_after(conn, ddl), "CON009"))
    assert set(found) == {"b", "c"}
    assert found["b"].fix.startswith("ALTER TABLE t.b ENABLE TRIGGER set_updated_at;")
    run_fix(conn, found["b"].fix)
    assert set(by_table(hits(snapshot_after(conn, "SELECT 1"), "CON009"))) == {"c"}


# ---- CON010 column-type-drift --------------------------------------------------------------------


def test_column_type_drift(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.a (id bigint PRIMARY KEY, org_id bigint, name text, created_at timestamp, owner_id uuid,
                      units numeric(30,10), item_type text);
    CREATE TABLE t.b (id int PRIMARY KEY, org_id bigint, name varchar(10), created_at timestamp(6), owner_id uuid,
                      units numeric(30,10), item_type int);
    CREATE TABLE t.c (id int PRIMARY KEY, org_id integer, name char(3), created_at timestamp, owner_id bigint,
                      units numeric);
    """
    found = {f.obj.name: f for f in hits(snapshot_after(conn, ddl), "CON010")}
    # id/name are generic, item_type means different things per table; timestamp(6) is timestamp
    assert set(found) == {"org_id", "owner_id", "units"}
    assert found["units"].fix.endswith("ALTER TABLE t.c ALTER COLUMN units TYPE numeric(30,10);")
    assert found["org_id"].obj.display == "t.org_id"
    assert found["org_id"].severity == "low" and found["owner_id"].severity == "medium"
    assert found["org_id"].fix.endswith("ALTER TABLE t.c ALTER COLUMN org_id TYPE bigint;")
    run_fix(conn, found["org_id"].fix)
    assert "org_id" not in {f.obj.name for f in hits(snapshot_after(conn, "SELECT 1"), "CON010")}


# ---- CON011 sequence-exhaustion ------------------------------------------------------------------

SEQ_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.serial_full (id serial PRIMARY KEY);
SELECT setval('t.serial_full_id_seq', 2000000000);
CREATE TABLE t.serial_fine (id serial PRIMARY KEY);
SELECT setval('t.serial_fine_id_seq', 1000);
CREATE TABLE t.ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
SELECT setval(pg_get_serial_sequence('t.ident', 'id'), 1700000000);
CREATE SEQUENCE t.shared AS bigint;
CREATE TABLE t.narrow (id int PRIMARY KEY DEFAULT nextval('t.shared'));
SELECT setval('t.shared', 1800000000);
CREATE TABLE t.child (id bigint PRIMARY KEY, parent_id int REFERENCES t.serial_full);
CREATE SEQUENCE t.cycling AS int CYCLE;
SELECT setval('t.cycling', 2100000000);
CREATE SEQUENCE t.unused;
"""


def test_sequence_exhaustion(conn):
    found = {f.obj.name: f for f in hits(snapshot_after(conn, SEQ_SCHEMA), "CON011")}
    assert set(found) == {"serial_full_id_seq", "ident_id_seq", "shared"}
    assert found["serial_full_id_seq"].severity == "high"  # 93%
    assert found["serial_full_id_seq"].evidence["referenced_by"] == ["t.child(parent_id)"]
    assert found["shared"].evidence["limited_by"] == "column type integer"  # a bigint sequence feeding an int
    for f in found.values():
        run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON011")


def test_sequence_threshold_is_configurable(conn):
    snap = snapshot_after(conn, SEQ_SCHEMA)
    snap.settings = {"sequence_used_share": 0.9}
    assert {f.obj.name for f in hits(snap, "CON011")} == {"serial_full_id_seq"}


# ---- CON012 foreign-key-partly-null --------------------------------------------------------------


def test_foreign_key_partly_null(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.p (org bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (org, id));
    CREATE TABLE t.loose (org bigint NOT NULL, p_id bigint, FOREIGN KEY (org, p_id) REFERENCES t.p);
    CREATE TABLE t.full_match (org bigint, p_id bigint, FOREIGN KEY (org, p_id) REFERENCES t.p MATCH FULL);
    CREATE TABLE t.strict (org bigint NOT NULL, p_id bigint NOT NULL, FOREIGN KEY (org, p_id) REFERENCES t.p);
    CREATE TABLE t.single (p_id bigint, org bigint NOT NULL, FOREIGN KEY (org, p_id) REFERENCES t.p (org, id));
    CREATE TABLE t."Odd P" ("Org" bigint, "I d" bigint, PRIMARY KEY ("Org", "I d"));
    CREATE TABLE t.odd (o bigint, i bigint, FOREIGN KEY (o, i) REFERENCES t."Odd P" ("Org", "I d") ON DELETE CASCADE);
    """
    found = by_table(hits(snapshot_after(conn, ddl), "CON012"))
    assert set(found) == {"loose", "single", "odd"}
    run_fix(conn, found["odd"].fix.split("-- or all-or-nothing NULLs:\n")[1])  # quoted names keep MATCH FULL in place
    assert found["loose"].evidence["nullable_columns"] == ["p_id"]
    run_fix(conn, found["loose"].fix.split("-- or all-or-nothing NULLs:\n")[1])
    run_fix(conn, found["single"].fix.split("-- or all-or-nothing NULLs:\n")[0])
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON012")


# ---- CON013 duplicate-foreign-key ----------------------------------------------------------------


def test_duplicate_foreign_key(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.p (id bigint PRIMARY KEY, code text UNIQUE);
    CREATE TABLE t.c (id bigint PRIMARY KEY, p_id bigint, code text,
                      CONSTRAINT a_fk FOREIGN KEY (p_id) REFERENCES t.p,
                      CONSTRAINT b_fk FOREIGN KEY (p_id) REFERENCES t.p ON DELETE CASCADE,
                      CONSTRAINT code_fk FOREIGN KEY (code) REFERENCES t.p (code));
    """
    (f,) = hits(snapshot_after(conn, ddl), "CON013")
    assert f.obj.name == "b_fk" and f.severity == "medium"  # the actions differ
    run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON013")


# ---- CON014 discouraged-column-type --------------------------------------------------------------


def test_discouraged_column_types(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.pay (id bigint PRIMARY KEY, amount money, raw json, currency char(3), flag char(1), doc jsonb);
    CREATE TABLE t.fine (id bigint PRIMARY KEY, amount numeric, doc jsonb);
    """
    (f,) = hits(snapshot_after(conn, ddl), "CON014")
    assert f.obj.table == "pay" and f.evidence["columns"] == {
        "amount": "money",
        "raw": "json",
        "currency": "character(3)",
    }
    run_fix(conn, f.fix)
    assert not hits(snapshot_after(conn, "SELECT 1"), "CON014")


# ---- which schemas are the application's ---------------------------------------------------------


def test_schema_holding_an_extension_is_still_judged(conn, pg_server):
    """public often holds pgcrypto or pg_trgm beside the application's tables; partman's schema holds templates."""
    available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
    if "pgcrypto" not in available:
        pytest.skip("pgcrypto is not installed")
    ddl = "CREATE SCHEMA t; CREATE EXTENSION pgcrypto SCHEMA t; CREATE TABLE t.no_key (a int);"
    if pg_server.partman:
        ddl += "CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman;"
        ddl += "CREATE TABLE partman.template_t_ev (a int);"
    found = {(f.obj.schema, f.obj.table) for f in hits(snapshot_after(conn, ddl), "CON001")}
    assert ("t", "no_key") in found
    assert not any(schema == "partman" for schema, _ in found)


# ---- CON015 nullable-unique-key ------------------------------------------------------------------

UNIQUE_SCHEMA = """
CREATE SCHEMA t;
CREATE TABLE t.ic (id bigint PRIMARY KEY, customer_id bigint NOT NULL, category text, code text,
                   deleted_at timestamptz, kind text, plan_id bigint, subscription_id bigint,
                   CHECK ((plan_id IS NOT NULL) <> (subscription_id IS NOT NULL)));
CREATE UNIQUE INDEX ic_cat_code ON t.ic (customer_id, category, code);
CREATE UNIQUE INDEX ic_single ON t.ic (code);
CREATE UNIQUE INDEX ic_partial_ok ON t.ic (customer_id, code) WHERE code IS NOT NULL;
CREATE UNIQUE INDEX ic_partial_eq ON t.ic (customer_id, kind) WHERE kind = 'main' AND deleted_at IS NULL;
CREATE UNIQUE INDEX ic_partial_other ON t.ic (customer_id, category) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX ic_arc ON t.ic (customer_id, plan_id);
CREATE UNIQUE INDEX ic_nnd ON t.ic (customer_id, code, category) NULLS NOT DISTINCT;
CREATE TABLE t.u (a int NOT NULL, b int, UNIQUE (a, b));
"""


def test_nullable_unique_key(conn, pg_server):
    if pg_server.major < 15:
        pytest.skip("NULLS NOT DISTINCT needs PostgreSQL 15")
    found = {f.obj.name: f for f in hits(snapshot_after(conn, UNIQUE_SCHEMA), "CON015")}
    # single-column, IS NOT NULL / = predicates, exclusive arcs ruled by a CHECK, NULLS NOT DISTINCT: left out
    assert set(found) == {"ic_cat_code", "ic_partial_other", "u_a_b_key"}
    assert found["ic_cat_code"].evidence["nullable_columns"] == ["category", "code"]
    assert "SET NOT NULL" in found["u_a_b_key"].fix and "NULLS NOT DISTINCT" not in found["u_a_b_key"].fix
    fix = found["ic_partial_other"].fix.split("-- or, if the column")[0]
    assert "NULLS NOT DISTINCT WHERE (deleted_at IS NULL);" in fix
    run_fix(conn, fix.replace("DROP INDEX CONCURRENTLY", "DROP INDEX"))
    run_fix(
        conn, found["ic_cat_code"].fix.split("-- or, if the column")[0].replace("DROP INDEX CONCURRENTLY", "DROP INDEX")
    )
    left = {f.obj.name for f in hits(snapshot_after(conn, "SELECT 1"), "CON015")}
    assert left == {"u_a_b_key"}


def test_sequence_exhaustion_not_evaluated_without_privilege(conn):
    """A role that may not read any sequence gets not_evaluated, never a silent pass."""
    from auditor.engine import run_rule
    from auditor.engine.config import Config

    snap = snapshot_after(
        conn,
        SEQ_SCHEMA
        + """
        CREATE ROLE con_no_seq_reader;
        GRANT USAGE ON SCHEMA t TO con_no_seq_reader;
        SET ROLE con_no_seq_reader;
        """,
    )
    conn.execute("RESET ROLE")
    status, found = run_rule(load_all()["CON011"], snap, Config())
    assert status.status == "not_evaluated" and not found
    assert "SELECT or USAGE" in status.reason


# ---- CON016 boolean-stored-as-text ---------------------------------------------------------------


def test_boolean_stored_as_text(conn):
    snap = snapshot_after(
        conn,
        """
        CREATE SCHEMA t;
        CREATE TABLE t.u (id int PRIMARY KEY, is_admin varchar(1) DEFAULT 'N', active text, grade text, country text);
        INSERT INTO t.u SELECT g, CASE WHEN g % 2 = 0 THEN 'Y' ELSE 'N' END,
               CASE WHEN g % 3 = 0 THEN 'true' ELSE 'false' END, (ARRAY['A', 'B', 'C'])[1 + g % 3], 'NO'
        FROM generate_series(1, 200) g;
        ANALYZE t.u;
        """,
    )
    found = by_column(hits(snap, "CON016"))
    assert set(found) == {("u", "is_admin"), ("u", "active")}
    assert found[("u", "is_admin")].evidence["values_seen"] == ["N", "Y"]
    for f in found.values():
        run_fix(conn, f.fix)
    assert conn.execute("SELECT count(*) FROM t.u WHERE is_admin").fetchone()[0] == 100
    assert not hits(snapshot_after(conn, "ANALYZE t.u"), "CON016")


def test_type_change_fixes_warn_about_views_that_block_them(conn):
    snap = snapshot_after(
        conn,
        "CREATE SCHEMA tv; CREATE TABLE tv.log (id bigint PRIMARY KEY, at timestamp NOT NULL);"
        "CREATE VIEW tv.recent AS SELECT id, at FROM tv.log;",
    )
    (f,) = [f for f in hits(snap, "CON008") if f.obj.schema == "tv"]
    assert "1 view(s) read these tables (tv.recent)" in f.fix
    # As the note says: the ALTER fails while the view exists, and runs once it is dropped and recreated.
    alter = f.fix[f.fix.index("ALTER TABLE") :].split(";")[0]
    conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.FeatureNotSupported):
        conn.execute(alter)
    conn.execute("ROLLBACK TO SAVEPOINT s")
    conn.execute("DROP VIEW tv.recent")
    conn.execute(alter)
    conn.execute("CREATE VIEW tv.recent AS SELECT id, at FROM tv.log")
