"""Partition checks (PAR): native partition health and pg_partman configuration.

Everything comes from catalogs and estimates (pg_get_expr bounds, reltuples, part_config rows): no check
calls a pg_partman function or scans a table. Findings roll up to the partitioned parent: one line per
set, with the partitions concerned listed in the evidence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditor.analysis.partbounds import (
    INT_TYPES,
    MAXVALUE,
    TIME_TYPES,
    RangeLayout,
    Step,
    format_value,
    hash_missing,
    name_for,
    naming_for,
    parse_bound,
    range_layout,
)
from auditor.analysis.partman import (
    LEGACY_SUFFIXES,
    PartmanSet,
    config_table,
    config_where,
    maintenance_call,
    parent_of,
    parse_interval,
    partman_major,
    partman_schema,
    partman_sets,
    scheduler,
    split_name,
    sub_sets,
)
from auditor.base.names import column_list, index_name, qualified, quote_ident, quote_literal
from auditor.catalog.model import Index, Snapshot, Table
from auditor.rules.common import human_bytes, table_obj
from auditor.rules.registry import Hit, Obj, Skip, context, population, rule, threshold

PREMAKE = threshold(
    "partition_premake", 3, "future range partitions a hand-maintained time set should have beyond the current one"
)
MANY_PARTITIONS = threshold("partition_count_warn", 1000, "leaf partitions per set from which planning suffers")
TOO_MANY_PARTITIONS = threshold("partition_count_high", 5000, "leaf partitions per set that is clearly too many")
SKEW_RATIO = threshold("partition_skew_ratio", 10, "largest / median partition size that counts as uneven")
LARGEST_PARTITION_BYTES = threshold(
    "partition_max_bytes", 100 * 1024**3, "a partition larger than this suggests a finer interval"
)
CANDIDATE_BYTES = threshold(
    "partition_candidate_bytes", 50 * 1024**3, "plain tables from this size are partitioning candidates"
)
CANDIDATE_ROWS = threshold(
    "partition_candidate_rows", 100_000_000, "plain tables from this many estimated rows are partitioning candidates"
)
PARTMAN_STALE_HOURS = threshold(
    "partman_stale_hours", 48, "hours after which pg_partman's maintenance_last_run (5.1+) counts as stale"
)

LIKE_OPTIONS = "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED"
EPOCH_FACTOR = {"seconds": 1, "milliseconds": 10**3, "microseconds": 10**6, "nanoseconds": 10**9}
APPEND_ONLY_NAMES = re.compile(r"(event|audit|log|history|activit|metric|telemetr|message|notification|trace|click)")
TIME_COLUMN_NAMES = ("created_at", "occurred_at", "inserted_at", "logged_at", "timestamp", "ts", "time", "at")


# ---- shared helpers ----------------------------------------------------------------------------


def now_of(snap: Snapshot) -> dt.datetime:
    """The collection time: every time judgement is made against it, so a saved snapshot re-renders the same."""
    value = dt.datetime.fromisoformat(snap.server.collected_at)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def user_parents(snap: Snapshot, roots_only: bool = False) -> list[Table]:
    """Partitioned tables (only the top ones with roots_only); once per snapshot, as every PAR rule asks."""
    return snap.once(
        ("user_parents", roots_only),
        lambda: [t for t in snap.user_tables if t.is_partitioned and not (roots_only and t.is_partition)],
    )


def children(snap: Snapshot, t: Table) -> list[Table]:
    return sorted(snap.partitions_of.get(t.oid, []), key=lambda c: (c.schema, c.name))


def default_of(snap: Snapshot, t: Table) -> Table | None:
    return next((c for c in children(snap, t) if c.is_default_partition), None)


def key_type(snap: Snapshot, t: Table) -> str | None:
    """The type name (typname) of a single-column partition key; None for expressions or multi-column keys."""
    if len(t.partition_key_columns) != 1 or (t.partition_key or "").count(",") > 0:
        return None
    col = snap.column_by_name.get((t.oid, t.partition_key_columns[0]))
    return col.base_type if col else None


def layout_of(snap: Snapshot, t: Table) -> RangeLayout | None:
    if t.partition_strategy != "r":
        return None

    def build() -> RangeLayout | None:
        parts = [(c.name, c.partition_bound) for c in children(snap, t) if not c.detach_pending]
        return range_layout(parts, key_type(snap, t))

    return snap.once(("layout", t.oid), build)


def rows_of(snap: Snapshot, t: Table) -> int:
    """Estimated rows: reltuples, or the statistics collector's live tuples when that is larger."""
    stats = snap.stats_of.get(t.oid)
    return max(t.estimated_rows, stats.n_live_tup if stats else 0)


def analyzed(snap: Snapshot, t: Table) -> bool:
    """reltuples is -1 until the first VACUUM/ANALYZE on 14+ (on 13 it is 0, indistinguishable from empty)."""
    return t.reltuples >= 0


def set_is_empty(snap: Snapshot, t: Table) -> bool:
    """Every leaf of the set was analyzed and is estimated at 0 rows. A never analyzed leaf proves nothing:
    relpages (and so the sizes) stay 0 until the first VACUUM/ANALYZE, rows or not."""
    return all(analyzed(snap, x) and rows_of(snap, x) == 0 for x in snap.leaf_partitions(t))


def default_only(snap: Snapshot, t: Table) -> Table | None:
    """The default partition of a range set whose only partition is that default."""
    kids = children(snap, t)
    if t.partition_strategy != "r" or len(kids) != 1 or not kids[0].is_default_partition:
        return None
    return kids[0]


def partman_registered(snap: Snapshot) -> set[tuple[str, str]]:
    """Parents registered in part_config (top sets and sub-partition sets)."""
    return snap.once(
        "partman_registered", lambda: {split_name(p.parent_table) for p in [*_partman(snap), *sub_sets(snap)]}
    )


def partman_owns(snap: Snapshot, t: Table) -> bool:
    """A time-range root that PAR024 reports: pg_partman is installed and the set is not registered with it.
    For a set with only a default partition that is the one finding (PAR001 stays quiet): nothing was ever
    created, and registering it is the fix."""
    if not (snap.available("extensions") and snap.available("partman_config")):
        return False  # PAR024 cannot run, so PAR001 keeps the set
    if snap.installed("pg_partman") is None or t.partition_strategy != "r" or t.is_partition:
        return False
    if (t.schema, t.name) in partman_registered(snap) or key_type(snap, t) not in TIME_TYPES:
        return False
    layout = layout_of(snap, t)
    return layout is None or layout.covered_until != MAXVALUE


EMPTY_SET = "; the set holds no rows yet (estimated), so nothing needs moving"  # said by PAR001 and PAR024


def default_only_severity(snap: Snapshot, t: Table) -> str:
    """Every row lands in the default: high once it holds rows, medium while the whole set is empty."""
    return "medium" if set_is_empty(snap, t) else "high"


def partman_by_parent(snap: Snapshot) -> dict[tuple[str, str], PartmanSet]:
    return snap.once("partman_by_parent", lambda: {split_name(p.parent_table): p for p in partman_sets(snap)})


def names_in(snap: Snapshot, schema: str) -> set[str]:
    def build() -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for x in snap.tables:
            out[x.schema].add(x.name)
        return out

    return snap.once("names", build).get(schema, set())


def descendants(snap: Snapshot, root: Table) -> list[Table]:
    """Every partition under a root (leaves and sub-partitioned ones), sorted by name."""

    def build() -> dict[int, list[Table]]:
        out: dict[int, list[Table]] = defaultdict(list)
        for x in snap.user_tables:
            if x.is_partition:
                out[snap.root_of(x).oid].append(x)
        return {k: sorted(v, key=lambda x: (x.schema, x.name)) for k, v in out.items()}

    return snap.once("descendants", build).get(root.oid, [])


def managing_set(snap: Snapshot, t: Table) -> PartmanSet | None:
    return partman_by_parent(snap).get((t.schema, t.name)) if snap.installed("pg_partman") else None


def ago(delta: dt.timedelta) -> str:
    days = delta.days
    if days >= 2:
        return f"{days} days"
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hours" if hours >= 1 else "less than an hour"


def when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time(0) else value.date().isoformat()
    return str(value)


def insert_columns(snap: Snapshot, t: Table) -> str:
    """The columns a row copy must list (generated ones are recomputed, so left out)."""

    def build() -> str:
        cols = sorted(snap.columns_of.get(t.oid, []), key=lambda c: c.position)
        return column_list([c.name for c in cols if not c.generated])

    return snap.once(("insert_columns", t.oid), build)


def position_now(snap: Snapshot, t: Table, layout: RangeLayout) -> Any:
    """Where new rows land today: now for time keys, the owned sequence's last value for integer keys."""
    if layout.key_type in TIME_TYPES:
        return now_of(snap)
    pset = managing_set(snap, t)
    if pset is not None and pset.epoch in EPOCH_FACTOR:  # pg_partman stores time as an integer epoch
        return int(now_of(snap).timestamp() * EPOCH_FACTOR[pset.epoch])
    key = t.partition_key_columns[0]
    seq = next(
        (s for s in snap.sequences if s.owner_table_oid == t.oid and s.owner_column == key and s.last_value),
        None,
    )
    return seq.last_value if seq else None


# ---- SQL builders ------------------------------------------------------------------------------


def create_partition_sql(snap: Snapshot, parent: Table, name: str, lo: Any, hi: Any, ktype: str) -> str:
    bounds = f"FOR VALUES FROM ({format_value(lo, ktype)}) TO ({format_value(hi, ktype)})"
    return f"CREATE TABLE {qualified(parent.schema, name)} PARTITION OF {parent.qualified} {bounds};"


