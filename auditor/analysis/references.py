"""What a column references, resolved as a DBA does it.

For a column, `resolve(snap, table, column)` answers the table and key it points at, how sure we are,
and why: a declared foreign key (also one declared on the table's partitions only), a reference the
configuration declares (`[tool.pg-auditor.references]`, for references an application enforces with
a worker or triggers: "loose foreign keys"), or one implied by the name and type:

1. `<stem>_id` -> `<stem>s (id)` first (`customer_id` -> `customers`, `category_id` -> `categories`),
   dropping leading qualifiers (`voided_invoice_id` -> `invoices`), with the referencing table's
   prefix tried too (`shop_orders.item_id` -> `shop_items`) and camelCase or quoted names read as
   words (`"orderId"` -> `"Order"`);
2. a table whose single-column primary key has the column's very name (`pagw_id` -> `pagw`); when that
   table is a 1:1 side table (its key is itself a foreign key to the real parent, as in
   `project_settings (project_id) -> projects`), the reference is followed to the parent;
3. `parent_id` -> its own table.

Skipped, with the reason: the table's own single-column primary key (a side table's key, or the
reverse of a 1:1 foreign key), generic names (`uuid`, `key`), cursor columns (`last_event_id`,
`cursor_*`), external ids (`external_`, `remote_`, `sentry_` ... qualifiers name another system's id),
polymorphic pairs (`owner_type` + `owner_id`). A column that holds negative markers (sentinels such as
-1 "none" or -2 "upcoming") is resolved with low confidence: its statistics have seen negative values,
or the catalog says so (a negative DEFAULT, a CHECK on the column naming a negative number). Markers
only the data holds, in a table never analyzed with rows, cannot be seen.

Shared by CON002 (implied foreign keys) and the tenancy model, which counts declared references as
references like foreign keys.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from auditor.analysis.tenant_columns import TENANT_COLUMNS
from auditor.base.thresholds import threshold
from auditor.catalog.model import Column, Constraint, SharedList, Snapshot, Table

# confidence, strongest first
CERTAIN, HIGH, MEDIUM, LOW = "certain", "high", "medium", "low"
CONFIDENCE_RANK = {LOW: 1, MEDIUM: 2, HIGH: 3, CERTAIN: 4}


def _check_declared(value: object) -> str | None:
    if not isinstance(value, dict):
        return 'must be a table of "table.column" = "table(column)"'
    for key, target in value.items():
        if parse_column(str(key)) is None:
            return f"{key!r} is not table.column or schema.table.column"
        if not isinstance(target, str) or parse_target(target) is None:
            return f"{key!r}: {target!r} is not table(column) or schema.table(column)"
    return None


DECLARED_REFERENCES = threshold(
    "references",
    {},
    'references the application enforces itself (a worker, triggers): "table.column" = "table(column)"',
    _check_declared,
)


def _check_databases(value: object) -> str | None:
    if not isinstance(value, dict):
        return 'must be a table of "table" (or "schema.table") = "database"'
    for key, db in value.items():
        if not isinstance(key, str) or not key.strip() or not isinstance(db, str) or not db.strip():
            return f"{key!r}: give the name of the database the table lives in"
    return None


DATABASES = threshold(
    "databases",
    {},
    'tables an application keeps in separate databases, as it publishes them: "table" or "schema.table" = '
    '"database" (tables not listed are in every one); no foreign key can join tables of two databases',
    _check_databases,
)


def database_of(snap: Snapshot, t: Table) -> str | None:
    """The database the configuration puts a table in (`databases`); None when not listed."""
    dbs = DATABASES(snap)
    root = snap.root_of(t) or t
    return dbs.get(f"{root.schema}.{root.name}", dbs.get(root.name))


def across_databases(snap: Snapshot, t: Table, target: Table) -> str | None:
    """Why no foreign key can hold a reference: its two tables live in different databases."""
    mine, theirs = database_of(snap, t), database_of(snap, target)
    if mine and theirs and mine != theirs:
        return f"{t.name} is in database {mine}, {target.name} in {theirs}: no foreign key can cross databases"
    return None


INTEGER_TYPES = {"int2", "int4", "int8"}
TEXT_TYPES = {"text", "varchar", "bpchar", "citext"}
# names that mean different things in different tables: never a reference by name alone
GENERIC_NAMES = {"id", "uuid", "guid", "key", "uid", "external_id", "sequential_id", "iid", "sha", "token"}
# a leading word that says the id is a position in a stream, not a row: last_event_id, cursor_last_id
CURSOR_WORDS = {"last", "cursor", "checkpoint", "latest", "max", "min", "first", "next", "prev", "previous_max"}
# a qualifier that says the id belongs to another system
EXTERNAL_WORDS = {
    "external", "remote", "provider", "vendor", "upstream", "foreign", "sentry", "stripe", "slack", "jira",
    "github", "bitbucket", "gitea", "zoom", "google", "salesforce", "hubspot", "shopify", "paypal", "legacy",
}  # fmt: skip
# a qualifier that says the id records where something came from, kept when the source is gone
PROVENANCE_WORDS = {"original", "initial", "imported", "deleted", "former", "old"}
# a table whose name says it records history: its rows outlive what they mention (FK-free on purpose)
HISTORY_WORDS = {
    "log", "logs", "audit", "audits", "history", "histories", "archive", "archived", "archives", "backup", "backups",
}  # fmt: skip
# ... and, when the table is partitioned or declares no foreign key at all, an ingest stream
# (events may arrive before their parents)
STREAM_WORDS = {"event", "events", "tracking", "telemetry", "metrics"}
# the words of a tenant or sharding key, the column a hierarchy pushes down to every level
HIERARCHY_WORDS = {"organization", "organisation", "namespace", "project", "group", "tenant", "account", "workspace",
                   "team", "company"}  # fmt: skip
INFRA_TABLES = {
    "ar_internal_metadata", "schema_migrations", "flyway_schema_history", "databasechangelog",
    "databasechangeloglock", "alembic_version", "django_migrations", "knex_migrations", "goose_db_version",
}  # fmt: skip
IRREGULAR_PLURALS = {"person": "people", "child": "children", "man": "men", "woman": "women", "datum": "data"}
SELF_REFERENCE_STEMS = {"parent"}


@dataclass(frozen=True, slots=True)
class Reference:
    """What one column of a table points at (slots: the run keeps 80,000 of them on 50,000 tables)."""

    table: Table
    column: str
    target: Table | None  # None: a column skipped on purpose (see reason)
    target_columns: tuple[str, ...]  # the target's key, in order
    columns: tuple[str, ...]  # this table's columns matching target_columns (tenant + column when composite)
    confidence: str  # certain | high | medium | low; "" when skipped
    reason: str
    enforced_by: str | None = None  # "foreign key NAME", "foreign key on partitions", "declared", None

    @property
    def resolved(self) -> bool:
        return self.target is not None

    @property
    def enforced(self) -> bool:
        return self.enforced_by is not None

    @property
    def display(self) -> str:
        if self.target is None:
            return f"{self.column}: not a reference ({self.reason})"
        return f"{self.column} -> {self.target.qualified}({', '.join(self.target_columns)})"


@lru_cache(maxsize=1 << 14)
def words(name: str) -> tuple[str, ...]:
    """snake_case / camelCase words of a name, lower case."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return tuple(w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w)


