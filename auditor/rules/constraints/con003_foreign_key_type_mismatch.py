"""CON003: a foreign key column typed differently from the key it references."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import column_list, quote_ident
from auditor.catalog.model import Column, Snapshot, Table
from auditor.rules.common import constraint_obj
from auditor.rules.constraints._shared import (
    INTEGER_MAX,
    INTEGER_WIDTH,
    TEXT_TYPES,
    foreign_keys,
)
from auditor.rules.registry import Hit, rule


def type_mismatch(col: Column, ref: Column) -> tuple[str, str] | None:
    """(severity, why) when a referencing column's type differs from the referenced one."""
    if col.type == ref.type:
        return None
    a, b = col.base_type, ref.base_type
    if a in INTEGER_WIDTH and b in INTEGER_WIDTH:
        if INTEGER_WIDTH[a] < INTEGER_WIDTH[b]:
            return (
                "high",
                f"{col.type} cannot hold every {ref.type} key: inserts fail once keys pass {INTEGER_MAX[a]:,}",
            )
        return "low", f"{col.type} is wider than the {ref.type} key it references (harmless, but joins cast)"
    if a in TEXT_TYPES and b in TEXT_TYPES:
        if (a == b == "varchar" and 0 < col.typmod < ref.typmod) or (a == "varchar" and b == "text"):
            return "medium", f"{col.type} is shorter than {ref.type}: longer keys cannot be referenced"
        return "low", f"{col.type} vs {ref.type}: joins compare across types"
    return "medium", f"{col.type} vs {ref.type}: every check and join casts, and the planner misestimates"


HIGH_SHARE, LOW_SHARE = 0.5, 0.1


def narrow_share(snap: Snapshot, ref: Table, rcol: Column, col: Column) -> float | None:
    """How much of the narrower column's range the referenced key's sequence has used (its last value over
    the narrow type's maximum); None when no readable sequence feeds the key. High from half, low under a
    tenth: an int referencing a bigint key at 0 % of the int range is years from failing."""
    if not snap.available("sequences"):
        return None
    seq = next(
        (s for s in snap.last_values() if s.owner_table_oid == ref.oid and s.owner_column == rcol.name and s.readable),
        None,
    )
    if seq is None:
        return None
    return max(seq.last_value or 0, 0) / INTEGER_MAX[col.base_type]


@rule(
    "CON003",
    "foreign-key-type-mismatch",
    severity="medium",
    subject="constraint",
    requires=("tables", "columns", "constraints"),
    population="foreign_keys",
)
def foreign_key_type_mismatch(snap: Snapshot) -> Iterator[Hit]:
    """Foreign key column whose type differs from the column it references.

    ## Why it matters
    An `integer` column referencing a `bigint` key works until the parent's ids pass 2,147,483,647;
    then every insert of a new child row fails. A `varchar(50)` referencing a `varchar(100)` cannot
    hold every key. Other differences make each foreign key check and each join cast, and the
    planner estimates such joins worse.

    ## What it checks
    Every foreign key of an application table, once (the clones on partitions are left out), column
    by column against the referenced column. A narrower integer is high, unless the referenced key's
    sequence is readable and has used less than half of the narrow type's range (medium), or less than
    a tenth (low: years from failing; the evidence gives the share); a shorter varchar, or
    varchar referencing text, is medium; a wider integer, or other text types that differ, is low;
    any other difference of type is medium. The finding takes the worst of its columns.

    ## Bad
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);
    CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id integer NOT NULL REFERENCES orders);
    ```

    ## Good
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);
    CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders);
    ```

    ## Fix
    ```sql
    -- int -> bigint rewrites the table and its indexes under an ACCESS EXCLUSIVE lock:
    ALTER TABLE order_lines ALTER COLUMN order_id TYPE bigint;
    ```
    Widening a varchar's length needs no rewrite.

    ## False positives
    A referencing column wider than its key (low) is harmless beyond the casts, and an integer key
    whose parent table will never pass two billion rows (a table of countries) will not overflow.
    Suppress on the constraint:
    `COMMENT ON CONSTRAINT order_lines_order_id_fkey ON order_lines IS 'pg-auditor: ignore CON003 -- reason'`
    (a comment on the table covers it too); or `--ignore CON003` / `ignore = ["CON003"]` in the config.
    """
    for t, con, ref in foreign_keys(snap):
        if ref is None:
            continue
        diffs = []
        for mine, theirs in zip(con.columns, con.ref_columns, strict=False):
            col = snap.column_by_name.get((t.oid, mine))
            rcol = snap.column_by_name.get((ref.oid, theirs))
            if col is None or rcol is None:
                continue
            found = type_mismatch(col, rcol)
            if found:
                diffs.append((col, rcol, *found))
        if not diffs:
            continue
        used = {}
        for i, (c, r, sev, why) in enumerate(diffs):
            share = narrow_share(snap, ref, r, c) if sev == "high" else None
            if share is not None:
                used[c.name] = f"{share:.1%} of {c.type}'s range used by the referenced key's sequence"
                if share < HIGH_SHARE:
                    diffs[i] = (c, r, "low" if share < LOW_SHARE else "medium", why)
        rank = {"low": 0, "medium": 1, "high": 2}
        severity = max((d[2] for d in diffs), key=rank.__getitem__)
        fix = ["-- changing an integer width rewrites the table and its indexes under an ACCESS EXCLUSIVE lock:"]
        fix += [f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c.name)} TYPE {r.type};" for c, r, *_ in diffs]
        yield Hit(
            obj=constraint_obj(t, con),
            message="; ".join(f"{c.name}: {why}" for c, _, _, why in diffs),
            evidence={
                "columns": {c.name: c.type for c, *_ in diffs},
                "references": f"{ref.qualified}({column_list(con.ref_columns)})",
                "referenced_types": {r.name: r.type for _, r, *_ in diffs},
                **({"sequence_used": used} if used else {}),
            },
            fix="\n".join(fix),
            severity=severity,
        )
