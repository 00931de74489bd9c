"""`-f sql`: the selected findings' fixes in one psql script, in dependency order, comments that no name can end."""

from __future__ import annotations

import dataclasses
import re

from auditor.base.text import sql_comment
from auditor.output.fix_script import FIX_ORDER, block, fix_script, fixes
from auditor.output.render import render

from reports import frozen


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
