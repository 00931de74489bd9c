"""The snapshot: plain, JSON-savable data read from the catalogs, with indexes for fast lookup.

Every row class has exactly the columns of its query in queries/, so rows load with Cls(**row) from
the server and from a snapshot file alike. OIDs join rows within one snapshot; findings never use them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from auditor.base.names import qualified
from auditor.catalog.constraintdef import BUILT, constraint_definition
from auditor.catalog.indexdef import index_definition

SNAPSHOT_FORMAT = 1
T = TypeVar("T")


@dataclass(slots=True)
class Server:
    version: str
    version_num: int
    database: str
    current_user: str
    session_user: str
    is_superuser: bool
    bypassrls: bool
    privileged_memberships: list[str]
    stats_reset: str | None
    postmaster_start: str | None
    in_recovery: bool
    database_bytes: int | None
    collected_at: str
    shared_preload_libraries: str | None
    settings: dict[str, str]
    frozenxid_age: int | None = None  # age(datfrozenxid) of this database (None: saved before it was read)
    minmxid_age: int | None = None  # mxid_age(datminmxid)

    @property
    def major(self) -> int:
        return self.version_num // 10000

    @property
    def preloaded(self) -> list[str] | None:
        """shared_preload_libraries as a list, or None when this role may not read it."""
        if self.shared_preload_libraries is None:
            return None
        return [p.strip().strip('"') for p in self.shared_preload_libraries.split(",") if p.strip()]


@dataclass(slots=True)
class Schema:
    oid: int
    name: str
    owner: str
    comment: str | None
    holds_extension: bool


@dataclass(slots=True)
class LockedRelation:
    oid: int
    granted: bool


@dataclass(slots=True)
class Table:
    oid: int
    schema: str
    name: str
    kind: str  # r table, p partitioned, f foreign
    persistence: str  # p permanent, u unlogged, t temp
    owner: str
    reltuples: float
    relpages: int
    total_bytes: int | None
    table_bytes: int | None
    locked: bool
    rls_enabled: bool
    rls_forced: bool
    is_partition: bool
    parent_oid: int | None
    detach_pending: bool
    inherits_from: list[int]
    partition_strategy: str | None  # r range, l list, h hash
    partition_key: str | None
    partition_key_columns: list[str]
    partition_bound: str | None
    replica_identity: str
    acl: list[str] | None
    comment: str | None
    options: list[str] | None = None  # reloptions (fillfactor=..., autovacuum_enabled=...)
    xid_age: int | None = None  # age(relfrozenxid), the greater of the heap's and its TOAST's; None: no storage
    mxid_age: int | None = None  # mxid_age(relminmxid), likewise

    @property
    def qualified(self) -> str:
        return qualified(self.schema, self.name)

    def option(self, name: str) -> str | None:
        """A storage parameter's value as set on the table (None: not set)."""
        for o in self.options or []:
            key, _, value = o.partition("=")
            if key == name:
                return value
        return None

    @property
    def is_partitioned(self) -> bool:
        return self.kind == "p"

    @property
    def is_default_partition(self) -> bool:
        return self.partition_bound == "DEFAULT"

    @property
    def estimated_rows(self) -> int:
        """reltuples is -1 (PostgreSQL 14+) or 0 before the first ANALYZE; never negative here."""
        return max(int(self.reltuples), 0)


@dataclass(slots=True)
class Column:
    table_oid: int
    position: int
    name: str
    type: str
    base_type: str
    type_category: str
    typmod: int
    not_null: bool
    default: str | None
    identity: str | None
    generated: str | None
    collation: str | None
    comment: str | None