def normal(name: str) -> str:
    """A table or stem name with case and separators dropped: "OrderItem", order_item -> orderitem."""
    return "".join(words(name))


def plural_forms(stem: str) -> list[str]:
    forms = [stem, stem + "s", stem + "es"]
    if stem.endswith("y") and len(stem) > 1 and stem[-2] not in "aeiou":
        forms.append(stem[:-1] + "ies")
    last = stem.rsplit("_", 1)[-1]
    if last in IRREGULAR_PLURALS:
        forms.append(stem[: -len(last)] + IRREGULAR_PLURALS[last])
    return forms


def parse_column(text: str) -> tuple[str | None, str, str] | None:
    """ "table.column" or "schema.table.column" -> (schema or None, table, column)."""
    parts = text.strip().split(".")
    if len(parts) == 2 and all(parts):
        return None, parts[0], parts[1]
    if len(parts) == 3 and all(parts):
        return parts[0], parts[1], parts[2]
    return None


def parse_target(text: str) -> tuple[str | None, str, list[str]] | None:
    """ "table(column)" or "schema.table(col1, col2)" -> (schema or None, table, columns)."""
    m = re.fullmatch(r"\s*([^()\s]+)\s*\(([^()]+)\)\s*", text)
    if not m:
        return None
    name, cols = m.group(1), [c.strip() for c in m.group(2).split(",")]
    parts = name.split(".")
    if not all(cols) or len(parts) > 2 or not all(parts):
        return None
    return (parts[0] if len(parts) == 2 else None), parts[-1], cols


