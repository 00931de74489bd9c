"""Index definitions built from catalog parts equal pg_get_indexdef() byte for byte.

The collector no longer calls pg_get_indexdef() (a pg_opclass scan per key); auditor/indexdef.py assembles the
same text. A corpus of index shapes (every core access method, opclasses default and not, collations on columns
and expressions, ordering, INCLUDE, WITH, partial, partitioned, exclusion, NULLS NOT DISTINCT, hostile names) is
created on the real server, and every index's built definition is compared with pg_get_indexdef() read under
the collector's pinned search_path. Snapshots saved before the parts (the definition as text) still load.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import psycopg
import pytest

from auditor.catalog import model, snapshot_file
from auditor.catalog.collect import collect
from auditor.catalog.db import PINNED_SEARCH_PATH, Session
from auditor.catalog.indexdef import index_definition, index_head, top_level_collations
from auditor.catalog.model import Index, row_fields

from scratch import admin, scratch_database, snapshot_of

DB = "pga_indexdef"

CORPUS = '''
CREATE SCHEMA app;
CREATE SCHEMA "Weird ""Schema""";
CREATE SCHEMA "select";
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.email AS text;
CREATE DOMAIN app.email2 AS app.email;
CREATE TYPE app.pair AS (a int, b text);
CREATE COLLATION app.mycoll (locale = 'C');
CREATE FUNCTION app.norm(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1) $$;
CREATE OPERATOR CLASS app.int4_mine_ops FOR TYPE int4 USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int4, int4);
CREATE TABLE app.t (
    id bigint PRIMARY KEY, a int, b int, name text, v varchar(20), ch char(5), c text COLLATE "C",
    p text COLLATE "POSIX", arr int[], tags text[], j jsonb, ts tsvector, rng int4range, tr tstzrange,
    mood app.mood, em app.email, em2 app.email2, pr app.pair, ip inet, net cidr, pt point, bx box,
    at timestamptz, d date, n numeric, u uuid, by bytea, rc regclass, vb varbit, nm name,
    "MixedCase" int, "with space" text, "quo""te" int, "select" int, "ünï" text, "a$b" int, "user" text,
    CONSTRAINT t_a_b_key UNIQUE (a, b)
);
-- btree: order, NULLS, multi-column, unique
CREATE INDEX t_a ON app.t (a);
CREATE INDEX t_a_desc ON app.t (a DESC);
CREATE INDEX t_a_desc_nl ON app.t (a DESC NULLS LAST);
CREATE INDEX t_a_desc_nf ON app.t (a DESC NULLS FIRST);
CREATE INDEX t_a_nf ON app.t (a NULLS FIRST);
CREATE INDEX t_a_asc_nl ON app.t (a ASC NULLS LAST);
CREATE INDEX t_mixed_order ON app.t (a DESC, b, name DESC NULLS LAST, v NULLS FIRST);
CREATE UNIQUE INDEX t_uq ON app.t (b, a);
-- partial, with predicates that print differently pretty and not
CREATE INDEX t_part ON app.t (a) WHERE a > 0;
CREATE INDEX t_part2 ON app.t (name) WHERE name IS NOT NULL AND b < 10 AND name::varchar <> 'x';
CREATE UNIQUE INDEX t_part3 ON app.t (lower(name)) WHERE (at > '2024-01-01' OR mood = 'ok') AND NOT (b = ANY ('{1,2}'));
-- expressions
CREATE INDEX t_lower ON app.t (lower(name));
CREATE INDEX t_sum ON app.t ((a + b));
CREATE INDEX t_multi_expr ON app.t (lower(name), (a * 2), upper(v), b);
CREATE INDEX t_expr_coll ON app.t ((lower(name)) COLLATE "C");
CREATE INDEX t_expr_coll_same ON app.t (lower(c));
CREATE INDEX t_expr_coll_other ON app.t ((lower(c)) COLLATE "POSIX");
CREATE INDEX t_expr_coll_default ON app.t ((lower(c)) COLLATE "default");
CREATE INDEX t_expr_coll_inner ON app.t (lower(name COLLATE "C"));
CREATE INDEX t_expr_coll_expr ON app.t ((name COLLATE "POSIX" || 'x'));
CREATE INDEX t_expr_coll_mine ON app.t ((app.norm(name)) COLLATE app.mycoll);
CREATE INDEX t_relabel ON app.t ((name::varchar));
CREATE INDEX t_relabel_coll ON app.t ((name::varchar) COLLATE "C");
CREATE INDEX t_coerceio ON app.t ((a::text));
CREATE INDEX t_coerceio_coll ON app.t ((a::text) COLLATE "C" DESC);
CREATE INDEX t_domain ON app.t ((name::app.email));
CREATE INDEX t_domain_coll ON app.t ((name::app.email) COLLATE "C");
CREATE INDEX t_case ON app.t ((CASE WHEN a > 0 THEN name ELSE c END));
CREATE INDEX t_case_coll ON app.t ((CASE WHEN a > 0 THEN name END) COLLATE "POSIX");
CREATE INDEX t_coalesce ON app.t ((coalesce(name, v, 'x')));
CREATE INDEX t_coalesce_coll ON app.t ((coalesce(name, 'x')) COLLATE "C");
CREATE INDEX t_greatest ON app.t ((greatest(name, v)) COLLATE "C");
CREATE INDEX t_nullif ON app.t ((nullif(name, 'x')) COLLATE "C");
CREATE INDEX t_subscript ON app.t ((tags[1]));
CREATE INDEX t_subscript_coll ON app.t ((tags[1]) COLLATE "C");
CREATE INDEX t_arr_elem ON app.t ((arr[1]));
CREATE INDEX t_fieldselect ON app.t (((pr).b) COLLATE "C");
CREATE INDEX t_fieldselect2 ON app.t (((pr).b));
CREATE INDEX t_array_expr ON app.t ((ARRAY[name, v]) COLLATE "C");
CREATE INDEX t_arraycoerce ON app.t ((tags::varchar[]) COLLATE "C");
CREATE INDEX t_row ON app.t ((ROW(a, name)::app.pair));
CREATE INDEX t_bool ON app.t ((a IS DISTINCT FROM b), (name IS NULL), ((a > 0) IS TRUE), (a = ANY ('{1,2}')));
CREATE INDEX t_const_text ON app.t ((name || 'it''s'));
CREATE INDEX t_json ON app.t ((j ->> 'k'));
CREATE INDEX t_json_coll ON app.t ((j ->> 'k') COLLATE "C" text_pattern_ops DESC);
CREATE INDEX t_func_schema ON app.t (app.norm(name));
CREATE INDEX t_substring ON app.t ((substring(name FROM 1 FOR 3)), (trim(both ' ' from v)));
-- INCLUDE
CREATE INDEX t_incl ON app.t (a) INCLUDE (name, "MixedCase", "with space");
CREATE UNIQUE INDEX t_uq_incl ON app.t (b DESC) INCLUDE ("ünï", "quo""te");
CREATE INDEX t_expr_incl ON app.t (lower(name)) INCLUDE (a) WHERE b > 1;
-- opclasses: non-default print, defaults (also for binary-coercible types) do not
CREATE INDEX t_pattern ON app.t (name text_pattern_ops);
CREATE INDEX t_vpattern ON app.t (v varchar_pattern_ops);
CREATE INDEX t_v_text_ops ON app.t (v text_ops);
CREATE INDEX t_v_varchar_ops ON app.t (v varchar_ops);
CREATE INDEX t_bpchar_pattern ON app.t (ch bpchar_pattern_ops);
CREATE INDEX t_name_text_ops ON app.t (name text_ops);
CREATE INDEX t_em ON app.t (em);
CREATE INDEX t_em_pattern ON app.t (em text_pattern_ops);
CREATE INDEX t_em2 ON app.t (em2);
CREATE INDEX t_net ON app.t (net);
CREATE INDEX t_net_inet_ops ON app.t (net inet_ops);
CREATE INDEX t_ip ON app.t (ip);
CREATE INDEX t_mood ON app.t (mood);
CREATE INDEX t_arr_btree ON app.t (arr);
CREATE INDEX t_pr ON app.t (pr);
CREATE INDEX t_rc ON app.t (rc);
CREATE INDEX t_vb ON app.t (vb);
CREATE INDEX t_nm ON app.t (nm);
CREATE INDEX t_u ON app.t (u);
CREATE INDEX t_by ON app.t (by);
CREATE INDEX t_n ON app.t (n);
CREATE INDEX t_rng_btree ON app.t (rng);
CREATE INDEX t_mine ON app.t (a app.int4_mine_ops);
CREATE INDEX t_mine_expr ON app.t ((a + 1) app.int4_mine_ops DESC);
CREATE INDEX t_expr_pattern ON app.t ((lower(name)) text_pattern_ops);
CREATE INDEX t_expr_varchar ON app.t ((name::varchar) text_ops);
-- collations on columns
CREATE INDEX t_coll_c ON app.t (name COLLATE "C");
CREATE INDEX t_coll_posix ON app.t (name COLLATE "POSIX" DESC);
CREATE INDEX t_coll_same ON app.t (c COLLATE "C");
CREATE INDEX t_coll_default ON app.t (c COLLATE "default");
CREATE INDEX t_coll_mine ON app.t (name COLLATE app.mycoll text_pattern_ops);
CREATE INDEX t_coll_unicode ON app.t ("ünï" COLLATE "C", p);
-- hash, gin, gist, spgist, brin
CREATE INDEX t_hash ON app.t USING hash (name);
CREATE INDEX t_hash_v ON app.t USING hash (v);
CREATE INDEX t_hash_mood ON app.t USING hash (mood);
CREATE INDEX t_hash_expr ON app.t USING hash ((lower(name)) COLLATE "C");
CREATE INDEX t_gin_arr ON app.t USING gin (arr);
CREATE INDEX t_gin_tags ON app.t USING gin (tags);
CREATE INDEX t_gin_j ON app.t USING gin (j);
CREATE INDEX t_gin_jpath ON app.t USING gin (j jsonb_path_ops);
CREATE INDEX t_gin_expr ON app.t USING gin ((j -> 'tags') jsonb_path_ops);
CREATE INDEX t_gin_ts ON app.t USING gin (ts);
CREATE INDEX t_gin_tsexpr ON app.t USING gin (to_tsvector('simple', name));
CREATE INDEX t_gin_arrexpr ON app.t USING gin ((ARRAY[a, b]));
CREATE INDEX t_gin_opts ON app.t USING gin (j) WITH (fastupdate = off, gin_pending_list_limit = 128);
CREATE INDEX t_gin_on ON app.t USING gin (arr) WITH (fastupdate = on);
CREATE INDEX t_gist_ts ON app.t USING gist (ts);
CREATE INDEX t_gist_rng ON app.t USING gist (rng);
CREATE INDEX t_gist_tr ON app.t USING gist (tr);
CREATE INDEX t_gist_bx ON app.t USING gist (bx);
CREATE INDEX t_gist_pt ON app.t USING gist (pt);
CREATE INDEX t_gist_ip ON app.t USING gist (ip inet_ops);
CREATE INDEX t_gist_multi ON app.t USING gist (bx, rng) WHERE a IS NOT NULL;
CREATE INDEX t_spgist_pt ON app.t USING spgist (pt);
CREATE INDEX t_spgist_kd ON app.t USING spgist (pt kd_point_ops);
CREATE INDEX t_spgist_text ON app.t USING spgist (name);
CREATE INDEX t_spgist_v ON app.t USING spgist (v);
CREATE INDEX t_spgist_rng ON app.t USING spgist (rng);
CREATE INDEX t_spgist_ip ON app.t USING spgist (ip);
CREATE INDEX t_spgist_bx ON app.t USING spgist (bx);
CREATE INDEX t_brin_at ON app.t USING brin (at);
CREATE INDEX t_brin_multi ON app.t USING brin (d, n, name, v, ip, bx) WITH (pages_per_range = 32, autosummarize = true);
CREATE INDEX t_brin_expr ON app.t USING brin ((lower(name)), (a + 1));
-- storage parameters
CREATE INDEX t_ff ON app.t (a) WITH (fillfactor = 70);
CREATE INDEX t_ff_where ON app.t (b) INCLUDE (a) WITH (fillfactor = 50, deduplicate_items = off) WHERE a > 1;
CREATE UNIQUE INDEX t_ff_uq ON app.t (id) WITH (fillfactor = '90');
-- constraints: primary key, unique, exclusion
CREATE TABLE app.booking (id int PRIMARY KEY, during tstzrange, room int,
                          EXCLUDE USING gist (during WITH &&) WHERE (room > 0));