@dataclass(slots=True)
class Index:
    oid: int
    table_oid: int
    name: str
    method: str
    is_unique: bool
    is_primary: bool
    is_exclusion: bool
    is_valid: bool
    is_ready: bool
    key_count: int
    columns: list[str | None]  # key columns in order; None where the key is an expression
    keys: list[str]  # each key as pg_get_indexdef prints it (column or expression)
    include_columns: list[str]
    opclasses: list[str]
    collations: list[str]
    options: list[int]  # indoption: 1 DESC, 2 NULLS FIRST
    predicate: str | None
    # As pg_get_indexdef() prints it. The query leaves it NULL: it is built on first read from the parts below
    # (auditor/indexdef.py, see _built_on_first_read); a snapshot saved before the parts existed holds the text.
    definition: str
    bytes: int | None
    relpages: int
    reltuples: float
    constraint_name: str | None
    constraint_type: str | None
    parent_index_oid: int | None
    is_partitioned: bool
    comment: str | None = None  # may carry a pg-auditor suppression tag
    # PostgreSQL 15+. None in a snapshot saved before this column: read from its definition on first use.
    nulls_not_distinct: bool | None = None
    definition_head: str | None = None  # CREATE [UNIQUE ]INDEX name ON [ONLY ]schema.table USING method: saved before
    definition_on: str | None = None  # [ONLY ]schema.table USING method, as the head prints it
    quoted_name: str | None = None  # the name as the head prints it, where quoting changes it
    definition_keys: list[str | None] | None = None  # expression keys as the definition prints them
    definition_include: list[str] | None = None  # INCLUDE columns, quoted
    definition_suffixes: list[str] | None = None  # per key: COLLATE, opclass, its options, DESC, NULLS
    expression_collations: list[str | None] | None = None  # per expression key: its index collation
    collation_oids: list[int] | None = None  # indcollation, where expression_collations is set
    expressions: str | None = None  # indexprs node tree, where expression_collations is set
    definition_with: str | None = None  # WITH (...) storage parameters
    definition_predicate: str | None = None  # WHERE ... as the definition prints it (not pretty-printed)

    @property
    def has_expressions(self) -> bool:
        return any(c is None for c in self.columns)

    @property
    def has_definition_parts(self) -> bool:
        """The parts auditor/indexdef.py builds the definition from (not in a snapshot saved before them)."""
        return self.definition_on is not None or self.definition_head is not None

    @property
    def backs_constraint(self) -> bool:
        return self.constraint_name is not None


@dataclass(slots=True)
class Constraint:
    oid: int
    table_oid: int
    name: str
    type: str  # p primary, u unique, f foreign, c check, x exclusion, t trigger
    columns: list[str]
    ref_table_oid: int | None
    ref_columns: list[str]
    on_delete: str | None  # a no action, r restrict, c cascade, n set null, d set default
    on_update: str | None
    match_type: str | None
    validated: bool
    deferrable: bool
    deferred: bool
    is_local: bool
    inherited_count: int
    parent_oid: int | None
    index_oid: int | None
    # pg_get_constraintdef(oid, true). The query reads it for CHECK, exclusion and trigger constraints only; for
    # the others it is None and built on first read from the columns below (see _built_on_first_read).
    definition: str
    comment: str | None
    # What auditor/constraintdef.py builds a PRIMARY KEY, UNIQUE or FOREIGN KEY definition from. Defaults: a
    # snapshot saved before these columns holds every definition itself.
    columns_quote_mask: int | None = None  # bit n-1 set: the n-th of `columns` prints quoted
    quoted_ref_table: str | None = None  # the referenced table as printed: qualified unless on the search_path
    ref_columns_quote_mask: int | None = None
    quoted_set_columns: list[str] | None = None  # ON DELETE SET NULL/DEFAULT (cols), PostgreSQL 15+
    quoted_include: list[str] | None = None  # INCLUDE columns of a PRIMARY KEY / UNIQUE
    nulls_not_distinct: bool = False  # PostgreSQL 15+
    period: bool = False  # WITHOUT OVERLAPS / PERIOD, PostgreSQL 18+
    enforced: bool = True  # NOT ENFORCED, PostgreSQL 18+


def _built_on_first_read(cls: type, name: str, build: Callable[[Any], Any]) -> None:
    """Let a column the query leaves NULL be filled by build(row) when first read, and kept: equality, repr
    and a saved snapshot then see it like any other column, and rows that never have it read never build it."""
    slot = cls.__dict__[name]  # the __slots__ member holding the value

    def get(row: Any) -> Any:
        value = slot.__get__(row, cls)
        if value is None:
            value = build(row)
            slot.__set__(row, value)
        return value

    setattr(cls, name, property(get, slot.__set__))


