"""IDX014: a heavy statement whose plan reads a large table in full, and no index suggestion serves it."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.indexes._workload import require_workload, statement_evidence, suggestions
from auditor.rules.registry import Hit, rule, threshold

WORKLOAD_SEQ_MIN_ROWS = threshold(
    "workload_seq_scan_min_rows", 100_000, "estimated rows from which a statement's sequential scan is reported"
)
WORKLOAD_SEQ_MIN_SHARE = threshold(
    "workload_seq_scan_min_share", 0.05, "share of the workload's time a statement must take to be reported"
)


@rule(
    "IDX014",
    "workload-seq-scan",
    severity="info",
    subject="table",
    requires=("tables", "statements", "index_candidates"),
    population="tables",
)
def workload_seq_scan(snap: Snapshot) -> Iterator[Hit]:
    """Heavy statement reads a large table in full, and no index would help.

    ## Why it matters
    A statement that takes a large share of the database's time by reading a whole large table is worth
    a look even when no index can serve it: it may lack a filter, read more columns or rows than it
    needs, or belong in a summary table or a replica.

    ## What it checks
    Statements of `pg_stat_statements` (see IDX013) taking `workload-seq-scan-min-share` (5 %) or more
    of the recorded time whose generic plan has a sequential scan of a table of
    `workload-seq-scan-min-rows` (100,000) estimated rows or more, and that no IDX013 suggestion serves.
    Informational: the planner may be right to scan.

    ## Bad (not run: it needs a workload recorded by pg_stat_statements)
    ```sql
    SELECT count(*) FROM orders WHERE total::text LIKE $1;   -- 300,000 rows read each time
    ```

    ## Good (not run: it needs a workload recorded by pg_stat_statements)
    ```sql
    SELECT count(*) FROM orders WHERE created_at >= $1;   -- served by an index on created_at
    ```

    ## Fix
    Read the statement: add the filter it lacks, narrow its columns, or precompute what it sums.

    ## False positives
    Reports, exports and analytics legitimately read whole tables.
    """
    require_workload(snap)
    served = {st.queryid for s in suggestions(snap) for st in s.statements}
    total = sum(st.total_ms for st in snap.statements) or 1.0
    min_rows, min_share = WORKLOAD_SEQ_MIN_ROWS(snap), WORKLOAD_SEQ_MIN_SHARE(snap)
    for st in sorted(snap.statements, key=lambda x: (-x.total_ms, x.queryid)):
        share = st.total_ms / total
        if st.queryid in served or share < min_share:
            continue
        for oid in st.seq_scans:
            t = snap.table_by_oid.get(oid)
            if t is None:
                continue
            t = snap.root_of(t)
            if snap.estimated_rows(t) < min_rows:
                continue
            yield Hit(
                obj=table_obj(t),
                message=(
                    f"statement {st.queryid} takes {share:.0%} of the recorded time ({st.calls:,} calls) and reads "
                    f"~{snap.estimated_rows(t):,} rows with a sequential scan; no index candidate serves it"
                ),
                evidence={"statement": statement_evidence(st), "share": round(share, 4), "cost": st.cost},
                members=(str(st.queryid),),
            )
