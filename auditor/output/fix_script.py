"""`-f sql`: every selected finding's fix in one script a DBA reviews and runs with psql.

The fixes come in dependency order (partitions before the indexes on them, indexes before the keys
and foreign keys that need them), each block headed by its finding in our own words, nothing cut.
`\\set ON_ERROR_STOP on` stops the script at the first failing statement. A fix whose statements can
run in a transaction is wrapped in one, so a failing step takes its whole fix back; a fix with
CONCURRENTLY, VACUUM, ALTER SYSTEM, a CALL (procedures commit on their own) or psql's \\gexec (it runs
the statements a catalog query prints, resolved when the script runs) cannot be, and runs statement by statement.
"""

from __future__ import annotations

import re

from auditor.base.text import sql_comment
from auditor.engine.report import Finding, Report
from auditor.output.evidence import whole_fix

# Dependency order of the areas' fixes; within a rank, the report's own order (severity first). PAR024 registers
# a set with pg_partman before any other fix adds partitions to it: create_parent makes its own children around
# now, and a partition another fix created for one of those ranges, named otherwise, would make it fail. Health
# goes last: VACUUM after the DDL.
FIX_ORDER = {"PAR024": 0, "PAR": 1, "IDX": 2, "ISO014": 3, "CON": 4, "ISO": 5, "HLT": 6}
# CONCURRENTLY, VACUUM and ALTER SYSTEM refuse a transaction; a CALL commits on its own; a psql meta-command
# (\gexec runs the statements a query prints, each on its own) is no SQL to wrap; BEGIN/COMMIT: its own.
_NO_TRANSACTION = re.compile(
    r"\b(CONCURRENTLY|VACUUM|ALTER SYSTEM)\b|^\s*(BEGIN|COMMIT|START TRANSACTION|CALL)\b|^\s*\\", re.I | re.M
)


def _rank(f: Finding) -> int:
    return FIX_ORDER.get(f.code, FIX_ORDER.get(f.code[:3], len(FIX_ORDER)))


def _code(fix: str) -> str:
    """The fix without its comment lines: what decides whether it can run in a transaction."""
    return "\n".join(line for line in fix.splitlines() if not line.lstrip().startswith("--"))


def fixes(report: Report) -> list[Finding]:
    """The findings whose fix the script holds: active (not suppressed), with fix SQL, in dependency order."""
    chosen = [f for f in report.active if whole_fix(f)]
    return sorted(chosen, key=lambda f: (_rank(f), f.sort_key()))


def block(f: Finding, number: int, total: int, same_as: int | None = None) -> str:
    head = [
        f"-- [{number}/{total}] {f.code} {f.severity}: {sql_comment(f.title)}",
        f"-- on {sql_comment(f.obj.display)} (fingerprint {f.fingerprint})",
    ]
    if same_as is not None:  # two findings, one remedy (a range set with no current partition and rows in its default)
        return "\n".join([*head, f"-- fixed by block {same_as} above", ""])
    body = whole_fix(f)  # a grouped finding: every member's fix (a stored report may hold the first ones in `fix`)
    if _NO_TRANSACTION.search(_code(body)):
        head.append("-- not wrapped in a transaction (CONCURRENTLY, VACUUM, ALTER SYSTEM, CALL, \\gexec, or its own)")
        return "\n".join([*head, body, ""])
    return "\n".join([*head, "BEGIN;", body, "COMMIT;", ""])


def fix_script(report: Report, fail_on: str | None = None) -> str:
    chosen = fixes(report)
    name = report.database.get("name") or "database"
    lines = [
        f"-- pg-auditor fixes for {sql_comment(str(name))}: {len(chosen)} findings with fix SQL.",
        "-- Review every block before running it, on a copy first: psql -v ON_ERROR_STOP=1 -f this-file.sql",
        "-- Blocks are in dependency order: partitions, indexes, keys, constraints and policies, then maintenance.",
        "\\set ON_ERROR_STOP on",
        "",
    ]
    first: dict[str, int] = {}
    for i, f in enumerate(chosen, 1):
        key = whole_fix(f)
        lines.append(block(f, i, len(chosen), first.get(key)))
        first.setdefault(key, i)
    return "\n".join(lines)