def same_family(a: Column, b: Column) -> bool:
    if a.base_type in INTEGER_TYPES and b.base_type in INTEGER_TYPES:
        return True
    if a.base_type in TEXT_TYPES and b.base_type in TEXT_TYPES:
        return True
    return a.base_type == b.base_type


def primary_key(snap: Snapshot, t: Table) -> Constraint | None:
    return next((c for c in snap.constraints_of.get(t.oid, []) if c.type == "p"), None)


def single_key(snap: Snapshot, t: Table) -> str | None:
    pk = primary_key(snap, t)
    return pk.columns[0] if pk and len(pk.columns) == 1 else None


def polymorphic_ids(snap: Snapshot, t: Table) -> Mapping[str, str]:
    """Rails polymorphic associations: x_id beside x_type. They point at several tables, so no FK can hold them.
    (Once per table: resolution asks for every column.)"""
    return _per_table(snap, "polymorphic_ids", t, _polymorphic_ids, _NO_PAIRS)


def _polymorphic_ids(snap: Snapshot, t: Table) -> dict[str, str]:
    cols = {c.name: c for c in snap.columns_of.get(t.oid, [])}
    return {
        f"{n[:-5]}_id": n
        for n, c in cols.items()
        if n.endswith("_type") and c.base_type in TEXT_TYPES and f"{n[:-5]}_id" in cols
    }


def foreign_keys_on(snap: Snapshot, t: Table) -> list[Constraint]:
    """Foreign keys of a table; for a partitioned table also those declared on its partitions only.
    (Once per table: resolution asks for every column; callers do not change the list.)"""
    return _per_table(snap, "foreign_keys_on", t, _foreign_keys_on, _NONE)


_NONE = SharedList()  # read-only: the answer of most tables, one empty list for all of them
_NO_PAIRS: Mapping[str, str] = MappingProxyType({})


def _per_table(snap: Snapshot, name: str, t: Table, build: Callable[[Snapshot, Table], Any], empty: Any) -> Any:
    """build(snap, t), once per snapshot and table: in one map per name keyed by the oid, with `empty` (one
    read-only value) for every empty answer (a tuple key and an empty dict or list for each of 50,000 tables
    were 15 MB). A build that raises stores nothing."""
    cache = snap.once(name, dict)
    found = cache.get(t.oid)
    if found is None:
        found = cache[t.oid] = build(snap, t) or empty
    return found


def _foreign_keys_on(snap: Snapshot, t: Table) -> list[Constraint]:
    out = [c for c in snap.constraints_of.get(t.oid, []) if c.type == "f"]
    if t.is_partitioned:
        own = {c.oid for c in out}
        stack = list(snap.partitions_of.get(t.oid, []))
        while stack:
            part = stack.pop()
            stack.extend(snap.partitions_of.get(part.oid, []))
            out += [c for c in snap.constraints_of.get(part.oid, []) if c.type == "f" and c.parent_oid not in own]
    return out


