"""Every fix is run: each rule's documented bad case is built, audited, its fixes run with psql
(ON_ERROR_STOP) on a copy made from it (CREATE DATABASE ... TEMPLATE), and the copy audited again.

The fix must run whole, its finding must be gone, and no new finding at medium or above may appear.
Rules whose fix is not right yet are listed in NOT_YET with why (strict xfail: the day a fix works,
the entry must go), so the list is the measured state of issue 16.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from auditor.engine import Run
from auditor.engine.config import Config
from auditor.output.rule_docs import example, has_fix
from auditor.rules import load_all
from auditor.rules.registry import SEVERITY_RANK

from scratch import scratch_database, snapshot_of

RULES = load_all()
MEDIUM = SEVERITY_RANK["medium"]

# Fixes that do not yet clear their finding on their own bad case, with what happens (issue 16).
NOT_YET: dict[str, str] = {
    "CON006": "the CHECK is printed commented out, for the DBA to confirm the values: the finding stays",
    "CON007": "the range CHECKs are printed commented out after a count of the rows they would reject",
    "HLT001": "VACUUM makes the dead rows' space reusable but the file keeps its size; the rewrite that gives it "
    "back (VACUUM FULL, pg_repack) blocks the table and is printed commented out, for a maintenance window",
    "ISO012": "the column's path (add, backfill in batches, NOT NULL, composite key, policy) is printed as comments",
    "ISO018": "revokes from PUBLIC only; the application roles' grants are left to a comment",
    "ISO020": "pins search_path and revokes PUBLIC, yet the function still runs as a role that bypasses RLS",
    "PAR009": "the fix is advice in comments: widen the key to hold the partition key",
    "PAR011": "the migration to native partitioning is printed as comments with placeholders to fill in",
    "PAR012": "advice in a comment (sub-partition or shorten the interval), no statement",
    "PAR013": "raising max_locks_per_transaction is a comment (a restart); the partition count stays as it is",
    "PAR018": "adds a DEFAULT partition only, so INSERTs work again; PAR001 then asks for the real ranges",
    "PAR021": "without pg_cron the routes are comments: the worker needs the library preloaded and a restart",
    "PAR024": "nothing runs pg_partman's maintenance here (PAR021): registering is printed as comments until it does",
    "PAR025": "the fix's new partitions come without the unique index PAR009 expects",
    "PAR026": "the migration to native partitioning is a documented procedure, printed as comments",
}


def audit(dsn: str) -> dict[str, object]:
    """identity -> finding, every rule, default configuration. A finding about the database itself is
    named by its code alone: the copy is another database, with another name, and the same finding."""
    report = Run(Config()).finish(snapshot_of(dsn), {"source": "test"})
    return {(f.code if f.obj.kind == "database" else f.fingerprint): f for f in report.active}


def run_fix(dsn: str, fix: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", "-"],
        input=fix,
        capture_output=True,
        text=True,
        check=False,
    )


def runnable() -> list:
    out = []
    for code, rule in RULES.items():
        bad, not_run = example(rule, "Bad")
        if not has_fix(rule) or not bad.strip() or not_run:
            continue
        marks = [pytest.mark.xfail(reason=NOT_YET[code], strict=True)] if code in NOT_YET else []
        out.append(pytest.param(code, marks=marks))
    return out


@pytest.fixture
def bad_case(pg_server, request) -> Iterator[tuple[str, str]]:
    """The rule's documented bad case in a database of its own, and a copy to run the fixes on."""
    code = request.param
    bad, _ = example(RULES[code], "Bad")
    name = f"pga_fix_{code.lower()}"
    with scratch_database(pg_server, name) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(bad)
            conn.execute("ANALYZE")
        with scratch_database(pg_server, name + "_copy") as copy_dsn:
            with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name + "_copy")))
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name + "_copy"), sql.Identifier(name)
                    )
                )
            yield dsn, copy_dsn


@pytest.mark.slow
@pytest.mark.parametrize("bad_case", runnable(), indirect=True)
def test_fix_clears_its_finding_and_adds_none(bad_case: tuple[str, str], request) -> None:
    code = request.node.callspec.params["bad_case"]
    dsn, copy_dsn = bad_case
    before = audit(dsn)
    mine = [f for f in before.values() if f.code == code and f.fix]
    if not mine:
        pytest.skip(f"{code}: its findings in the documented bad case carry no fix SQL")
    for f in mine:
        out = run_fix(copy_dsn, f.fix)
        assert out.returncode == 0, f"{code} fix failed on {f.obj.display}: {out.stderr.strip()[-800:]}"
    with psycopg.connect(copy_dsn, autocommit=True) as conn:  # estimates as they are after the change
        conn.execute("ANALYZE")
    after = audit(copy_dsn)
    fixed = {m.fingerprint for m in mine}
    left = [f.obj.display for f in after.values() if f.code == code and f.fingerprint in fixed]
    assert not left, f"{code}: the finding is still there after its fix: {left}"
    new = [f"{f.code} {f.severity} {f.obj.display}" for fp, f in after.items()
           if fp not in before and SEVERITY_RANK[f.severity] >= MEDIUM]  # fmt: skip
    assert not new, f"{code}: its fix brought new findings: {new}"
