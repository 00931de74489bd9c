"""PAR002: a range set with fewer future partitions than wanted: the cliff is near."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from auditor.analysis.partbounds import MAXVALUE
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import ago, coverage_evidence, coverage_fix, coverages, when
from auditor.rules.registry import Hit, rule


@rule(
    "PAR002",
    "range-runway-short",
    severity="high",
    subject="partitioned table",
    requires=("tables", "columns"),
    population="partition_sets",
)
def range_runway_short(snap: Snapshot) -> Iterator[Hit]:
    """Range-partitioned set with fewer future partitions than configured.

    ## Why is this bad?
    A partition exists for now, but fewer partitions lie ahead than pg_partman's `premake` (or the
    `partition_premake` threshold for hand-maintained sets). When the last one ends, inserts fail or
    go to the default. No future partition at all means the cliff is less than one interval away.

    ## Example
    A monthly set with the current month and nothing after it.

    ## Fix
    Create the next partitions now (the SQL below), or run pg_partman's maintenance for managed sets.
    """
    sets, _ = coverages(snap)
    for cov in sets:
        if cov.layout.covered_until == MAXVALUE or cov.current is None or len(cov.future) >= cov.target:
            continue
        ev = coverage_evidence(snap, cov)
        until = cov.layout.covered_until
        runway = f"coverage ends {when(until)}"
        if isinstance(until, dt.datetime):
            ev["runway"] = ago(until - cov.position)
            runway += f" (in {ago(until - cov.position)})"
        yield Hit(
            obj=table_obj(cov.table),
            message=f"{len(cov.future)} future partition(s), {cov.target} wanted; {runway}",
            evidence=ev,
            fix=coverage_fix(snap, cov),
            severity="high" if not cov.future else "medium",
        )