# ---- the snapshot-wide indexes resolution uses (built once) --------------------------------------


@dataclass
class _Index:
    by_normal: dict[tuple[str, str], list[Table]]  # (schema, normalised name) -> tables
    keyed: dict[str, list[Table]]  # single-column primary key name -> tables keyed by it
    schemas: list[str]
    declared: dict[tuple[int, str], tuple[Table, tuple[str, ...]]]
    declared_unknown: list[str]


def _index(snap: Snapshot) -> _Index:
    def build() -> _Index:
        tables = [t for t in snap.user_tables if t.kind in ("r", "p") and not t.is_partition]
        by_normal: dict[tuple[str, str], list[Table]] = defaultdict(list)
        keyed: dict[str, list[Table]] = defaultdict(list)
        for t in tables:
            if t.name in INFRA_TABLES:
                continue
            by_normal[(t.schema, normal(t.name))].append(t)
            pk = single_key(snap, t)
            if pk and pk != "id":
                keyed[pk].append(t)
        schemas = sorted({t.schema for t in tables})
        declared, unknown = _declared(snap, schemas)
        return _Index(dict(by_normal), dict(keyed), schemas, declared, unknown)

    return snap.once("references_index", build)


def _find_table(snap: Snapshot, schema: str | None, name: str, schemas: list[str]) -> Table | None:
    for s in [schema] if schema else ["public", *schemas]:
        t = snap.table_by_name.get((s, name))
        if t is not None:
            return t
    return None


def _declared(snap: Snapshot, schemas: list[str]) -> tuple[dict[tuple[int, str], tuple[Table, tuple[str, ...]]], list]:
    out: dict[tuple[int, str], tuple[Table, tuple[str, ...]]] = {}
    unknown = []
    for key, value in sorted(DECLARED_REFERENCES(snap).items()):
        col, target = parse_column(key), parse_target(value)
        if col is None or target is None:
            unknown.append(key)
            continue
        t = _find_table(snap, col[0], col[1], schemas)
        p = _find_table(snap, target[0], target[1], schemas)
        if t is None or p is None or (t.oid, col[2]) not in snap.column_by_name:
            unknown.append(key)
            continue
        out[(t.oid, col[2])] = (p, tuple(target[2]))
    return out, unknown


def declared_unknown(snap: Snapshot) -> list[str]:
    """Declared references naming a table or column this database does not have (a stale configuration)."""
    return _index(snap).declared_unknown


# ---- resolution ----------------------------------------------------------------------------------


def resolve(snap: Snapshot, t: Table, column: str) -> Reference | None:
    """What `t.column` references, or None when its name says nothing (cached per snapshot: only the
    columns that resolve, a few in ten; an entry for every column of 50,000 tables was 70 MB)."""
    cache = snap.once("references_resolved", dict)
    key = (t.oid, column)
    found = cache.get(key)
    if found is None:
        found = _resolve(snap, t, column)
        if found is not None:
            cache[key] = found
    return found


def references_of(snap: Snapshot, t: Table) -> list[Reference]:
    """Every column of the table that resolves (skipped ones included, with their reason)."""
    out = []
    for col in snap.columns_of.get(t.oid, []):
        ref = resolve(snap, t, col.name)
        if ref is not None:
            out.append(ref)
    return out


def _skip(t: Table, column: str, reason: str) -> Reference:
    return Reference(t, column, None, (), (), "", reason)


