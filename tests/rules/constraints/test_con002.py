"""CON002 implied-foreign-key on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from auditor.rules.constraints.con002_implied_foreign_key import _unique_on

from support import by_table, hits, run_fix, snapshot_after

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
    assert "NOT VALID;\n" in fix and "    ALTER TABLE t.invoices VALIDATE CONSTRAINT invoices_customer_id_fkey;" in fix
    run_fix(conn, fix)
    run_fix(conn, found["ev"].fix)  # partitioned: plain ADD before PostgreSQL 18
    run_fix(conn, found["usage"].fix)
    assert "FOREIGN KEY (org_id, account_id) REFERENCES t.accounts (org_id, id) NOT VALID" in found["ledger"].fix
    run_fix(conn, found["ledger"].fix)
    left = by_table(hits(snapshot_after(conn, "SELECT 1"), "CON002"))
    assert {"invoices", "ev", "usage", "ledger"}.isdisjoint(left) and "posts" in left


def test_implied_foreign_key_fix_adds_nothing_over_orphans(conn):
    # The audit reads no rows: a row pointing at a missing parent is found when the fix runs, which then adds
    # nothing (a NOTICE says why) instead of failing and stopping the rest of a fix script.
    found = by_table(hits(snapshot_after(conn, FK_SCHEMA), "CON002"))
    conn.execute("INSERT INTO t.invoices (id, customer_id) VALUES (gen_random_uuid(), gen_random_uuid())")
    run_fix(conn, found["invoices"].fix)
    assert not conn.execute("SELECT FROM pg_constraint WHERE conname = 'invoices_customer_id_fkey'").fetchall()
    assert "invoices" in by_table(hits(snapshot_after(conn, "SELECT 1"), "CON002"))


SENTINELS = """
CREATE SCHEMA sn;
CREATE TABLE sn.milestones (id bigint PRIMARY KEY);
CREATE TABLE sn.boards (id bigint PRIMARY KEY, milestone_id bigint,
                        CHECK (milestone_id > 0 OR milestone_id IN (-1, -2)));
CREATE TABLE sn.filters (id bigint PRIMARY KEY, milestone_id bigint NOT NULL DEFAULT -1);
CREATE TABLE sn.issues (id bigint PRIMARY KEY, milestone_id bigint CHECK (milestone_id > 0),
                        weight int CHECK (weight > -5));
"""


def test_sentinel_ids_from_the_catalog_are_low(conn):
    """A CHECK naming negative markers or a negative DEFAULT says the column holds sentinels no row of the
    target has; a CHECK on another column, or one naming no negative number, says nothing."""
    found = by_table(hits(snapshot_after(conn, SENTINELS), "CON002"))
    assert {t: f.severity for t, f in found.items()} == {"boards": "low", "filters": "low", "issues": "medium"}
    assert "allows negative values" in found["boards"].evidence["why"]["milestone_id"]
    assert "DEFAULT" in found["filters"].evidence["why"]["milestone_id"]


def test_references_across_databases_are_not_suggested(conn):
    """Tables an application keeps in separate databases (`databases`) cannot be joined by a key; a table
    not listed, or two in one database, still can."""
    snap = snapshot_after(
        conn,
        "CREATE SCHEMA xd; CREATE TABLE xd.projects (id bigint PRIMARY KEY);"
        "CREATE TABLE xd.ci_builds (id bigint PRIMARY KEY, project_id bigint NOT NULL);"
        "CREATE TABLE xd.issues (id bigint PRIMARY KEY, project_id bigint NOT NULL);",
    )
    snap.settings = {"databases": {"ci_builds": "ci", "xd.projects": "main", "issues": "main"}}
    found = by_table(hits(snap, "CON002"))
    assert set(found) == {"issues"}
    snap.settings = {}
    snap.__dict__.pop("_once", None)
    assert set(by_table(hits(snap, "CON002"))) == {"ci_builds", "issues"}


def test_version_trail_is_history(conn):
    """PaperTrail's shape (item_type, item_id, event, object) is a history table whatever its name: its
    rows outlive the users they mention (low); a table merely named *_versions is not."""
    found = by_table(
        hits(
            snapshot_after(
                conn,
                "CREATE SCHEMA vt; CREATE TABLE vt.users (id bigint PRIMARY KEY);"
                "CREATE TABLE vt.seat_versions (id bigint PRIMARY KEY, item_type text NOT NULL, item_id bigint,"
                " event text NOT NULL, object jsonb, user_id bigint);"
                "CREATE TABLE vt.dashboard_versions (id bigint PRIMARY KEY, user_id bigint, body text);",
            ),
            "CON002",
        ),
    )
    assert {t: f.severity for t, f in found.items()} == {"seat_versions": "low", "dashboard_versions": "medium"}


def test_a_key_is_referenced_only_through_a_unique_index_on_exactly_its_columns(conn):
    # GitLab's ci_runners is partitioned, its key (id, runner_type): no unique key on id alone, and a foreign key
    # to ci_runners (id) fails ("no unique constraint matching given keys"), so the fix adds none there.
    snap = snapshot_after(
        conn,
        "CREATE SCHEMA nu; CREATE TABLE nu.runners (id bigint, kind int, PRIMARY KEY (id, kind))"
        " PARTITION BY LIST (kind); CREATE TABLE nu.plain (id bigint PRIMARY KEY, code text UNIQUE);",
    )
    runners, plain = snap.table_by_name[("nu", "runners")], snap.table_by_name[("nu", "plain")]
    assert not _unique_on(snap, runners, ["id"]) and _unique_on(snap, runners, ["kind", "id"])
    assert _unique_on(snap, plain, ["id"]) and _unique_on(snap, plain, ["code"])
