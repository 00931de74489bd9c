"""CON015 nullable-unique-key on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

import pytest

from support import hits, run_fix, snapshot_after

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
CREATE UNIQUE INDEX ic_id_kind ON t.ic (id, kind) WHERE deleted_at IS NULL;
CREATE TABLE t.u (a int NOT NULL, b int, UNIQUE (a, b));
"""


def test_nullable_unique_key(conn, pg_server):
    if pg_server.major < 15:
        pytest.skip("NULLS NOT DISTINCT needs PostgreSQL 15")
    found = {f.obj.name: f for f in hits(snapshot_after(conn, UNIQUE_SCHEMA), "CON015")}
    # single-column, IS NOT NULL / = predicates, exclusive arcs ruled by a CHECK, NULLS NOT DISTINCT, and a key
    # whose NOT NULL columns are unique on their own (the primary key's id): left out
    assert set(found) == {"ic_cat_code", "ic_partial_other", "u_a_b_key"}
    assert found["ic_cat_code"].evidence["nullable_columns"] == ["category", "code"]
    assert "SET NOT NULL" in found["u_a_b_key"].fix and "NULLS NOT DISTINCT" not in found["u_a_b_key"].fix
    fix = found["ic_partial_other"].fix.split("-- or, instead, if the column")[0]
    assert "NULLS NOT DISTINCT WHERE (deleted_at IS NULL);" in fix
    run_fix(conn, fix)
    run_fix(conn, found["ic_cat_code"].fix.split("-- or, instead, if the column")[0])
    left = {f.obj.name for f in hits(snapshot_after(conn, "SELECT 1"), "CON015")}
    assert left == {"u_a_b_key"}


def test_swap_after_another_fix_replaced_the_index(conn, pg_server):
    """ISO014 and CON015 on one index: ISO014's fix runs first in the script and replaces the index. CON015's
    swap then finds the old index gone: it drops the index it just built and stops there, with no error."""
    if pg_server.major < 15:
        pytest.skip("NULLS NOT DISTINCT needs PostgreSQL 15")
    (f,) = hits(
        snapshot_after(
            conn, "CREATE SCHEMA t; CREATE TABLE t.u (a int NOT NULL, b int); CREATE UNIQUE INDEX ub ON t.u (a, b);"
        ),
        "CON015",
    )
    conn.execute("DROP INDEX t.ub")
    run_fix(conn, f.fix)
    assert conn.execute("SELECT count(*) FROM pg_index WHERE indrelid = 't.u'::regclass").fetchone() == (0,)


def test_swap_is_built_from_the_index_parts_not_its_printed_definition(conn, pg_server):
    """An index name holding ` ON <table> USING ` and a statement: cutting the printed definition at ` ON `
    used to splice that statement into the CREATE. Built from the parts, the name stays a name."""
    if pg_server.major < 15:
        pytest.skip("NULLS NOT DISTINCT needs PostgreSQL 15")
    hostile = "k ON t.ic USING btree (id); DROP TABLE t.canary; --"
    (f,) = hits(
        snapshot_after(
            conn,
            "CREATE SCHEMA t; CREATE TABLE t.canary (id int);"
            "CREATE TABLE t.ic (id bigint PRIMARY KEY, customer_id bigint NOT NULL, category text);"
            f'CREATE UNIQUE INDEX "{hostile}" ON t.ic (customer_id, category);',
        ),
        "CON015",
    )
    run_fix(conn, f.fix)
    assert conn.execute("SELECT to_regclass('t.canary') IS NOT NULL").fetchone() == (True,)
    assert conn.execute(
        "SELECT indnullsnotdistinct FROM pg_index WHERE indexrelid = to_regclass(%s)", (f't."{hostile}"',)
    ).fetchone() == (True,)  # the swap ran whole: the new index carries the old name
