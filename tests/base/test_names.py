"""Quoting round-trips on a real PostgreSQL: every name and literal reads back unchanged, and the SQL
text never holds a raw line break or control character (a quoted name can never end a `--` comment)."""

from __future__ import annotations

import psycopg
import pytest

from auditor.base.names import column_list, qualified, quote_ident, quote_literal, regclass_literal
from auditor.base.text import UNSAFE_CHARS

HOSTILE = [
    "plain",
    "MixedCase",
    "select",
    'with "quotes"',
    "it's",
    "semi; colon",
    "a\nb",
    "cr\rlf\n",
    "tab\there",
    "back\\slash",
    "back\\slash\nand newline",
    "x CHECK (true); DROP TABLE public.canary; --",
    "x\nDROP TABLE public.canary; --",
    "*/ DROP TABLE public.canary; /*",
    "bell\x07del\x7f",
    "nel\x85ls\u2028bidi\u202e",
    "\\000a",
    'U&"x',
    "ünïcødé",
    "e" * 63,
]


SCHEMA = "sch\n; --"


@pytest.mark.parametrize("name", HOSTILE)
def test_quoted_name_holds_no_line_break_or_control(name: str) -> None:
    for text in (quote_ident(name), qualified("s\nx", name), column_list([name, name])):
        assert not UNSAFE_CHARS.search(text), text


@pytest.mark.parametrize("scs", ["on", "off"])
def test_names_round_trip_through_create_table(conn: psycopg.Connection, scs: str) -> None:
    conn.execute(f"SET standard_conforming_strings = {scs}")
    conn.execute("CREATE SCHEMA " + quote_ident(SCHEMA))
    for name in HOSTILE:
        conn.execute(f"CREATE TABLE {qualified(SCHEMA, name)} ({column_list([name])} int)")
        found = conn.execute(
            "SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1"
            " WHERE n.nspname = %s AND c.relname = %s",
            (SCHEMA, name),
        ).fetchall()
        assert found == [(name, name)], name
        # A name in a comment stays in the comment: the next line is the only statement that runs.
        row = conn.execute(f"SELECT 1 -- about {quote_ident(name)}\n + 1").fetchone()
        assert row == (2,), name


def test_plain_names_are_quoted_as_postgresql_does(conn: psycopg.Connection) -> None:
    for name in [n for n in HOSTILE if not UNSAFE_CHARS.search(n)]:
        assert conn.execute("SELECT quote_ident(%s)", (name,)).fetchone()[0] == quote_ident(name)


@pytest.mark.parametrize("scs", ["on", "off"])
def test_literals_round_trip(conn: psycopg.Connection, scs: str) -> None:
    conn.execute(f"SET standard_conforming_strings = {scs}")
    conn.execute("SET escape_string_warning = off")
    for value in [*HOSTILE, "", "'", "\\", "\\'", "x\\"]:
        text = quote_literal(value)
        assert not UNSAFE_CHARS.search(text), text
        assert conn.execute(f"SELECT {text}").fetchone()[0] == value, text
        assert conn.execute(f"SELECT 1 -- {text}\n + 1").fetchone()[0] == 2


def test_regclass_literals_name_the_relation(conn: psycopg.Connection) -> None:
    conn.execute("CREATE SCHEMA " + quote_ident(SCHEMA))
    for name in HOSTILE:
        conn.execute(f"CREATE SEQUENCE {qualified(SCHEMA, name)}")
        text = regclass_literal(SCHEMA, name)
        assert not UNSAFE_CHARS.search(text), text
        oid = conn.execute(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = %s",
            (SCHEMA, name),
        ).fetchone()[0]
        assert conn.execute(f"SELECT {text}::regclass::oid").fetchone()[0] == oid, text
        assert conn.execute(f"SELECT nextval({text})").fetchone()[0] == 1
