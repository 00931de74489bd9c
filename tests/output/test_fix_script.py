"""`-f sql`: the selected findings' fixes in one psql script, in dependency order, comments that no name can end."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess

import psycopg
import pytest

from auditor.base.text import sql_comment
from auditor.engine import Run
from auditor.engine.config import Config
from auditor.output.evidence import member_fixes
from auditor.output.fix_script import FIX_ORDER, block, fix_script, fixes
from auditor.output.render import render

from reports import frozen
from scratch import scratch_database, snapshot_of


def test_script_stops_at_the_first_error_and_holds_every_fix() -> None:
    report = frozen()
    text = render(report, "sql")
    assert "\n\\set ON_ERROR_STOP on\n" in text
    with_fix = [f for f in report.active if f.fix and f.fix.strip()]
    assert len(re.findall(r"^-- \[\d+/\d+\] ", text, re.M)) == len(with_fix)
    for f in with_fix:
        assert f.fingerprint in text


def test_blocks_come_in_dependency_order() -> None:
    ranks = [FIX_ORDER.get(f.code, FIX_ORDER.get(f.code[:3], 9)) for f in fixes(frozen())]
    assert ranks == sorted(ranks)


def test_concurrently_is_never_inside_a_transaction() -> None:
    text = fix_script(frozen())
    for blk in text.split("\n\n"):
        code = "\n".join(line for line in blk.splitlines() if not line.startswith("--"))
        if "CONCURRENTLY" in code:
            assert "BEGIN;" not in code, blk


def test_a_name_cannot_end_a_comment() -> None:
    hostile = "x\nDROP TABLE public.canary; --\r\u202e"
    safe = sql_comment(hostile)
    assert "\n" not in safe and "\r" not in safe and "\u202e" not in safe
    assert safe.startswith("x\\nDROP TABLE")


def test_gexec_and_alter_system_are_never_inside_a_transaction() -> None:
    """psql's \\gexec runs CREATE INDEX CONCURRENTLY statements a query prints; ALTER SYSTEM refuses a transaction."""
    report = frozen()
    f = next(f for f in report.active if f.fix)
    for fix in ("SELECT format('CREATE INDEX ON %I.%I (a)', 's', 't')\n\\gexec", "ALTER SYSTEM SET work_mem = '8MB';"):
        text = block(dataclasses.replace(f, fix=fix), 1, 1)
        assert "BEGIN;" not in text and fix in text
    assert "BEGIN;\nCREATE TABLE t ();\nCOMMIT;" in block(dataclasses.replace(f, fix="CREATE TABLE t ();"), 1, 1)


@pytest.mark.slow
def test_a_grouped_finding_holds_every_member_fix_whole_and_runs(pg_server) -> None:
    """Six nullable tenant columns, grouped into one ISO015 line (group over 4): the script and the JSON's
    `fix` hold all six members' fixes, whole (no "... more like these"), and the script runs with
    ON_ERROR_STOP and clears the finding."""
    tables = [f"t{i}" for i in range(6)]
    ddl = "CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);" + "".join(
        f"CREATE TABLE {t} (id bigint PRIMARY KEY, org_id bigint REFERENCES orgs, total numeric);" for t in tables
    )
    config = Config(thresholds={"isolation_group_over": 4})
    with scratch_database(pg_server, "pga_fix_script_grouped", ddl) as dsn:
        report = Run(config).finish(snapshot_of(dsn), {"source": "test"})
        (grouped,) = [f for f in report.active if f.code == "ISO015"]
        members = member_fixes(grouped)  # each member's fix, cut from `fix` where evidence.fix_lines says
        assert grouped.evidence["count"] == 6 and len(members) == 6 and "fixes" not in grouped.evidence
        assert grouped.fix == "\n".join(members)  # whole in `fix` (and so in the JSON), once
        assert all(m.count("VALIDATE CONSTRAINT") == 1 for m in members)
        (in_json,) = [x for x in json.loads(render(report, "json"))["findings"] if x["code"] == "ISO015"]
        assert in_json["fix"].count("VALIDATE CONSTRAINT") == 6
        text = fix_script(report)
        assert "more like these" not in text
        for t in tables:
            assert f"ALTER TABLE public.{t} VALIDATE CONSTRAINT" in text, t
        out = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", "-"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        after = Run(config).finish(snapshot_of(dsn), {"source": "test"})
        assert not [f for f in after.active if f.code == "ISO015"]
        with psycopg.connect(dsn, autocommit=True) as conn:
            nullable = conn.execute(
                "SELECT count(*) FROM pg_attribute WHERE attname = 'org_id' AND NOT attnotnull"
                " AND attrelid = ANY(%s::regclass[])",
                (tables,),
            ).fetchone()
        assert nullable == (0,)


def test_a_stored_report_with_a_cut_group_fix_gets_every_member() -> None:
    """A report written before groups kept whole fixes (`fix` cut to 3 members, all in evidence.fixes)."""
    report = frozen()
    f = next(f for f in report.active if f.fix)
    members = [f"ALTER TABLE app.p{i} FORCE ROW LEVEL SECURITY;" for i in range(7)]
    cut = "\n".join(members[:3]) + "\n-- ... and 4 more like these (all of them in evidence.fixes)"
    report.findings[report.findings.index(f)] = dataclasses.replace(f, fix=cut, evidence={"fixes": members})
    text = fix_script(report)
    assert all(m in text for m in members) and "more like these" not in text
