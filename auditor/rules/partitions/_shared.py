"""What two or more partition rules share: set navigation, range coverage, pg_partman sets, the SQL
that creates partitions and indexes. Every time judgement is made against the collection time."""

from __future__ import annotations

import dataclasses
import datetime as dt
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
    name_for,
    naming_for,
    range_layout,
)
from auditor.analysis.partman import (
    PartmanSet,
    config_table,
    config_where,
    maintenance_call,
    parent_of,
    partman_major,
    partman_schema,
    partman_sets,
    split_name,
    sub_sets,
)
from auditor.base.names import column_list, fit_name, qualified, quote_ident, quote_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import Index, Snapshot, Table
from auditor.rules.common import new_name, table_obj
from auditor.rules.registry import Obj, threshold
from auditor.rules.runtime_sql import do_block, partitioned_index_sql, relation_oid_sql

PREMAKE = threshold(
    "partition_premake", 3, "future range partitions a hand-maintained time set should have beyond the current one"
)

LIKE_OPTIONS = "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED"

EPOCH_FACTOR = {"seconds": 1, "milliseconds": 10**3, "microseconds": 10**6, "nanoseconds": 10**9}


# ---- sets, partitions and estimates --------------------------------------------------------------


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


def partman_registered(snap: Snapshot) -> set[tuple[str, str]]:
    """Parents registered in part_config (top sets and sub-partition sets)."""
    return snap.once(
        "partman_registered", lambda: {split_name(p.parent_table) for p in [*configured_sets(snap), *sub_sets(snap)]}
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
        (s for s in snap.last_values() if s.owner_table_oid == t.oid and s.owner_column == key and s.last_value),
        None,
    )
    return seq.last_value if seq else None


# ---- SQL builders --------------------------------------------------------------------------------


def create_partition_sql(snap: Snapshot, parent: Table, name: str, lo: Any, hi: Any, ktype: str) -> str:
    bounds = f"FOR VALUES FROM ({format_value(lo, ktype)}) TO ({format_value(hi, ktype)})"
    return f"CREATE TABLE {qualified(parent.schema, name)} PARTITION OF {parent.qualified} {bounds};"


def _bound_literal(value: Any, ktype: str) -> str:
    text = format_value(value, ktype)
    return text if text.startswith("'") else quote_literal(text)


def create_partitions_sql(snap: Snapshot, parent: Table, ranges: list[tuple[str, Any, Any]], ktype: str) -> str:
    """One DO block (one transaction) creating the range partitions [lo, hi) named in `ranges`, decided
    when it runs: a range whose partition exists (by name) or that another partition overlaps is left
    as it is, so the fixes of PAR001, PAR002 and PAR006 can follow one another in one script.

    With a default partition, each one is created beside it (LIKE the parent), the default's rows of the
    range are moved into it, and it is attached: CREATE TABLE ... PARTITION OF would fail ("updated
    partition constraint for default partition would be violated") as soon as the default holds one row
    of the range, and this order never does. ATTACH builds the parent's indexes on it and checks its rows."""
    default = default_of(snap, parent)
    values = ",\n".join(
        f"    ({quote_literal(name)}, {_bound_literal(lo, ktype)}, {_bound_literal(hi, ktype)})"
        for name, lo, hi in ranges
    )
    if default is not None:
        make = [
            "      EXECUTE format('CREATE TABLE %s (LIKE %s " + LIKE_OPTIONS + ")', part, parent);",
            "      EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM ONLY %s WHERE %s >= %L AND %s < %L',",
            "                     part, cols, cols, dflt, k, r.lo, k, r.hi);",
            "      EXECUTE format('DELETE FROM ONLY %s WHERE %s >= %L AND %s < %L', dflt, k, r.lo, k, r.hi);",
            "      EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (%L) TO (%L)',",
            "                     parent, part, r.lo, r.hi);",
        ]
        declare = [
            f"  dflt text := {quote_literal(default.qualified)};",
            f"  cols text := {quote_literal(insert_columns(snap, parent))};",
            f"  k text := {quote_literal(quote_ident(parent.partition_key_columns[0]))};",
        ]
    else:
        make = [
            "      EXECUTE format('CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',",
            "                     part, parent, r.lo, r.hi);",
        ]
        declare = []
    body = "\n".join(
        [
            "DECLARE",
            f"  parent text := {quote_literal(parent.qualified)};",
            f"  sch text := {quote_literal(parent.schema)};",
            *declare,
            "  part text;",
            "  r record;",
            "BEGIN",
            "  FOR r IN SELECT * FROM (VALUES",
            values,
            "  ) AS v(name, lo, hi) LOOP",
            "    part := format('%I.%I', sch, r.name);",
            "    IF EXISTS (SELECT FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid",
            f"               WHERE i.inhparent = {relation_oid_sql(parent.schema, parent.name)}",
            "                 AND c.relname = r.name",
            "                 AND c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = sch)) THEN",
            "      CONTINUE;  -- created already (an earlier fix of this script)",
            "    END IF;",
            "    BEGIN",
            *make,
            "    EXCEPTION WHEN invalid_object_definition THEN  -- another partition overlaps the range: keep it",
            "      RAISE NOTICE 'range % to % overlaps an existing partition of %: not created', r.lo, r.hi, parent;",
            "    END;",
            "  END LOOP;",
            "END",
        ]
    )
    return do_block(body)