def move_from_default_sql(
    snap: Snapshot, parent: Table, default: Table, name: str, lo: Any, hi: Any, ktype: str
) -> str:
    """Create the partition for [lo, hi) beside the default, move the default's rows into it, then attach.

    CREATE TABLE ... PARTITION OF fails ("updated partition constraint for default partition would be
    violated") as soon as the default holds one row of the new range; this order never does."""
    key = quote_ident(parent.partition_key_columns[0])
    new = qualified(parent.schema, name)
    lo_sql, hi_sql = format_value(lo, ktype), format_value(hi, ktype)
    where = f"{key} >= {lo_sql} AND {key} < {hi_sql}"
    cols = insert_columns(snap, parent)
    return "\n".join(
        [
            "BEGIN;",
            f"CREATE TABLE {new} (LIKE {parent.qualified} {LIKE_OPTIONS});",
            f"INSERT INTO {new} ({cols}) SELECT {cols} FROM ONLY {default.qualified} WHERE {where};",
            f"DELETE FROM ONLY {default.qualified} WHERE {where};",
            f"ALTER TABLE {parent.qualified} ATTACH PARTITION {new} FOR VALUES FROM ({lo_sql}) TO ({hi_sql});",
            "COMMIT;",
        ]
    )


def runway_sql(
    snap: Snapshot, t: Table, layout: RangeLayout, upto: Any, move_until: Any, start: Any = None
) -> list[str]:
    """Statements creating partitions from the end of coverage (or `start` for a set with none) until `upto`
    (exclusive start); ranges that start before `move_until` go through the default when the set has one."""
    step = layout.step
    newest = layout.newest
    if step is None or (newest is None and start is None):
        return []
    naming = naming_for(newest.name, newest.lower) if newest else None
    default = default_of(snap, t)
    existing = names_in(snap, t.schema)
    out: list[str] = []
    lo = newest.upper if newest else start
    for _ in range(400):  # bounded: never print thousands of statements
        if lo >= upto:
            break
        hi = step.add(lo)
        name = name_for(t.name, naming, lo)
        if name in existing:
            name = name_for(t.name, None, lo)
        if default is not None and lo < move_until:
            out.append(move_from_default_sql(snap, t, default, name, lo, hi, layout.key_type))
        else:
            out.append(create_partition_sql(snap, t, name, lo, hi, layout.key_type))
        lo = hi
    return out


def index_shape(table: Table, i: Index) -> str:
    """The part of an index definition after its table ('USING btree (a, b) WHERE ...'), to compare indexes
    across partitions whatever their names."""
    for marker in (f" ON ONLY {table.qualified} USING ", f" ON {table.qualified} USING "):
        pos = i.definition.find(marker)
        if pos >= 0:
            return "USING " + i.definition[pos + len(marker) :]
    return "USING " + i.definition.split(" USING ", 1)[-1]


def index_ddl(i: Index, shape: str, table: Table, name: str, concurrently: bool, only: bool = False) -> str:
    unique = "UNIQUE " if i.is_unique else ""
    how = "CONCURRENTLY " if concurrently else ""
    target = f"ONLY {table.qualified}" if only else table.qualified
    return f"CREATE {unique}INDEX {how}{quote_ident(name)} ON {target} {shape};"


def proposed_index_name(table: Table, i: Index) -> str:
    cols = [c for c in i.columns if c]
    return index_name(table.name, cols if len(cols) == len(i.columns) else ["expr"], "key" if i.is_unique else "idx")


def attach_sql(parent_index_q: str, child: Table, child_index: str) -> str:
    return f"ALTER INDEX {parent_index_q} ATTACH PARTITION {qualified(child.schema, child_index)};"


def build_on_parent_sql(
    snap: Snapshot, parent: Table, sample: Index, shape: str, have: dict[int, Index], kids: list[Table]
) -> str:
    """Create an index ON ONLY the parent, attach the partitions' existing copies, build and attach the rest."""
    pname = proposed_index_name(parent, sample)
    pq = qualified(parent.schema, pname)
    lines = [index_ddl(sample, shape, parent, pname, concurrently=False, only=True)]
    for child in kids:
        if child.oid in have:
            lines.append(attach_sql(pq, child, have[child.oid].name))
        else:
            cname = proposed_index_name(child, sample)
            lines.append(index_ddl(sample, shape, child, cname, concurrently=not child.is_partitioned))
            lines.append(attach_sql(pq, child, cname))
    return "\n".join(lines)


# ---- populations -------------------------------------------------------------------------------


@population("partition_sets")
def _partition_sets(snap: Snapshot) -> int:
    return len(user_parents(snap, roots_only=True))


@population("partman_sets")
def _partman_sets(snap: Snapshot) -> int:
    return len(partman_sets(snap)) if snap.installed("pg_partman") else 0


@population("partition_indexes")
def _partition_indexes(snap: Snapshot) -> int:
    parents = {t.oid for t in user_parents(snap)}
    return sum(1 for i in snap.indexes if i.table_oid in parents and i.parent_index_oid is None)


# =================================================================================================
# Native partitioning
# =================================================================================================


@dataclass
class Coverage:
    table: Table
    layout: RangeLayout
    position: Any  # now (time keys) or the sequence's last value (integer keys)
    target: int  # future partitions wanted
    pset: PartmanSet | None

    @property
    def current(self) -> Any:
        return self.layout.covering(self.position)

    @property
    def future(self) -> list[Any]:
        return self.layout.ahead_of(self.position)


def coverages(snap: Snapshot) -> tuple[list[Coverage], list[str]]:
    """Range sets whose coverage can be judged, and the names of those that cannot (unknown key type...)."""
    return snap.once(("coverages", PREMAKE(snap)), lambda: _coverages(snap))


def _coverages(snap: Snapshot) -> tuple[list[Coverage], list[str]]:
    out: list[Coverage] = []
    unjudged: list[str] = []
    for t in user_parents(snap, roots_only=True):
        if t.partition_strategy != "r" or not children(snap, t):
            continue
        layout = layout_of(snap, t)
        if layout is None:
            if key_type(snap, t) is None:  # an expression or multi-column key: we cannot order its bounds
                unjudged.append(t.qualified)
            continue  # text, uuid...: nothing to run out of
        if not (layout.parts or (layout.key_type in TIME_TYPES and default_of(snap, t))):
            if layout.unparsed:
                unjudged.append(t.qualified)
            continue
        pos = position_now(snap, t, layout)
        if pos is None:
            if layout.key_type in TIME_TYPES:
                unjudged.append(t.qualified)
            continue
        pset = managing_set(snap, t)
        target = pset.premake if pset and pset.premake else PREMAKE(snap)
        out.append(Coverage(t, layout, pos, target, pset))
    return out, unjudged


def coverage_evidence(snap: Snapshot, cov: Coverage) -> dict[str, Any]:
    layout = cov.layout
    newest = layout.newest
    default = default_of(snap, cov.table)
    ev: dict[str, Any] = {
        "key": cov.table.partition_key,
        "partitions": len(layout.parts),
        "covered_until": when(layout.covered_until),
        "last_partition": newest.name if newest else None,
        "future_partitions": len(cov.future),
        "wanted_future_partitions": cov.target,
        "interval": layout.step.label if layout.step else None,
        "default_partition": default.name if default else None,
    }
    if layout.key_type in INT_TYPES:
        epoch = cov.pset is not None and cov.pset.epoch in EPOCH_FACTOR
        ev["epoch_now" if epoch else "sequence_last_value"] = cov.position
    if default is not None:
        ev["default_estimated_rows"] = rows_of(snap, default)
    if cov.pset is not None:
        ev["pg_partman"] = {"premake": cov.pset.premake, "infinite_time_partitions": cov.pset.infinite_time_partitions}
    return ev


def coverage_fix(snap: Snapshot, cov: Coverage) -> str:
    t, layout = cov.table, cov.layout
    default = default_of(snap, t)
    if cov.pset is not None:
        lines = []
        if default is not None and rows_of(snap, default) > 0:
            lines.append(partition_data_sql(snap, cov.pset))
        lines.append(maintenance_call(snap, cov.pset))
        if cov.pset.is_time_based and not cov.pset.infinite_time_partitions:
            lines.insert(
                0,
                f"UPDATE {config_table(snap, cov.pset)} SET infinite_time_partitions = true "
                f"WHERE {config_where(cov.pset)};  -- premake then counts from now, not from the newest row",
            )
        return "\n".join(lines)
    step = layout.step
    start = None
    head = ""
    if not layout.parts and isinstance(cov.position, dt.datetime):
        # Only a default: nothing says which width was meant. Monthly from the current month is the usual
        # choice; older rows stay in the default until moved the same way.
        layout = dataclasses.replace(layout, step=Step(months=1))
        step = layout.step
        start = cov.position.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        head = "-- assuming monthly partitions from this month (adjust the width); older rows stay in the default\n"
    if step is None:
        return "-- the partition width could not be inferred; create the missing partitions by hand"
    upto = step.add(cov.position, cov.target + 1)
    stmts = runway_sql(snap, t, layout, upto, move_until=step.add(cov.position), start=start)
    head += f"-- {len(stmts)} partition(s) of {step.label}, up to {when(upto)}"
    if default is not None:
        head += f"; ranges up to now are moved out of {default.name} first (it takes an ACCESS EXCLUSIVE lock on it)"
    return "\n".join([head, *stmts])


def partition_data_sql(snap: Snapshot, pset: PartmanSet) -> str:
    schema = quote_ident(partman_schema(snap))
    lit = quote_literal(pset.parent_table)
    if (partman_major(snap) or 5) >= 5:
        return f"CALL {schema}.partition_data_proc({lit});  -- moves the default's rows into new children, in batches"
    func = "partition_data_id" if pset.is_id_based else "partition_data_time"
    return f"SELECT {schema}.{func}({lit}, p_batch_count := 1000);  -- moves the default's rows into new children"


