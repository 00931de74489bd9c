"""Nightly runs: the history store, --compare-to (new / known / fixed, score deltas, schema drift), trends."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from auditor.runs.history import History

from scratch import run_cli as cli
from support import create_database, drop_database

DB = "pga_nightly"
SCHEMA = """
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE accounts (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, email text);
CREATE INDEX accounts_tenant_idx ON accounts (tenant_id);
CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
                       account_id bigint NOT NULL REFERENCES accounts);
CREATE INDEX invoices_tenant_idx ON invoices (tenant_id);
CREATE INDEX invoices_account_idx ON invoices (account_id);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
"""
CHANGE = """
DROP INDEX invoices_account_idx;
CREATE POLICY accounts_tenant ON accounts USING (tenant_id = current_setting('app.tenant_id')::bigint);
CREATE TABLE "Audit Log" (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, body text);
"""


@pytest.fixture
def nightly_db(pg_server):
    create_database(pg_server.dsn, DB, SCHEMA)
    yield pg_server.dsn_for(DB)
    drop_database(pg_server.dsn, DB)


def ddl(dsn: str, text: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(text)


def report_json(folder: Path) -> dict:
    return json.loads((folder / "pg-auditor-report.json").read_text())


def test_two_nightly_runs_lead_with_exactly_what_changed(nightly_db, tmp_path):
    hist = tmp_path / "state" / "history.sqlite"
    first = cli(
        "audit",
        "--select",
        "IDX",
        nightly_db,
        "--history",
        str(hist),
        "--compare-to",
        "latest",
        "-o",
        str(tmp_path / "1"),
    )
    assert first.returncode == 0, first.stderr
    doc1 = report_json(tmp_path / "1")
    assert "changes" not in doc1["context"]  # the first night has nothing to compare with
    # The reports are written before the history (a history failure never costs them), so the JSON
    # report cannot carry its history row's id; the history has the run.
    assert "history_id" not in doc1["run"]
    with History(str(hist)) as h:
        assert [r.id for r in h.runs()] == [1]

    ddl(nightly_db, CHANGE)
    second = cli(
        "audit",
        "--select",
        "IDX",
        nightly_db,
        "--history",
        str(hist),
        "--compare-to",
        "latest",
        "-o",
        str(tmp_path / "2"),
        "--exit-zero",
    )
    assert second.returncode == 0, second.stderr
    doc2 = report_json(tmp_path / "2")
    changes = doc2["context"]["changes"]
    assert re.fullmatch(r"run 1 \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)", changes["against"])
    assert changes["schema_drift"] == {
        "added": {"policies": ["accounts_tenant on public.accounts"], "tables": ['public."Audit Log"']},
        "dropped": {"indexes": ["public.invoices_account_idx on public.invoices"]},
    }
    new = [f for f in doc2["findings"] if f["fingerprint"] in changes["new"]]
    assert {(f["code"], f["object"]["display"]) for f in new} == {
        ("IDX001", "invoices_account_id_fkey on public.invoices"),
        ("IDX001", 'Audit Log_tenant_id_fkey on public."Audit Log"'),
    }
    assert all(f["state"] == "new" for f in new)
    assert changes["fixed"] == []
    assert changes["score_deltas"]["indexes"] < 0 and changes["score_deltas"]["overall"] < 0
    # the trend ends with this run, taken from the report (it is recorded after its reports are written)
    trend = doc2["context"]["trend"]
    assert [p["run_id"] for p in trend] == [1, None] and trend[-1]["overall"] == doc2["scores"]["overall"]
    html = (tmp_path / "2" / "pg-auditor-report.html").read_text()
    assert "<svg" in html and "Score trend, last 2 runs" in html and html.count("<polyline") >= 2

    # Put the index back: the finding is fixed against run 2, and the drift says the index came back.
    ddl(nightly_db, "CREATE INDEX invoices_account_idx ON invoices (account_id)")
    third = cli(
        "audit", "--select", "IDX", nightly_db, "--history", str(hist), "--compare-to", "2", "-o", str(tmp_path / "3")
    )
    assert third.returncode == 0, third.stderr
    ch3 = report_json(tmp_path / "3")["context"]["changes"]
    assert [x["object"] for x in ch3["fixed"]] == ["invoices_account_id_fkey on public.invoices"]
    assert ch3["schema_drift"] == {
        "added": {"indexes": ["public.invoices_account_idx on public.invoices"]},
        "dropped": {},
    }
    assert ch3["score_deltas"]["indexes"] > 0

    listing = cli("history", "--history", str(hist))
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split()[:5] == ["run", "when", "target", "status", "overall"]
    assert [ln.split()[0] for ln in lines[1:]] == ["3", "2", "1"]
    rows = [json.loads(ln) for ln in cli("history", "--history", str(hist), "--json").stdout.splitlines()]
    assert rows[1]["scores"]["indexes"] < rows[0]["scores"]["indexes"]
    assert rows[0]["target"].endswith(f"/{DB}")


def test_compare_to_a_report_file_and_a_snapshot_file(nightly_db, tmp_path):
    snap = tmp_path / "before.json"
    assert cli("collect", nightly_db, "-o", str(snap)).returncode == 0
    before = cli("audit", "--select", "IDX", "--from-snapshot", str(snap), "-o", str(tmp_path / "before"), "-f", "json")
    assert before.returncode == 0, before.stderr
    ddl(nightly_db, CHANGE)

    vs_report = cli(
        "audit", "--select", "IDX", nightly_db,
        "--compare-to", str(tmp_path / "before" / "pg-auditor-report.json"), "-o",
        str(tmp_path / "a"), "-f", "json", "--fail-on", "low",
    )  # fmt: skip
    assert vs_report.returncode == 1, vs_report.stderr  # a new finding at or above low
    ch = report_json(tmp_path / "a")["context"]["changes"]
    assert ch["against"] == "pg-auditor-report.json" and len(ch["new"]) >= 1
    assert "schema_drift" not in ch  # a report has no object digest

    vs_snapshot = cli(
        "audit", "--select", "IDX", nightly_db, "--compare-to", str(snap), "-o", str(tmp_path / "b"), "-f", "json"
    )
    assert vs_snapshot.returncode in (0, 1), vs_snapshot.stderr
    ch = report_json(tmp_path / "b")["context"]["changes"]
    assert ch["against"].startswith("before.json (")
    assert ch["schema_drift"]["dropped"] == {"indexes": ["public.invoices_account_idx on public.invoices"]}
    # Gating with a comparison is on new findings only: the same run against itself exits 0.
    again = cli(
        "audit", "--select", "IDX", nightly_db,
        "--compare-to", str(tmp_path / "b" / "pg-auditor-report.json"), "-o",
        str(tmp_path / "c"), "-f", "json", "--fail-on", "low",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert report_json(tmp_path / "c")["context"]["changes"]["new"] == []


def test_compare_to_errors_are_one_line(tmp_path):
    out = cli("audit", "--select", "IDX", "--from-snapshot", str(tmp_path / "x.json"), "--compare-to", "latest")
    assert out.returncode == 2 and "needs a run history" in out.stderr
    out = cli(
        "audit",
        "--select",
        "IDX",
        "--from-snapshot",
        str(tmp_path / "x.json"),
        "--compare-to",
        str(tmp_path / "nope.json"),
    )
    assert out.returncode == 2 and "no such file" in out.stderr
    out = cli("history", "--history", str(tmp_path / "h.sqlite"), "-n", "5")
    assert out.returncode == 0 and out.stdout.strip() == "no runs recorded yet"


def test_history_schema_is_versioned_and_refuses_a_newer_one(tmp_path):
    import sqlalchemy as sa

    from auditor.runs.history import SCHEMA_VERSION, History, HistoryError

    path = tmp_path / "h.sqlite"
    with History(str(path)) as h:
        assert h.version == SCHEMA_VERSION
    with History(str(path)) as h:  # a second open migrates nothing and keeps the data
        h.record_failure("db1", "cannot connect: x")
        assert [r.status for r in h.runs("db1")] == ["failed"]
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        tables = set(sa.inspect(c).get_table_names())
        assert {"pga_meta", "pga_runs", "pga_findings"} <= tables
        c.execute(sa.text("UPDATE pga_meta SET value = '99' WHERE key = 'schema_version'"))
    engine.dispose()
    with pytest.raises(HistoryError, match="schema version 99, newer"):
        History(str(path))


def test_history_retention_keeps_the_newest_runs_per_target(tmp_path):
    import sqlalchemy as sa

    from auditor.runs.history import History

    with History(str(tmp_path / "h.sqlite")) as h:
        for i in range(5):
            h.record_failure("a", f"e{i}")
        h.record_failure("b", "only")
        assert h.prune(keep_runs=2) == 3
        assert [r.error for r in h.runs("a")] == ["e4", "e3"]
        assert [r.error for r in h.runs("b")] == ["only"]
        with h.engine.begin() as c:  # age one run by hand: keep-days drops it
            c.execute(sa.text("UPDATE pga_runs SET started_at = '2001-01-01T00:00:00Z' WHERE error = 'only'"))
        assert h.prune(keep_days=30) == 1
        assert h.targets() == ["a"]


def test_history_on_postgresql_url_and_password_never_printed(pg_server, nightly_db, tmp_path):
    """A team's shared history in PostgreSQL, through a URL with a password that must never show."""
    create_database(pg_server.dsn, "pga_history_store")
    try:
        admin = psycopg.conninfo.conninfo_to_dict(pg_server.dsn)
        with psycopg.connect(pg_server.dsn, autocommit=True) as c:
            c.execute("DROP ROLE IF EXISTS pga_hist")
            c.execute("CREATE ROLE pga_hist LOGIN PASSWORD 'Hist-S3cret' ")
            c.execute("ALTER DATABASE pga_history_store OWNER TO pga_hist")
        host = admin.get("host") or "localhost"
        sock = f"?host={host}" if host.startswith("/") else ""
        netloc = "" if sock else host
        url = f"postgresql://pga_hist:Hist-S3cret@{netloc}:{admin.get('port', 5432)}/pga_history_store{sock}"
        for i in (1, 2):
            out = cli(
                "audit",
                "--select",
                "IDX",
                nightly_db,
                "--history",
                url,
                "--compare-to",
                "latest",
                "-o",
                str(tmp_path / str(i)),
            )
            assert out.returncode == 0, out.stderr
            assert "Hist-S3cret" not in out.stdout + out.stderr
        assert "Hist-S3cret" not in (tmp_path / "2" / "pg-auditor-report.json").read_text()
        assert report_json(tmp_path / "2")["context"]["changes"]["against"].startswith("run 1")
        bad = cli("history", "--history", url.replace("pga_history_store", "nope"))
        assert bad.returncode == 2 and "Hist-S3cret" not in bad.stderr and "***" in bad.stderr
    finally:
        drop_database(pg_server.dsn, "pga_history_store")
        with psycopg.connect(pg_server.dsn, autocommit=True) as c:
            c.execute("DROP ROLE IF EXISTS pga_hist")


def test_python_api_returns_a_report_and_import_stays_cheap(nightly_db, tmp_path):
    import auditor

    report = auditor.audit(nightly_db, history=str(tmp_path / "h.sqlite"), compare_to="latest", label="staging")
    assert report.run["target"] == "staging" and report.run["history_id"] == 1
    assert report.overall is not None
    paths = auditor.write(report, ["json"], tmp_path / "out")
    assert json.loads(paths[0].read_text())["run"]["target"] == "staging"
    code = "import sys, auditor; print(sorted(m for m in ('psycopg', 'sqlalchemy', 'jinja2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
