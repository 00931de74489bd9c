"""CON007: a bounded quantity (amount, rate, percent...) with no range CHECK; the bound is read from the name."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from auditor.base.names import column_list, quote_ident
from auditor.base.text import sql_comment
from auditor.catalog.model import Column, Snapshot, Table
from auditor.rules.common import table_obj
from auditor.rules.constraints._shared import (
    NON_NEGATIVE,
    OPEN_RANGE,
    UNIT_RANGE,
    checked_columns,
    constraint_name,
    judged_tables,
    measure_words,
    rollup,
    sample,
    schema_hit,
    tokens,
)
from auditor.rules.registry import Hit, rule

NUMERIC_TYPES = {"int2", "int4", "int8", "numeric", "float4", "float8"}

SIGNED_HINTS = {"net", "pnl", "profit", "margin", "signed"}  # whole words (netto, network are not "net")
SIGNED_STEMS = (
    "negativ", "balanc", "delta", "diff", "chang", "adjust", "offset", "varian", "correct", "credit", "refund",
    "deficit", "surplus", "discrepan", "revers", "writeoff",
)  # fmt: skip  # word beginnings: credits, adjustments, refunded, differences...


@lru_cache(maxsize=1 << 14)
def signed_name(name: str) -> bool:
    """The name says the value may be below 0: a balance, credit, refund, adjustment, delta, offset, net..."""
    return any(w in SIGNED_HINTS or w.startswith(SIGNED_STEMS) for w in tokens(name))


def bound_for(col: Column) -> str | None:
    """The CHECK a bounded-number column's name implies, or None."""
    if col.base_type not in NUMERIC_TYPES:
        return None
    return bound_for_name(col.name)


@lru_cache(maxsize=1 << 14)
def bound_for_name(column: str) -> str | None:
    """bound_for by the column's name alone (cached: the same names recur in every table)."""
    words = measure_words(column)
    if signed_name(column):
        return None
    head, name = words[-1] if words else "", quote_ident(column)
    ranged = head if head in UNIT_RANGE else next((w for w in reversed(words) if w in UNIT_RANGE), None)
    if ranged and (head in UNIT_RANGE or head in OPEN_RANGE):  # percentage_rate is a percentage
        lo, hi = UNIT_RANGE[ranged]
        return f"{name} BETWEEN {lo} AND {hi}"
    if head in OPEN_RANGE or head in NON_NEGATIVE:
        if "conversion" in words or "exchange" in words:
            return f"{name} > 0"
        return f"{name} >= 0"
    return None