@rule(
    "PAR001",
    "range-coverage-ended",
    severity="critical",
    subject="partitioned table",
    requires=("tables", "columns"),
    population="partition_sets",
)
def range_coverage_ended(snap: Snapshot) -> Iterator[Hit]:
    """Range-partitioned set with no partition for now (time keys, or integer keys past their sequence).

    ## Why is this bad?
    The last partition ended before today. Without a default partition every insert fails with
    `no partition of relation ... found for row`; with one, new rows pile up in the default, and every
    partition later created for those dates fails ("updated partition constraint for default partition
    would be violated") until the rows are moved out. Integer keys are judged against their sequence.

    ## Example
    A monthly set whose partitions were created by hand for a year, and nobody made the next ones.

    ## Fix
    Create the missing partitions, moving the default's rows into them (create beside the default, copy,
    delete, ATTACH); for pg_partman sets run its maintenance (after moving default data with
    `partition_data_proc`/`partition_data_time`), and schedule it (PAR021).

    ## Severity
    Critical without a default (inserts fail), high with one. A set whose only partition is its default is
    high too; but where pg_partman is installed and the set is not registered, PAR024 reports that shape
    (registering the set is the fix) and this rule stays quiet. When the whole set holds no rows (every
    partition estimated at 0 rows after ANALYZE; a never analyzed one counts as holding rows), nothing has to
    be moved yet: medium.
    """
    sets, unjudged = coverages(snap)
    if not sets and unjudged:
        raise Skip(f"range bounds of {', '.join(unjudged[:5])} could not be read as values", not_evaluated=True)
    for cov in sets:
        until = cov.layout.covered_until
        default = default_of(snap, cov.table)
        empty = default is not None and set_is_empty(snap, cov.table)
        if not cov.layout.parts and default is not None:
            if cov.pset is None and partman_owns(snap, cov.table):
                continue  # PAR024 reports it: register it with pg_partman
            ev = coverage_evidence(snap, cov)
            ev["set_empty"] = empty
            yield Hit(
                obj=table_obj(cov.table),
                message=f"range set with no range partitions: every row lands in {default.name}"
                + (EMPTY_SET if empty else ""),
                evidence=ev,
                fix=coverage_fix(snap, cov),
                severity=default_only_severity(snap, cov.table),
            )
            continue
        if until == MAXVALUE or until is None or cov.current is not None or until > cov.position:
            continue
        ev = coverage_evidence(snap, cov)
        if cov.layout.key_type in TIME_TYPES:
            ev["ended_ago"] = ago(cov.position - until)
            span = f"ended {when(until)} ({ago(cov.position - until)} ago)"
        else:
            span = f"end at {until}, below the current value {cov.position}"
        where = f"new rows land in {default.name}" if default else "inserts fail"
        if empty:
            ev["set_empty"] = True
            where += "; the set holds no rows (estimated), so nothing needs moving yet"
        yield Hit(
            obj=table_obj(cov.table),
            message=f"no partition covers now: partitions {span}; {where}",
            evidence=ev,
            fix=coverage_fix(snap, cov),
            severity=("medium" if empty else "high") if default else "critical",
        )


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

    ## Why is this bad?
    Values between one partition's upper bound and the next one's lower bound belong to no partition:
    inserts fail there, or land in the default (which then blocks creating the partition). Gaps come
    from dropped or detached partitions and from hand-made bounds that do not meet.

    ## Example
    `FROM ('2024-01-01') TO ('2024-02-01')` followed by `FROM ('2024-03-01') TO ('2024-04-01')`.

    ## Fix
    Create a partition for each gap (bounds copied from the neighbours, so they meet exactly).
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
                name = name_for(t.name, naming_for(before.name, before.lower), g["lo"])
                fix_lines.append(create_partition_sql(snap, t, name, g["lo"], g["hi"], layout.key_type))  # type: ignore[union-attr]
            elif g.get("to_raw"):
                fix_lines.append(
                    f"CREATE TABLE {qualified(t.schema, t.name + '_gap_' + str(len(fix_lines) + 1))} PARTITION OF "
                    f"{t.qualified} FOR VALUES FROM ({g['from_raw']}) TO ({g['to_raw']});"
                )
        if default is not None and fix_lines:
            fix_lines.insert(0, f"-- if {default.name} already holds rows of a gap, move them out first (see PAR006)")
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


