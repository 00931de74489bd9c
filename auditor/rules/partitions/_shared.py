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
from auditor.base.names import column_list, index_name, qualified, quote_ident, quote_literal
from auditor.catalog.model import Index, Snapshot, Table
from auditor.rules.common import table_obj
from auditor.rules.registry import Obj, threshold

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
        (s for s in snap.sequences if s.owner_table_oid == t.oid and s.owner_column == key and s.last_value),
        None,
    )
    return seq.last_value if seq else None


# ---- SQL builders --------------------------------------------------------------------------------


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
        seq = next((q for q in snap.sequences if q.owner_table_oid == t.oid and q.owner_column == key), None)
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