def _constraint_definition(con: Constraint) -> str | None:

    return constraint_definition(con) if con.type in BUILT else None


_built_on_first_read(Constraint, "definition", _constraint_definition)
_built_on_first_read(Index, "definition", lambda i: index_definition(i))
# snapshots saved before the column: the definition saved with them says it
_built_on_first_read(Index, "nulls_not_distinct", lambda i: "NULLS NOT DISTINCT" in i.definition)


FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@dataclass(slots=True)
class Trigger:
    table_oid: int
    name: str
    function_oid: int
    function: str
    function_security_definer: bool
    timing: str
    events: list[str]
    level: str
    enabled: str  # O origin, D disabled, R replica, A always
    is_clone: bool


@dataclass(slots=True)
class Policy:
    table_oid: int
    name: str
    command: str  # SELECT INSERT UPDATE DELETE ALL
    permissive: bool
    roles: list[str]
    using_expr: str | None
    check_expr: str | None


@dataclass(slots=True)
class Role:
    oid: int
    name: str
    superuser: bool
    bypassrls: bool
    login: bool
    inherit: bool
    createrole: bool
    createdb: bool
    connection_limit: int


@dataclass(slots=True)
class Membership:
    role: str
    member: str
    admin: bool
    inherit: bool
    can_set: bool


@dataclass(slots=True)
class RoleSetting:
    role: str | None  # None: ALTER DATABASE ... SET
    this_database_only: bool
    settings: list[str]


