"""What the CON rules share: their documentation, the report context, which schemas they judge."""

from __future__ import annotations

import re

import pytest

from auditor.rules import load_all

from support import hits, snapshot_after

SECTIONS = ("Why it matters", "What it checks", "Bad", "Good", "Fix", "False positives")


def test_every_con_rule_is_documented():
    rules = {code: r for code, r in load_all().items() if code.startswith("CON")}
    assert len(rules) >= 14
    for code, r in rules.items():
        headings = [h.split(" (")[0] for h in re.findall(r"^## (.+)$", r.doc, re.M)]
        for section in SECTIONS:
            assert section in headings, f"{code} lacks ## {section}"
        assert [h for h in headings if h in SECTIONS] == list(SECTIONS), f"{code}: sections out of order"


def test_every_con_rule_lives_in_its_own_file_named_after_it():
    for code, r in load_all().items():
        if not code.startswith("CON"):
            continue
        name = r.slug.replace("-", "_")
        assert r.func.__name__ == name, f"{code}: the check is named {r.func.__name__}, not {name}"
        assert r.func.__module__ == f"auditor.rules.constraints.{code.lower()}_{name}"


def test_polymorphic_pairs_are_context():
    from auditor.engine import CONTEXT

    assert "constraints" in CONTEXT


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
