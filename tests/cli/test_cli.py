"""The command line as a user runs it: real processes, real exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from paths import ROOT
from scratch import run_cli as cli


def test_version_and_rules():
    out = cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("pg-auditor ")
    rules = cli("rules")
    assert rules.returncode == 0
    assert any(line.startswith("IDX001") for line in rules.stdout.splitlines())
    doc = cli("rule", "unindexed-foreign-key")
    assert doc.returncode == 0 and "## Fix" in doc.stdout


def test_unknown_rule_is_one_line_and_exit_2():
    out = cli("rule", "NOPE999")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and out.stderr.startswith("pg-auditor: no rule")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[tool.pg-auditor]\nselct = ['IDX']\n", "unknown key 'selct'"),
        ("[tool.pg-auditor]\nselect = ['IDX999']\n", "unknown rule code or prefix 'IDX999'"),
        ("[tool.pg-auditor\n", "not valid TOML"),
        ("[tool.pg-auditor.thresholds]\nlarge_table_rows = 'many'\n", "must be like"),
        (
            "[tool.pg-auditor.thresholds]\ntable_classes = {'public.orders' = 'tennant'}\n",
            "pyproject.toml: threshold 'table_classes': 'public.orders' = 'tennant' is not a class",
        ),
        ("[tool.pg-auditor.thresholds]\ntable_classes = {'public.*' = 'reference'}\n", "'public.*' is a pattern"),
    ],
)
def test_broken_config_is_exit_2(tmp_path, config, message):
    (tmp_path / "pyproject.toml").write_text(config)
    out = cli("audit", "--from-snapshot", str(tmp_path / "none.json"), cwd=tmp_path)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_broken_table_classes_stop_before_connecting(tmp_path):
    (tmp_path / "pg-auditor.toml").write_text("[thresholds]\ntable_classes = {'app.orders' = 'tennant'}\n")
    out = cli("audit", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "pg-auditor: pg-auditor.toml: threshold 'table_classes': 'app.orders' = 'tennant' is not a class "
        "(one of root, tenant, indirect, identity, reference, framework, unknown)"
    ]


def test_collect_then_audit_offline(pg_server, tmp_path):
    dsn = pg_server.dsn_for()
    setup = (
        "CREATE TABLE IF NOT EXISTS cli_parent (id int PRIMARY KEY); "
        "CREATE TABLE IF NOT EXISTS cli_child (id int PRIMARY KEY, p int REFERENCES cli_parent)"
    )
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(setup)
    try:
        snap = tmp_path / "snap.json"
        out = cli("collect", dsn, "-o", str(snap))
        assert out.returncode == 0, out.stderr
        res = cli(
            "audit", "--from-snapshot", str(snap), "-f", "json", "-f", "md", "-o", str(tmp_path), "--fail-on", "low"
        )
        assert res.returncode == 1, res.stderr  # an unindexed FK at or above low
        doc = json.loads((tmp_path / "pg-auditor-report.json").read_text())
        assert any(f["code"] == "IDX001" and f["object"]["table"] == "cli_child" for f in doc["findings"])
        assert (tmp_path / "pg-auditor-report.md").exists()
        ok = cli("audit", "--from-snapshot", str(snap), "-f", "json", "-o", str(tmp_path), "--exit-zero")
        assert ok.returncode == 0
        live = cli(
            "audit",
            dsn,
            "-f",
            "json",
            "-o",
            str(tmp_path / "live"),
            "--select",
            "IDX001",
            "--fail-on",
            "never",
            "--debug",
        )
        assert live.returncode == 0, live.stderr
        assert "query tables" in live.stderr  # --debug traces every query
        assert not list(tmp_path.glob("**/*.partial"))
    finally:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("DROP TABLE cli_child, cli_parent")


def test_unknown_format_is_usage_error(tmp_path):
    out = cli("audit", "--from-snapshot", "x.json", "-f", "pdf", cwd=tmp_path)
    assert out.returncode == 2 and "unknown format 'pdf'" in out.stderr


def test_a_pipe_closed_early_ends_quietly() -> None:
    """`pg-auditor rules | head -1`: no error line, the exit status a shell gives a writer whose reader left."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        out = subprocess.run(
            [sys.executable, "-m", "auditor", "rules"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert out.returncode == 141 and out.stderr == b"", out.stderr
