"""Least privilege: the same database audited as a superuser, a pg_monitor role and a bare login role.

Each role gets a whole report; what it could not read is listed as skipped (or limited) with the
GRANT that unlocks it, the rules that need it are skipped, coverage drops, and running the printed
GRANT as an administrator really does unlock the section.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from auditor import engine
from auditor.output import render
from auditor.rules.registry import RULES, rule

from scratch import ROOT, admin, run_cli, scratch_database, snapshot_of

DB = "pga_priv"
MON, BARE, HELPER = "pga_priv_mon", "pga_priv_bare", "pgauditor"
PASSWORD = "s3cret-priv"

SCHEMA = f"""
CREATE SCHEMA app;
CREATE TABLE app.tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES app.tenants, status text);
INSERT INTO app.tenants SELECT g, 't' || g FROM generate_series(1, 20) g;
INSERT INTO app.orders SELECT g, g % 20 + 1, (ARRAY['new', 'paid', 'void'])[g % 3 + 1] FROM generate_series(1, 2000) g;
CREATE SEQUENCE app.invoice_no;
SELECT nextval('app.invoice_no');
ANALYZE;
REVOKE ALL ON SCHEMA app FROM PUBLIC;
REVOKE CONNECT ON DATABASE {DB} FROM PUBLIC;
-- A hardened database: statistics views only for the monitoring role.
REVOKE SELECT ON pg_catalog.pg_stat_user_tables, pg_catalog.pg_stat_user_indexes FROM PUBLIC;
GRANT SELECT ON pg_catalog.pg_stat_user_tables, pg_catalog.pg_stat_user_indexes TO pg_monitor;
DROP ROLE IF EXISTS {MON};
DROP ROLE IF EXISTS {BARE};
CREATE ROLE {MON} LOGIN PASSWORD '{PASSWORD}' IN ROLE pg_monitor;
CREATE ROLE {BARE} LOGIN PASSWORD '{PASSWORD}';
GRANT CONNECT ON DATABASE {DB} TO {MON}, {BARE};
"""


@pytest.fixture(scope="module")
def priv_db(pg_server) -> Iterator[str]:
    ddl = SCHEMA
    if pg_server.partman:
        ddl += "CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman;"
    with scratch_database(pg_server, DB, ddl, roles=(MON, BARE, HELPER)) as dsn:
        yield dsn


@pytest.fixture
def stats_rule() -> Iterator[str]:
    """A rule that needs the statistics views, registered for the test only."""

    @rule("IDX990", "test-needs-table-stats", severity="low", subject="table", requires=("table_stats",))
    def needs_stats(snap):  # pragma: no cover - body irrelevant
        """Test rule reading table statistics."""
        yield from ()

    @rule("IDX989", "test-needs-column-stats", severity="low", subject="column", requires=("column_stats",))
    def needs_column_stats(snap):  # pragma: no cover - body irrelevant
        """Test rule reading column statistics."""
        yield from ()

    yield "IDX990"
    RULES.pop("IDX990")
    RULES.pop("IDX989")


def as_role(dsn: str, role: str) -> str:
    return f"{dsn} user={role} password={PASSWORD}"


def test_superuser_reads_everything(priv_db, stats_rule):
    snap = snapshot_of(priv_db)
    assert snap.unavailable == {}
    assert snap.limited == {}
    report = engine.run(snap)
    # Nothing is skipped for want of data (a rule may still be not applicable to this schema); the workload
    # rules are skipped for want of an extension (pg_stat_statements), which no privilege unlocks.
    assert not [
        s.code for s in report.statuses if s.status == "skipped" and s.grant and "CREATE EXTENSION" not in s.grant
    ]
    assert not [s.code for s in report.statuses if s.reason and "cannot read" in s.reason]
    assert {s.code: s.status for s in report.statuses}[stats_rule] == "ok"


def test_pg_monitor_role_sees_catalogs_and_statistics_but_not_data(priv_db, pg_server, stats_rule):
    snap = snapshot_of(as_role(priv_db, MON))
    expected = {"partman_config"} if pg_server.partman else set()
    assert set(snap.unavailable) == expected
    if pg_server.partman:
        assert "GRANT USAGE ON SCHEMA partman TO pga_priv_mon" in snap.unavailable["partman_config"].grant
    # pg_stats hides the columns of tables it may not SELECT: read, but limited, and said so.
    assert set(snap.limited) == {"column_stats", "sequences"}
    assert "2 of 2 tables" in snap.limited["column_stats"].reason
    assert snap.column_stats == []
    assert snap.sequences and snap.sequences[0].last_value is None
    assert len(snap.tables) == 2 and len(snap.constraints) >= 3 and snap.table_stats
    report = engine.run(snap)
    assert {s.code: s.status for s in report.statuses}[stats_rule] == "ok"


def test_bare_role_gets_a_report_listing_what_it_could_not_read(priv_db, pg_server, stats_rule, tmp_path):
    snap = snapshot_of(as_role(priv_db, BARE))
    assert {"table_stats", "index_usage"} <= set(snap.unavailable)
    assert snap.unavailable["table_stats"].grant == f"GRANT SELECT ON pg_catalog.pg_stat_user_tables TO {BARE};"
    assert set(snap.limited) == {"column_stats", "sequences", "settings"}
    assert snap.server.shared_preload_libraries is None
    # Catalog sections are whole: the rules that need only them still run.
    assert {t.name for t in snap.tables} == {"orders", "tenants"}

    report = engine.run(snap)
    status = {s.code: s for s in report.statuses}
    assert status[stats_rule].status == "skipped"
    assert status[stats_rule].grant == snap.unavailable["table_stats"].grant
    assert status["IDX001"].status in ("ok", "findings")
    # A rule on a limited section runs, and its status says on what and how to see the rest.
    assert status["IDX989"].status == "ok"
    assert status["IDX989"].reason.startswith("partial column_stats: pg_stats hides the columns of 2 of 2 tables")
    assert status["IDX989"].grant.startswith(f"GRANT pg_read_all_data TO {BARE};")
    assert report.coverage < 1.0

    paths = render.write(report, ["md", "html", "json"], tmp_path)
    md, html, doc = (p.read_text(encoding="utf-8") for p in paths)
    section = md.split("## What this audit could not read", 1)[1]
    assert "| `table_stats` | skipped |" in section and "| `column_stats` | limited |" in section
    assert "`GRANT SELECT ON pg_catalog.pg_stat_user_tables TO pga_priv_bare;`" in section
    assert "What this audit could not read" in html and "pg_stat_user_tables TO pga_priv_bare" in html
    data = json.loads(doc)
    assert set(data["unavailable"]) == set(snap.unavailable) and set(data["limited"]) == set(snap.limited)
    assert data["scores"]["coverage"] < 1.0


def test_the_printed_grants_unlock_the_sections(priv_db, pg_server):
    """Run what the report says, as an administrator; the next audit reads what was missing."""
    snap = snapshot_of(as_role(priv_db, BARE))
    grants = sorted({u.grant for u in snap.unavailable.values() if u.grant})
    assert grants
    admin(priv_db, "\n".join(grants))
    try:
        again = snapshot_of(as_role(priv_db, BARE))
        assert not {"table_stats", "index_usage", "partman_config"} & set(again.unavailable)
        assert again.table_stats
    finally:
        admin(
            priv_db,
            f"REVOKE SELECT ON pg_catalog.pg_stat_user_tables, pg_catalog.pg_stat_user_indexes FROM {BARE};"
            + (f"REVOKE USAGE ON SCHEMA partman FROM {BARE};" if pg_server.partman else ""),
        )


def test_setup_role_script_and_security_definer_helper(priv_db):
    """docs/setup-role.sql runs as printed; with its helper a non-superuser sees every column's statistics."""
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql not on PATH")
    script = (ROOT / "docs" / "setup-role.sql").read_text(encoding="utf-8")
    script = script.replace("'change-me'", f"'{PASSWORD}'")
    out = subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", priv_db, "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    snap = snapshot_of(as_role(priv_db, HELPER))
    assert "column_stats" not in snap.limited and "column_stats" not in snap.unavailable
    assert {(c.table, c.column) for c in snap.column_stats} >= {("orders", "status"), ("orders", "tenant_id")}
    assert snap.server.shared_preload_libraries is not None  # pg_monitor reads settings
    assert snap.table_stats


def test_doctor_prints_what_the_role_sees_and_the_grants(priv_db, tmp_path):
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:{BARE}:{PASSWORD}\n", encoding="utf-8")
    passfile.chmod(0o600)
    out = run_cli("doctor", f"{priv_db} user={BARE}", env={"PGPASSFILE": str(passfile)})
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert f"Role {BARE}: not a superuser; member of no monitoring role" in text
    assert f"password     from the password file {passfile}" in text
    assert f"passfile     {passfile} (used)" in text
    assert "PGPASSFILE=" in text
    assert "skipped  table_stats: permission denied" in text
    assert "limited  column_stats:" in text
    assert f"GRANT pg_monitor TO {BARE};" in text
    assert f"GRANT SELECT ON pg_catalog.pg_stat_user_tables TO {BARE};" in text
    assert PASSWORD not in text + out.stderr


def test_doctor_as_superuser_has_nothing_to_grant(priv_db):
    out = run_cli("doctor", priv_db)
    assert out.returncode == 0, out.stderr
    assert "This role reads everything pg-auditor collects." in out.stdout
    assert "skipped" not in out.stdout and "limited" not in out.stdout