@rule(
    "PAR004",
    "hash-remainder-missing",
    severity="critical",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def hash_remainder_missing(snap: Snapshot) -> Iterator[Hit]:
    """Hash-partitioned set with remainders no partition covers.

    ## Why is this bad?
    A hash set cannot have a default partition: a row whose key hashes to a missing remainder has
    nowhere to go and the insert fails. A quarter of inserts fail when one of four remainders is missing.

    ## Example
    `MODULUS 4` partitions for remainders 0, 1 and 3 only.

    ## Fix
    Create the missing remainders (empty, so instant).
    """
    for t in user_parents(snap):
        if t.partition_strategy != "h":
            continue
        bounds = [parse_bound(c.partition_bound) for c in children(snap, t) if not c.detach_pending]
        pairs = [(b.modulus, b.remainder) for b in bounds if b.kind == "hash"]
        modulus, missing = hash_missing(pairs)
        if not missing:
            continue
        share = len(missing) / modulus
        fix = "\n".join(
            f"CREATE TABLE {qualified(t.schema, f'{t.name}_p{r}')} PARTITION OF {t.qualified} "
            f"FOR VALUES WITH (MODULUS {modulus}, REMAINDER {r});"
            for r in missing
        )
        yield Hit(
            obj=table_obj(t),
            message=f"hash remainders {', '.join(map(str, missing))} of modulus {modulus} have no partition: "
            f"about {share:.0%} of inserts fail",
            evidence={
                "key": t.partition_key,
                "modulus": modulus,
                "missing_remainders": missing,
                "partitions": len(pairs),
            },
            fix=fix,
        )


@rule(
    "PAR005",
    "list-values-uncovered",
    severity="high",
    subject="partitioned table",
    requires=("tables", "constraints"),
    population="partition_sets",
)
def list_values_uncovered(snap: Snapshot) -> Iterator[Hit]:
    """List-partitioned set without a default that covers fewer values than the table its key references.

    ## Why is this bad?
    A LIST set keyed on a tenant (or any referenced table) with one partition per value and no default
    rejects rows for every value without a partition: a new tenant cannot write until someone creates
    its partition. The referenced table's row estimate says how many values exist.

    ## Example
    `ticket_search PARTITION BY LIST (org_id)` with partitions for 3 organisations, no default, and 50
    rows in `organizations`.

    ## Fix
    Add a default partition (or create partitions for the missing values as part of tenant onboarding).
    """
    for t in user_parents(snap):
        if t.partition_strategy != "l" or default_of(snap, t) is not None or len(t.partition_key_columns) != 1:
            continue
        key = t.partition_key_columns[0]
        fk = next(
            (c for c in snap.constraints_of.get(t.oid, []) if c.type == "f" and c.columns == [key] and c.ref_table_oid),
            None,
        )
        ref = snap.table_by_oid.get(fk.ref_table_oid) if fk and fk.ref_table_oid else None
        if ref is None or ref.reltuples < 0:
            continue
        values = {v for c in children(snap, t) for v in parse_bound(c.partition_bound).values if v.upper() != "NULL"}
        existing = rows_of(snap, ref)
        if existing <= len(values):
            continue
        missing = existing - len(values)
        yield Hit(
            obj=table_obj(t),
            message=f"{len(values)} value(s) of {key} have a partition but {ref.qualified} holds ~{existing} rows "
            f"and there is no default: inserts for ~{missing} of them fail",
            evidence={
                "key": key,
                "references": ref.qualified,
                "referenced_rows_estimate": existing,
                "values_with_partition": len(values),
            },
            fix=f"CREATE TABLE {qualified(t.schema, t.name + '_default')} PARTITION OF {t.qualified} DEFAULT;",
        )


@rule(
    "PAR006",
    "default-partition-has-rows",
    severity="high",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def default_partition_has_rows(snap: Snapshot) -> Iterator[Hit]:
    """Default partition holding rows (estimated).

    ## Why is this bad?
    Rows in a range set's default belong to ranges that have no partition. Creating the partition for
    them fails ("updated partition constraint for default partition ... would be violated"), pg_partman's
    maintenance fails the same way, and every later partition creation scans the default under an
    ACCESS EXCLUSIVE lock. Queries on those dates cannot prune. A list set's default is often deliberate
    ("everyone else"), so it is reported as low. Judged on reltuples / live tuples, no scan.

    ## Example
    A monthly set whose partitions ended in August: everything since lives in `events_default`.

    ## Fix
    Move the rows into proper partitions: pg_partman's `partition_data_proc` for managed sets, else
    create each partition beside the default, move its rows, and ATTACH it.
    """
    now = now_of(snap)
    for t in user_parents(snap):
        default = default_of(snap, t)
        if default is None:
            continue
        rows = rows_of(snap, default)
        unanalyzed = not analyzed(snap, default) and (default.table_bytes or default.relpages) > 0
        if rows <= 0 and not unanalyzed:
            continue
        pset = managing_set(snap, t)
        ev: dict[str, Any] = {
            "default_partition": default.name,
            "estimated_rows": rows,
            "size": human_bytes(default.total_bytes),
            "analyzed": analyzed(snap, default),
        }
        stats = snap.stats_of.get(default.oid)
        if stats:
            ev["last_analyze"] = stats.last_analyze or stats.last_autoanalyze
        fix = _default_fix(snap, t, default, pset, now)
        amount = f"~{rows} rows" if rows > 0 else f"{human_bytes(default.table_bytes)} of data (never analyzed)"
        blocked = "; creating the partitions those rows belong to fails until they are moved"
        yield Hit(
            obj=table_obj(t),
            message=f"default partition {default.name} holds {amount}"
            + (blocked if t.partition_strategy == "r" else ""),
            evidence=ev,
            fix=fix,
            severity="high" if t.partition_strategy == "r" else "low",
            members=(default.name,),
        )


def _default_fix(snap: Snapshot, t: Table, default: Table, pset: PartmanSet | None, now: dt.datetime) -> str:
    key = quote_ident(t.partition_key_columns[0]) if len(t.partition_key_columns) == 1 else None
    if pset is not None:
        return partition_data_sql(snap, pset) + "\n" + maintenance_call(snap, pset)
    lines = []
    if key is not None:
        if t.partition_strategy == "r" and key_type(snap, t) in TIME_TYPES:
            layout = layout_of(snap, t)
            unit = _trunc_unit(layout.step if layout else None)
            lines.append(
                f"-- which ranges the rows belong to (scans the default):\n-- SELECT date_trunc('{unit}', {key}) "
                f"AS starts, count(*) FROM ONLY {default.qualified} GROUP BY 1 ORDER BY 1;"
            )
            until = layout.covered_until if layout is not None else None
            if layout is not None and layout.step and isinstance(until, dt.datetime) and until <= now:
                upto = layout.step.add(now, 1)
                lines += runway_sql(snap, t, layout, upto, move_until=upto)
        else:
            lines.append(
                f"-- which values the rows hold (scans the default):\n-- SELECT {key}, count(*) FROM ONLY "
                f"{default.qualified} GROUP BY 1 ORDER BY 2 DESC LIMIT 50;"
            )
    if len(lines) <= 1:
        lines.append(
            f"-- then for each range/value: CREATE TABLE <new> (LIKE {t.qualified} {LIKE_OPTIONS});\n"
            f"-- move its rows from ONLY {default.qualified} (INSERT ... SELECT; DELETE); "
            f"ALTER TABLE {t.qualified} ATTACH PARTITION <new> FOR VALUES ...;"
        )
    return "\n".join(lines)


def _trunc_unit(step: Step | None) -> str:
    if step is None:
        return "day"
    if step.months:
        return "year" if step.months % 12 == 0 else "month"
    secs = step.delta.total_seconds()
    return "hour" if secs < 86400 else "week" if secs == 7 * 86400 else "day"


@rule(
    "PAR007",
    "invalid-partitioned-index",
    severity="high",
    subject="index",
    requires=("tables", "indexes"),
    population="partition_indexes",
)
def invalid_partitioned_index(snap: Snapshot) -> Iterator[Hit]:
    """Partitioned index that is invalid: some partitions lack it.

    ## Why is this bad?
    An index created `ON ONLY` the parent stays invalid until every partition has an index attached to
    it. The partitions without one are scanned sequentially for the queries it was meant for; a unique
    or primary key index built this way is not enforced on them.

    ## Example
    ```sql
    CREATE INDEX ticket_search_document_idx ON ONLY ticket_search USING gin (document);
    -- attached on 2 of 4 partitions only
    ```

    ## Fix
    Build the index on each partition missing it (CONCURRENTLY) and attach it; attach an existing
    matching index instead of building a second one. The parent index turns valid after the last attach.
    """
    for parent_idx in snap.indexes:
        if not parent_idx.is_partitioned or parent_idx.is_valid:
            continue
        t = snap.table_by_oid.get(parent_idx.table_oid)
        if t is None or t.schema in snap.extension_schemas:
            continue
        shape = index_shape(t, parent_idx)
        attached = {i.table_oid for i in snap.indexes if i.parent_index_oid == parent_idx.oid}
        kids = [c for c in children(snap, t) if c.kind in ("r", "p") and not c.detach_pending]
        missing = [c for c in kids if c.oid not in attached]
        if not missing:
            continue
        pq = qualified(t.schema, parent_idx.name)
        lines = []
        for child in missing:
            same = next(
                (
                    i
                    for i in snap.indexes_of.get(child.oid, [])
                    if i.parent_index_oid is None
                    and index_shape(child, i) == shape
                    and i.is_unique == parent_idx.is_unique
                ),
                None,
            )
            if same is not None:
                lines.append(attach_sql(pq, child, same.name))
                continue
            cname = proposed_index_name(child, parent_idx)
            lines.append(index_ddl(parent_idx, shape, child, cname, concurrently=not child.is_partitioned))
            lines.append(attach_sql(pq, child, cname))
        yield Hit(
            obj=Obj("index", t.schema, t.name, parent_idx.name),
            message=f"partitioned index {parent_idx.name} is invalid: {len(missing)} of {len(kids)} partition(s) "
            "lack it",
            evidence={"definition": parent_idx.definition, "partitions_missing_it": [c.name for c in missing]},
            fix="\n".join(lines),
            severity="high" if parent_idx.is_unique else "medium",
        )


def _local_index_groups(
    snap: Snapshot, unique: bool
) -> Iterator[tuple[Table, str, Index, dict[int, Index], list[Table]]]:
    """Per partitioned table: indexes of its partitions attached to no parent index, grouped by shape."""
    for t in user_parents(snap):
        kids = [c for c in children(snap, t) if c.kind in ("r", "p") and not c.detach_pending]
        if not kids:
            continue
        parent_shapes = {index_shape(t, i) for i in snap.indexes_of.get(t.oid, [])}
        groups: dict[str, dict[int, Index]] = defaultdict(dict)
        for child in kids:
            for i in snap.indexes_of.get(child.oid, []):
                if i.parent_index_oid is not None or i.is_unique != unique or not i.is_valid:
                    continue
                shape = index_shape(child, i)
                if shape in parent_shapes:
                    continue
                groups[shape].setdefault(child.oid, i)
        for shape, have in sorted(groups.items()):
            sample = have[min(have, key=lambda oid: snap.table_by_oid[oid].name)]
            yield t, shape, sample, have, kids


@rule(
    "PAR008",
    "index-on-some-partitions",
    severity="medium",
    subject="partitioned table",
    requires=("tables", "indexes"),
    population="partition_sets",
)
def index_on_some_partitions(snap: Snapshot) -> Iterator[Hit]:
    """Index built on some partitions by hand, not on the parent.

    ## Why is this bad?
    Queries that need it are fast on some partitions and scan the others; partitions created later never
    get it. When it exists on every partition but not on the parent, new partitions still miss it.

    ## Example
    `(event_type, created_at)` indexed on the three newest monthly partitions only.

    ## Fix
    Create it ON ONLY the parent, attach the copies that exist, build and attach the missing ones.
    """
    for t, shape, sample, have, kids in _local_index_groups(snap, unique=False):
        missing = [c.name for c in kids if c.oid not in have]
        if missing:
            msg = f"index {shape} exists on {len(have)} of {len(kids)} partitions, not on the parent"
        else:
            msg = f"index {shape} exists on every partition but not on the parent: new partitions will not get it"
        yield Hit(
            obj=table_obj(t),
            message=msg,
            evidence={
                "index": shape,
                "on_partitions": sorted(i.name for i in have.values()),
                "partitions_without": missing,
            },
            fix=build_on_parent_sql(snap, t, sample, shape, have, kids),
            members=(shape,),
            severity="medium" if missing else "low",
        )


@rule(
    "PAR009",
    "per-partition-unique",
    severity="medium",
    subject="partitioned table",
    requires=("tables", "indexes"),
    population="partition_sets",
)
def per_partition_unique(snap: Snapshot) -> Iterator[Hit]:
    """Unique index that exists only per partition: nothing enforces uniqueness across the set.

    ## Why is this bad?
    A unique index on each partition only guarantees uniqueness within that partition: the same value
    can be inserted in two partitions. PostgreSQL can enforce it across the set only when the key
    includes every partition key column (pg_partman template tables produce exactly these indexes).

    ## Example
    `UNIQUE (id)` on each monthly partition of a set partitioned by `created_at`.

    ## Fix
    When the key includes the partition key, create the unique index on the parent and attach the
    partitions' copies. Otherwise the set cannot enforce it; add the partition key to the key, or keep
    the unique values in a separate, unpartitioned table.
    """
    for t, shape, sample, have, kids in _local_index_groups(snap, unique=True):
        cols = [c for c in sample.columns if c]
        covers_key = set(t.partition_key_columns) <= set(cols) and bool(t.partition_key_columns)
        if covers_key:
            fix = build_on_parent_sql(snap, t, sample, shape, have, kids)
        else:
            wider = [*cols, *[k for k in t.partition_key_columns if k not in cols]]
            fix = (
                f"-- ({column_list(cols)}) lacks the partition key ({column_list(t.partition_key_columns)}):\n"
                "-- PostgreSQL cannot enforce it across partitions. Widen the key and enforce it on the parent:\n"
                f"-- CREATE UNIQUE INDEX ON {t.qualified} ({column_list(wider)});\n"
                "-- or keep the unique values in an unpartitioned table with its own UNIQUE constraint."
            )
        yield Hit(
            obj=table_obj(t),
            message=f"unique index {shape} exists on {len(have)} of {len(kids)} partitions only: "
            "uniqueness is not enforced across the set",
            evidence={
                "index": shape,
                "on_partitions": sorted(i.name for i in have.values()),
                "includes_partition_key": covers_key,
            },
            fix=fix,
            members=(shape,),
        )


@rule(
    "PAR010",
    "detach-pending",
    severity="high",
    subject="partitioned table",
    requires=("tables",),
    min_version=140000,
    population="partition_sets",
)
def detach_pending(snap: Snapshot) -> Iterator[Hit]:
    """Partition stuck in DETACH ... CONCURRENTLY.

    ## Why is this bad?
    The second phase of `DETACH PARTITION ... CONCURRENTLY` was cancelled or failed. The partition is
    neither attached nor detached: queries through the parent ignore it, and no other partition can be
    detached concurrently until it is finalized.

    ## Example
    `ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY` cancelled during its second transaction.

    ## Fix
    ```sql
    ALTER TABLE parent DETACH PARTITION child FINALIZE;
    ```
    """
    for t in user_parents(snap):
        pending = [c for c in children(snap, t) if c.detach_pending]
        if not pending:
            continue
        yield Hit(
            obj=table_obj(t),
            message=f"{len(pending)} partition(s) stuck detach-pending: {', '.join(c.name for c in pending)}",
            evidence={"partitions": [c.name for c in pending]},
            fix="\n".join(f"ALTER TABLE {t.qualified} DETACH PARTITION {c.qualified} FINALIZE;" for c in pending),
        )


@rule(
    "PAR011",
    "inheritance-partitioning",
    severity="medium",
    subject="table",
    requires=("tables",),
    population="tables",
)
def inheritance_partitioning(snap: Snapshot) -> Iterator[Hit]:
    """Legacy inheritance-based partitioning (and rows stuck in the inheritance parent).

    ## Why is this bad?
    Inheritance "partitioning" routes rows with triggers and prunes with CHECK constraints: slower
    inserts, no partition-wise joins, no DEFAULT, no parent indexes or foreign keys, and pg_partman 5.x
    no longer supports it. Rows in the parent itself are ones the routing trigger let through.

    ## Example
    `CREATE TABLE logs_2024 (CHECK (at >= '2024-01-01' AND at < '2025-01-01')) INHERITS (logs);` with an
    insert trigger on `logs`.

    ## Fix
    Migrate to declarative partitioning: create a partitioned table, then ATTACH each child after
    `ALTER TABLE child NO INHERIT parent` (its CHECK constraint makes ATTACH skip the validation scan).
    """
    user = {t.oid for t in snap.user_tables}
    kids_of: dict[int, list[Table]] = defaultdict(list)
    for t in snap.user_tables:
        for parent_oid in t.inherits_from:
            kids_of[parent_oid].append(t)
    psets = partman_by_parent(snap) if snap.installed("pg_partman") else {}
    for parent_oid, kids in sorted(kids_of.items(), key=lambda kv: snap.table_by_oid[kv[0]].qualified):
        parent = snap.table_by_oid.get(parent_oid)
        if parent is None or parent_oid not in user or parent.is_partitioned:
            continue
        stuck = rows_of(snap, parent)
        pset = psets.get((parent.schema, parent.name))
        ev: dict[str, Any] = {
            "children": len(kids),
            "children_names": sorted(k.name for k in kids)[:20],
            "rows_in_parent_estimate": stuck,
            "triggers_on_parent": sorted(tr.name for tr in snap.triggers_of.get(parent.oid, [])),
        }
        if pset:
            ev["pg_partman_type"] = pset.partition_type
        msg = f"inheritance-based partitioning with {len(kids)} child table(s)"
        if stuck > 0:
            msg += f"; ~{stuck} rows sit in the parent itself"
        yield Hit(
            obj=table_obj(parent),
            message=msg,
            evidence=ev,
            fix=(
                f"-- rows in the parent (scans it): SELECT count(*) FROM ONLY {parent.qualified};\n"
                f"-- migrate: CREATE TABLE <new> (LIKE {parent.qualified} INCLUDING ALL) PARTITION BY RANGE (<key>);\n"
                f"-- then per child: ALTER TABLE <child> NO INHERIT {parent.qualified}; "
                "ALTER TABLE <new> ATTACH PARTITION <child> FOR VALUES FROM (...) TO (...);"
            ),
            severity="high" if stuck > 0 else "medium",
        )


@rule(
    "PAR012",
    "uneven-partition-sizes",
    severity="low",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def uneven_partition_sizes(snap: Snapshot) -> Iterator[Hit]:
    """Very uneven partition sizes, or a partition too large for its interval.

    ## Why is this bad?
    Partitioning pays off when partitions are comparable: one partition 10x the median (a hot tenant in a
    list or hash set, a traffic change in a time set) concentrates vacuum, index and lock work in one
    table, and retention drops little. A single partition above `partition_max_bytes` suggests a finer
    interval. Empty future partitions and the default are left out.

    ## Example
    A list set by tenant where one tenant's partition holds 400 GB and the median partition 2 GB.

    ## Fix
    Sub-partition or split the hot partition, or shorten the interval for new partitions.
    """
    now = now_of(snap)
    ratio_limit, big = SKEW_RATIO(snap), LARGEST_PARTITION_BYTES(snap)
    for t in user_parents(snap, roots_only=True):
        leaves = [p for p in snap.leaf_partitions(t) if not p.is_default_partition and p.total_bytes is not None]
        layout = layout_of(snap, t)
        if layout is not None and layout.key_type in TIME_TYPES:
            future = {p.name for p in layout.parts if p.lower != "MINVALUE" and p.lower > now}
            leaves = [p for p in leaves if p.name not in future]
        if len(leaves) < 4:
            continue
        sizes = sorted(((p.total_bytes or 0), p.name) for p in leaves)
        median = statistics.median(s for s, _ in sizes)
        largest, largest_name = sizes[-1]
        ratio = largest / median if median else None
        skewed = ratio is not None and ratio >= ratio_limit
        if not skewed and largest < big:
            continue
        ev = {
            "partitions": len(leaves),
            "largest": f"{largest_name} ({human_bytes(largest)})",
            "median": human_bytes(int(median)),
            "largest_over_median": round(ratio, 1) if ratio else None,
            "top": [f"{n} ({human_bytes(s)})" for s, n in sizes[-3:][::-1]],
        }
        msg = (
            f"largest partition {largest_name} is {ratio:.0f}x the median ({human_bytes(largest)} vs "
            f"{human_bytes(int(median))})"
            if skewed
            else f"partition {largest_name} is {human_bytes(largest)}: consider a finer interval"
        )
        yield Hit(
            obj=table_obj(t),
            message=msg,
            evidence=ev,
            fix=f"-- split {largest_name}: sub-partition it, or shorten the interval of new partitions of "
            f"{t.qualified}",
            severity="medium" if (ratio or 0) >= 5 * ratio_limit or largest >= big else "low",
        )


@rule(
    "PAR013",
    "too-many-partitions",
    severity="medium",
    subject="partitioned table",
    requires=("tables", "indexes"),
    population="partition_sets",
)
def too_many_partitions(snap: Snapshot) -> Iterator[Hit]:
    """Too many partitions for the planner or the lock table.

    ## Why is this bad?
    Every partition a query cannot prune is opened and locked with each of its indexes; a few thousand
    partitions slow planning for every query that touches the set, and a query that locks more than
    the shared lock table holds (`max_locks_per_transaction x (max_connections + max_prepared_transactions)`)
    fails with "out of shared memory".

    ## Example
    Five years of hourly partitions: 43,800 leaves, each with three indexes.

    ## Fix
    Coarser intervals or retention for old partitions; raise `max_locks_per_transaction` (restart).
    """
    settings = snap.server.settings or {}
    try:
        slots = int(settings["max_locks_per_transaction"]) * (
            int(settings["max_connections"]) + int(settings.get("max_prepared_transactions", 0))
        )
    except (KeyError, ValueError):
        slots = None
    warn, high = MANY_PARTITIONS(snap), TOO_MANY_PARTITIONS(snap)
    for t in user_parents(snap, roots_only=True):
        leaves = snap.leaf_partitions(t)
        locks = sum(1 + len(snap.indexes_of.get(p.oid, [])) for p in leaves)
        over_locks = slots is not None and locks > slots // 2
        if len(leaves) < warn and not over_locks:
            continue
        ev = {"leaf_partitions": len(leaves), "locks_for_unpruned_query": locks, "lock_table_slots": slots}
        msg = f"{len(leaves)} leaf partitions"
        if over_locks:
            msg += f"; an unpruned query takes {locks} locks, over half the shared lock table ({slots})"
        need = max(64, -(-2 * locks // max(1, int(settings.get("max_connections", 100)))))
        yield Hit(
            obj=table_obj(t),
            message=msg,
            evidence=ev,
            fix=f"ALTER SYSTEM SET max_locks_per_transaction = {need};  -- needs a restart\n"
            f"-- and prefer coarser intervals or retention for {t.qualified}",
            severity="high" if len(leaves) >= high or (slots is not None and locks > slots) else "medium",
        )


@rule(
    "PAR014",
    "partitioned-parent-not-analyzed",
    severity="low",
    subject="partitioned table",
    requires=("tables", "table_stats"),
    min_version=140000,
    population="partition_sets",
)
def partitioned_parent_not_analyzed(snap: Snapshot) -> Iterator[Hit]:
    """Partitioned parent never analyzed.

    ## Why is this bad?
    Autovacuum analyzes partitions, never their partitioned parent, so the set-wide statistics the
    planner uses for joins and aggregates over the whole set are missing unless someone runs ANALYZE on
    the parent. Judged on PostgreSQL 14+ (13 keeps no statistics row for parents).

    ## Example
    `events` partitioned by month, its partitions analyzed by autovacuum, `ANALYZE events` never run.

    ## Fix
    ```sql
    ANALYZE parent;  -- and schedule it (it reads a sample of every partition)
    ```
    """
    for t in user_parents(snap, roots_only=True):
        if snap.estimated_rows(t) <= 0:
            continue
        stats = snap.stats_of.get(t.oid)
        if stats and (stats.last_analyze or stats.last_autoanalyze):
            continue
        yield Hit(
            obj=table_obj(t),
            message=f"never analyzed as a whole (~{snap.estimated_rows(t)} rows across its partitions)",
            evidence={"estimated_rows": snap.estimated_rows(t), "partitions": len(snap.leaf_partitions(t))},
            fix=f"ANALYZE {t.qualified};",
        )


@rule(
    "PAR015",
    "partitioning-candidate",
    severity="low",
    subject="table",
    requires=("tables", "columns"),
    population="tables",
)
def partitioning_candidate(snap: Snapshot) -> Iterator[Hit]:
    """Large unpartitioned table that is a partitioning candidate.

    ## Why is this bad?
    Past tens of gigabytes or a hundred million rows, one table means vacuum, index builds and deletes of
    old data all work on the whole heap. Append-only, time-ordered tables (events, audit, logs) gain the
    most: retention becomes DROP/DETACH of old partitions instead of DELETE, and queries on recent data
    prune to a few partitions. Thresholds: `partition_candidate_bytes`, `partition_candidate_rows`.

    ## Example
    `audit_log` with 300 million rows, only INSERTs, queried by `occurred_at` for the last week.

    ## Fix
    Plan a migration: a partitioned copy by the time column (pg_partman can create and maintain it),
    then backfill in batches and swap names. Not a one-statement change.
    """
    min_bytes, min_rows = CANDIDATE_BYTES(snap), CANDIDATE_ROWS(snap)
    templates = {split_name(p.template_table) for p in partman_sets(snap) if p.template_table}
    inherit_parents = {o for t in snap.tables for o in t.inherits_from}
    for t in snap.user_tables:
        if t.kind != "r" or t.is_partition or t.inherits_from or t.oid in inherit_parents:
            continue
        if (t.schema, t.name) in templates:
            continue
        size, rows = t.total_bytes or 0, t.estimated_rows
        if size < min_bytes and rows < min_rows:
            continue
        cols = sorted(snap.columns_of.get(t.oid, []), key=lambda c: c.position)
        time_cols = [c.name for c in cols if c.base_type in TIME_TYPES]
        time_col = next((n for n in TIME_COLUMN_NAMES if n in time_cols), time_cols[0] if time_cols else None)
        stats = snap.stats_of.get(t.oid)
        append_only = bool(stats and stats.n_tup_ins > 0 and stats.n_tup_upd + stats.n_tup_del <= stats.n_tup_ins / 100)
        named = bool(APPEND_ONLY_NAMES.search(t.name))
        strong = time_col is not None and (append_only or named)
        ev = {
            "size": human_bytes(size),
            "estimated_rows": rows,
            "time_column": time_col,
            "append_only": append_only if stats else None,
            "name_suggests_log": named,
        }
        why = [f"{human_bytes(size)}, ~{rows} rows"]
        if append_only:
            why.append("append-only")
        if time_col:
            why.append(f"time column {time_col}")
        key = quote_ident(time_col) if time_col else "<key>"
        new = qualified(t.schema, t.name + "_partitioned")
        fix = [
            f"-- outline (test on a copy first):\n-- CREATE TABLE {new} (LIKE {t.qualified} INCLUDING ALL) "
            f"PARTITION BY RANGE ({key});  -- the primary key must include {key}",
        ]
        if snap.installed("pg_partman") and time_col:
            fix.append(
                f"-- SELECT {quote_ident(partman_schema(snap))}.create_parent("
                f"{quote_literal(t.schema + '.' + t.name + '_partitioned')}, {quote_literal(time_col)}, "
                + ("'native', 'monthly');" if (partman_major(snap) or 5) < 5 else "'1 month');")
            )
        fix.append(f"-- backfill in batches by {key}, then swap names in one transaction")
        yield Hit(
            obj=table_obj(t),
            message="partitioning candidate: " + ", ".join(why),
            evidence=ev,
            fix="\n".join(fix),
            severity="medium" if strong else "low",
        )


_PRIVS = {
    "r": "SELECT",
    "a": "INSERT",
    "w": "UPDATE",
    "d": "DELETE",
    "D": "TRUNCATE",
    "x": "REFERENCES",
    "t": "TRIGGER",
    "m": "MAINTAIN",
}


def parse_acl(acl: list[str] | None, owner: str) -> dict[str, set[str]]:
    """aclitem text ('grantee=arwd/grantor') -> {grantee: privileges}; NULL means the owner's defaults."""
    if acl is None:
        return {owner: {"ALL"}}
    out: dict[str, set[str]] = defaultdict(set)
    for item in acl:
        grantee, _, rest = item.partition("=")
        privs = rest.split("/", 1)[0]
        name = grantee.strip('"') or "PUBLIC"
        out[name] |= {_PRIVS[ch] for ch in privs if ch in _PRIVS}
    for grantee, privs in out.items():
        if grantee == owner and len(privs) >= 7:
            out[grantee] = {"ALL"}
    return dict(out)


@rule(
    "PAR016",
    "partition-privileges-differ",
    severity="medium",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def partition_privileges_differ(snap: Snapshot) -> Iterator[Hit]:
    """Partitions granted privileges their parent does not grant.

    ## Why is this bad?
    Privileges are checked on the table a query names: a role granted on a partition reads or writes
    it directly, whatever the parent allows. Grants made partition by partition (by a migration, a
    maintenance script, `GRANT ... ON ALL TABLES IN SCHEMA`) drift from the parent's, and new
    partitions do not get them. A partition without RLS under a row-level secured parent is reported
    once, by the isolation analyzer (ISO019): this rule leaves those partitions to it.

    ## Example
    `GRANT SELECT, DELETE ON events_2024 TO reporting` while `events` grants `reporting` nothing.

    ## Fix
    Revoke the partition-level grants (access goes through the parent), and grant on the parent what
    the role needs.
    """
    for t in user_parents(snap, roots_only=True):
        drift = []
        lines: list[str] = []
        for p in descendants(snap, t):
            parent = snap.table_by_oid.get(p.parent_oid or 0) or t
            if parent.rls_enabled and not p.rls_enabled:
                continue  # ISO019 (partition-without-rls) reports this partition
            mine, theirs = parse_acl(p.acl, p.owner), parse_acl(parent.acl, parent.owner)
            extra = {g: sorted(v - theirs.get(g, set())) for g, v in mine.items() if g != p.owner}
            extra = {g: v for g, v in extra.items() if v and "ALL" not in theirs.get(g, set())}
            if not extra:
                continue  # the same or fewer grants: access goes through the parent
            drift.append({"partition": p.name, "extra_grants": dict(sorted(extra.items()))})
            lines += [
                f"REVOKE ALL ON {p.qualified} FROM {'PUBLIC' if g == 'PUBLIC' else quote_ident(g)};" for g in extra
            ]
        if not drift:
            continue
        names = ", ".join(d["partition"] for d in drift[:5]) + (" ..." if len(drift) > 5 else "")
        roles = sorted({g for d in drift for g in d["extra_grants"]})
        yield Hit(
            obj=table_obj(t),
            message=f"{len(drift)} partition(s) grant {', '.join(roles)} more than the parent does: {names}",
            evidence={"partitions": drift},
            fix="\n".join(lines),
            severity="high" if "PUBLIC" in roles else "medium",
        )


# =================================================================================================
# pg_partman
# =================================================================================================


def _partman(snap: Snapshot, with_children: bool = False) -> list[PartmanSet]:
    """The configured sets, or nothing when pg_partman is not installed (the rules then judge nothing).

    Sub-partitioned sets register each child as a set of its own, configured from part_config_sub: the
    rules judge the top set and leave its children out, so one setting does not make one line per child."""
    if snap.installed("pg_partman") is None:
        return []
    every = snap.once("partman_sets", lambda: partman_sets(snap))
    if with_children:
        return every
    return [p for p in every if not _is_child_set(snap, p)]


def _is_child_set(snap: Snapshot, pset: PartmanSet) -> bool:
    parent = parent_of(snap, pset)
    return parent is not None and parent.is_partition


def set_obj(snap: Snapshot, pset: PartmanSet) -> Obj:
    t = parent_of(snap, pset)
    if t is not None:
        return table_obj(t)
    return Obj("partitioned table", pset.schema, pset.table, None)


@rule(
    "PAR020",
    "partman-update-pending",
    severity="low",
    subject="extension",
    requires=("extensions",),
)
def partman_update_pending(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman's installed version is older than the one the server has files for.

    ## Why is this bad?
    The package was upgraded but `ALTER EXTENSION pg_partman UPDATE` never ran: the SQL functions are
    the old ones (with the bugs fixed since), while a newer background worker library may already be
    loaded; pg_partman 5.3.1+ warns about the mismatch and on PostgreSQL 18 refuses it.

    ## Example
    pg_partman 4.7.2 installed, the server's package at 4.7.4 (or 5.1.0).

    ## Fix
    ```sql
    ALTER EXTENSION pg_partman UPDATE;
    ```
    From 4.x to 5.x read the upgrade notes first: trigger-based sets block it (PAR026), part_config is
    recreated (grants on it are lost) and quarterly/weekly suffixes stop working (PAR027).
    """
    ext = snap.installed("pg_partman")
    if ext is None or not ext.default_version or ext.default_version == ext.installed_version:
        return
    major_jump = (ext.installed_version or "").split(".")[0] != ext.default_version.split(".")[0]
    fix = "ALTER EXTENSION pg_partman UPDATE;"
    if major_jump:
        fix = (
            "-- a major upgrade: migrate trigger-based sets first, save grants on part_config, read UPGRADE notes\n"
            + fix
        )
    yield Hit(
        obj=Obj("extension", name="pg_partman"),
        message=f"pg_partman {ext.installed_version} is installed but {ext.default_version} is available: "
        "ALTER EXTENSION ... UPDATE never ran",
        evidence={"installed": ext.installed_version, "available": ext.default_version, "schema": ext.schema},
        fix=fix,
        severity="medium" if major_jump else "low",
    )


@rule(
    "PAR021",
    "partman-maintenance-unscheduled",
    severity="high",
    subject="extension",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_maintenance_unscheduled(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman sets with automatic maintenance on, and nothing that runs it.

    ## Why is this bad?
    pg_partman creates future partitions and applies retention only when `run_maintenance` runs. It
    runs from its background worker (`pg_partman_bgw` in `shared_preload_libraries` and
    `pg_partman_bgw.dbname` naming this database) or from a scheduler such as pg_cron. With neither, the
    premade partitions run out and rows go to the default (or fail), typically months after setup.

    ## Example
    `create_parent('public.events', 'created_at', 'native', 'monthly')` on a managed service without the
    background worker, and no pg_cron job.

    ## Fix
    Schedule it with pg_cron, or configure the background worker (needs a restart):
    ```sql
    SELECT cron.schedule('pg_partman maintenance', '7 * * * *', $$CALL partman.run_maintenance_proc()$$);
    ```
    """
    sets = [p for p in _partman(snap) if p.maintained and parent_of(snap, p) is not None]
    if not sets:
        return
    sched = scheduler(snap)
    if sched.scheduled:
        return
    db = snap.server.database
    ev: dict[str, Any] = {
        "sets": [p.parent_table for p in sets],
        "pg_partman_bgw_preloaded": sched.bgw_preloaded,
        "pg_partman_bgw.dbname": (snap.server.settings or {}).get("pg_partman_bgw.dbname"),
        "pg_cron_installed_here": snap.installed("pg_cron") is not None,
        "cron.database_name": sched.cron_database,
    }
    severity = "high"
    note = ""
    if sched.cron_database and sched.cron_database != db:
        severity = "medium"
        note = f"; pg_cron lives in database {sched.cron_database}, whose jobs cannot be read from here"
    elif snap.installed("pg_cron") and not sched.cron_readable:
        severity = "medium"
        note = "; cron.job could not be read"
    call = maintenance_call(snap)
    fix: list[str] = []
    if sched.cron_database and sched.cron_database != db:
        fix.append(
            f"-- in database {sched.cron_database}:\nSELECT cron.schedule_in_database('pg_partman maintenance "
            f"{db}', '7 * * * *', $${call.rstrip(';')}$$, {quote_literal(db)});"
        )
    elif snap.installed("pg_cron") or sched.cron_database:
        fix.append(f"SELECT cron.schedule('pg_partman maintenance', '7 * * * *', $${call.rstrip(';')}$$);")
    else:
        fix.append(
            "-- with pg_cron (CREATE EXTENSION pg_cron in cron.database_name):\n"
            f"-- SELECT cron.schedule('pg_partman maintenance', '7 * * * *', $${call.rstrip(';')}$$);"
        )
    preload = [p for p in (snap.server.preloaded or []) if p != "pg_partman_bgw"] + ["pg_partman_bgw"]
    fix.append(
        ("-- or " if fix else "") + "the background worker (restart needed):\n"
        f"ALTER SYSTEM SET shared_preload_libraries = {quote_literal(','.join(preload))};\n"
        f"ALTER SYSTEM SET pg_partman_bgw.dbname = {quote_literal(db)};\n"
        "ALTER SYSTEM SET pg_partman_bgw.interval = 3600;\n"
        f"ALTER SYSTEM SET pg_partman_bgw.role = {quote_literal(snap.server.current_user)};"
    )
    if sched.bgw_preloaded and not sched.bgw_dbnames:
        note += f"; pg_partman_bgw is preloaded but pg_partman_bgw.dbname does not name {db}"
    yield Hit(
        obj=Obj("extension", name="pg_partman"),
        message=f"{len(sets)} pg_partman set(s) with automatic_maintenance on, but no background worker and no "
        f"pg_cron job runs maintenance for this database{note}",
        evidence=ev,
        fix="\n".join(fix),
        severity=severity,
    )


@rule(
    "PAR022",
    "partman-maintenance-stale",
    severity="high",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_maintenance_stale(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman 5.1+ set whose maintenance_last_run is old: scheduled maintenance is failing.

    ## Why is this bad?
    `maintenance_last_run` is updated only when that set's maintenance completes. A scheduler exists, so
    an old or empty value means it errors every time: a config row for a dropped table, rows in the
    default, a weekly/quarterly suffix after the 5.x upgrade, or a stuck advisory lock. The errors reach
    only the server log (or pg_cron's job_run_details).

    ## Example
    `maintenance_last_run` three weeks old on an hourly-maintained set, because a set before it was dropped.

    ## Fix
    Run maintenance for the set by hand and read the error; fix its cause.
    """
    sched = scheduler(snap)
    if not sched.scheduled:
        return
    now = now_of(snap)
    hours = max(PARTMAN_STALE_HOURS(snap), 2 * (sched.bgw_interval_s or 3600) / 3600)
    for pset in _partman(snap):
        if "maintenance_last_run" not in pset.keys or not pset.maintained or parent_of(snap, pset) is None:
            continue
        last = pset.last_run()
        if last is not None and now - last <= dt.timedelta(hours=hours):
            continue
        msg = (
            "maintenance never completed for this set"
            if last is None
            else f"last maintenance completed {ago(now - last)} ago"
        )
        yield Hit(
            obj=set_obj(snap, pset),
            message=f"{msg} although {sched.describe()} runs it",
            evidence={"maintenance_last_run": pset.maintenance_last_run, "stale_after_hours": hours},
            fix=maintenance_call(snap, pset) + "  -- read the error it raises",
        )


@rule(
    "PAR023",
    "partman-orphaned-config",
    severity="critical",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables"),
    population="partman_sets",
)
def partman_orphaned_config(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman config row for a table that no longer exists.

    ## Why is this bad?
    The table was dropped without `undo_partition`/config cleanup. `run_maintenance()` raises "Given
    parent table not found in system catalogs" on it: the function rolls back every set, the 5.x
    procedure stops and skips the sets after it, and `check_default()` fails outright (5.1).

    ## Example
    `DROP TABLE public.events CASCADE` on a pg_partman set, leaving its part_config row.

    ## Fix
    ```sql
    DELETE FROM partman.part_config WHERE parent_table = 'schema.table';
    ```
    """
    filters = snap.filters.get("schema") or snap.filters.get("exclude_schema")
    seen_schemas = {t.schema for t in snap.tables}
    for pset in [*_partman(snap, with_children=True), *(sub_sets(snap) if snap.installed("pg_partman") else [])]:
        if parent_of(snap, pset) is not None:
            continue
        if filters and pset.schema not in seen_schemas:
            continue  # filtered out of this run, not necessarily missing
        after = [
            p.parent_table
            for p in _partman(snap, with_children=True)
            if p.parent_table > pset.parent_table and p.maintained
        ]
        yield Hit(
            obj=Obj("partitioned table", pset.schema, pset.table, None),
            message=f"{pset.source} row for {pset.parent_table}, which does not exist: maintenance fails on it"
            + (f" and skips the {len(after)} set(s) after it" if after else ""),
            evidence={"config_table": pset.source, "sets_after_it": after},
            fix=f"DELETE FROM {config_table(snap, pset)} WHERE {config_where(pset)};",
            members=(pset.source,),
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

    ## Why is this bad?
    pg_partman maintains the sets in part_config; a range set beside them that is not registered gets
    no new partitions and no retention unless someone creates them by hand, which is how coverage ends
    (PAR001).

    ## Example
    pg_partman manages `public.observations`; `public.events` beside it is partitioned by month by hand.

    A set whose only partition is the default is reported here rather than by PAR001 (one finding for the
    set): high when it holds rows, medium while it is empty.

    ## Fix
    Register it with `create_parent` (existing partitions must follow pg_partman's naming and bounds),
    or document who maintains it.
    """
    if snap.installed("pg_partman") is None:
        return
    templates = {t.name for t in snap.tables if t.schema == partman_schema(snap)}
    major = partman_major(snap) or 5
    schema = quote_ident(partman_schema(snap))
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
        before, after = ["-- check that existing partitions follow pg_partman's naming first"], []
        template = f"template_{t.schema}_{t.name}"
        if template in templates:
            ev["template_table"] = f"{partman_schema(snap)}.{template} exists: the set was registered once"
            before.append(
                f"-- create_parent makes its own template table; move the old one aside (compare its indexes after):\n"
                f"ALTER TABLE {schema}.{quote_ident(template)} RENAME TO {quote_ident((template + '_old')[:63])};"
            )
        default = next((c for c in children(snap, t) if c.is_default_partition), None)
        if default is not None:  # create_parent attaches its own <parent>_default: detach this one first
            aside = qualified(default.schema, (default.name + "_before_partman")[:63])
            before.append(
                f"ALTER TABLE {t.qualified} DETACH PARTITION {default.qualified};\n"
                f"ALTER TABLE {default.qualified} RENAME TO {quote_ident((default.name + '_before_partman')[:63])};"
            )
            after.append(
                "-- put its rows back through the parent (they land in their partitions or the new default):\n"
                f"INSERT INTO {t.qualified} SELECT * FROM {aside};\nDROP TABLE {aside};"
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
            fix="\n".join([*before, call, *after]),
            severity=severity,
        )


@rule(
    "PAR025",
    "partman-template-drift",
    severity="medium",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables", "indexes"),
    population="partman_sets",
)
def partman_template_drift(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman template table with indexes some existing children lack (or a template that is gone).

    ## Why is this bad?
    pg_partman copies what the parent cannot carry (unique indexes without the partition key, for
    example) from the template table when it creates a child; changing the template later is not
    retroactive. Children made before the change lack the index, so the uniqueness or the lookup it
    gives exists on some partitions only. A template_table that no longer exists breaks child creation.

    ## Example
    `CREATE UNIQUE INDEX ON partman.template_public_events (id)` after two years of monthly children.

    ## Fix
    Create the template's missing indexes on the children that lack them (CONCURRENTLY).
    """
    for pset in _partman(snap):
        t = parent_of(snap, pset)
        if t is None or not pset.template_table:
            continue
        tpl = snap.table_by_name.get(split_name(pset.template_table))
        if tpl is None:
            yield Hit(
                obj=set_obj(snap, pset),
                message=f"template table {pset.template_table} does not exist",
                evidence={"template_table": pset.template_table},
                fix=f"CREATE TABLE {qualified(*split_name(pset.template_table))} (LIKE {t.qualified});",
                members=("template",),
            )
            continue
        kids = [p for p in snap.leaf_partitions(t)]
        for ti in sorted(snap.indexes_of.get(tpl.oid, []), key=lambda i: i.name):
            shape = index_shape(tpl, ti)
            lacking = [
                k
                for k in kids
                if not any(
                    index_shape(k, ki) == shape and ki.is_unique == ti.is_unique
                    for ki in snap.indexes_of.get(k.oid, [])
                )
            ]
            if not lacking:
                continue
            lines = [
                index_ddl(ti, shape, k, proposed_index_name(k, ti), concurrently=not k.is_partitioned) for k in lacking
            ]
            yield Hit(
                obj=set_obj(snap, pset),
                message=f"template index {ti.name} ({shape}) is missing on {len(lacking)} of {len(kids)} children",
                evidence={"template_index": ti.definition, "children_without": [k.name for k in lacking][:50]},
                fix="\n".join(lines),
                members=(ti.name,),
                severity="medium" if ti.is_unique else "low",
            )


@rule(
    "PAR026",
    "partman-trigger-based",
    severity="high",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_trigger_based(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman 4.x trigger-based set ('partman' or 'time-custom').

    ## Why is this bad?
    Trigger-based sets use inheritance and a routing trigger: slower inserts, no native pruning, and
    pg_partman 5.x dropped them: `ALTER EXTENSION pg_partman UPDATE` to 5.x raises while one exists, so
    the whole installation is stuck on the end-of-life 4.x line.

    ## Example
    `create_parent('public.logs', 'at', 'partman', 'daily')` on pg_partman 4.x.

    ## Fix
    Migrate the set to native partitioning (pg_partman's doc/migrate_to_native.md), then upgrade.
    """
    for pset in _partman(snap):
        if not pset.trigger_based:
            continue
        yield Hit(
            obj=set_obj(snap, pset),
            message=f"trigger-based pg_partman set (partition_type {pset.partition_type}): blocks the upgrade to 5.x",
            evidence={"partition_type": pset.partition_type, "partition_interval": pset.partition_interval},
            fix="-- migrate to native partitioning (pg_partman doc/migrate_to_native.md), then:\n"
            f"-- UPDATE {config_table(snap, pset)} SET partition_type = 'native' WHERE {config_where(pset)};",
        )


@rule(
    "PAR027",
    "partman-legacy-suffix",
    severity="high",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_legacy_suffix(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman set with a quarterly or ISO-weekly child suffix, which 5.x maintenance rejects.

    ## Why is this bad?
    pg_partman 5.x names children `YYYYMMDD` and raises "no longer supported" for 4.x quarterly
    (`YYYY"q"Q`) and ISO-weekly (`IYYY"w"IW`) sets. On 5.x their maintenance fails, and with the
    procedure every set after them is skipped; on 4.x they block a clean upgrade.

    ## Example
    `create_parent('public.reports', 'at', 'native', 'quarterly')` on 4.x (suffix `YYYY"q"Q`), then the
    upgrade to 5.x.

    ## Fix
    Rename the children to the `YYYYMMDD` suffix and update `datetime_string` (pg_partman's 5.0 upgrade
    notes describe it), or recreate the set.
    """
    major = partman_major(snap) or 0
    for pset in _partman(snap):
        if pset.datetime_string not in LEGACY_SUFFIXES:
            continue
        on5 = major >= 5
        yield Hit(
            obj=set_obj(snap, pset),
            message=f"child suffix {pset.datetime_string} "
            + ("is rejected by this 5.x install's maintenance" if on5 else "will be rejected after an upgrade to 5.x"),
            evidence={"datetime_string": pset.datetime_string, "partman_version": major},
            fix="-- rename each child to <parent>_pYYYYMMDD (its start date), then:\n"
            f"UPDATE {config_table(snap, pset)} SET datetime_string = 'YYYYMMDD' WHERE {config_where(pset)};",
            severity="critical" if on5 else "medium",
        )


@rule(
    "PAR028",
    "partman-ignore-default-data-off",
    severity="low",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_ignore_default_data_off(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman set with ignore_default_data off.

    ## Why is this bad?
    With it off, maintenance takes the newest value in the default partition into account: one stray
    far-future row makes it create every partition up to that date, or fail with "updated partition
    constraint for default partition would be violated". 4.x defaults it to off and upgraded sets keep
    it; pg_partman's documentation says not to leave it off.

    ## Example
    A set created on 4.x (default off) and carried through the upgrade to 5.x.

    ## Fix
    ```sql
    UPDATE partman.part_config SET ignore_default_data = true WHERE parent_table = 'schema.table';
    ```
    """
    for pset in _partman(snap):
        if pset.ignore_default_data is not False or parent_of(snap, pset) is None:
            continue
        yield Hit(
            obj=set_obj(snap, pset),
            message="ignore_default_data is off: rows in the default steer (or break) maintenance",
            evidence={"ignore_default_data": False},
            fix=f"UPDATE {config_table(snap, pset)} SET ignore_default_data = true WHERE {config_where(pset)};",
        )


@rule(
    "PAR029",
    "partman-premake-stalled",
    severity="medium",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables", "columns"),
    population="partman_sets",
)
def partman_premake_stalled(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman time set with infinite_time_partitions off whose data stopped arriving.

    ## Why is this bad?
    pg_partman counts `premake` from the partition holding the newest row, not from now. When data stops
    (a paused feature, a quiet tenant), maintenance stops creating partitions; when it resumes past the
    last child, rows land in the default, and maintenance then fails on them. Judged on row estimates of
    analyzed partitions: the newest partition holding rows ends before now.

    ## Example
    A monthly set whose feature was paused in March: maintenance still counts premake from March.

    ## Fix
    ```sql
    UPDATE partman.part_config SET infinite_time_partitions = true WHERE parent_table = 'schema.table';
    ```
    """
    now = now_of(snap)
    for pset in _partman(snap):
        t = parent_of(snap, pset)
        if t is None or not pset.is_time_based or pset.infinite_time_partitions is not False:
            continue
        layout = layout_of(snap, t)
        if layout is None or layout.key_type not in TIME_TYPES:
            continue
        by_name = {c.name: c for c in children(snap, t)}
        parts = [p for p in layout.parts if p.upper != MAXVALUE]
        if not parts or not all(analyzed(snap, by_name[p.name]) for p in parts):
            continue
        with_rows = [p for p in parts if rows_of(snap, by_name[p.name]) > 0]
        if not with_rows or with_rows[-1].upper > now:
            continue
        newest = with_rows[-1]
        yield Hit(
            obj=table_obj(t),
            message=f"the newest rows are in {newest.name} (ended {when(newest.upper)}) and infinite_time_partitions "
            "is off: premake counts from there, so maintenance creates no partitions for now",
            evidence={"newest_partition_with_rows": newest.name, "premake": pset.premake},
            fix=f"UPDATE {config_table(snap, pset)} SET infinite_time_partitions = true WHERE {config_where(pset)};\n"
            + maintenance_call(snap, pset),
        )


@rule(
    "PAR030",
    "partman-retention",
    severity="medium",
    subject="partitioned table",
    requires=("extensions", "partman_config", "tables"),
    population="partman_sets",
)
def partman_retention(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman retention that is missing, shorter than one interval, or leaving detached tables behind.

    ## Why is this bad?
    - No retention on a time set: it grows without bound (info; fine when that is the intent).
    - Retention shorter than one partition interval: each partition is dropped (or detached) as soon as
      it ends, so little or no history is kept; usually a unit mistake ('1 day' on a monthly set).
    - `retention_keep_table` on (the default) with no `retention_schema`: expired children are only
      detached, and the tables pile up beside the set, still taking space.

    ## Example
    `retention = '1 day'` on a monthly set; or retention with `retention_keep_table` left on.

    ## Fix
    Set retention to the history you need; set `retention_keep_table = false` (and drop the leftovers
    once they are not needed).
    """
    for pset in _partman(snap):
        t = parent_of(snap, pset)
        if t is None:
            continue
        table, where = config_table(snap, pset), config_where(pset)
        interval = pset.interval
        if not pset.retention:
            if pset.is_time_based:
                yield Hit(
                    obj=table_obj(t),
                    message="no retention: the set grows without bound",
                    evidence={"partition_interval": pset.partition_interval},
                    fix=f"-- when history can expire:\n-- UPDATE {table} SET retention = '<n months>', "
                    f"retention_keep_table = false WHERE {where};",
                    members=("none",),
                    severity="info",
                )
            continue
        retention = (
            parse_interval(pset.retention)
            if pset.is_time_based
            else (Step(width=int(pset.retention)) if pset.retention.strip().isdigit() else None)
        )
        if retention and interval and retention.approx_seconds() < interval.approx_seconds():
            yield Hit(
                obj=table_obj(t),
                message=f"retention {pset.retention} is shorter than one partition ({pset.partition_interval}): "
                "partitions go as soon as they end",
                evidence={"retention": pset.retention, "partition_interval": pset.partition_interval},
                fix=f"UPDATE {table} SET retention = {quote_literal(_times(interval, 3))} WHERE {where};  "
                "-- the history you need",
                members=("short",),
                severity="high",
            )
        if pset.retention_keep_table is not False and not pset.retention_schema:
            left = _leftovers(snap, pset, t)
            if not left:
                continue
            total = sum(x.total_bytes or 0 for x in left)
            yield Hit(
                obj=table_obj(t),
                message=f"{len(left)} detached table(s) left behind by retention_keep_table ({human_bytes(total)})",
                evidence={"tables": [x.name for x in left][:50], "total_size": human_bytes(total)},
                fix=f"UPDATE {table} SET retention_keep_table = false WHERE {where};\n"
                + "\n".join(f"-- DROP TABLE {x.qualified};" for x in left[:50]),
                members=("leftovers",),
                severity="low",
            )


def _times(step: Step, n: int) -> str:
    if step.width:
        return str(step.width * n)
    if step.months and not step.delta:
        return f"{step.months * n} months"
    return f"{int(step.approx_seconds() * n // 3600)} hours"


def _leftovers(snap: Snapshot, pset: PartmanSet, t: Table) -> list[Table]:
    prefix = t.name + pset.prefix
    return sorted(
        (
            x
            for x in snap.user_tables
            if x.schema == t.schema
            and x.kind in ("r", "p")
            and not x.is_partition
            and not x.inherits_from
            and x.name.startswith(prefix)
            and x.name != t.name
            and "template" not in x.name
        ),
        key=lambda x: x.name,
    )


# =================================================================================================
# What the report shows beside the findings, and the partition score
# =================================================================================================


@context("partitions")
def partitions_context(snap: Snapshot) -> dict[str, Any]:
    """One row per partition set (coverage, default, size, pg_partman settings), and who runs pg_partman."""
    now = now_of(snap)
    psets = partman_by_parent(snap) if snap.installed("pg_partman") else {}
    sets = []
    for t in user_parents(snap, roots_only=True):
        leaves = snap.leaf_partitions(t)
        default = default_of(snap, t)
        row: dict[str, Any] = {
            "set": t.qualified,
            "strategy": {"r": "range", "l": "list", "h": "hash"}.get(t.partition_strategy or "", "?"),
            "key": t.partition_key,
            "partitions": len(leaves),
            "bytes": snap.total_bytes(t),
            "size": human_bytes(snap.total_bytes(t)),
            "estimated_rows": snap.estimated_rows(t),
            "default_partition": default.name if default else None,
            "default_rows": rows_of(snap, default) if default else None,
            "subpartitioned": [p.qualified for p in descendants(snap, t) if p.is_partitioned],
        }
        layout = layout_of(snap, t)
        if layout is not None and layout.key_type in TIME_TYPES and layout.parts:
            until = layout.covered_until
            row["covered_until"] = when(until)
            row["future_partitions"] = len(layout.ahead_of(now))
            if isinstance(until, dt.datetime):
                row["runway_days"] = (until - now).days
        pset = psets.get((t.schema, t.name))
        if pset is not None:
            row["pg_partman"] = {
                "interval": pset.partition_interval,
                "premake": pset.premake,
                "retention": pset.retention,
                "automatic_maintenance": pset.automatic_maintenance,
                "maintenance_last_run": pset.maintenance_last_run,
            }
        sets.append(row)
    out: dict[str, Any] = {"sets": sets}
    ext = snap.installed("pg_partman")
    if ext is not None:
        out["pg_partman"] = {
            "version": ext.installed_version,
            "available": ext.default_version,
            "schema": ext.schema,
            "sets": len(psets),
            "maintenance_run_by": scheduler(snap).describe(),
        }
    return out


SET_KINDS = ("partitioned table",)
