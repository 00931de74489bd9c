"""PAR003: values between two range partitions that no partition takes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.analysis.partbounds import MAXVALUE, naming_for, parse_bound
from auditor.base.names import qualified, quote_ident
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import new_name, table_obj
from auditor.rules.partitions._shared import (
    children,
    create_partition_sql,
    default_of,
    layout_of,
    names_in,
    partition_name,
    user_parents,
    when,
)
from auditor.rules.registry import Hit, rule


@rule(
    "PAR003",
    "range-partition-gap",
    severity="high",
    subject="partitioned table",
    requires=("tables", "columns"),
    population="partition_sets",
)
def range_partition_gap(snap: Snapshot) -> Iterator[Hit]:
    """Gaps between range partitions.

    ## Why it matters
    Values between one partition's upper bound and the next one's lower bound belong to no partition:
    inserts fail there, or land in the default (which then blocks creating the partition). Gaps come
    from dropped or detached partitions and from hand-made bounds that do not meet.

    ## What it checks
    Every range-partitioned table (sub-partitions too), partitions being detached left out. When the key
    type can be ordered (integers, dates, timestamps), it walks the bounds in order and reports each upper
    bound that is not the next partition's lower bound. For other key types it compares bound text: upper
    bounds that start no other partition, when there is more than one (one of them is the set's end). High
    without a default partition, medium with one (rows are not lost, but they block the partition).

    ## Bad
    ```sql
    -- January and March exist, February was dropped by a retention script run too early.
    CREATE TABLE invoices (
        org_id    bigint        NOT NULL,
        issued_on date          NOT NULL,
        total     numeric(12,2) NOT NULL
    ) PARTITION BY RANGE (issued_on);
    CREATE TABLE invoices_2024_01 PARTITION OF invoices FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
    CREATE TABLE invoices_2024_03 PARTITION OF invoices FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (
        org_id    bigint        NOT NULL,
        issued_on date          NOT NULL,
        total     numeric(12,2) NOT NULL
    ) PARTITION BY RANGE (issued_on);
    CREATE TABLE invoices_2024_01 PARTITION OF invoices FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
    CREATE TABLE invoices_2024_02 PARTITION OF invoices FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
    CREATE TABLE invoices_2024_03 PARTITION OF invoices FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
    ```

    ## Fix
    Create a partition for each gap (bounds copied from the neighbours, so they meet exactly):
    ```sql
    CREATE TABLE public.invoices_2024_02 PARTITION OF public.invoices FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
    ```
    If the default already holds rows of the gap, move them out first (see PAR006).

    ## False positives
    A gap left on purpose (a range that must reject inserts, such as a period closed for audit) is a
    finding to accept: `COMMENT ON TABLE invoices IS 'pg-auditor: ignore PAR003 -- 2023 closed, inserts
    must fail'`. For key types that cannot be ordered (text, for instance), the bound-text comparison lists
    every dangling upper bound, the set's real end among them; judge the list before creating partitions.
    """
    for t in user_parents(snap):
        if t.partition_strategy != "r":
            continue
        kids = [c for c in children(snap, t) if not c.detach_pending]
        layout = layout_of(snap, t)
        default = default_of(snap, t)
        if layout is not None:
            gaps = [
                {"from": when(lo), "to": when(hi), "after": a, "before": b, "lo": lo, "hi": hi}
                for lo, hi, a, b in layout.gaps
            ]
        else:
            gaps = _text_gaps(kids)
        if not gaps:
            continue
        fix_lines = []
        for g in gaps:
            if "lo" in g:
                before = next(p for p in layout.parts if p.name == g["after"])  # type: ignore[union-attr]
                name = partition_name(snap, t, naming_for(before.name, before.lower), g["lo"], names_in(snap, t.schema))
                fix_lines.append(create_partition_sql(snap, t, name, g["lo"], g["hi"], layout.key_type))  # type: ignore[union-attr]
            elif g.get("to_raw"):
                gap = new_name(snap, t, [t.name, "gap", str(len(fix_lines) + 1)], "")
                fix_lines.append(
                    f"CREATE TABLE {qualified(t.schema, gap)} PARTITION OF "
                    f"{t.qualified} FOR VALUES FROM ({g['from_raw']}) TO ({g['to_raw']});"
                )
        if default is not None and fix_lines:
            fix_lines.insert(
                0, f"-- if {quote_ident(default.name)} already holds rows of a gap, move them out first (see PAR006)"
            )
        shown = [{k: v for k, v in g.items() if k not in ("lo", "hi")} for g in gaps]
        yield Hit(
            obj=table_obj(t),
            message=f"{len(gaps)} gap(s) between range partitions; "
            + (f"rows there land in {default.name}" if default else "inserts there fail"),
            evidence={"key": t.partition_key, "gaps": shown, "default_partition": default.name if default else None},
            fix="\n".join(fix_lines) or "-- the bounds could not be ordered; close the gaps by hand",
            severity="medium" if default else "high",
        )


def _text_gaps(kids: list[Table]) -> list[dict[str, Any]]:
    """Gaps found by matching bound text (any key type): upper bounds that start no other partition."""
    bounds = [(c.name, parse_bound(c.partition_bound)) for c in kids]
    bounds = [(n, b) for n, b in bounds if b.kind == "range"]
    lowers = {b.lower_sql for _, b in bounds}
    uppers = {b.upper_sql for _, b in bounds}
    dangling = sorted((n, b.upper_sql) for n, b in bounds if b.upper_sql not in lowers and MAXVALUE not in b.upper)
    starts = sorted(b.lower_sql for _, b in bounds if b.lower_sql not in uppers and "MINVALUE" not in b.lower)
    if len(dangling) <= 1:
        return []
    # Without an ordering for this key type we cannot tell which dangling upper bound is the set's end:
    # list them all (one of them is the end) with the lower bounds that start after a gap.
    return [{"after": n, "from_raw": u, "next_starts": starts} for n, u in dangling]
