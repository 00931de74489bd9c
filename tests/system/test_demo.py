"""README's first command: `pg-auditor demo` on its own throwaway server, with the bundled sample schema."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from auditor.demo.run import run_demo

from paths import ROOT

SCHEMA = ROOT / "schemas" / "report-1.0.schema.json"


@pytest.mark.slow
def test_demo_writes_a_whole_report_that_finds_the_planted_defects(pg_server, tmp_path):
    paths, dsn = run_demo(tmp_path)
    assert dsn is None  # the server is gone unless --keep
    assert sorted(p.name for p in paths) == ["pg-auditor-demo.html", "pg-auditor-demo.json", "pg-auditor-demo.md"]
    doc = json.loads((tmp_path / "pg-auditor-demo.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert doc["run"]["source"] == "demo" and doc["run"]["queries"] > 0
    assert not [r["code"] for r in doc["rules"] if r["status"] == "error"]
    found = {(f["code"], f["object"]["display"]) for f in doc["findings"]}
    planted = {
        ("IDX001", "events_ticket_id_fkey on app.events"),  # unindexed FK with ON DELETE CASCADE
        ("IDX002", "customers_id_idx on app.customers"),  # duplicates the primary key
        ("CON003", "invoice_lines_product_id_fkey on app.invoice_lines"),  # int referencing bigint
        ("CON011", "app.notifications_id_seq"),  # integer sequence at 90%
        ("ISO002", "app.payments"),  # RLS not forced
        ("ISO011", "app_admin"),  # BYPASSRLS application role
        ("PAR001", "app.events"),  # hand-made partitions ended months ago
        ("PAR004", "app.user_sessions"),  # hash remainder missing
    }
    assert planted <= found, planted - found
    if pg_server.partman:
        assert ("PAR021", "pg_partman") in found  # a monthly set nobody schedules maintenance for
    assert "Tenant isolation" in (tmp_path / "pg-auditor-demo.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_demo_command_ends_with_the_summary(pg_server, tmp_path):
    from scratch import run_cli

    out = run_cli("demo", "-o", str(tmp_path / "demo"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [str(tmp_path / "demo" / f"pg-auditor-demo.{e}") for e in ("html", "md", "json")]
    lines = out.stderr.splitlines()
    assert lines[0].startswith("audited saas_demo (") and lines[1].startswith("score ")
    top = lines[lines.index("top findings:") + 1 : lines.index("top findings:") + 6]
    assert all(ln.split()[1] == "critical" for ln in top), top  # the most severe first
    assert lines[lines.index("written:") + 1] == "  " + (tmp_path / "demo" / "pg-auditor-demo.html").as_uri()
    said = r"exit 0: a demo; an audit of this database would exit 1: \d+ findings at or above high"
    assert re.fullmatch(said, lines[-1]), lines[-1]
