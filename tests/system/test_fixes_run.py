"""Every fix is run: each rule's documented bad case is built, audited, its fixes run with psql
(ON_ERROR_STOP) on a copy made from it (CREATE DATABASE ... TEMPLATE), and the copy audited again.

The fix must run whole, its finding must be gone, and no new finding at medium or above may appear.
Rules whose fix is not right yet are listed in NOT_YET with why (strict xfail: the day a fix works,
the entry must go), so the list is the measured state of issue 16.

Two other lists say what is by design, each with its reason, and are checked as strictly:
- ADVICE: the rule's documented fix is advice on purpose (a value, a bound or a data model only the DBA
  can decide). Its fix must hold no statement that writes (it is run in a read-only transaction, so it
  can never half apply), and its finding must stay (the day a fix clears it, the entry must go).
- LOWERED: the rule lists what it fires on, fixed or not, for review; the fix must bring it below medium.
- FOLLOW_UP: the fix clears its finding, and the re-audit raises another finding whose own fix is the
  next step (a DEFAULT partition, then the real ranges): only those codes may appear, and they must.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from auditor.engine import Run
from auditor.engine.config import Config
from auditor.output.rule_docs import example, has_fix
from auditor.rules import load_all
from auditor.rules.registry import SEVERITY_RANK

from scratch import psql, scratch_database, snapshot_of

RULES = load_all()
MEDIUM = SEVERITY_RANK["medium"]

# Fixes that do not yet clear their finding on their own bad case, with what happens (issue 16).
NOT_YET: dict[str, str] = {
    "HLT001": "VACUUM makes the dead rows' space reusable but the file keeps its size; the rewrite that gives it "
    "back (VACUUM FULL, pg_repack) blocks the table and is printed commented out, for a maintenance window",
}


# Fixes that are advice on purpose: what only the DBA can decide, and why (issue 16).
ADVICE: dict[str, str] = {
    "CON006": "the allowed values come from the application: the CHECK is printed commented out, after the values"
    " the statistics show, for the DBA to confirm",
    "CON007": "bounds inferred from a column's name (a refund may be negative): a read-only count of the rows each"
    " CHECK would reject, the CHECKs commented out until the DBA confirms them",
    "PAR009": "PostgreSQL cannot enforce a key without the partition key across partitions: widening the key"
    " changes what is unique, or the values move to an unpartitioned table (a data-model decision)",
    "PAR011": "the migration to native partitioning rebuilds the table around a key and bounds the DBA chooses:"
    " a procedure with placeholders, in comments",
    "PAR012": "a skewed partition is split by sub-partitioning or a shorter interval, chosen from the data's growth",
    "PAR013": "the remedy is fewer partitions (coarser intervals, retention), a data-model decision; raising the lock"
    " table (max_locks_per_transaction) needs a restart and is a comment",
    "ISO012": "the tenant column's path (add, backfill in batches, NOT NULL, composite key, policy) waits on the"
    " application writing the column: added alone it is nullable and unused by the policies, which turned the demo's"
    " three mediums into ISO005 criticals, ISO006 highs and ISO015 mediums; printed as comments",
    "PAR021": "without pg_cron the routes are comments: the background worker needs the library preloaded and a"
    " server restart, which no fix script may do",
    "PAR024": "nothing runs pg_partman's maintenance here (PAR021): registering the set is printed as comments until"
    " something does (registered alone, the set gets its premade partitions once and PAR021 turns high)",
    "PAR026": "the migration from trigger-based to native partitioning is pg_partman's documented procedure, in"
    " comments: it rebuilds the table",
}

# Findings that stay listed by design after their fix, which must bring them below medium: code -> why.
LOWERED: dict[str, str] = {
    "ISO020": "a SECURITY DEFINER function stays listed at low for review: the fix pins its search_path and takes"
    " EXECUTE from PUBLIC; whether it needs its owner's rights at all (SECURITY INVOKER) is the DBA's call",
}

# Fixes whose re-audit raises the next step as a finding of its own: code -> {new code: why}.
FOLLOW_UP: dict[str, dict[str, str]] = {
    "PAR018": {
        "PAR001": "a set with no partition gets a DEFAULT one so INSERTs work again; the ranges the data needs"
        " are the DBA's (or pg_partman's), and PAR001 then asks for them with their own fix",
    },
    "PAR025": {
        "PAR009": "the template's unique index lacks the partition key: on every child it enforces uniqueness per"
        " partition only, which PAR009 then reports (its fix is advice: widen the key)",
    },
}


def audit(dsn: str) -> dict[str, object]:
    """identity -> finding, every rule, default configuration. A finding about the database itself is
    named by its code alone: the copy is another database, with another name, and the same finding."""
    report = Run(Config()).finish(snapshot_of(dsn), {"source": "test"})
    return {(f.code if f.obj.kind == "database" else f.fingerprint): f for f in report.active}


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
    advice = code in ADVICE
    for f in mine:
        out = psql(copy_dsn, f.fix, options="-c default_transaction_read_only=on" if advice else None)
        assert out.returncode == 0, f"{code} fix failed on {f.obj.display}: {out.stderr.strip()[-800:]}"
    with psycopg.connect(copy_dsn, autocommit=True) as conn:  # estimates as they are after the change
        conn.execute("ANALYZE")
    after = audit(copy_dsn)
    fixed = {m.fingerprint for m in mine}
    left = [f.obj.display for f in after.values() if f.code == code and f.fingerprint in fixed]
    if advice:
        assert left, f"{code}: its fix clears the finding now: remove it from ADVICE"
        return
    if code in LOWERED:
        assert left, f"{code}: its fix clears the finding now: remove it from LOWERED"
        high = [f"{f.severity} {f.obj.display}" for f in after.values() if f.code == code and f.fingerprint in fixed
                and SEVERITY_RANK[f.severity] >= MEDIUM]  # fmt: skip
        assert not high, f"{code}: still at medium or above after its fix: {high}"
        left = []
    assert not left, f"{code}: the finding is still there after its fix: {left}"
    new = [f"{f.code} {f.severity} {f.obj.display}" for fp, f in after.items()
           if fp not in before and SEVERITY_RANK[f.severity] >= MEDIUM]  # fmt: skip
    expected = FOLLOW_UP.get(code, {})
    assert not [n for n in new if n.split()[0] not in expected], f"{code}: its fix brought new findings: {new}"
    missing = set(expected) - {n.split()[0] for n in new}
    assert not missing, f"{code}: the follow-up {sorted(missing)} no longer appears: update FOLLOW_UP"
