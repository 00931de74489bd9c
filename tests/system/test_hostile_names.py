"""Hostile names: quotes, markup, pipes, backticks, newlines, bidi overrides, 63-byte multibyte names
and mixed case, as schema, table, column, index, policy names and comments, through collection, every
rule and every output format; the fix SQL printed for them runs against the database as printed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from psycopg import sql

from auditor import engine
from auditor.catalog.collect import collect
from auditor.catalog.db import Session
from auditor.output import render

from paths import ROOT
from scratch import scratch_database

NASTY = [
    'Robert"); DROP TABLE students;--',
    "<script>alert(1)</script>",
    "a|b||c",
    "`tick``s`",
    "line\nbreak",
    "trailing_newline\n",  # looked plain to a "$"-anchored regex and went out unquoted
    "tab\there",
    "\u202eevil\u202c name",
    "\u2066isolate\u2069",
    "MixedCase",
    "select",
    "$dollar$",
    "back\\slash",
    "it's",
    "**bold** _em_ [link](x) #h",
    "ä" * 31 + "x",  # 63 bytes exactly
    "日本語" * 7,  # 63 bytes exactly
    "🐘" * 15 + "abc",  # 63 bytes exactly
    " leading and trailing ",
    "&lt;amp&amp;",
]
ALPHABET = st.sampled_from([*list("aZ_9 \"'`|<>&\\\n$;-*#[]()/%"), "\u202e", "\u200f", "é", "日", "🐘", "\xa0"])


def fits(name: str) -> bool:
    return 0 < len(name.encode("utf-8")) <= 63 and "\x00" not in name and not name.startswith("pg_")


names = st.one_of(st.sampled_from(NASTY), st.text(ALPHABET, min_size=1, max_size=24)).filter(fits)


@pytest.fixture(scope="module")
def hostile_db(pg_server) -> Iterator[str]:
    with scratch_database(pg_server, "pga_hostile") as dsn:
        yield dsn


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text: list[str] = []

        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.scripts += tag == "script"

    def handle_data(self, data):
        self.text.append(data)


# The only elements the HTML may hold are the ones its template and the evidence and fix blocks
# (auditor/output/evidence.py) write; a database name never adds one.
TEMPLATE = (ROOT / "templates" / "report.html.j2").read_text(encoding="utf-8")
BLOCKS = (ROOT / "auditor" / "output" / "evidence.py").read_text(encoding="utf-8")
HTML_TAGS = {t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", TEMPLATE + BLOCKS)}
SCRIPTS = len(re.findall(r"<script\b", TEMPLATE))
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
CONTROLS = re.compile("[\u0000-\u0008\u000b-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def markdown_tables_intact(md: str) -> None:
    """Every row of every table has as many cells as its header; no raw control characters anywhere."""
    assert not CONTROLS.search(md)
    block: list[str] = []
    fence: str | None = None
    for line in [*md.splitlines(), ""]:
        opening = re.match(r"^(`{3,})", line)
        if fence is None and opening:
            fence = opening.group(1)
            continue
        if fence is not None:  # inside a fenced SQL block: raw text, closed only by its own fence
            if line == fence:
                fence = None
            continue
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            widths = {len(UNESCAPED_PIPE.findall(row)) for row in block}
            assert len(widths) == 1, block
            block = []
    assert fence is None, "a fenced block was never closed"


def build(conn: psycopg.Connection, schema: str, table: str, column: str, index: str, policy: str, comment: str):
    ident = sql.Identifier
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident(schema)))
    conn.execute(sql.SQL("CREATE TABLE {}.parent (id bigint PRIMARY KEY)").format(ident(schema)))
    conn.execute(
        sql.SQL("CREATE TABLE {}.{} (id bigint PRIMARY KEY, {} bigint REFERENCES {}.parent, note text)").format(
            ident(schema), ident(table), ident(column), ident(schema)
        )
    )
    conn.execute(sql.SQL("CREATE INDEX {} ON {}.{} (note)").format(ident(index), ident(schema), ident(table)))
    conn.execute(sql.SQL("ALTER TABLE {}.{} ENABLE ROW LEVEL SECURITY").format(ident(schema), ident(table)))
    conn.execute(
        sql.SQL("CREATE POLICY {} ON {}.{} USING ({} > 0)").format(
            ident(policy), ident(schema), ident(table), ident(column)
        )
    )
    conn.execute(sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(ident(schema), ident(table), sql.Literal(comment)))
    conn.execute(
        sql.SQL("COMMENT ON COLUMN {}.{}.{} IS {}").format(
            ident(schema), ident(table), ident(column), sql.Literal(comment)
        )
    )


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each example is a round trip to the server
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(schema=names, table=names, column=names, index=names, policy=names, comment=st.text(ALPHABET, max_size=40))
@example(
    schema="`_9",
    table="9|\"/]*(\xa0\u202e'[/$",
    column='$\n|<🐘(#9\u200fa🐘"',
    index="*[*|/",
    policy="\u202e-$[日",
    comment="",
)
@example(schema=NASTY[5], table=NASTY[15], column=NASTY[0], index=NASTY[1], policy=NASTY[4], comment=NASTY[6])
def test_hostile_names_survive_collect_rules_outputs_and_fix_sql(
    hostile_db, tmp_path, schema, table, column, index, policy, comment
):
    assume(len({table, index, "parent", "parent_pkey", f"{table}_pkey"}) == 5)
    assume(column not in ("id", "note"))
    with psycopg.connect(hostile_db, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        try:
            build(conn, schema, table, column, index, policy, comment)
            snap = collect(Session(conn=conn))
            tables = {(t.schema, t.name): t for t in snap.tables}
            assert (schema, table) in tables, "name did not round-trip through collect"
            t = tables[(schema, table)]
            assert t.comment == (comment or None)
            assert column in {c.name for c in snap.columns_of[t.oid]}
            assert index in {i.name for i in snap.indexes_of[t.oid]}
            assert [p.name for p in snap.policies_of[t.oid]] == [policy]

            report = engine.run(snap)
            assert not [s for s in report.statuses if s.status == "error"], report.statuses
            mine = [f for f in report.findings if f.obj.schema == schema]
            idx001 = [f for f in mine if f.code == "IDX001"]
            assert len(idx001) == 1 and idx001[0].obj.table == table

            outputs = {fmt: render.render(report, fmt) for fmt in render.FORMATS}
            doc = json.loads(outputs["json"])
            found = [f for f in doc["findings"] if f["object"]["schema"] == schema and f["code"] == "IDX001"]
            assert found and found[0]["object"]["table"] == table
            markdown_tables_intact(outputs["md"])
            parser = Tags()
            parser.feed(outputs["html"])
            assert parser.tags <= HTML_TAGS, parser.tags - HTML_TAGS
            assert parser.scripts == SCRIPTS  # the template's own, no more
            assert not CONTROLS.search(outputs["html"])
            assert all(outputs.values())  # and any format added later renders too

            # The fix SQL runs as printed and removes the finding.
            conn.execute(idx001[0].fix)
            again = engine.run(collect(Session(conn=conn)))
            assert not [f for f in again.findings if f.code == "IDX001" and f.obj.schema == schema]
        finally:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