@rule(
    "CON007",
    "unbounded-number",
    severity="low",
    subject="table",
    requires=("tables", "columns", "constraints"),
)
def unbounded_number(snap: Snapshot) -> Iterator[Hit]:
    """Bounded quantity (amount, price, rate, percent, confidence...) with no range CHECK.

    ## Why it matters
    A price of -10, a quantity of -3 or a confidence of 7.5 is a bug that got stored: it flows into
    totals, invoices and model features before anyone notices. The column's name says what range
    is valid; a CHECK makes the database refuse the rest for free.

    ## What it checks
    Numeric columns named with amount, price, cost or quantity (>= 0); rate or score (>= 0; a
    conversion or exchange rate > 0); ratio, probability or confidence (0 to 1); percent or
    percentage (0 to 100); with no CHECK mentioning them. Left out: names that say the value may be
    negative (balance, credit, refund, adjustment, delta, diff, change, offset, net, ...); `>= 0` on
    the amounts of a table so named (`credit_notes`, `refunds`, `adjusted_fees`); generated columns;
    and any column whose pg_stats (most common values, lowest histogram bound) already hold a value
    below 0. One finding per table, or one per schema when the pattern runs through many of its
    tables (the `rollup-tables` threshold, or 3+ tables making up 80% of the schema).

    ## Bad
    ```sql
    CREATE TABLE order_lines (id bigint PRIMARY KEY, quantity integer NOT NULL, unit_price numeric(12,2) NOT NULL);
    ```

    ## Good
    ```sql
    CREATE TABLE order_lines (
        id bigint PRIMARY KEY,
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price numeric(12,2) NOT NULL CHECK (unit_price >= 0)
    );
    ```

    ## Fix
    The bound is inferred from a name, so the fix counts the rows it would reject and prints the
    CHECK commented out: uncomment it once the counts are 0 and the application never writes such a
    value (pg_stats is a sample and an empty table proves nothing).
    ```sql
    SELECT count(*) FILTER (WHERE NOT (quantity >= 0)) AS quantity FROM order_lines;
    -- ALTER TABLE order_lines ADD CONSTRAINT order_lines_quantity_check CHECK (quantity >= 0) NOT VALID;
    -- ALTER TABLE order_lines VALIDATE CONSTRAINT order_lines_quantity_check;
    ```
    Check the upper bound of a score or rate against what the application writes before adding one.

    ## False positives
    A name can mislead: an amount stored negative for refunds or corrections that pg_stats has not
    seen yet (an empty table, a rare row), or a score with no natural bound. Suppress on the table:
    `COMMENT ON TABLE order_lines IS 'pg-auditor: ignore CON007 -- corrections are stored negative'`.
    A finding rolled up for a schema is about the schema object, which a comment does not cover: use
    `[[tool.pg-auditor.ignore-objects]]` with `rule = "CON007"` and `object = "<schema>"`, or
    `--ignore CON007` / `ignore = ["CON007"]` in the config.
    """
    per_table: list[tuple[Table, list[str], str]] = []
    checks: dict[tuple[int, str], str] = {}
    left_out: dict[int, list[str]] = {}
    for t in judged_tables(snap):
        guarded = checked_columns(snap, t)
        signed_table = signed_name(t.name)  # credit_notes, refunds, adjusted_fees: amounts that may be negative
        found = []
        for col in snap.columns_of.get(t.oid, []):
            bound = bound_for(col) if col.name not in guarded and not col.generated else None
            if not bound:
                continue
            if signed_table and bound.endswith(">= 0"):
                continue
            stats = snap.column_stats_of.get((t.schema, t.name, col.name))
            if stats is not None and stats.negative_seen:
                left_out.setdefault(t.oid, []).append(col.name)  # the data says it is signed
                continue
            found.append(col.name)
            checks[(t.oid, col.name)] = bound
        if found:
            per_table.append((t, found, unbounded_fix(snap, t, found, checks)))
    for schema, items in rollup(snap, per_table):
        if schema is not None:
            hit = schema_hit(
                snap,
                schema,
                items,
                "{columns} amount/rate/score-like columns in {tables} of {of} tables of {schema} have no range CHECK",
                "columns",
            )
            hit.evidence["checks"] = sample(
                [f"{t.name}: {checks[(t.oid, c)]}" for t, cols, _ in items for c in cols], 40
            )
            signed = [f"{t.name}.{c}" for t, _, _ in items for c in left_out.get(t.oid, [])]
            if signed:
                hit.evidence["negative_in_statistics"] = sample(signed, 40)
            yield hit
            continue
        t, found, fix = items[0]
        evidence: dict[str, object] = {"checks": [checks[(t.oid, c)] for c in found]}
        if t.oid in left_out:
            evidence["negative_in_statistics"] = left_out[t.oid]
        yield Hit(
            obj=table_obj(t),
            message=f"{column_list(found)} have no range CHECK" if len(found) > 1 else f"{found[0]} has no range CHECK",
            evidence=evidence,
            fix=fix,
        )


def unbounded_fix(snap: Snapshot, t: Table, found: list[str], checks: dict[tuple[int, str], str]) -> str:
    """A read-only count of the rows each inferred CHECK would reject, then the CHECKs commented out.

    The bounds come from names, and a name can mislead (a refund or correction stored negative): adding
    them is the DBA's call once the counts are 0 and the application never writes such a value.
    """
    names = {c: quote_ident(constraint_name(snap, t, [c], "check")) for c in found}
    counts = ",\n       ".join(f"count(*) FILTER (WHERE NOT ({checks[(t.oid, c)]})) AS {quote_ident(c)}" for c in found)
    adds = ",\n    ".join(f"ADD CONSTRAINT {names[c]} CHECK ({checks[(t.oid, c)]}) NOT VALID" for c in found)
    validates = "\n".join(f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {names[c]};" for c in found)
    checks_sql = f"ALTER TABLE {t.qualified}\n    {adds};\n{validates}"
    return (
        f"-- rows each CHECK below would reject (all must be 0; reads the whole table):\n"
        f"SELECT {counts}\nFROM {t.qualified};\n"
        "-- the bounds are inferred from the names: uncomment only once you have confirmed the application\n"
        "-- never writes a value outside them (credits, refunds and corrections are often negative)\n"
        + "\n".join(f"-- {sql_comment(line)}" for line in checks_sql.splitlines())
    )