def partition_name(snap: Snapshot, t: Table, naming: tuple[str, str] | None, lo: Any, existing: set[str]) -> str:
    """A new partition's name in the set's own pattern (the default pattern when that one is taken), fitted
    to 63 bytes and free in the schema (new_name)."""
    name = name_for(t.name, naming, lo)
    if name in existing:
        name = name_for(t.name, None, lo)
    return new_name(snap, t, [name], "")


def runway_ranges(
    snap: Snapshot, t: Table, layout: RangeLayout, upto: Any, start: Any = None
) -> list[tuple[str, Any, Any]]:
    """(name, lo, hi) of the partitions from the end of coverage (or `start` for a set with none) until
    `upto` (exclusive start), named as the set's newest partition is."""
    step = layout.step
    newest = layout.newest
    if step is None or (newest is None and start is None):
        return []
    naming = naming_for(newest.name, newest.lower) if newest else None
    existing = names_in(snap, t.schema)
    out: list[tuple[str, Any, Any]] = []
    lo = newest.upper if newest else start
    for _ in range(400):  # bounded: never print thousands of ranges
        if lo >= upto:
            break
        hi = step.add(lo)
        name = partition_name(snap, t, naming, lo, existing)
        out.append((name, lo, hi))
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


def proposed_index_name(table: Table, i: Index, snap: Snapshot | None = None) -> str:
    """A name for the copy of index i on table (a partition or parent); with the snapshot, free in the
    schema and fitted to 63 bytes (new_name), else only fitted (callers still to pass snap)."""
    cols = [c for c in i.columns if c]
    parts = [table.name, "_".join(cols if len(cols) == len(i.columns) else ["expr"])]
    suffix = "key" if i.is_unique else "idx"
    return new_name(snap, table, parts, suffix) if snap is not None else fit_name(parts, suffix)


def build_on_parent_sql(snap: Snapshot, parent: Table, sample: Index, shape: str) -> str:
    """Create the index ON ONLY the parent, then give every partition its copy and attach it, over the
    partitions as they are when the fix runs (a copy a partition already has is attached, not rebuilt)."""
    return partitioned_index_sql(parent, proposed_index_name(parent, sample, snap), shape, unique=sample.is_unique)


# ---- range coverage (PAR001, PAR002) -------------------------------------------------------------


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


