"""PRIMARY KEY, UNIQUE and FOREIGN KEY definitions built in Python (auditor/constraintdef.py) are byte-for-byte
pg_get_constraintdef(oid, true), as the constraints query read it before, on a corpus of every shape they print:
weird names, every action, match type, deferral, NOT VALID, INCLUDE, NULLS NOT DISTINCT, SET NULL (cols),
partitions, and (PostgreSQL 18) WITHOUT OVERLAPS, PERIOD and NOT ENFORCED."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from auditor.catalog.collect import query_for
from auditor.catalog.db import PINNED_SEARCH_PATH
from auditor.catalog.snapshot_file import from_dict, load, save, to_dict

from scratch import admin, scratch_database, snapshot_of

DB = "pga_condef"
ACTIONS = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]
CORPUS = '''
CREATE SCHEMA app;
CREATE SCHEMA "Other ""Schema"" é";
CREATE TABLE "Other ""Schema"" é"."Weird ""Table"" select 日本" (
    "Id" int, "select" int, "ü nicode" text, "a$b" int, json_table int, "user" int, name int,
    PRIMARY KEY ("Id", "select"),
    CONSTRAINT "Uq ""quoted""" UNIQUE ("ü nicode", "a$b", json_table, "user", name));
CREATE TABLE app.parent (
    id bigint PRIMARY KEY WITH (fillfactor=70),
    org_id bigint NOT NULL,
    code text,
    note text,
    "Mixed" text,
    UNIQUE (org_id, id),
    UNIQUE (code) WITH (fillfactor=70),
    CONSTRAINT parent_note_incl UNIQUE (note) INCLUDE (code, "Mixed"),
    CHECK (org_id > 0));
CREATE TABLE app.incl_pk (id int, a text, "B b" text, PRIMARY KEY (id) INCLUDE (a, "B b"));
CREATE TABLE app.child (
    id bigint PRIMARY KEY,
    org_id bigint DEFAULT 1,
    parent_id bigint DEFAULT 1,
    code text,
    "Id" int, "select" int,
    up_id bigint REFERENCES app.child,
    FOREIGN KEY (org_id, parent_id) REFERENCES app.parent (org_id, id) MATCH FULL,
    FOREIGN KEY ("Id", "select") REFERENCES "Other ""Schema"" é"."Weird ""Table"" select 日本"
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "FK ""odd"" name" FOREIGN KEY (code) REFERENCES app.parent (code)
        ON UPDATE CASCADE DEFERRABLE INITIALLY IMMEDIATE);
CREATE TABLE app.actions (id int PRIMARY KEY, p bigint DEFAULT 1);
ALTER TABLE app.child ADD CONSTRAINT child_unvalidated FOREIGN KEY (parent_id) REFERENCES app.parent NOT VALID;
ALTER TABLE app.child ADD CONSTRAINT child_deferrable_unvalidated FOREIGN KEY (org_id, parent_id)
    REFERENCES app.parent (org_id, id) DEFERRABLE NOT VALID;
