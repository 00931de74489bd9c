"""PAR024: a time-range set beside pg_partman that pg_partman does not maintain."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.analysis.partman import partman_major, partman_schema, scheduler
from auditor.base.names import qualified, quote_ident, quote_literal, regclass_literal
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import new_name, table_obj
from auditor.rules.guarded import commented, do_block, transaction
from auditor.rules.partitions._shared import (
    EMPTY_SET,
    children,
    default_only_severity,
    layout_of,
    partman_owns,
    set_is_empty,
    user_parents,
)
from auditor.rules.registry import Hit, rule


def default_only(snap: Snapshot, t: Table) -> Table | None:
    """The default partition of a range set whose only partition is that default."""
    kids = children(snap, t)
    if t.partition_strategy != "r" or len(kids) != 1 or not kids[0].is_default_partition:
        return None
    return kids[0]


# The suffix pg_partman gives a child (after `<parent>_p`, the parent's name cut to fit 63 bytes): 4.x by the
# interval's keyword, 5.x its datetime string (YYYYMMDD, with the time below a day). create_parent skips a
# child of that name and creates the others: a child named otherwise whose range it needs makes it fail
# ("would overlap"), so a set with such children is not registered by the fix.
_SUFFIX_4 = {
    "1 year": r"[0-9]{4}",
    "3 mons": r"[0-9]{4}q[0-9]",
    "1 month": r"[0-9]{4}_[0-9]{2}",
    "7 days": r"[0-9]{4}w[0-9]{2}",
    "1 day": r"[0-9]{4}_[0-9]{2}_[0-9]{2}",
}


def _suffix(major: int, interval: str) -> str:
    if major >= 5:
        return r"[0-9]{8}(_[0-9]{6})?"
    return _SUFFIX_4.get(interval, r"[0-9]{4}[0-9wq_]*")


def _partman_named(parent: str, child: str, suffix: str) -> bool:
    m = re.fullmatch(rf"(.*)_p{suffix}", child)
    return bool(m) and parent.startswith(m.group(1)) and bool(m.group(1))


def _naming_guard(t: Table, suffix: str) -> str:
    """Raise, when the fix runs, if a child (an earlier fix may have added some) is not named as pg_partman
    names it: create_parent would fail on an overlap, or leave two naming schemes in one set."""
    tail = quote_literal(f"_p{suffix}$")
    stem = f"regexp_replace(c.relname, {tail}, '')"
    return do_block(
        "  IF EXISTS (SELECT FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid\n"
        f"      WHERE i.inhparent = {regclass_literal(t.schema, t.name)}::regclass\n"
        "        AND pg_catalog.pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'\n"
        f"        AND NOT (c.relname ~ {tail} AND {stem} <> '' AND starts_with({quote_literal(t.name)}, {stem})))\n"
        "  THEN\n"
        "    RAISE EXCEPTION 'pg-auditor: a partition is not named as pg_partman names it: rename it first';\n"
        "  END IF;"
    )


@rule(
    "PAR024",
    "partman-set-unregistered",
    severity="low",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables", "columns"),
    population="partition_sets",
)
def partman_set_unregistered(snap: Snapshot) -> Iterator[Hit]:
    """Time-range set not registered with pg_partman in a database that uses it.

    ## Why it matters
    pg_partman maintains the sets in part_config; a range set beside them that is not registered gets
    no new partitions and no retention unless someone creates them by hand, which is how coverage ends
    (PAR001).

    ## What it checks
    When pg_partman is installed: top-level range sets keyed on a time column (date, timestamp, timestamptz)
    that are not in `part_config` or `part_config_sub` and are not open to `MAXVALUE`. Low. A set whose only
    partition is the default is reported here rather than by PAR001 (one finding for the set): high when it
    holds rows, medium while it is empty.

    ## Bad
    ```sql
    -- pg_partman is installed; events beside it is partitioned by month by hand.
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE events_p2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
    CREATE TABLE events_p2025_02 PARTITION OF events FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
    ```

    ## Good
    ```sql
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE events (
        org_id     bigint      NOT NULL,
        created_at timestamptz NOT NULL,
        payload    jsonb
    ) PARTITION BY RANGE (created_at);
    SELECT partman.create_parent('public.events', 'created_at', 'native', 'monthly');  -- 5.x: (..., '1 month')
    ```

    ## Fix
    Register it with `create_parent` (existing partitions must follow pg_partman's naming and bounds),
    or document who maintains it:
    ```sql
    SELECT partman.create_parent('public.events', 'created_at', '1 month');  -- pg_partman 5.x
    ```
    A set with a default partition of its own: detach and rename that default first (create_parent attaches
    its own `<parent>_default`), then put its rows back through the parent; the finding's fix spells it out.
    The fix runs only where it can work: the existing partitions named as pg_partman names them (checked
    again when it runs), and maintenance scheduled for this database (a background worker or a pg_cron
    job, PAR021); otherwise it is printed as comments saying what to do first.

    ## False positives
    A set maintained by something else (a migration tool, a scheduled function of the application) is not
    left alone, only not pg_partman's; say who maintains it on the table: `COMMENT ON TABLE events IS
    'pg-auditor: ignore PAR024 -- partitions created by the nightly job'`. PAR001 and PAR002 still watch it.
    """
    if snap.installed("pg_partman") is None:
        return
    templates = {t.name for t in snap.tables if t.schema == partman_schema(snap)}
    major = partman_major(snap) or 5
    schema = quote_ident(partman_schema(snap))
    scheduled = scheduler(snap).scheduled
    for t in user_parents(snap, roots_only=True):
        if not partman_owns(snap, t):  # registered, not a time range, or open-ended: nothing to create
            continue
        layout = layout_of(snap, t)
        step = layout.step if layout else None
        interval = step.label if step else "1 month"
        name = quote_literal(f"{t.schema}.{t.name}")
        key = quote_literal(t.partition_key_columns[0])
        if major >= 5:
            call = f"SELECT {schema}.create_parent({name}, {key}, {quote_literal(interval)});"
        else:
            keyword = {"1 month": "monthly", "1 day": "daily", "7 days": "weekly", "1 year": "yearly"}.get(interval)
            call = f"SELECT {schema}.create_parent({name}, {key}, 'native', {quote_literal(keyword or interval)});"
        ev = {"key": t.partition_key, "interval": interval, "partitions": len(children(snap, t))}
        suffix = _suffix(major, interval)
        misnamed = [
            c.name
            for c in children(snap, t)
            if not c.is_default_partition and not _partman_named(t.name, c.name, suffix)
        ]
        before, after = [], []
        template = f"template_{t.schema}_{t.name}"
        if template in templates:
            kept = next(x for x in snap.tables if x.schema == partman_schema(snap) and x.name == template)
            old = new_name(snap, kept, [template], "old")
            ev["template_table"] = f"{partman_schema(snap)}.{template} exists: the set was registered once"
            before.append(
                f"-- create_parent makes its own template table; move the old one aside (compare its indexes after):\n"
                f"ALTER TABLE {schema}.{quote_ident(template)} RENAME TO {quote_ident(old)};"
            )
        default = next((c for c in children(snap, t) if c.is_default_partition), None)
        if default is not None:  # create_parent attaches its own <parent>_default: detach this one first
            aside_name = new_name(snap, default, [default.name], "before_partman")
            aside = qualified(default.schema, aside_name)
            before.append(
                f"ALTER TABLE {t.qualified} DETACH PARTITION {default.qualified};\n"
                f"ALTER TABLE {default.qualified} RENAME TO {quote_ident(aside_name)};"
            )
            after.append(
                "-- put its rows back through the parent (they land in their partitions or the new default):\n"
                f"INSERT INTO {t.qualified} SELECT * FROM {aside};\nDROP TABLE {aside};"
            )
        if misnamed:
            ev["not_partman_named"] = misnamed[:20]
            fix = (
                f"-- {len(misnamed)} partition(s) are not named as pg_partman names them (<parent>_p<date>):\n"
                "-- create_parent would create its own for the same ranges and fail on the overlap. Rename them\n"
                "-- (ALTER TABLE ... RENAME TO ...), then register the set:\n"
                + commented("\n".join([*before, call, *after]))
            )
        elif after:  # the aside table is dropped only once its rows are back: one transaction
            steps = [*before, call.replace("SELECT ", "PERFORM ", 1), *after]
            fix = _naming_guard(t, suffix) + "\n" + transaction("\n".join(steps))
        else:
            fix = "\n".join([_naming_guard(t, suffix), *before, call])
        if not misnamed and not scheduled:
            ev["maintenance_scheduled"] = False
            fix = (
                "-- nothing runs pg_partman's maintenance for this database (no background worker naming it, no\n"
                "-- pg_cron job: see PAR021). Registered now, the set would get its premade partitions once and\n"
                "-- then end as it does today. Schedule maintenance first, then register it:\n" + commented(fix)
            )
        message = f"range set by {t.partition_key_columns[0]} not registered in pg_partman: nothing creates its "
        message += "partitions"
        severity = None
        only = default_only(snap, t)
        if only is not None:  # PAR001 leaves this shape to this rule: one finding, PAR001's strength
            empty = set_is_empty(snap, t)
            ev["default_only"] = only.name
            ev["set_empty"] = empty
            message += f"; its only partition is the default {only.name}, where every row lands"
            message += EMPTY_SET if empty else ""
            severity = default_only_severity(snap, t)
        yield Hit(
            obj=table_obj(t),
            message=message,
            evidence=ev,
            fix=fix,
            severity=severity,
        )