def _resolve(snap: Snapshot, t: Table, column: str) -> Reference | None:
    col = snap.column_by_name.get((t.oid, column))
    if col is None:
        return None
    for fk in foreign_keys_on(snap, t):
        if column in fk.columns:
            target = snap.table_by_oid.get(fk.ref_table_oid or 0)
            if target is None:
                continue
            i = fk.columns.index(column)
            how = f"foreign key {fk.name}" if fk.table_oid == t.oid else f"foreign key {fk.name} on a partition"
            return (
                Reference(t, column, target, tuple(fk.ref_columns), tuple(fk.columns), CERTAIN, how, how)
                if i < len(fk.ref_columns)
                else None
            )
    idx = _index(snap)
    declared = idx.declared.get((t.oid, column))
    if declared:
        return Reference(t, column, declared[0], declared[1], (column,), CERTAIN, "declared", "declared")
    if col.generated or column in polymorphic_ids(snap, t):
        return _skip(t, column, "polymorphic pair") if column in polymorphic_ids(snap, t) else None
    w = words(column)
    if column.lower() in GENERIC_NAMES or (len(w) == 1 and w[0] in GENERIC_NAMES):
        return None
    is_id = len(w) >= 2 and w[-1] == "id"
    if not is_id:  # most columns: before the key is looked up
        return None
    own_pk = single_key(snap, t)
    if is_id and w[0] in CURSOR_WORDS:
        return _skip(t, column, "a cursor (position in a stream), not a row")
    if is_id and any(x in EXTERNAL_WORDS for x in w[:-1]):
        return _skip(t, column, "another system's id")
    if is_id and words(t.name)[:1] and words(t.name)[0] in EXTERNAL_WORDS - {"external", "foreign", "legacy"}:
        return _skip(t, column, "another system's id (the table mirrors that system)")
    found = _by_stem(snap, t, col, idx)
    if found is _NAMED_UNFIT:
        return None
    if found is None:
        found = _by_key_name(snap, t, col, idx)
    if found is None:
        return None
    target, target_cols, mine, confidence, reason = found
    if own_pk == column and target.oid != t.oid:
        # the table's own key: a 1:1 side table (or the parent side of a 1:1 foreign key)
        return _skip(t, column, f"the table's own primary key (1:1 with {target.qualified})")
    if any(x in PROVENANCE_WORDS for x in w[:-1]):
        confidence, reason = LOW, reason + "; a provenance record (the source may be gone by design)"
    elif any(x in HISTORY_WORDS for x in words(t.name)) or version_trail(snap, t):
        confidence, reason = LOW, reason + "; a history table, whose rows outlive what they mention"
    elif any(x in STREAM_WORDS for x in words(t.name)) and (t.is_partitioned or not foreign_keys_on(snap, t)):
        confidence, reason = LOW, reason + "; an event stream, partitioned or FK-free (FK-free on purpose)"
    via = copied_from_parent(snap, t, column, target) if HIERARCHY_WORDS & set(w) else None
    if via is not None:
        confidence, reason = LOW, reason + f"; a copy of {via.name}.{column}, the parent it has a foreign key to"
    stats = snap.column_stats_of.get((t.schema, t.name, column))
    marker = sentinel_marker(snap, t, col)
    if stats is not None and stats.negative_seen:
        confidence, reason = LOW, reason + "; negative values seen (sentinel ids such as -1 'none')"
    elif marker:
        confidence, reason = LOW, reason + f"; {marker} (sentinel ids: no foreign key can hold them)"
    return Reference(t, column, target, target_cols, mine, confidence, reason)


# a negative number as pg_get_expr prints it: (-1) or '-1'::integer
_NEGATIVE = r"(?:\(\s*-\d+\s*\)|'-\d+')"