CREATE TABLE app.events (id bigint, at date NOT NULL, parent_id bigint REFERENCES app.parent ON DELETE SET NULL,
    PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.event_notes (id bigint, at date, FOREIGN KEY (id, at) REFERENCES app.events ON UPDATE RESTRICT);
CREATE TABLE app.checked (x int CHECK (x > 0) NO INHERIT, EXCLUDE USING btree (x WITH =));
''' + "\n".join(
    f"ALTER TABLE app.actions ADD CONSTRAINT act_{d}_{u} FOREIGN KEY (p) REFERENCES app.parent "
    f"ON DELETE {ACTIONS[d]} ON UPDATE {ACTIONS[u]};"
    for d in range(5)
    for u in range(5)
)
PG15 = """
CREATE TABLE app.nnd (a int, b int, UNIQUE NULLS NOT DISTINCT (a, b), CONSTRAINT nnd_incl UNIQUE NULLS NOT DISTINCT (b)
    INCLUDE (a));
CREATE TABLE app.setnull (org_id bigint DEFAULT 1, parent_id bigint, "Odd col" bigint,
    FOREIGN KEY (org_id, parent_id) REFERENCES app.parent (org_id, id) ON DELETE SET NULL (parent_id),
    FOREIGN KEY ("Odd col", parent_id) REFERENCES app.parent (org_id, id) ON DELETE SET DEFAULT (parent_id, "Odd col"));
CREATE TABLE app.part_setnull (org_id bigint, parent_id bigint, at date,
    FOREIGN KEY (org_id, parent_id) REFERENCES app.parent (org_id, id) ON DELETE SET NULL (parent_id))
    PARTITION BY LIST (at);
CREATE TABLE app.part_setnull_a PARTITION OF app.part_setnull DEFAULT;
"""
PG18 = """
CREATE TABLE app.rooms (id int4range, during tstzrange, PRIMARY KEY (id, during WITHOUT OVERLAPS));
CREATE TABLE app.slots (id int4range, during tstzrange, UNIQUE (id, during WITHOUT OVERLAPS));
CREATE TABLE app.bookings (room int4range, during tstzrange,
    FOREIGN KEY (room, PERIOD during) REFERENCES app.rooms (id, PERIOD during));
ALTER TABLE app.child ADD CONSTRAINT child_not_enforced FOREIGN KEY (parent_id) REFERENCES app.parent NOT ENFORCED;
"""


@pytest.fixture(scope="module")
def corpus(pg_server) -> Iterator[tuple[str, str | None]]:
    """The corpus database, and the name of a tablespace its UNIQUE index lives in (None: none could be made)."""
    ddl = CORPUS + (PG15 if pg_server.major >= 15 else "") + (PG18 if pg_server.major >= 18 else "")
    cluster = pg_server.cluster
    space = None
    if cluster is not None:  # a tablespace needs a directory the server owns: only on our own throwaway cluster
        location = cluster.base / "ts_condef"
        location.mkdir(exist_ok=True)
        if cluster.user:
            shutil.chown(location, cluster.user)
        admin(pg_server.dsn_for(), f"CREATE TABLESPACE \"ts condef\" LOCATION '{location}'")
        space = "ts condef"
    try:
        with scratch_database(pg_server, DB, ddl) as dsn:
            if space:
                admin(dsn, 'CREATE TABLE app.spaced (a int UNIQUE USING INDEX TABLESPACE "ts condef")')
            yield dsn, space
    finally:
        if space:
            admin(pg_server.dsn_for(), 'DROP TABLESPACE "ts condef"')


def server_definitions(dsn: str) -> dict[int, str]:
    """pg_get_constraintdef(oid, true) of every constraint, under the audit's search_path."""
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT set_config('search_path', %s, true)", (PINNED_SEARCH_PATH,))
        return dict(conn.execute("SELECT oid::bigint, pg_get_constraintdef(oid, true) FROM pg_constraint").fetchall())


def test_built_definitions_are_the_servers(corpus, pg_server):
    dsn, space = corpus
    snap = snapshot_of(dsn)
    server = server_definitions(dsn)
    mine = {con.oid: con for con in snap.constraints}
    # The query leaves these to Python: the test is about the built text, not the server's echoed back.
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        conn.execute("SELECT set_config('search_path', %s, true)", (PINNED_SEARCH_PATH,))
        sent = {r["oid"]: r for r in conn.execute(query_for("constraints", conn.info.server_version)).fetchall()}
    built = {oid for oid, row in sent.items() if row["definition"] is None}
    assert built == {con.oid for con in snap.constraints if con.type in "puf"} and len(built) >= 50

    wrong = {con.name: (con.definition, server[oid]) for oid, con in mine.items() if con.definition != server[oid]}
    assert wrong == {}

    # Every shape is in the corpus, so none of them can go untested.
    texts = "\n".join(server[oid] for oid in built)
    for shape in [
        'REFERENCES "Other ""Schema"" é"."Weird ""Table"" select 日本"("Id", "select")',
        'UNIQUE ("ü nicode", "a$b", ',
        "MATCH FULL",
        "DEFERRABLE INITIALLY DEFERRED",
        "ON UPDATE CASCADE DEFERRABLE",
        "DEFERRABLE NOT VALID",
        "REFERENCES app.parent(id) NOT VALID",
        "REFERENCES app.child(id)",
        'INCLUDE (code, "Mixed")',
        'PRIMARY KEY (id) INCLUDE (a, "B b")',
        "REFERENCES app.events(id, at) ON UPDATE RESTRICT",
        *(f"ON UPDATE {u} ON DELETE {d}" for d in ACTIONS[1:] for u in ACTIONS[1:]),
    ]:
        assert shape in texts, shape
    # pg_get_constraintdef prints no WITH (...) or tablespace of the key index (only its fullCommand form does).
    assert "fillfactor" not in texts and "TABLESPACE" not in texts
    by_name = {con.name: con for con in snap.constraints}
    assert by_name["parent_code_key"].definition == "UNIQUE (code)"
    if space is None:
        pytest.skip("no tablespace: the test server is not a throwaway cluster of ours (no directory it owns)")
    assert by_name["spaced_a_key"].definition == "UNIQUE (a)"


def test_partitions_and_versioned_shapes(corpus, pg_server):
    dsn, _ = corpus
    snap = snapshot_of(dsn)
    server = server_definitions(dsn)
    tables = {t.oid: t.name for t in snap.tables}
    fks = [c for c in snap.constraints if c.type == "f" and tables[c.table_oid].startswith("events")]
    # The foreign key of a partitioned table, and its copies on each partition.
    assert sorted(tables[c.table_oid] for c in fks) == ["events", "events_2024", "events_2025"]
    assert {c.definition for c in fks} == {"FOREIGN KEY (parent_id) REFERENCES app.parent(id) ON DELETE SET NULL"}
    # A foreign key to a partitioned table has a row per referenced partition, printed with the partition's name.
    to_parts = sorted(c.definition for c in snap.constraints if tables[c.table_oid] == "event_notes")
    assert to_parts == [
        "FOREIGN KEY (id, at) REFERENCES app.events(id, at) ON UPDATE RESTRICT",
        "FOREIGN KEY (id, at) REFERENCES app.events_2024(id, at) ON UPDATE RESTRICT",
        "FOREIGN KEY (id, at) REFERENCES app.events_2025(id, at) ON UPDATE RESTRICT",
    ]
    by_name = {con.name: con for con in snap.constraints}
    assert by_name["checked_x_check"].definition == "CHECK (x > 0) NO INHERIT"  # still the server's
    assert by_name["checked_x_excl"].definition == "EXCLUDE USING btree (x WITH =)"
    if pg_server.major >= 15:
        assert by_name["nnd_a_b_key"].definition == "UNIQUE NULLS NOT DISTINCT (a, b)"
        assert by_name["nnd_incl"].definition == "UNIQUE NULLS NOT DISTINCT (b) INCLUDE (a)"
        assert by_name["setnull_Odd col_parent_id_fkey"].definition == (
            'FOREIGN KEY ("Odd col", parent_id) REFERENCES app.parent(org_id, id) ON DELETE SET DEFAULT '
            '(parent_id, "Odd col")'
        )
        part = [c for c in snap.constraints if tables[c.table_oid].startswith("part_setnull")]
        assert len(part) == 2 and {c.definition for c in part} == {
            "FOREIGN KEY (org_id, parent_id) REFERENCES app.parent(org_id, id) ON DELETE SET NULL (parent_id)"
        }
    if pg_server.major >= 18:
        assert by_name["rooms_pkey"].definition == "PRIMARY KEY (id, during WITHOUT OVERLAPS)"
        assert by_name["slots_id_during_key"].definition == "UNIQUE (id, during WITHOUT OVERLAPS)"
        assert by_name["bookings_room_during_fkey"].definition == (
            "FOREIGN KEY (room, PERIOD during) REFERENCES app.rooms(id, PERIOD during)"
        )
        assert by_name["child_not_enforced"].definition.endswith(" NOT ENFORCED")
    assert all(con.definition == server[con.oid] for con in snap.constraints)


def test_snapshots_old_and_new_load(corpus, tmp_path):
    dsn, _ = corpus
    snap = snapshot_of(dsn)
    path = tmp_path / "snap.json"
    save(snap, path)
    again = load(path)
    assert again.constraints == snap.constraints
    assert [c.definition for c in again.constraints] == [c.definition for c in snap.constraints]
    # A snapshot saved before the definition parts were columns: each row holds its definition, and no parts.
    old = to_dict(snap)
    parts = ("columns_quote_mask", "quoted_ref_table", "ref_columns_quote_mask", "quoted_set_columns")
    parts += ("quoted_include", "nulls_not_distinct", "period", "enforced")
    old["constraints"] = [{k: v for k, v in row.items() if k not in parts} for row in old["constraints"]]
    older = from_dict(json.loads(json.dumps(old)))
    assert [c.definition for c in older.constraints] == [c.definition for c in snap.constraints]
    assert {c.quoted_ref_table for c in older.constraints} == {None}