CREATE TABLE app.booking2 (during tstzrange, CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)
                           WITH (fillfactor = 80));
-- partitioned tables: ON ONLY, attached children, an index on the parent only (invalid)
CREATE TABLE app.ev (id bigint, at date NOT NULL, tenant int, note text) PARTITION BY RANGE (at);
CREATE TABLE app.ev_2024 PARTITION OF app.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.ev_2025 PARTITION OF app.ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
    PARTITION BY RANGE (at);
CREATE TABLE app.ev_2025_h1 PARTITION OF app.ev_2025 FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
CREATE INDEX ev_tenant ON app.ev (tenant);
CREATE UNIQUE INDEX ev_id ON app.ev (id, at);
CREATE INDEX ev_expr ON app.ev (lower(note) DESC) INCLUDE (id) WHERE tenant > 0;
CREATE INDEX ev_only ON ONLY app.ev (at);
CREATE INDEX ev_2024_local ON app.ev_2024 (note text_pattern_ops) WITH (fillfactor = 60);
ALTER TABLE app.ev ADD PRIMARY KEY (id, at);
-- hostile names
CREATE TABLE "Weird ""Schema"""."Mixed Table" ("Key" int PRIMARY KEY, "select" int, "ünï" text, "a b" text,
                                               "user" text);