@dataclass(slots=True)
class View:
    oid: int
    schema: str
    name: str
    kind: str  # v view, m materialized view
    owner: str
    security_invoker: bool
    security_barrier: bool
    reads: list[int]
    definition: str | None
    acl: list[str] | None
    reltuples: float
    options: list[str] | None = None  # reloptions as stored (check_option=local, security_barrier=true ...)
    comment: str | None = None

    @property
    def qualified(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(slots=True)
class Function:
    oid: int
    schema: str
    name: str
    arguments: str
    owner: str
    security_definer: bool
    kind: str
    language: str
    volatility: str
    leakproof: bool
    config: list[str]
    public_execute: bool
    returns_trigger: bool
    body: str | None = None  # LANGUAGE sql / plpgsql source (prosrc), cut at 20,000 characters
    acl: list[str] | None = None  # proacl; None: the default (PUBLIC and the owner may execute)
    arg_names: list[str] = field(default_factory=list)
    returns: str = ""

    @property
    def signature(self) -> str:
        return f"{qualified(self.schema, self.name)}({self.arguments})"


@dataclass(slots=True)
class Sequence:
    oid: int
    schema: str
    name: str
    data_type: str
    min_value: int
    max_value: int
    increment: int
    cycle: bool
    last_value: int | None
    owner_table_oid: int | None
    owner_column: str | None
    owner_kind: str | None  # a serial/owned by, i identity
    readable: bool = True  # this role may read last_value (False: last_value is NULL for that reason)
    default_tables: list[int] = field(default_factory=list)  # relations whose column defaults call it, per column
    owner_default: bool | None = None  # the owning column's default calls it (serial); None: not read


@dataclass(slots=True)
class IndexUsage:
    index_oid: int
    idx_scan: int
    idx_tup_read: int
    last_idx_scan: str | None


@dataclass(slots=True)
class IndexStats:
    """pg_stats summed over an index's attributes (see queries/index_stats.sql)."""

    index_oid: int
    attributes: int
    with_stats: int  # attributes that have statistics (0 before ANALYZE or when pg_stats hides them)
    data_width: float  # sum of (1 - null_frac) * avg_width
    max_null_frac: float
    lead_null_frac: float | None
    lead_n_distinct: float | None
    lead_top_value: str | None
    lead_top_frequency: float | None
    fillfactor: int | None


@dataclass(slots=True)
class IndexBuild:
    """A CREATE INDEX / REINDEX in progress (pg_stat_progress_create_index)."""

    table_oid: int
    index_oid: int | None
    command: str
    phase: str


@dataclass(slots=True)
class TableStats:
    table_oid: int
    seq_scan: int
    seq_tup_read: int
    idx_scan: int | None
    n_live_tup: int
    n_dead_tup: int
    n_mod_since_analyze: int
    n_tup_ins: int
    n_tup_upd: int
    n_tup_del: int
    last_vacuum: str | None
    last_autovacuum: str | None
    last_analyze: str | None
    last_autoanalyze: str | None
    last_seq_scan: str | None


@dataclass(slots=True)
class TableWidth:
    """pg_stats summed over a table's columns (see queries/table_widths.sql)."""

    table_oid: int
    columns: int  # live attributes of the table
    stat_columns: int  # of those, the ones pg_stats describes (hidden from a role that may not read them)
    data_width: float  # sum over them of (1 - null_frac) * avg_width: the average row's data
    max_null_frac: float  # above 0: the rows carry a null bitmap


@dataclass(slots=True)
class TableIO:
    """Blocks a table and its indexes found in shared buffers or read in (see queries/table_io.sql)."""

    table_oid: int
    heap_read: int
    heap_hit: int
    idx_read: int
    idx_hit: int


@dataclass(slots=True)
class HorizonHolder:
    """What holds the xmin horizon back (see queries/horizon.sql): a session, a prepared transaction
    or a replication slot."""

    kind: str  # session, prepared, slot
    name: str  # the pid, the gid, the slot's name
    role: str | None
    database: str | None
    state: str | None  # session: active, idle in transaction, ... (None: hidden from this role); slot: active
    seconds: float | None  # how long the transaction has been open (prepared: since PREPARE)
    xmin_age: int | None  # transactions since the oldest one it still needs to see
    detail: str | None  # session: application_name; slot: its type and plugin


@dataclass(slots=True)
class ColumnStats:
    schema: str
    table: str
    column: str
    null_frac: float
    n_distinct: float
    common_values: list[str] | None
    top_frequency: float | None
    negative_seen: bool | None = None  # numeric column: a value below 0 in pg_stats (None: not numeric/unknown)


@dataclass(slots=True)
class Extension:
    name: str
    installed_version: str | None
    default_version: str | None
    schema: str | None
    relocatable: bool | None = None  # ALTER EXTENSION ... SET SCHEMA can move it (None: not read)


@dataclass(slots=True)
class PartmanConfig:
    source: str  # part_config or part_config_sub
    config: dict[str, Any]


@dataclass(slots=True)
class CronJob:
    job: dict[str, Any]


@dataclass(slots=True)
class Statement:
    """One of the heaviest statements of pg_stat_statements (queries/statements.sql), with what the
    workload analysis (auditor/catalog/workload.py) learned from its generic plan."""

    queryid: int
    query: str | None  # normalized text; None when read with --no-query-text
    calls: int
    total_ms: float
    mean_ms: float
    rows: int
    shared_blks_hit: int
    shared_blks_read: int
    cost: float | None = None  # the planner's estimated total cost of its generic plan (None: not explained)
    seq_scans: list[int] = field(default_factory=list)  # tables its plan reads with a sequential scan
    note: str | None = None  # why it was not explained (not a SELECT, no parse, the time budget, ...)


@dataclass(slots=True)
class IndexCandidate:
    """An index the workload's statements filter, join or sort on, and no index serves (workload.py).

    verified: hypopg created it hypothetically and EXPLAIN's cost dropped by workload_min_gain or more
    for every statement in queryids (cost_before/cost_after, in the same order); unverified: hypopg is
    not installed, the costs are None."""

    table_oid: int
    columns: list[str]
    equality: int  # how many leading columns the statements compare with = (their order is free)
    queryids: list[int]
    verified: bool
    cost_before: list[float | None]
    cost_after: list[float | None]
    size_bytes: int | None  # hypopg's estimate of the index's size


@dataclass(slots=True)
class Unavailable:
    """Why a section of the snapshot is missing, and what would unlock it."""

    reason: str
    grant: str | None = None


# Section name -> row class, in collection order. The names are the query file names.
SECTIONS: dict[str, type] = {
    "schemas": Schema,
    "locks": LockedRelation,
    "tables": Table,
    "columns": Column,
    "indexes": Index,
    "constraints": Constraint,
    "triggers": Trigger,
    "policies": Policy,
    "roles": Role,
    "memberships": Membership,
    "role_settings": RoleSetting,
    "views": View,
    "functions": Function,
    "sequences": Sequence,
    "index_usage": IndexUsage,
    "index_stats": IndexStats,
    "index_builds": IndexBuild,
    "table_stats": TableStats,
    "table_widths": TableWidth,
    "table_io": TableIO,
    "horizon": HorizonHolder,
    "column_stats": ColumnStats,
    "extensions": Extension,
    "partman_config": PartmanConfig,
    "cron_jobs": CronJob,
    "statements": Statement,
    "index_candidates": IndexCandidate,
}


def row_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class NotCollectedYet(BaseException):
    """A rule reached a section still in flight. BaseException, so no `except Exception` in a rule hides it."""

    def __init__(self, section: str) -> None:
        super().__init__(section)
        self.section = section


class InFlight:
    """Stands in for a section while its query runs: any use of it raises NotCollectedYet."""

    __slots__ = ("section",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, section: str) -> None:
        self.section = section

    def _pending(self, *_: Any) -> Any:
        raise NotCollectedYet(self.section)

    __iter__ = __len__ = __bool__ = __getitem__ = __contains__ = __reversed__ = _pending
    __eq__ = __ne__ = __add__ = __radd__ = _pending  # type: ignore[assignment]


@dataclass
class Snapshot:
    """Everything the checks may look at. Sections that could not be read are named in `unavailable`."""

    server: Server
    tool_version: str
    format: int = SNAPSHOT_FORMAT
    schemas: list[Schema] = field(default_factory=list)
    locks: list[LockedRelation] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    role_settings: list[RoleSetting] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    sequences: list[Sequence] = field(default_factory=list)
    index_usage: list[IndexUsage] = field(default_factory=list)
    index_stats: list[IndexStats] = field(default_factory=list)
    index_builds: list[IndexBuild] = field(default_factory=list)
    table_stats: list[TableStats] = field(default_factory=list)
    table_widths: list[TableWidth] = field(default_factory=list)
    table_io: list[TableIO] = field(default_factory=list)
    horizon: list[HorizonHolder] = field(default_factory=list)
    column_stats: list[ColumnStats] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    partman_config: list[PartmanConfig] = field(default_factory=list)
    cron_jobs: list[CronJob] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    index_candidates: list[IndexCandidate] = field(default_factory=list)
    unavailable: dict[str, Unavailable] = field(default_factory=dict)
    limited: dict[str, Unavailable] = field(default_factory=dict)  # read, but only what this role may see
    filters: dict[str, list[str]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict, repr=False)  # thresholds for this run, not saved
    # InFlight("sequence_values") while the collector reads the sequences' last values, after their list has
    # arrived: what needs the names only (the fixes' new names) runs then; what needs the values waits.
    sequence_values: ClassVar[Any] = None

    def last_values(self) -> list[Sequence]:
        """The sequences, for a rule that reads their last_value: raises NotCollectedYet until those are read."""
        if isinstance(self.sequence_values, InFlight):
            raise NotCollectedYet("sequence_values")
        return self.sequences

    # ---- lookups (built once, on first use) -------------------------------------------------

    @cached_property
    def schema_by_name(self) -> dict[str, Schema]:
        return {s.name: s for s in self.schemas}

    @cached_property
    def table_by_oid(self) -> dict[int, Table]:
        return {t.oid: t for t in self.tables}

    @cached_property
    def table_by_name(self) -> dict[tuple[str, str], Table]:
        return {(t.schema, t.name): t for t in self.tables}

    @cached_property
    def columns_of(self) -> dict[int, list[Column]]:
        return _group(self.columns, "table_oid")

    @cached_property
    def column_by_name(self) -> ColumnsByName:
        return ColumnsByName(self.columns_of)

    @cached_property
    def indexes_of(self) -> dict[int, list[Index]]:
        return _group(self.indexes, "table_oid")

    @cached_property
    def index_by_oid(self) -> dict[int, Index]:
        return {i.oid: i for i in self.indexes}

    @cached_property
    def attached_indexes_of(self) -> dict[int, list[Index]]:
        """Partition copies of an index, by the oid of the index they are attached to."""
        return _group([i for i in self.indexes if i.parent_index_oid is not None], "parent_index_oid")

    @cached_property
    def constraints_of(self) -> dict[int, list[Constraint]]:
        return _group(self.constraints, "table_oid")

    @cached_property
    def constraints_referencing(self) -> dict[int, list[Constraint]]:
        """Foreign keys by the table they point at."""
        return _group([c for c in self.constraints if c.type == "f"], "ref_table_oid")

    @cached_property
    def views_reading(self) -> dict[int, list[View]]:
        """Views and materialized views by each relation they read."""
        out: dict[int, list[View]] = defaultdict(list)
        for v in self.views:
            for oid in v.reads:
                out[oid].append(v)
        return dict(out)

    @cached_property
    def foreign_keys_by_index(self) -> dict[int, list[Constraint]]:
        """Foreign keys by the unique index on the referenced side they check against."""
        return _group([c for c in self.constraints if c.type == "f" and c.index_oid], "index_oid")

    @cached_property
    def triggers_of(self) -> dict[int, list[Trigger]]:
        return _group(self.triggers, "table_oid")

    @cached_property
    def policies_of(self) -> dict[int, list[Policy]]:
        return _group(self.policies, "table_oid")

    @cached_property
    def partitions_of(self) -> dict[int, list[Table]]:
        return _group([t for t in self.tables if t.parent_oid is not None], "parent_oid")

    @cached_property
    def usage_of(self) -> dict[int, IndexUsage]:
        return {u.index_oid: u for u in self.index_usage}

    @cached_property
    def index_stats_of(self) -> dict[int, IndexStats]:
        return {s.index_oid: s for s in self.index_stats}

    @cached_property
    def stats_of(self) -> dict[int, TableStats]:
        return {s.table_oid: s for s in self.table_stats}

    @cached_property
    def width_of(self) -> dict[int, TableWidth]:
        return {w.table_oid: w for w in self.table_widths}

    @cached_property
    def column_stats_of(self) -> dict[tuple[str, str, str], ColumnStats]:
        return {(s.schema, s.table, s.column): s for s in self.column_stats}

    @cached_property
    def role_by_name(self) -> dict[str, Role]:
        return {r.name: r for r in self.roles}

    @cached_property
    def extension(self) -> dict[str, Extension]:
        return {e.name: e for e in self.extensions}

    @cached_property
    def extension_schemas(self) -> frozenset[str]:
        """Schemas given over to an extension: they hold one, and no table of theirs is the application's.

        pg_partman's template tables (template_*) live in its schema; a schema such as public that
        also holds pgcrypto or pg_trgm beside the application's tables is not an extension schema.
        """
        app_tables = {t.schema for t in self.tables if not t.name.startswith("template_")}
        return frozenset(s.name for s in self.schemas if s.holds_extension and s.name not in app_tables)

    @cached_property
    def user_tables(self) -> list[Table]:
        """Tables the application owns: not in an extension's schema."""
        return [t for t in self.tables if t.schema not in self.extension_schemas]

    def installed(self, name: str) -> Extension | None:
        ext = self.extension.get(name)
        return ext if ext and ext.installed_version else None

    def root_of(self, table: Table) -> Table:
        """The top partitioned parent of a partition (the table itself otherwise)."""
        while table.parent_oid is not None and table.parent_oid in self.table_by_oid:
            table = self.table_by_oid[table.parent_oid]
        return table

    def leaf_partitions(self, table: Table) -> list[Table]:
        """Every non-partitioned descendant of a partitioned table."""
        out: list[Table] = []
        stack = list(self.partitions_of.get(table.oid, []))
        while stack:
            child = stack.pop()
            if child.is_partitioned:
                stack.extend(self.partitions_of.get(child.oid, []))
            else:
                out.append(child)
        return sorted(out, key=lambda t: (t.schema, t.name))

    def total_bytes(self, table: Table) -> int:
        """Size on disk; a partitioned table's is the sum of its leaves."""
        if table.is_partitioned:
            return sum(t.total_bytes or 0 for t in self.leaf_partitions(table))
        return table.total_bytes or 0

    def estimated_rows(self, table: Table) -> int:
        if table.is_partitioned:
            return sum(t.estimated_rows for t in self.leaf_partitions(table))
        return table.estimated_rows

    def once(self, key: Any, build: Callable[[], T]) -> T:
        """build(), computed once per snapshot: what several rules derive from it (a build that raises,
        e.g. on a section still in flight, stores nothing)."""
        cache = self.__dict__.setdefault("_once", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def forget(self) -> None:
        """Drop what was derived from the rows (the lookup indexes, once() values, the analyses' caches: all
        that is not a field): once the rules have run, the report holds what it needs, and they are built
        again if asked for (90 MB on 10,000 tables)."""
        kept = {f.name for f in fields(self)}
        for name in [n for n in self.__dict__ if n not in kept]:
            del self.__dict__[name]

    def let_go(self, name: str) -> None:
        """Drop one derived value, a lookup (cached property) or a once() value by its key; built again if
        asked for."""
        self.__dict__.pop(name, None)
        self.__dict__.get("_once", {}).pop(name, None)

    def available(self, section: str) -> bool:
        if isinstance(getattr(self, section, None), InFlight):
            raise NotCollectedYet(section)
        return section not in self.unavailable

    def arrived(self, section: str | None) -> bool:
        """Whether a section's query has finished (None, no section at all, has)."""
        return section is None or not isinstance(getattr(self, section), InFlight)

    def in_flight(self) -> list[str]:
        pending = [name for name in SECTIONS if isinstance(getattr(self, name), InFlight)]
        return [*pending, "sequence_values"] if isinstance(self.sequence_values, InFlight) else pending

    @property
    def statistics_from_standby(self) -> bool:
        """Cumulative statistics on a hot standby describe the standby's own reads, not the primary's."""
        return self.server.in_recovery


# Sections read from the cumulative statistics system (per instance; a standby has its own).
STATISTICS_SECTIONS = ("table_stats", "index_usage", "table_io")


def _group(rows: list[Any], key: str) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return dict(out)


class ColumnsByName:
    """(table oid, column name) -> Column, found in the table's own columns (columns_of): a dict with a tuple
    key for every column was 46 MB on 50,000 tables. `in`, [key] and get() as a dict's; a wide table's
    columns get a dict of their own on the first lookup, so that no lookup scans more than WIDE columns."""

    WIDE = 16
    __slots__ = ("_of", "_wide")

    def __init__(self, columns_of: dict[int, list[Column]]) -> None:
        self._of = columns_of
        self._wide: dict[int, dict[str, Column]] = {}

    def get(self, key: tuple[int, str], default: Column | None = None) -> Column | None:
        oid, name = key
        cols = self._of.get(oid)
        if cols is None:
            return default
        if len(cols) > self.WIDE:
            by_name = self._wide.get(oid)
            if by_name is None:
                by_name = self._wide[oid] = {c.name: c for c in cols}
            return by_name.get(name, default)
        for c in reversed(cols):  # the last of equal names, as a dict built in order keeps
            if c.name == name:
                return c
        return default

    def __getitem__(self, key: tuple[int, str]) -> Column:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self.get(key) is not None  # type: ignore[arg-type]


class SharedList(list):  # type: ignore[type-arg]
    """A row's list that other rows with the same entries share (432,000 lists of 35 distinct contents on a
    10,000-table catalog: 32 MB). Read-only, so that no rule changes every row's by changing one: a rule
    that wants to change it copies it first (list(x), x + [...], sorted(x))."""

    __slots__ = ()

    def _shared(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a snapshot row's list is shared by other rows: copy it (list(x)) to change it")

    append = extend = insert = remove = pop = clear = sort = reverse = _shared
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _shared

    def __reduce__(self) -> tuple[Any, ...]:  # pickle and copy rebuild it whole (their default calls extend)
        return SharedList, (list(self),)


_TEXT, _INTEGER = frozenset({str, type(None)}), frozenset({int, type(None)})


class Strings:
    """One copy of each string and list a snapshot repeats, for the rows of one read or load.

    A 10,000-table catalog holds 85 MB of strings, 24 MB of them distinct: every column row has its own
    "integer", every index row its own "btree" and a list of its key names, every table its schema's
    name. Rows keep the one copy seen first; strings are immutable, so nothing else can tell, and lists
    are shared as SharedList, which cannot be changed. (The table of copies goes with this object, when
    the read or load is done.)
    """

    __slots__ = ("lists", "share", "share_float")

    def __init__(self) -> None:
        self.share: Callable[[str, str], str] = {}.setdefault
        self.lists: dict[tuple[Any, ...], SharedList] = {}
        # Floats apart: 1.0 equals 1, and the table above would hand an integer back for it.
        self.share_float: Callable[[float, float], float] = {}.setdefault

    def forget(self) -> None:
        """Let the table of copies go once the last rows that share are built (the rows keep their copies):
        150,000 entries on a 10,000-table catalog, 4 MB while the last rules run."""
        self.share = {}.setdefault
        self.lists = {}
        self.share_float = {}.setdefault

    def list(self, v: list[Any]) -> list[Any]:
        """The shared copy of a list of strings or of integers (NULLs among them); v itself if it holds
        anything else: a float list would match an integer one ([1.0] == [1]), a bool list too, and a
        mapping cannot be a key."""
        kinds = set(map(type, v))
        if not (kinds <= _TEXT or kinds <= _INTEGER):
            return v
        key = tuple(v)
        found = self.lists.get(key)
        if found is None:
            if str in kinds:  # its strings shared too, as the rows' own
                share = self.share
                key = tuple([x if x is None else share(x, x) for x in v])
            found = self.lists[key] = SharedList(key)
        return found

    @staticmethod
    def repeating(rows: list[dict[str, Any]]) -> tuple[str, ...]:
        """The keys of rows decoded from JSON whose strings (or lists) repeat across these rows: the ones
        worth sharing (a table's name or an index's definition is its own; looking it up is waste)."""
        seen: dict[str, set[Any]] = {}
        for row in rows:
            for k, v in row.items():
                if type(v) is str or type(v) is float:
                    seen.setdefault(k, set()).add(v)
                elif type(v) is list:
                    with suppress(TypeError):  # a list of mappings: not shared
                        seen.setdefault(k, set()).add(tuple(v))
        return tuple(k for k, values in seen.items() if len(values) * 2 <= len(rows))

    def rows(self, rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
        """Rows decoded from JSON, the strings and lists under `keys` shared, in place."""
        share, shared_list = self.share, self.list
        for row in rows:
            for k in keys:
                v = row.get(k)
                if type(v) is str:
                    row[k] = share(v, v)
                elif type(v) is list:
                    row[k] = shared_list(v)
                elif type(v) is float:
                    row[k] = self.float(v)
        return rows

    def values(
        self, values: list[Any], text: tuple[int, ...], lists: tuple[int, ...], floats: tuple[int, ...] = ()
    ) -> list[Any]:
        """A row's values as the server sent them: `text` the positions of strings (or integers: a string never
        equals an integer, so one table holds both), `lists` of arrays of strings or integers, `floats` of
        floats (reltuples, null fractions, widths: a few values repeated over hundreds of thousands of rows)."""
        share, shared_list = self.share, self.list
        for i in text:
            v = values[i]
            if v is not None:
                values[i] = share(v, v)
        for i in lists:
            v = values[i]
            if v is not None:
                values[i] = shared_list(v)
        for i in floats:
            v = values[i]
            if v is not None:
                values[i] = self.float(v)
        return values

    def float(self, v: float) -> float:
        """The shared copy of a float; -0.0 kept apart, since it equals 0.0 but prints otherwise."""
        return v if v == 0.0 and math.copysign(1.0, v) < 0 else self.share_float(v, v)
