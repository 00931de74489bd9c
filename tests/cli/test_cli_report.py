"""The audit command end to end: formats, baselines, exit codes and config errors, on a real database."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from auditor.cli import app

from scratch import scratch_database

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY, org_id bigint NOT NULL);
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers ON DELETE CASCADE);
"""
runner = CliRunner()


@pytest.fixture
def db(pg_server):
    """A database of its own (the CLI opens its own connection), dropped afterwards."""
    with scratch_database(pg_server, f"cli_{uuid.uuid4().hex[:8]}", SCHEMA) as dsn:
        yield dsn


def audit(*args: str):
    """`pg-auditor audit` limited to IDX001, so rules added later cannot change these expectations."""
    return runner.invoke(app, ["audit", *args, "--select", "IDX001"])


def test_all_formats_from_one_run_written_before_the_failing_exit(db, tmp_path):
    formats = ["-f", "md,html", "-f", "json", "-f", "sarif", "-f", "junit"]
    res = audit(db, "-o", str(tmp_path), *formats, "--fail-on", "medium")
    assert res.exit_code == 1, res.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"pg-auditor-report.{e}" for e in ("html", "json", "junit.xml", "md", "sarif")]
    doc = json.loads((tmp_path / "pg-auditor-report.json").read_text())
    assert doc["run"]["fail_on"] == "medium"
    assert [f["code"] for f in doc["findings"]] == ["IDX001"]
    from validate import validate_report_json, validate_sarif

    validate_report_json(doc)
    validate_sarif(json.loads((tmp_path / "pg-auditor-report.sarif").read_text()))


def test_exit_codes(db, tmp_path):
    assert audit(db, "-o", str(tmp_path), "-f", "json", "--fail-on", "critical").exit_code == 0
    assert audit(db, "-o", str(tmp_path), "-f", "json", "--fail-on", "low").exit_code == 1
    assert audit(db, "-o", str(tmp_path), "-f", "json", "--fail-on", "low", "--exit-zero").exit_code == 0
    assert audit(db, "-o", str(tmp_path), "-f", "json", "--fail-on", "never").exit_code == 0
    bad = audit(db, "-o", str(tmp_path), "-f", "pdf")
    assert bad.exit_code == 2 and "unknown format 'pdf'" in bad.output


def test_baseline_gates_only_new_findings(db, tmp_path):
    base = tmp_path / "baseline.json"
    res = runner.invoke(app, ["baseline", db, "-o", str(base), "--select", "IDX001"])
    assert res.exit_code == 0, res.output
    entries = json.loads(base.read_text())["entries"]
    assert [e["code"] for e in entries] == ["IDX001"]

    out = tmp_path / "run1"
    res = audit(db, "-o", str(out), "--baseline", str(base), "--fail-on", "low")
    assert res.exit_code == 0, res.output  # the only finding is known
    doc = json.loads((out / "pg-auditor-report.json").read_text())
    assert [f["state"] for f in doc["findings"]] == ["known"]
    assert doc["context"]["changes"]["known"] == [entries[0]["fingerprint"]]

    with psycopg.connect(db, autocommit=True) as c:  # one fixed, one new
        c.execute("CREATE INDEX ON invoices (customer_id)")
        c.execute("CREATE TABLE payments (id bigint PRIMARY KEY, invoice_id bigint REFERENCES invoices)")
    out = tmp_path / "run2"
    res = audit(db, "-o", str(out), "--baseline", str(base), "--fail-on", "low")
    assert res.exit_code == 1, res.output
    doc = json.loads((out / "pg-auditor-report.json").read_text())
    changes = doc["context"]["changes"]
    assert [f["object"]["table"] for f in doc["findings"] if f["state"] == "new"] == ["payments"]
    assert [x["object"] for x in changes["fixed"]] == ["invoices_customer_id_fkey on public.invoices"]
    md = (out / "pg-auditor-report.md").read_text()
    assert md.index("## What changed since baseline.json") < md.index("## Scores")
    assert "**1 new**, **1 fixed**" in md

    # A previous JSON report works as a baseline too.
    res = audit(db, "-o", str(tmp_path / "run3"), "--baseline", str(out / "pg-auditor-report.json"), "--fail-on", "low")
    assert res.exit_code == 0, res.output


def test_bad_baseline_and_config_are_usage_errors(db, tmp_path):
    (tmp_path / "nope.json").write_text("{}")
    res = audit(db, "-o", str(tmp_path / "o"), "--baseline", str(tmp_path / "nope.json"))
    assert res.exit_code == 2 and "not a pg-auditor baseline" in res.output
    cfg = tmp_path / "pg-auditor.toml"
    cfg.write_text('select = ["IDX001"]\nfial-on = "low"\n')
    res = audit(db, "-o", str(tmp_path / "o"), "--config", str(cfg))
    assert res.exit_code == 2 and "unknown key 'fial-on'" in res.output
    assert not (tmp_path / "o").exists()  # nothing half-written on a usage error


def test_render_command_re_renders_a_saved_report(db, tmp_path):
    audit(db, "-o", str(tmp_path), "-f", "json", "--exit-zero")
    saved = str(tmp_path / "pg-auditor-report.json")
    res = runner.invoke(app, ["render", saved, "-o", str(tmp_path / "r"), "-f", "html,sarif"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["pg-auditor-report.html", "pg-auditor-report.sarif"]


def test_render_rejects_what_is_not_a_report(tmp_path: Path):
    (tmp_path / "x.json").write_text('{"a": 1}')
    res = runner.invoke(app, ["render", str(tmp_path / "x.json")])
    assert res.exit_code == 2 and "not a pg-auditor JSON report" in res.output
