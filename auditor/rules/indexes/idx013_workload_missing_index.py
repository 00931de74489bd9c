"""IDX013: an index the statements pg_stat_statements recorded would make much cheaper (hypopg-verified)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.base.names import column_list
from auditor.catalog.model import Snapshot
from auditor.catalog.workload import WORKLOAD_MIN_GAIN
from auditor.rules.common import create_index_sql, human_bytes, table_obj
from auditor.rules.indexes._workload import require_workload, statement_evidence, suggestions
from auditor.rules.registry import Hit, rule


@rule(
    "IDX013",
    "workload-missing-index",
    severity="medium",
    subject="table",
    requires=("tables", "columns", "indexes", "statements", "index_candidates"),
    population="tables",
)
def workload_missing_index(snap: Snapshot) -> Iterator[Hit]:
    """Index the real workload needs, with the planner's estimated gain.

    ## Why it matters
    The statements an application runs most are the ones worth indexing for. A statement that runs
    thousands of times with a sequential scan of a large table costs more than every schema-only
    finding together, and only the workload shows it: this is what pghero's and Dexter's suggested
    indexes and pganalyze's Index Advisor are valued for.

    ## What it checks
    The top `workload-top-statements` (100) statements of `pg_stat_statements` by total time and by
    mean time. Each plain SELECT is parsed with PostgreSQL's own parser (pglast): the columns it
    compares with `=`, `IN`, `IS NULL` (equality), with `<`, `>`, `BETWEEN` (range), joins on, or
    sorts on under a LIMIT, per table of `workload-min-rows` (10,000) estimated rows or more. The
    candidate index has the equality columns first (the tenant column first among them), then one
    range column or the ORDER BY columns; none is proposed when an index already leads with those
    columns, a leading-column prefix serves them, or a unique index lies within the equality columns.
    Where `hypopg` is installed, each candidate is created hypothetically (in the auditor's backend
    memory only, inside its read-only transaction) and the statement's generic plan is EXPLAINed
    again (EXPLAIN, never ANALYZE: nothing runs); the index is suggested only when the plan uses it
    and the estimated cost falls by `workload-min-gain` (2x) or more. One index serving several
    statements is one finding. Without hypopg the candidates are reported *unverified*, at low
    severity. Without pg_stat_statements the rule is skipped with the SQL that installs it.

    ## Bad (not run: it needs a workload recorded by pg_stat_statements)
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_email text NOT NULL, total numeric);
    -- 300,000 rows; 400 times:
    SELECT * FROM orders WHERE customer_email = $1;   -- a sequential scan each time
    ```

    ## Good (not run: it needs a workload recorded by pg_stat_statements)
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_email text NOT NULL, total numeric);
    CREATE INDEX orders_customer_email_idx ON orders (customer_email);
    SELECT * FROM orders WHERE customer_email = $1;   -- an index scan
    ```

    ## Fix
    ```sql
    CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_email_idx ON public.orders (customer_email);
    ```
    Build it CONCURRENTLY (no write lock), then check the statements' plans and `pg_stat_statements`
    again. An index costs every write to the table: weigh a small gain on a write-heavy table.

    ## False positives
    The costs are the planner's estimates on today's statistics and a generic plan; a statement whose
    parameters are very skewed may be planned differently per value. A statement run by a one-off job
    counts as much as the application's. Statements under `OR`, on expressions (`lower(email)`), in
    subqueries or CTEs give no candidate (no suggestion, rather than a wrong one). Ignore a table with
    `COMMENT ON TABLE orders IS 'pg-auditor: ignore IDX013 -- reason'`.
    """
    require_workload(snap)
    min_gain = float(WORKLOAD_MIN_GAIN(snap))
    for s in suggestions(snap):
        t, cand = s.table, s.candidate
        statements = [statement_evidence(st) for st in s.statements]
        calls = sum(st.calls for st in s.statements)
        total_ms = sum(st.total_ms for st in s.statements)
        evidence: dict[str, Any] = {
            "columns": s.columns,
            "verified": cand.verified,
            "statements": statements,
            "estimated_rows": snap.estimated_rows(t),
            "table_size": human_bytes(snap.total_bytes(t)),
        }
        served = (
            f"{len(statements)} statement{'s' if len(statements) != 1 else ''} ({calls:,} calls, {total_ms:,.0f} ms)"
        )
        if cand.verified:
            before, after = s.cost_before, s.cost_after
            for row, b, a in zip(statements, cand.cost_before, cand.cost_after, strict=False):
                row["cost_before"], row["cost_after"] = b, a
            evidence |= {
                "cost_before": round(before, 2),
                "cost_after": round(after, 2),
                "gain": round(before / after, 1) if after else None,
                "hypothetical_index_size": human_bytes(cand.size_bytes),
            }
            gain = f"{before / after:,.0f}x" if after else "much"
            message = (
                f"an index on ({column_list(s.columns)}) cuts the planner's estimated cost of {served} "
                f"from {before:,.0f} to {after:,.0f} ({gain} cheaper; hypopg)"
            )
            severity = None
        else:
            message = (
                f"an index on ({column_list(s.columns)}) may serve {served}: unverified "
                f"(install hypopg to have the planner confirm a {min_gain:g}x gain)"
            )
            severity = "low"
        yield Hit(
            obj=table_obj(t),
            message=message,
            evidence=evidence,
            fix=create_index_sql(snap, t, s.columns),
            members=tuple(s.columns),
            severity=severity,
        )