def sentinel_marker(snap: Snapshot, t: Table, col: Column) -> str | None:
    """What in the catalog says an id column holds negative markers (-1 "none", -2 "upcoming"), which no
    row of the referenced table has: a negative DEFAULT, or a CHECK on the column that names a negative
    number (`CHECK (milestone_id > 0 OR milestone_id IN (-1, -2))`, `CHECK (x >= -2)`). Markers only the
    data holds are seen by the statistics once the table is analyzed with rows (negative_seen)."""
    if col.default and re.fullmatch(rf"\(*-\d+\)*|\(*{_NEGATIVE}(?:::[\w ]+)?\)*", col.default.strip()):
        return f"DEFAULT {col.default.strip()}"
    name = re.compile(rf"(?<![\w.\"]){re.escape(col.name)}(?![\w\"])|\"{re.escape(col.name)}\"")
    for con in snap.constraints_of.get(t.oid, []):
        if con.type == "c" and name.search(con.definition) and re.search(_NEGATIVE, con.definition):
            return f"CHECK {con.name} allows negative values"
    return None


# the columns of a version trail (PaperTrail's versions, and tables modelled on it): what changed, how, the row
VERSION_TRAIL = {"item_type", "item_id", "event"}


def version_trail(snap: Snapshot, t: Table) -> bool:
    """A table that records versions of other rows (PaperTrail's shape: item_type, item_id, event and the
    row as it was, object or object_changes): history by what it holds, whatever its name."""
    names = {c.name for c in snap.columns_of.get(t.oid, [])}
    return names >= VERSION_TRAIL and bool({"object", "object_changes"} & names)


def copied_from_parent(snap: Snapshot, t: Table, column: str, target: Table) -> Table | None:
    """The parent (through a foreign key the table has) that carries the same column: the column is then
    a denormalised copy (a sharding or tenant key pushed down a hierarchy; asked for those names only),
    whose rows follow their parent's life cycle. Only when the parent's column has no foreign key
    either: the whole hierarchy carries the key unenforced by design (across databases, say), so the
    copy lacking one is a weak finding. When the parent's column is enforced, a copy lacking it is a gap."""
    for fk in foreign_keys_on(snap, t):
        parent = snap.table_by_oid.get(fk.ref_table_oid or 0)
        if parent is None or parent.oid in (t.oid, target.oid) or column in fk.columns:
            continue
        if (parent.oid, column) in snap.column_by_name and not any(
            column in pfk.columns for pfk in foreign_keys_on(snap, parent)
        ):
            return parent
    return None


def _stems(t: Table, w: tuple[str, ...]) -> list[tuple[str, bool]]:
    """Stems of an id column, most specific first, then with the table's own prefix (marked True):
    voided_invoice_id -> voided_invoice, invoice; in shop_orders also shop_invoice."""
    stems = ["_".join(w[i:-1]) for i in range(len(w) - 1)]
    tw = words(t.name)
    prefixed = []
    for i in range(1, len(tw)):
        prefix = "_".join(tw[:i])
        prefixed += [(f"{prefix}_{s}", True) for s in stems if not s.startswith(prefix + "_")]
    return [(s, False) for s in stems] + prefixed


_NAMED_UNFIT = object()


def _by_stem(snap: Snapshot, t: Table, col: Column, idx: _Index):
    w = words(col.name)
    schemas = [t.schema, *(s for s in idx.schemas if s != t.schema)]
    for stem, prefixed in _stems(t, w):
        if stem in SELF_REFERENCE_STEMS:
            pk = single_key(snap, t)
            if pk and pk != col.name and same_family(col, snap.column_by_name[(t.oid, pk)]):
                return t, (pk,), (col.name,), HIGH, "parent_id: a tree in its own table"
            continue
        named = [
            target
            for schema in schemas
            for form in plural_forms(stem)
            for target in idx.by_normal.get((schema, normal(form)), [])
            if target.oid != t.oid or (not prefixed and stem != "_".join(w[:-1]))
        ]
        for target in named:
            key = _key_for(snap, t, col, target)
            if key:
                return target, *key, HIGH, f"{col.name} names {target.name}"
        if named and "_" in stem:
            # audit_event_id names audit_events even when its key does not fit (composite, partitioned):
            # never fall back to a less specific table (events) or to a side table keyed by the name
            return _NAMED_UNFIT
    return None