CREATE INDEX "Idx With Space" ON "Weird ""Schema"""."Mixed Table" ("select", "ünï" DESC) INCLUDE ("a b");
CREATE INDEX "select" ON "Weird ""Schema"""."Mixed Table" (lower("a b")) WHERE "select" > 0;
CREATE INDEX "ünïcode_idx" ON "Weird ""Schema"""."Mixed Table" ("ünï" COLLATE "C");
CREATE INDEX "quo""te_idx" ON "Weird ""Schema"""."Mixed Table" (("Key" + 1));
CREATE INDEX "user" ON "Weird ""Schema"""."Mixed Table" ("user");
CREATE INDEX json_table ON "Weird ""Schema"""."Mixed Table" ("Key");
CREATE INDEX "a$b_idx" ON "Weird ""Schema"""."Mixed Table" ("Key");
CREATE TABLE "select"."from" ("where" int, "order" text);
CREATE UNIQUE INDEX "order" ON "select"."from" ("where", "order" COLLATE "POSIX");
CREATE INDEX "UPPER" ON "select"."from" USING hash ("order");
CREATE INDEX t_weird_cols ON app.t ("MixedCase", "with space", "quo""te", "select", "a$b", "user");
-- a materialized view
CREATE MATERIALIZED VIEW app.mv AS SELECT id, name FROM app.t;
CREATE UNIQUE INDEX mv_id ON app.mv (id);
CREATE INDEX mv_name ON app.mv (name COLLATE "C" text_pattern_ops) WHERE id > 0;
'''

# Shapes a newer major adds.
BY_MAJOR = {
    13: """
CREATE INDEX t_gist_siglen ON app.t USING gist (ts tsvector_ops (siglen = '100'));
""",
    14: """
CREATE INDEX t_brin_minmax_multi ON app.t USING brin (at timestamptz_minmax_multi_ops (values_per_range = 16));
CREATE INDEX t_brin_bloom ON app.t USING brin (d date_bloom_ops, name text_bloom_ops (n_distinct_per_range = -0.5));
""",
    15: """
CREATE UNIQUE INDEX t_nnd ON app.t (a, b) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX t_nnd_all ON app.t (b, name) INCLUDE (a) NULLS NOT DISTINCT WITH (fillfactor = 80) WHERE a > 0;
ALTER TABLE app.t ADD CONSTRAINT t_nnd_con UNIQUE NULLS NOT DISTINCT (v, ch);
""",
    16: """
CREATE INDEX t_is_json ON app.t ((name IS JSON OBJECT));
""",
    17: """
CREATE INDEX t_json_value ON app.t ((JSON_VALUE(j, '$.a')));
CREATE INDEX t_json_value_coll ON app.t ((JSON_VALUE(j, '$.a')) COLLATE "C");
CREATE INDEX t_json_value_ret ON app.t ((JSON_VALUE(j, '$.a' RETURNING varchar(10))) COLLATE "POSIX");
""",
}

# Shapes that need a contrib extension (skipped where the binaries lack it).
WITH_EXTENSION = {
    "btree_gist": """
CREATE EXTENSION btree_gist WITH SCHEMA app;
CREATE TABLE app.rooms (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));
CREATE INDEX t_gist_btree ON app.t USING gist (a, name, rng);
""",
    "pg_trgm": """
CREATE EXTENSION pg_trgm WITH SCHEMA app;
CREATE INDEX t_trgm_gin ON app.t USING gin (name app.gin_trgm_ops);
CREATE INDEX t_trgm_gist ON app.t USING gist (lower(name) app.gist_trgm_ops (siglen = 32));
""",
    "citext": """
CREATE EXTENSION citext WITH SCHEMA app;
CREATE TABLE app.people (email app.citext, nick app.citext COLLATE "C");
CREATE INDEX people_email ON app.people (email);
CREATE INDEX people_email_text ON app.people (email text_ops);
CREATE INDEX people_email_expr ON app.people ((lower(email::text)::app.citext));
CREATE INDEX people_nick ON app.people (nick, (nick || 'x'::app.citext) COLLATE "POSIX");
""",
}


def corpus(server, dsn: str) -> None:
    """Load the corpus shapes this server supports."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for major, ddl in BY_MAJOR.items():
            if server.major >= major:
                conn.execute(ddl)
        available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}
        for name, ddl in WITH_EXTENSION.items():
            if name in available:
                conn.execute(ddl)
        # Tablespaces: pg_get_indexdef() never prints one (the ALTER TABLE variant does); only where the test
        # owns the cluster's files.
        cluster = getattr(server, "cluster", None)
        if cluster is not None and getattr(cluster, "base", None):
            where = Path(cluster.base) / "tblspc_indexdef"
            where.mkdir(exist_ok=True)
            if getattr(cluster, "user", None):
                shutil.chown(where, cluster.user)
            conn.execute(f"CREATE TABLESPACE \"Space Idx\" LOCATION '{where}'")
            conn.execute('CREATE INDEX t_tblspc ON app.t (a, b) TABLESPACE "Space Idx"')


def server_definitions(dsn: str) -> dict[int, str]:
    """pg_get_indexdef() of every index, read as the collector reads the catalogs (pinned search_path)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path = {PINNED_SEARCH_PATH}")
        return dict(conn.execute("SELECT indexrelid::bigint, pg_get_indexdef(indexrelid) FROM pg_index").fetchall())


@pytest.fixture(scope="module")
def corpus_db(pg_server):
    try:
        with scratch_database(pg_server, DB, CORPUS) as dsn:
            corpus(pg_server, dsn)
            yield dsn
    finally:  # the database (and the index in it) is gone: the tablespace is empty
        admin(pg_server.dsn_for(), 'DROP TABLESPACE IF EXISTS "Space Idx"')


def test_every_definition_equals_pg_get_indexdef(corpus_db, pg_server):
    snap = snapshot_of(corpus_db)
    want = server_definitions(corpus_db)
    built = {i.oid: i.definition for i in snap.indexes}
    assert len(built) >= 150, "the corpus did not load"
    wrong = {snap.index_by_oid[oid].name: (got, want[oid]) for oid, got in built.items() if got != want[oid]}
    assert not wrong, "\n".join(f"{name}:\n  built  {got}\n  server {exp}" for name, (got, exp) in wrong.items())
    # The shapes that could go unnoticed if the corpus silently lost them.
    text = "\n".join(built.values())
    for piece in (
        " ON ONLY app.ev ",
        " text_pattern_ops",
        " jsonb_path_ops",
        ' COLLATE "C"',
        ' COLLATE "POSIX"',
        " COLLATE app.mycoll",
        " app.int4_mine_ops DESC",
        " DESC NULLS LAST",
        " NULLS FIRST",
        ") INCLUDE (",
        " WITH (fillfactor='70')",
        " WHERE (a > 0)",
        "USING hash",
        "USING gin",
        "USING gist",
        "USING spgist",
        "USING brin",
        'CREATE INDEX "Idx With Space" ON "Weird ""Schema"""."Mixed Table"',
        'CREATE INDEX "user" ON',
        'CREATE INDEX "a$b_idx" ON',
    ):
        assert piece in text, piece
    if pg_server.major >= 15:
        assert "NULLS NOT DISTINCT" in built[snap_index(snap, "t_nnd").oid]
        assert snap_index(snap, "t_nnd_con").nulls_not_distinct and not snap_index(snap, "t_uq").nulls_not_distinct


def snap_index(snap, name: str) -> Index:
    return next(i for i in snap.indexes if i.name == name)


def test_definitions_are_built_lazily_and_once(corpus_db, monkeypatch):
    built: list[str] = []

    def counting(i: Index) -> str:
        built.append(i.name)
        return index_definition(i)

    monkeypatch.setattr(model, "index_definition", counting)
    snap = snapshot_of(corpus_db)
    assert built == [] and all(i.nulls_not_distinct is not None for i in snap.indexes)
    i = snap_index(snap, "t_mixed_order")
    assert i.definition is i.definition  # built once, then kept
    assert built == ["t_mixed_order"]


def test_snapshot_round_trip_keeps_definitions(corpus_db, tmp_path):
    snap = snapshot_of(corpus_db)
    path = tmp_path / "snap.json"
    snapshot_file.save(snap, path)
    again = snapshot_file.load(path)
    assert [i.definition for i in again.indexes] == [i.definition for i in snap.indexes]
    assert snapshot_file.to_dict(again) == snapshot_file.to_dict(snap)


def test_snapshot_saved_before_parts_still_loads(corpus_db, tmp_path):
    """An older snapshot has `definition` (pg_get_indexdef's text) per index and none of the parts."""
    snap = snapshot_of(corpus_db)
    want = server_definitions(corpus_db)
    doc = snapshot_file.to_dict(snap)
    parts = set(row_fields(Index)) - OLD_INDEX_FIELDS
    assert "definition_head" in parts and "nulls_not_distinct" in parts
    for row in doc["indexes"]:
        for name in parts:
            del row[name]
        row["definition"] = want[row["oid"]]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    old = snapshot_file.load(path)
    assert {i.oid: i.definition for i in old.indexes} == {i.oid: want[i.oid] for i in old.indexes}
    nnd = {i.name for i in old.indexes if i.nulls_not_distinct}
    assert nnd == {i.name for i in snap.indexes if i.nulls_not_distinct}


def test_snapshot_saved_with_whole_heads_still_loads(corpus_db, tmp_path):
    """A snapshot saved before the head came in parts (definition_on, quoted_name) holds each index's whole
    head in definition_head: the definitions built from it are the server's, hostile names included."""
    snap = snapshot_of(corpus_db)
    want = server_definitions(corpus_db)
    doc = snapshot_file.to_dict(snap)
    assert any(row["quoted_name"] for row in doc["indexes"]), "the corpus has names that print quoted"
    for row, i in zip(doc["indexes"], snap.indexes, strict=True):
        row["definition_head"] = index_head(i)
        del row["definition_on"], row["quoted_name"]
    path = tmp_path / "heads.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    old = snapshot_file.load(path)
    assert all(i.definition_on is None and i.has_definition_parts for i in old.indexes)
    assert {i.oid: i.definition for i in old.indexes} == {i.oid: want[i.oid] for i in old.indexes}


# The index fields of snapshot format 1 before the definition was built from parts.
OLD_INDEX_FIELDS = {
    *("oid", "table_oid", "name", "method", "is_unique", "is_primary", "is_exclusion", "is_valid", "is_ready"),
    *("key_count", "columns", "keys", "include_columns", "opclasses", "collations", "options", "predicate"),
    *("definition", "bytes", "relpages", "reltuples", "constraint_name", "constraint_type", "parent_index_oid"),
    *("is_partitioned", "comment"),
}


def test_node_tree_collations():
    tree = (
        "({FUNCEXPR :funcid 870 :funcresulttype 25 :funcretset false :funcvariadic false :funcformat 0 "
        ":funccollid 950 :inputcollid 950 :args ({VAR :varno 1 :varattno 2 :vartype 25 :vartypmod -1 "
        ":varcollid 100 :varlevelsup 0 :location 28}) :location 22} "
        "{RELABELTYPE :arg {VAR :varno 1 :varattno 2 :vartype 25 :vartypmod -1 :varcollid 100} :resulttype 1043 "
        ":resulttypmod -1 :resultcollid 12345 :relabelformat 1 :location 27} "
        "{CONST :consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 :constbyval false :constisnull false "
        ":location 46 :constvalue 5 [ 20 0 0 0 120 ]} {BOOLEXPR :boolop and :args ({VAR :varcollid 5}) :location 1} "
        "{SOMETHINGNEW :x \\{ :y 1})"
    )
    assert top_level_collations(tree) == [950, 12345, 100, 0, None]
    assert top_level_collations("") == []


@pytest.mark.skipif(os.environ.get("PG_AUDITOR_TEST_DSN") is not None, reason="needs the throwaway cluster's files")
def test_tablespace_shape_was_created(corpus_db, pg_server):
    if getattr(pg_server, "cluster", None) is None:
        pytest.skip("no throwaway cluster (Testcontainers): no tablespace directory to create")
    snap = snapshot_of(corpus_db)
    assert snap_index(snap, "t_tblspc").definition == "CREATE INDEX t_tblspc ON app.t USING btree (a, b)"


def test_known_limit_explicit_default_opclass_of_another_type(conn):
    """Where the index column stores another type (hash: int4), an expression's type is not in the catalogs: an
    explicitly named default opclass for another input type is left out (see auditor/indexdef.py)."""
    conn.execute("CREATE TABLE lim (v varchar(10)); CREATE INDEX lim_h ON lim USING hash ((v::varchar) bpchar_ops)")
    snap = collect(Session(conn=conn))
    server = conn.execute("SELECT pg_get_indexdef('public.lim_h'::regclass)").fetchone()[0]
    assert server == "CREATE INDEX lim_h ON public.lim USING hash (((v)::character varying) bpchar_ops)"
    assert snap_index(snap, "lim_h").definition == server.replace(" bpchar_ops", "")
