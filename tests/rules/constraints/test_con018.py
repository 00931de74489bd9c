"""CON018 reserved-word-name: tables and columns named with words every query must quote."""

from __future__ import annotations

from auditor.rules.constraints.con018_reserved_word_name import MUST_QUOTE

from support import hits, objects, snapshot_after


def test_reserved_names_reported_on_their_object(conn):
    snap = snapshot_after(
        conn,
        'CREATE TABLE "user" (id bigint PRIMARY KEY, "group" text, "time" timestamptz, "User" text);'
        'CREATE TABLE "Order" (id bigint PRIMARY KEY, "left" int, position int);'
        'CREATE TABLE orders (id bigint PRIMARY KEY, "order" int, "check" boolean);',
    )
    assert objects(hits(snap, "CON018")) == {
        'public."user"',
        'public."user".group',
        "public.orders.order",
        "public.orders.check",
        'public."Order".left',
    }


def test_plain_names_are_silent(conn):
    snap = snapshot_after(conn, "CREATE TABLE users (id bigint PRIMARY KEY, position int, time timestamptz);")
    assert hits(snap, "CON018") == []


def test_the_word_list_is_the_servers(conn):
    """The words reported are exactly the server's reserved and type/function-name keywords."""
    server = {r[0] for r in conn.execute("SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')")}
    assert server <= MUST_QUOTE
    assert MUST_QUOTE - server <= {"system_user", "merge_action"}  # newer than the test server