def named_table(snap: Snapshot, t: Table, column: str) -> Table | None:
    """The table an id column's name designates (`cluster_agent_id` -> `cluster_agents`, with the
    referencing table's prefix tried too), whatever the two types: what tells a reference stored with
    the wrong type (a bigint key kept as text) from a column that only shares the name."""
    w = words(column)
    if len(w) < 2 or w[-1] != "id":
        return None
    idx = _index(snap)
    schemas = [t.schema, *(s for s in idx.schemas if s != t.schema)]
    # a table's siblings share its affixes: background_operation_jobs_cell_local.worker_id names
    # background_operation_workers_cell_local before background_operation_workers
    tw, base = words(t.name), "_".join(w[:-1])
    affixed = sorted(
        ((tw[:i], tw[j:]) for i in range(len(tw)) for j in range(i + 1, len(tw))), key=lambda a: -len(a[0]) - len(a[1])
    )
    names = [["_".join([*pre, form, *post]) for form in plural_forms(base)] for pre, post in affixed]
    names += [plural_forms(stem) for stem, _prefixed in _stems(t, w)]
    for forms in names:
        for schema in schemas:
            for form in forms:
                for target in idx.by_normal.get((schema, normal(form)), []):
                    if target.oid != t.oid:
                        return target
    return None


def _by_key_name(snap: Snapshot, t: Table, col: Column, idx: _Index):
    """A table keyed by this very column name; a 1:1 side table's key followed to its parent."""
    for target in idx.keyed.get(col.name, []):
        if target.oid == t.oid:
            continue
        ref = snap.column_by_name[(target.oid, col.name)]
        if not same_family(col, ref):
            continue
        parents = [fk for fk in foreign_keys_on(snap, target) if col.name in fk.columns]
        if any(len(fk.columns) > 1 for fk in parents):
            continue  # a side table of a partitioned parent, keyed (partition, id): no single-column target
        parent = parents[0] if parents else None
        if parent is not None:
            real = snap.table_by_oid.get(parent.ref_table_oid or 0)
            real = snap.root_of(real) if real is not None else None
            if real is not None and real.oid != t.oid and len(parent.ref_columns) == 1:
                return (
                    real,
                    (parent.ref_columns[0],),
                    (col.name,),
                    MEDIUM,
                    f"{target.name} is a 1:1 side table of {real.name}; followed to the parent",
                )
            continue
        return target, (col.name,), (col.name,), MEDIUM, f"{target.name} is keyed by {col.name}"
    return None


def _key_for(snap: Snapshot, t: Table, col: Column, target: Table):
    """The target's key columns and ours, when its primary key is (id) or (tenant, id) and the types fit."""
    pk = primary_key(snap, target)
    if pk is None or (target.oid == t.oid and col.name in pk.columns):
        return None
    if len(pk.columns) == 1:
        ref = snap.column_by_name[(target.oid, pk.columns[0])]
        return ((pk.columns[0],), (col.name,)) if same_family(col, ref) else None
    if len(pk.columns) != 2:
        return None
    tenant = next((c for c in TENANT_COLUMNS(snap) if c in pk.columns and (t.oid, c) in snap.column_by_name), None)
    if tenant is None or tenant == col.name:
        return None
    other = next(c for c in pk.columns if c != tenant)
    if not same_family(col, snap.column_by_name[(target.oid, other)]):
        return None
    order = {tenant: tenant, other: col.name}
    return tuple(pk.columns), tuple(order[c] for c in pk.columns)


def declared_references(snap: Snapshot) -> dict[tuple[int, str], tuple[Table, tuple[str, ...]]]:
    """(table oid, column) -> (target, its columns) for every configured reference that names real objects.
    The tenancy model may treat these like foreign keys."""
    return _index(snap).declared
