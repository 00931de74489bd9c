"""CON011: a sequence, or the integer column it feeds, close to the end of its range."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.base.names import column_list, qualified, quote_ident
from auditor.catalog.model import Column, Sequence, Snapshot, Table
from auditor.rules.constraints._shared import (
    INTEGER_MAX,
)
from auditor.rules.registry import Hit, Obj, Skip, rule, threshold

SEQUENCE_USED_SHARE = threshold(
    "sequence_used_share", 0.75, "share of a sequence's or integer key's range used from which CON011 fires"
)

_NEXTVAL = re.compile(r"nextval\('((?:[^']|'')+)'::regclass\)")


def sequence_feeds(snap: Snapshot) -> dict[str, tuple[Table, Column]]:
    """Sequence name as a column default prints it (schema-qualified unless on the search_path) -> its column."""
    feeds: dict[str, tuple[Table, Column]] = {}
    for col in snap.columns:
        if col.default and "nextval" in col.default:
            m = _NEXTVAL.search(col.default)
            t = snap.table_by_oid.get(col.table_oid)
            if m and t and not t.is_partition:
                feeds.setdefault(m.group(1).replace("''", "'"), (t, col))
    return feeds


def sequence_column(
    snap: Snapshot, seq: Sequence, feeds: dict[str, tuple[Table, Column]]
) -> tuple[Table, Column] | None:
    """The column a sequence feeds: its owner (serial / identity), else a column whose default calls it."""
    if seq.owner_table_oid and seq.owner_column:
        t = snap.table_by_oid.get(seq.owner_table_oid)
        col = snap.column_by_name.get((seq.owner_table_oid, seq.owner_column))
        if t and col:
            return t, col
    return feeds.get(qualified(seq.schema, seq.name)) or feeds.get(quote_ident(seq.name))


@rule(
    "CON011",
    "sequence-exhaustion",
    severity="high",
    subject="sequence",
    requires=("tables", "columns", "sequences"),
    population="sequences",
)
def sequence_exhaustion(snap: Snapshot) -> Iterator[Hit]:
    """Sequence or integer key past a large share of its range.

    ## Why it matters
    When a sequence reaches its maximum, or the `integer` column it feeds reaches 2,147,483,647,
    every insert fails: an outage that arrives on a calendar nobody watches. Widening a busy
    table's key to bigint rewrites it and every index on it, which takes planning; the warning is
    only useful well before the end.

    ## What it checks
    Every sequence outside extension schemas whose last value has passed the `sequence-used-share`
    threshold (default 75%) of its range; critical from 95%. The share is measured against the
    smaller of the sequence's maximum and the type's maximum of the column it feeds (its owner, or a
    column whose default calls `nextval` on it): a bigint sequence feeding an integer column runs out
    at the integer's limit. Sequences that CYCLE, and sequences never used, are left out. When the
    auditing role may read none of the sequences, the rule reports itself not evaluated rather than
    passing silently.

    ## Bad
    ```sql
    CREATE TABLE notifications (id serial PRIMARY KEY, body text NOT NULL);
    SELECT setval('notifications_id_seq', 1900000000);  -- 88% of the integer range used
    ```

    ## Good
    ```sql
    CREATE TABLE notifications (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);
    SELECT setval(pg_get_serial_sequence('notifications', 'id'), 1900000000);
    ```

    ## Fix
    ```sql
    -- the column first (rewrites the table and its indexes, ACCESS EXCLUSIVE lock; plan it):
    ALTER TABLE orders ALTER COLUMN id TYPE bigint;
    ALTER SEQUENCE orders_id_seq AS bigint MAXVALUE 9223372036854775807;
    ```
    Referencing columns in other tables must be widened too (the evidence lists them). For an
    identity column the fix sets the column's MAXVALUE instead.

    ## False positives
    A sequence set high on purpose (id ranges split between databases, a restart at a high offset)
    that will not grow much further. The finding is about the sequence, which a comment on a table
    does not cover (a comment on its schema covers all of the schema's findings): suppress it by name
    in the config, `[[tool.pg-auditor.ignore-objects]]` with `rule = "CON011"`,
    `object = "public.notifications_id_seq"` and a reason; or raise `sequence-used-share`.
    """
    share_limit = float(SEQUENCE_USED_SHARE(snap))
    mine = [s for s in snap.last_values() if s.schema not in snap.extension_schemas]
    unreadable = [s for s in mine if not s.readable]
    if mine and len(unreadable) == len(mine):
        raise Skip(f"no SELECT or USAGE on any of the {len(mine)} sequences: their last values are hidden", True)
    feeds = sequence_feeds(snap)
    found = 0
    for seq in mine:
        if seq.cycle or seq.last_value is None:  # cycles by design; never used yet; or unreadable
            continue
        fed = sequence_column(snap, seq, feeds)
        limit, low = seq.max_value, seq.min_value
        limited_by = f"sequence {seq.data_type} maximum"
        if fed and fed[1].base_type in INTEGER_MAX and INTEGER_MAX[fed[1].base_type] < limit:
            limit = INTEGER_MAX[fed[1].base_type]
            limited_by = f"column type {fed[1].type}"
        if seq.increment > 0:
            share = (seq.last_value - low) / max(limit - low, 1)
            remaining = limit - seq.last_value
        else:
            share = (seq.max_value - seq.last_value) / max(seq.max_value - low, 1)
            remaining = seq.last_value - low
        if share < share_limit:
            continue
        evidence: dict[str, object] = {
            "last_value": seq.last_value,
            "limit": limit,
            "limited_by": limited_by,
            "used": f"{share:.1%}",
            "remaining": remaining,
        }
        lines = []
        if fed:
            t, col = fed
            evidence["column"] = f"{t.qualified}.{quote_ident(col.name)} ({col.type})"
            refs = [
                f"{snap.table_by_oid[c.table_oid].qualified}({column_list(c.columns)})"
                for c in snap.constraints_referencing.get(t.oid, [])
                if c.parent_oid is None and c.ref_columns == [col.name]
            ]
            if refs:
                evidence["referenced_by"] = sorted(refs)
            if col.base_type != "int8":
                lines.append(
                    "-- rewrites the table and its indexes under an ACCESS EXCLUSIVE lock; widen the referencing\n"
                    "-- columns too (listed in the evidence):"
                )
                lines.append(f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(col.name)} TYPE bigint;")
        if seq.data_type != "bigint":
            if fed and fed[1].identity:
                t, col = fed
                lines.append(
                    f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(col.name)} SET MAXVALUE 9223372036854775807;"
                )
            else:
                lines.append(
                    f"ALTER SEQUENCE {qualified(seq.schema, seq.name)} AS bigint MAXVALUE 9223372036854775807;"
                )
        elif seq.max_value < 2**63 - 1:
            lines.append(f"ALTER SEQUENCE {qualified(seq.schema, seq.name)} MAXVALUE 9223372036854775807;")
        yield Hit(
            obj=Obj("sequence", seq.schema, None, seq.name),
            message=f"{share:.0%} of the range used ({seq.last_value:,} of {limit:,}, limited by {limited_by}); "
            f"{remaining:,} values left",
            evidence=evidence,
            fix="\n".join(lines) or None,
            severity="critical" if share >= 0.95 else "high",
        )
        found += 1
    unread = snap.limited.get("sequence_values")
    if unread and not found:  # a sequence skipped under a lock must not pass as one that is far from its end
        raise Skip(f"not evaluated: {unread.reason}", True)