def unread_positions(snap: Snapshot) -> list[str]:
    """Integer range sets left out of coverages() because their owned sequence's last value was not read:
    another session held it under an ACCESS EXCLUSIVE lock (the audit skips such relations), or the read
    failed. Today's position on them is unknown, so PAR001 and PAR002 say "not evaluated" rather than pass
    (as CON011 does for the sequences themselves). A sequence never used yet is read (NULL) and not listed."""
    unread = snap.limited.get("sequence_values")
    if unread is None:
        return []
    locked = {lk.oid for lk in snap.locks}
    failed = "read failed" in unread.reason
    judged = {cov.table.oid for cov in coverages(snap)[0]}
    out = []
    for t in user_parents(snap, roots_only=True):
        if t.partition_strategy != "r" or t.oid in judged or not t.partition_key_columns:
            continue
        key = t.partition_key_columns[0]
        seq = next((q for q in snap.last_values() if q.owner_table_oid == t.oid and q.owner_column == key), None)
        if seq is not None and seq.readable and seq.last_value is None and (seq.oid in locked or failed):
            out.append(t.qualified)
    return out


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
    ranges = runway_ranges(snap, t, layout, upto, start=start)
    head += f"-- {len(ranges)} partition(s) of {sql_comment(step.label)}, up to {sql_comment(when(upto))}"
    if default is not None:
        head += "; each one's rows are moved out of the default first (an ACCESS EXCLUSIVE lock on it)"
    return "\n".join([head, create_partitions_sql(snap, t, ranges, layout.key_type)])


GAP_FILL_MAX = 12  # a child made for rows far older than the set would otherwise bring hundreds of empty ones


def partition_data_sql(snap: Snapshot, pset: PartmanSet) -> str:
    """pg_partman moving the default's rows into new children, then, for a time set, filling the gaps those
    children leave beside the others (a child made for a month of old rows stands alone: PAR003 reports the
    months around it). Decided when it runs: only where this pg_partman has partition_gap_fill, and only
    for up to GAP_FILL_MAX missing children; more is left to the DBA with a NOTICE."""
    raw = partman_schema(snap)
    schema = quote_ident(raw)
    lit = quote_literal(pset.parent_table)
    if (partman_major(snap) or 5) >= 5:
        move = f"CALL {schema}.partition_data_proc({lit});  -- moves the default's rows into new children, in batches"
    else:
        func = "partition_data_id" if pset.is_id_based else "partition_data_time"
        move = f"SELECT {schema}.{func}({lit}, p_batch_count := 1000);  -- moves the default's rows into new children"
    if not pset.is_time_based:
        return move
    interval = "sub_partition_interval" if pset.source == "part_config_sub" else "partition_interval"
    gap_fill = do_block(
        "\n".join(
            [
                "DECLARE",
                "  step interval;",
                "  first timestamptz;",
                "  last timestamptz;",
                "  have bigint;",
                "  missing bigint;",
                "BEGIN",
                "  IF NOT EXISTS (SELECT FROM pg_catalog.pg_proc p",
                "                 JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace",
                f"                 WHERE n.nspname = {quote_literal(raw)} AND p.proname = 'partition_gap_fill') THEN",
                "    RETURN;",
                "  END IF;",
                f"  SELECT {interval}::interval INTO step FROM {config_table(snap, pset)}",
                f"    WHERE {config_where(pset)};",
                "  SELECT min(i.child_start_time), max(i.child_start_time), count(*) INTO first, last, have",
                f"    FROM {schema}.show_partitions({lit}) s,",
                f"         LATERAL {schema}.show_partition_info(",
                "           pg_catalog.format('%I.%I', s.partition_schemaname, s.partition_tablename),",
                f"           NULL, {lit}) i;",
                "  missing := (SELECT count(*) FROM pg_catalog.generate_series(first, last, step)) - have;",
                f"  IF missing BETWEEN 1 AND {GAP_FILL_MAX} THEN",
                f"    PERFORM {schema}.partition_gap_fill({lit});",
                "  ELSIF missing > 0 THEN",
                "    RAISE NOTICE '% children missing between the oldest and the newest of %: not filled',",
                f"      missing, {lit};",
                "  END IF;",
                "END",
            ]
        )
    )
    return f"{move}\n{gap_fill}"


# ---- indexes built per partition (PAR008, PAR009) ------------------------------------------------


def local_index_groups(
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


# ---- pg_partman sets -----------------------------------------------------------------------------


def configured_sets(snap: Snapshot, with_children: bool = False) -> list[PartmanSet]:
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
