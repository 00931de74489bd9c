"""Constraint checks (CON): keys, references, domains of values, types and key capacity.

Everything here is judged from the catalog snapshot (plus pg_stats values where readable): no check
reads user rows. Partitions are judged through their root, since keys, foreign keys and triggers
declared on a partitioned table are cloned onto every partition.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import lru_cache

from auditor.base.names import column_list, index_name, qualified, quote_ident, quote_literal
from auditor.catalog.model import FK_ACTIONS, Column, Constraint, Sequence, Snapshot, Table, Trigger
from auditor.rules.common import TENANT_COLUMNS, column_obj, constraint_obj, dependent_views_note, table_obj
from auditor.rules.registry import Hit, Obj, Skip, context, rule, threshold

SEQUENCE_USED_SHARE = threshold(
    "sequence_used_share", 0.75, "share of a sequence's or integer key's range used from which CON011 fires"
)
ROLLUP_TABLES = threshold(
    "rollup_tables", 10, "tables of one schema from which a per-table finding becomes one finding for the schema"
)

INTEGER_WIDTH = {"int2": 16, "int4": 32, "int8": 64}
INTEGER_MAX = {"int2": 2**15 - 1, "int4": 2**31 - 1, "int8": 2**63 - 1}
TEXT_TYPES = {"text", "varchar", "bpchar", "citext"}
NUMERIC_TYPES = {"int2", "int4", "int8", "numeric", "float4", "float8"}


# ---- shared helpers -----------------------------------------------------------------------------


def judged_tables(snap: Snapshot) -> list[Table]:
    """Ordinary and partitioned tables the application owns, partitions left out (judged via their root).
    Built once per snapshot: most CON rules and every roll-up ask for it."""
    return snap.once(
        "judged_tables", lambda: [t for t in snap.user_tables if t.kind in ("r", "p") and not t.is_partition]
    )


def judged_per_schema(snap: Snapshot) -> Counter[str]:
    """How many judged tables each schema holds (the denominator of a schema roll-up)."""
    return snap.once("judged_per_schema", lambda: Counter(t.schema for t in judged_tables(snap)))


def app_schemas(snap: Snapshot) -> list[str]:
    return sorted({t.schema for t in snap.user_tables})


def constraint_name(table: str, columns: list[str], suffix: str) -> str:
    """The name PostgreSQL would give the constraint (table_cols_suffix, within 63 bytes)."""
    return index_name(table, columns, suffix)


def add_constraint_sql(t: Table, name: str, body: str, validate: bool = True) -> str:
    """ADD CONSTRAINT ... NOT VALID then VALIDATE: the scan runs under a lock that lets reads and writes go on."""
    if not validate:
        return f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(name)} {body};"
    return (
        f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(name)} {body} NOT VALID;\n"
        f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {quote_ident(name)};"
    )


def checked_columns(snap: Snapshot, t: Table) -> set[str]:
    """Columns some CHECK constraint on the table mentions (conkey lists them)."""
    return {c for con in snap.constraints_of.get(t.oid, []) if con.type == "c" for c in con.columns}


def fk_columns(snap: Snapshot, t: Table) -> set[str]:
    return {c for con in snap.constraints_of.get(t.oid, []) if con.type == "f" for c in con.columns}


def primary_key(snap: Snapshot, t: Table) -> Constraint | None:
    return next((c for c in snap.constraints_of.get(t.oid, []) if c.type == "p"), None)


@lru_cache(maxsize=1 << 14)
def tokens(name: str) -> tuple[str, ...]:
    """snake_case / camelCase words of a column name, lower case (cached: the same names recur in every table)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return tuple(w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w)


def is_rails(snap: Snapshot, schema: str) -> bool:
    """Rails keeps schema_migrations and ar_internal_metadata beside its tables."""
    return (schema, "ar_internal_metadata") in snap.table_by_name and (
        schema,
        "schema_migrations",
    ) in snap.table_by_name


def polymorphic_ids(snap: Snapshot, t: Table) -> dict[str, str]:
    """Rails polymorphic associations: x_id beside x_type. They point at several tables, so no FK can hold them."""
    cols = {c.name: c for c in snap.columns_of.get(t.oid, [])}
    return {
        f"{n[:-5]}_id": n
        for n, c in cols.items()
        if n.endswith("_type") and c.base_type in TEXT_TYPES and f"{n[:-5]}_id" in cols
    }


def type_label(c: Column) -> str:
    """The type as a DBA compares it: timestamp(6) is timestamp (6 is the default precision)."""
    return _type_label(c.type)


@lru_cache(maxsize=1 << 10)
def _type_label(type_name: str) -> str:
    return re.sub(r"^(timestamp|time)\(6\)", r"\1", type_name)


def sample(items: list[str], limit: int = 20) -> list[str]:
    return items if len(items) <= limit else [*items[:limit], f"... and {len(items) - limit} more"]


def rollup(
    snap: Snapshot, per_table: list[tuple[Table, list[str], str]]
) -> Iterator[tuple[str | None, list[tuple[Table, list[str], str]]]]:
    """Group per-table results by schema: a schema where many tables (rollup_tables, or 3+ making up 80% of
    the schema) share the same finding gets one line.

    Yields (schema, items) for a schema-wide group, (None, [item]) for a table reported alone.
    """
    by_schema: dict[str, list[tuple[Table, list[str], str]]] = defaultdict(list)
    for item in per_table:
        by_schema[item[0].schema].append(item)
    limit = ROLLUP_TABLES(snap)
    sizes = judged_per_schema(snap)
    for schema in sorted(by_schema):
        items = sorted(by_schema[schema], key=lambda i: i[0].name)
        if len(items) >= limit or (len(items) >= 3 and len(items) >= 0.8 * sizes[schema]):
            yield schema, items
        else:
            for item in items:
                yield None, [item]


def schema_hit(snap: Snapshot, schema: str, items: list[tuple[Table, list[str], str]], message: str, key: str) -> Hit:
    tables_in_schema = judged_per_schema(snap)[schema]
    columns = [f"{t.name}.{c}" for t, cols, _ in items for c in cols]
    return Hit(
        obj=Obj("schema", name=schema),
        message=message.format(
            columns=len(columns), tables=len(items), of=tables_in_schema, schema=quote_ident(schema)
        ),
        evidence={"tables": len(items), "tables_in_schema": tables_in_schema, key: sample(columns, 40)},
        fix="\n".join(fix for _, _, fix in items),
    )


# ---- CON001 --------------------------------------------------------------------------------------


@rule(
    "CON001",
    "missing-primary-key",
    severity="high",
    subject="table",
    requires=("tables", "columns", "constraints", "indexes"),
    population="tables",
)
def missing_primary_key(snap: Snapshot) -> Iterator[Hit]:
    """Table without a primary key.

    ## Why is this bad?
    Without a primary key nothing stops duplicate rows, rows cannot be addressed one by one (ORMs,
    admin tools and `DELETE ... WHERE id =` all assume a key), and logical replication cannot
    replicate UPDATE or DELETE on the table unless it is set to REPLICA IDENTITY FULL, which makes
    every change ship the whole row and the subscriber scan for it. A partitioned table is judged
    on its parent: a primary key declared there holds on every partition.

    When the table already has a unique index on NOT NULL columns, the key exists in all but name
    and the finding is milder: promote that index.

    ## Example
    ```sql
    CREATE TABLE audit_log (at timestamptz, actor text, action text);
    ```

    ## Fix
    ```sql
    -- an existing unique index on NOT NULL columns:
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY USING INDEX audit_log_id_key;
    -- otherwise a surrogate key (rewrites the table under an ACCESS EXCLUSIVE lock):
    ALTER TABLE audit_log ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
    ```
    On a partitioned table the key must include the partition key columns.
    """
    for t in judged_tables(snap):
        if primary_key(snap, t):
            continue
        cols = {c.name: c for c in snap.columns_of.get(t.oid, [])}
        evidence: dict[str, object] = {"estimated_rows": snap.estimated_rows(t), "replica_identity": t.replica_identity}
        if t.is_partitioned:
            evidence["partition_key"] = t.partition_key
            evidence["partitions"] = len(snap.leaf_partitions(t))
        unique = sorted(
            (
                i
                for i in snap.indexes_of.get(t.oid, [])
                if i.is_unique
                and i.is_valid
                and i.predicate is None
                and not i.has_expressions
                and all(cols[c].not_null for c in i.columns if c in cols)
            ),
            key=lambda i: (i.key_count, i.name),
        )
        pkey = constraint_name(t.name, [], "pkey")
        if unique:
            best = unique[0]
            evidence["unique_not_null_index"] = best.name
            cols_sql = column_list([c for c in best.columns if c])
            if t.is_partitioned or best.parent_index_oid is not None:
                fix = (
                    f"-- builds a twin of {best.name} (USING INDEX is not allowed here); drop {best.name} after:\n"
                    f"ALTER TABLE {t.qualified} ADD PRIMARY KEY ({cols_sql});"
                )
            elif best.backs_constraint:
                # an index that backs a UNIQUE constraint cannot be promoted: build a twin without blocking
                fix = (
                    f"CREATE UNIQUE INDEX CONCURRENTLY {quote_ident(pkey)} ON {t.qualified} ({cols_sql});\n"
                    f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(pkey)} PRIMARY KEY USING INDEX "
                    f"{quote_ident(pkey)};\n"
                    f"-- then, if no foreign key references it: ALTER TABLE {t.qualified} DROP CONSTRAINT "
                    f"{quote_ident(best.constraint_name or best.name)};"
                )
            else:
                fix = (
                    f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(pkey)} PRIMARY KEY USING INDEX "
                    f"{quote_ident(best.name)};"
                )
            yield Hit(
                obj=table_obj(t),
                message=f"no primary key; unique index {best.name} on NOT NULL columns already stops duplicates "
                "and could become it (logical replication and many tools want a declared key)",
                evidence=evidence,
                fix=fix,
                severity="low",
            )
            continue
        key_cols = ["id", *[c for c in t.partition_key_columns if c != "id"]]
        if "id" in cols:
            note = "-- id must hold no NULLs and no duplicates; SET NOT NULL scans the table.\n"
            if t.is_partitioned:
                fix = note + f"ALTER TABLE {t.qualified} ADD PRIMARY KEY ({column_list(key_cols)});"
            else:
                fix = (
                    note + f"CREATE UNIQUE INDEX CONCURRENTLY {quote_ident(pkey)} ON {t.qualified} (id);\n"
                    f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(pkey)} PRIMARY KEY USING INDEX "
                    f"{quote_ident(pkey)};"
                )
        elif t.is_partitioned:
            fix = (
                "-- a partitioned table's key must include its partition key columns "
                f"({', '.join(t.partition_key_columns) or t.partition_key});\n"
                "-- adding the column rewrites every partition under an ACCESS EXCLUSIVE lock:\n"
            )
            if snap.server.major >= 17:
                fix += f"ALTER TABLE {t.qualified} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;\n"
            else:  # identity columns on partitioned tables with partitions arrived in PostgreSQL 17
                seq = qualified(t.schema, index_name(t.name, ["id"], "seq"))
                fix += (
                    f"CREATE SEQUENCE {seq} AS bigint;\n"
                    f"ALTER TABLE {t.qualified} ADD COLUMN id bigint NOT NULL DEFAULT nextval('{seq}');\n"
                    f"ALTER SEQUENCE {seq} OWNED BY {t.qualified}.id;\n"
                )
            fix += f"ALTER TABLE {t.qualified} ADD PRIMARY KEY ({column_list(key_cols)});"
        else:
            fix = (
                "-- rewrites the table under an ACCESS EXCLUSIVE lock; plan a window for a large table:\n"
                f"ALTER TABLE {t.qualified} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;"
            )
        yield Hit(
            obj=table_obj(t),
            message="no primary key and no unique index on NOT NULL columns: duplicate rows cannot be prevented",
            evidence=evidence,
            fix=fix,
        )


# ---- CON002 --------------------------------------------------------------------------------------

INFRA_TABLES = {
    "ar_internal_metadata", "schema_migrations", "flyway_schema_history", "databasechangelog",
    "databasechangeloglock", "alembic_version", "django_migrations", "knex_migrations", "goose_db_version",
}  # fmt: skip
IRREGULAR_PLURALS = {"person": "people", "child": "children", "man": "men", "woman": "women", "datum": "data"}
SELF_REFERENCE_STEMS = {"parent"}


def plural_forms(stem: str) -> list[str]:
    forms = [stem, stem + "s", stem + "es"]
    if stem.endswith("y") and len(stem) > 1 and stem[-2] not in "aeiou":
        forms.append(stem[:-1] + "ies")
    if stem in IRREGULAR_PLURALS:
        forms.append(IRREGULAR_PLURALS[stem])
    return forms


def same_family(a: Column, b: Column) -> bool:
    if a.base_type in INTEGER_WIDTH and b.base_type in INTEGER_WIDTH:
        return True
    if a.base_type in TEXT_TYPES and b.base_type in TEXT_TYPES:
        return True
    return a.base_type == b.base_type


def single_key(snap: Snapshot, t: Table) -> str | None:
    """The column of a single-column primary key, or None."""
    pk = primary_key(snap, t)
    return pk.columns[0] if pk and len(pk.columns) == 1 else None


def implied_target(
    snap: Snapshot, t: Table, col: Column, keyed: dict[str, list[Table]], all_schemas: list[str]
) -> tuple[Table, list[str], list[str]] | None:
    """(table, its key columns, this table's columns) a column's name and type say it references, or None.

    A tenant-scoped key (org_id, id) is matched too when this table has the tenant column: the
    reference is then the composite (org_id, customer_id) -> customers (org_id, id).
    """
    # 1. a table whose single-column primary key has this very name and type (pagw.pagw_id <- other.pagw_id)
    for target in keyed.get(col.name, []) if col.name.lower() not in GENERIC_NAMES else []:
        if target.oid != t.oid and target.name not in INFRA_TABLES:
            ref = snap.column_by_name[(target.oid, col.name)]
            if same_family(col, ref):
                return target, [col.name], [col.name]
    # 2. <stem>_id -> table stem / stems / ...ies, dropping leading qualifiers (voided_invoice_id -> invoices)
    words = col.name.lower().split("_")
    if len(words) < 2 or words[-1] != "id":
        return None
    stems = ["_".join(words[i:-1]) for i in range(len(words) - 1)]
    schemas = [t.schema, *(s for s in all_schemas if s != t.schema)]
    for stem in stems:
        if stem in SELF_REFERENCE_STEMS:
            pk = single_key(snap, t)
            if pk and same_family(col, snap.column_by_name[(t.oid, pk)]):
                return t, [pk], [col.name]
            continue
        for schema in schemas:
            for name in plural_forms(stem):
                target = snap.table_by_name.get((schema, name))
                if target is None or target.is_partition or target.kind not in ("r", "p"):
                    continue
                found = key_for(snap, t, col, target)
                if found:
                    return target, *found
    return None


def key_for(snap: Snapshot, t: Table, col: Column, target: Table) -> tuple[list[str], list[str]] | None:
    """The target's key columns and ours, when its primary key is (id) or (tenant, id) and the types fit."""
    pk = primary_key(snap, target)
    if pk is None or (target.oid == t.oid and col.name in pk.columns):
        return None
    if len(pk.columns) == 1:
        return (
            ([pk.columns[0]], [col.name])
            if same_family(col, snap.column_by_name[(target.oid, pk.columns[0])])
            else None
        )
    if len(pk.columns) != 2:
        return None
    tenant = next((c for c in TENANT_COLUMNS(snap) if c in pk.columns and (t.oid, c) in snap.column_by_name), None)
    if tenant is None or tenant == col.name:
        return None
    other = next(c for c in pk.columns if c != tenant)
    if not same_family(col, snap.column_by_name[(target.oid, other)]):
        return None
    order = {tenant: tenant, other: col.name}
    return list(pk.columns), [order[c] for c in pk.columns]


@context("constraints")
def constraints_context(snap: Snapshot) -> dict[str, object]:
    """Relationships no foreign key can hold (Rails polymorphic pairs), so a reader knows integrity is the app's job."""
    pairs = []
    for t in judged_tables(snap):
        for id_col, type_col in sorted(polymorphic_ids(snap, t).items()):
            pairs.append(f"{t.qualified}.({type_col}, {id_col})")
    return {"polymorphic_associations": pairs}


@rule(
    "CON002",
    "implied-foreign-key",
    severity="medium",
    subject="table",
    requires=("tables", "columns", "constraints"),
    population="tables",
)
def implied_foreign_key(snap: Snapshot) -> Iterator[Hit]:
    """Columns that reference another table by name and type, with no foreign key.

    ## Why is this bad?
    `invoices.customer_id uuid` beside `customers (id uuid PRIMARY KEY)` is a reference in all but
    declaration: without the constraint nothing stops a row pointing at a customer that never
    existed or was deleted, and those orphans surface later as missing rows in joins, wrong totals
    and failed exports. The constraint also documents the relationship for every tool and reader.

    ## What counts
    A column named `<thing>_id` whose type matches the single-column primary key of a table named
    `<thing>`, `<thing>s`, `<thing>es` or `<thing>ies` (leading qualifiers dropped, so
    `voided_invoice_id` finds `invoices`), `parent_id` of the same type as its own table's key, or
    a column with the same name and type as another table's single-column primary key
    (`pagw_id` -> `pagw (pagw_id)`). A tenant-scoped key `accounts (org_id, id)` matches
    `account_id` in a table that has `org_id`, and the fix is the composite key
    `(org_id, account_id) -> accounts (org_id, id)`, which also stops cross-tenant references.
    Columns already in a foreign key are left alone, and so are
    Rails polymorphic pairs (`owner_type` + `owner_id`): they point at several tables, so no foreign
    key can hold them; they are listed in the report's context and in the evidence of the table's
    finding. One finding per table, listing each column with the table it points at.

    ## Example
    ```sql
    CREATE TABLE invoices (id uuid PRIMARY KEY, customer_id uuid NOT NULL);
    ```

    ## Fix
    ```sql
    -- orphans first: SELECT count(*) FROM invoices c WHERE c.customer_id IS NOT NULL
    --   AND NOT EXISTS (SELECT 1 FROM customers p WHERE p.id = c.customer_id);
    ALTER TABLE invoices ADD CONSTRAINT invoices_customer_id_fkey FOREIGN KEY (customer_id)
        REFERENCES customers (id) NOT VALID;
    ALTER TABLE invoices VALIDATE CONSTRAINT invoices_customer_id_fkey;
    ```
    NOT VALID takes a brief lock and checks new rows at once; VALIDATE scans the existing rows
    without blocking writes. Index the column too (IDX001 will say so).
    """
    tables = judged_tables(snap)
    all_schemas = app_schemas(snap)
    keyed: dict[str, list[Table]] = defaultdict(list)
    for target in tables:
        pk = single_key(snap, target)
        if pk and pk != "id":
            keyed[pk].append(target)
    for t in tables:
        covered = fk_columns(snap, t)
        poly = polymorphic_ids(snap, t)
        own_pk = primary_key(snap, t)
        found: list[tuple[Column, Table, list[str], list[str]]] = []
        for col in snap.columns_of.get(t.oid, []):
            if col.name in covered or col.name in poly or col.generated:
                continue
            if col.name not in keyed and not col.name.lower().endswith("_id"):
                continue
            if own_pk and own_pk.columns == [col.name] and col.name not in keyed:
                continue
            implied = implied_target(snap, t, col, keyed, all_schemas)
            if implied is not None:
                found.append((col, *implied))
        if not found:
            continue
        evidence: dict[str, object] = {
            "references": {
                c.name: f"{target.qualified}({column_list(refs)})"
                + (f" as ({column_list(mine)})" if len(mine) > 1 else "")
                for c, target, refs, mine in found
            },
            "estimated_rows": snap.estimated_rows(t),
        }
        key_type = {
            c.name: snap.column_by_name[(target.oid, refs[mine.index(c.name)])] for c, target, refs, mine in found
        }
        differs = {c.name: f"{c.type} vs {key_type[c.name].type}" for c, *_ in found if c.type != key_type[c.name].type}
        if differs:
            evidence["types_differ"] = differs
        if not covered:
            evidence["note"] = (
                "the table has no foreign key at all: if that is deliberate (an ingest or log table), "
                "suppress this finding with the reason"
            )
        if poly:
            evidence["polymorphic_pairs_not_flagged"] = sorted(f"({v}, {k})" for k, v in poly.items())
        fixes = []
        for col, target, refs, mine in found:
            name = constraint_name(t.name, mine, "fkey")
            body = f"FOREIGN KEY ({column_list(mine)}) REFERENCES {target.qualified} ({column_list(refs)})"
            match = " AND ".join(f"p.{quote_ident(r)} = c.{quote_ident(m)}" for r, m in zip(refs, mine, strict=True))
            orphans = (
                f"-- orphans first: SELECT count(*) FROM {t.qualified} c WHERE c.{quote_ident(col.name)} IS NOT NULL\n"
                f"--   AND NOT EXISTS (SELECT 1 FROM {target.qualified} p WHERE {match});\n"
            )
            if t.is_partitioned and snap.server.major < 18:
                fix = orphans + "-- NOT VALID is not allowed on a partitioned table before PostgreSQL 18:\n"
                fixes.append(fix + add_constraint_sql(t, name, body, validate=False))
            else:
                fixes.append(orphans + add_constraint_sql(t, name, body))
        listed = ", ".join(f"{c.name} -> {target.qualified}" for c, target, *_ in found)
        yield Hit(
            obj=table_obj(t),
            message=(
                f"{listed} looks like a reference but has no foreign key"
                if len(found) == 1
                else f"{len(found)} columns look like references but have no foreign key: {listed}"
            ),
            evidence=evidence,
            fix="\n".join(fixes),
        )


# ---- CON003 --------------------------------------------------------------------------------------


def foreign_keys(snap: Snapshot) -> Iterator[tuple[Table, Constraint, Table | None]]:
    """Foreign keys of application tables, each once (partition clones left out)."""
    user = {t.oid for t in snap.user_tables}
    for con in snap.constraints:
        if con.type == "f" and con.parent_oid is None and con.table_oid in user:
            yield snap.table_by_oid[con.table_oid], con, snap.table_by_oid.get(con.ref_table_oid or 0)


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

    ## Why is this bad?
    An `integer` column referencing a `bigint` key works until the parent's ids pass 2,147,483,647;
    then every insert of a new child row fails. A `varchar(50)` referencing a `varchar(100)` cannot
    hold every key. Other differences make each foreign key check and each join cast, and the
    planner estimates such joins worse.

    ## Example
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY);
    CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id integer REFERENCES orders);
    ```

    ## Fix
    ```sql
    -- int -> bigint rewrites the table and its indexes under an ACCESS EXCLUSIVE lock:
    ALTER TABLE order_lines ALTER COLUMN order_id TYPE bigint;
    ```
    Widening a varchar's length needs no rewrite.
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
            },
            fix="\n".join(fix),
            severity=severity,
        )


# ---- CON004 --------------------------------------------------------------------------------------

_SET_NULL = re.compile(r"ON (DELETE|UPDATE) SET (NULL|DEFAULT)(?: \(([^)]*)\))?")


@rule(
    "CON004",
    "set-null-on-not-null-column",
    severity="high",
    subject="constraint",
    requires=("tables", "columns", "constraints"),
    population="foreign_keys",
)
def set_null_on_not_null(snap: Snapshot) -> Iterator[Hit]:
    """ON DELETE SET NULL (or SET DEFAULT with no default) on a NOT NULL column.

    ## Why is this bad?
    The action is only tried when a referenced row is deleted (or its key updated): then setting
    the NOT NULL column to NULL fails, so the parent's DELETE fails with a not-null violation in
    production, long after the schema passed review. SET DEFAULT on a column with no default is
    the same thing.

    ## Example
    ```sql
    CREATE TABLE tasks (id bigint PRIMARY KEY,
                        owner_id bigint NOT NULL REFERENCES users ON DELETE SET NULL);
    ```

    ## Fix
    Decide what a deleted parent means: keep the rows and allow NULL, or delete them with it.
    ```sql
    ALTER TABLE tasks ALTER COLUMN owner_id DROP NOT NULL;
    -- or
    ALTER TABLE tasks DROP CONSTRAINT tasks_owner_id_fkey,
        ADD CONSTRAINT tasks_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users ON DELETE CASCADE NOT VALID;
    ALTER TABLE tasks VALIDATE CONSTRAINT tasks_owner_id_fkey;
    ```
    """
    for t, con, ref in foreign_keys(snap):
        for m in _SET_NULL.finditer(con.definition):
            event, action, listed = m.group(1), m.group(2), m.group(3)
            targets = [c.strip().strip('"') for c in listed.split(",")] if listed else con.columns
            bad = []
            for name in targets:
                col = snap.column_by_name.get((t.oid, name))
                if col is None or not col.not_null:
                    continue
                if action == "DEFAULT" and col.default is not None and col.default.upper() != "NULL":
                    continue
                bad.append(name)
            if not bad:
                continue
            if action == "NULL":
                drop = "\n".join(f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c)} DROP NOT NULL;" for c in bad)
            else:
                drop = "\n".join(
                    f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c)} SET DEFAULT ...;  -- pick a default"
                    for c in bad
                )
            body = re.sub(rf"ON {event} SET {action}(?: \([^)]*\))?", f"ON {event} CASCADE", con.definition)
            fix = (
                f"-- keep the rows when the parent goes (allow NULL):\n{drop}\n"
                f"-- or delete them with it:\n"
                f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(con.name)},\n"
                f"    ADD CONSTRAINT {quote_ident(con.name)} {body} NOT VALID;\n"
                f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {quote_ident(con.name)};"
            )
            if action == "DEFAULT":
                fix = fix.replace(
                    "-- keep the rows when the parent goes (allow NULL):", "-- give the column a default:"
                )
            yield Hit(
                obj=constraint_obj(t, con),
                message=(
                    f"ON {event} SET {action} on NOT NULL column(s) {column_list(bad)}: "
                    f"{'deleting' if event == 'DELETE' else 'updating the key of'} a referenced row in "
                    f"{ref.qualified if ref else 'the parent'} will fail"
                ),
                evidence={"columns": bad, "definition": con.definition},
                fix=fix,
            )
            break


# ---- CON005 --------------------------------------------------------------------------------------


@rule(
    "CON005",
    "constraint-not-validated",
    severity="medium",
    subject="constraint",
    requires=("tables", "constraints"),
    population="constraints",
)
def constraint_not_validated(snap: Snapshot) -> Iterator[Hit]:
    """Constraint added NOT VALID and never validated.

    ## Why is this bad?
    `ADD CONSTRAINT ... NOT VALID` is the right first step on a large table, but until
    `VALIDATE CONSTRAINT` runs, rows that existed before are not known to satisfy it: old orphans
    or out-of-range values may still be there, and the planner cannot use an unvalidated CHECK to
    skip partitions or prove NOT NULL. Usually the second step of a migration was forgotten.

    ## Example
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
        FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;
    ```

    ## Fix
    ```sql
    ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;
    ```
    VALIDATE takes a SHARE UPDATE EXCLUSIVE lock (reads and writes go on) and fails, changing
    nothing, if a row violates the constraint: find those rows first.
    """
    user = {t.oid for t in snap.user_tables}
    for con in snap.constraints:
        if con.validated or con.table_oid not in user or con.parent_oid is not None or not con.is_local:
            continue
        t = snap.table_by_oid[con.table_oid]
        kind = {"f": "foreign key", "c": "check constraint"}.get(con.type, "constraint")
        yield Hit(
            obj=constraint_obj(t, con),
            message=f"{kind} {con.name} is NOT VALID: rows older than it were never checked",
            evidence={"definition": con.definition, "estimated_rows": snap.estimated_rows(t)},
            fix=f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {quote_ident(con.name)};",
        )


# ---- CON006 --------------------------------------------------------------------------------------

ENUM_NAMES = {"status", "state", "stage", "type", "kind", "severity", "level", "event_type", "category", "priority"}
ENUM_SUFFIXES = ("_status", "_state", "_stage", "_kind", "_type", "_level", "_severity", "_category")
NOT_ENUM = {"content_type", "mime_type", "media_type", "file_type", "data_type"}
ADDRESS_WORDS = {"city", "zipcode", "zip", "zip_code", "postal_code", "postcode", "country", "address", "address_line1"}


def address_state(name: str, columns: set[str]) -> bool:
    """`state` beside `city`/`zipcode`/`country` is a province, not a lifecycle state."""
    if name != "state" and not name.endswith("_state"):
        return False
    prefix = name[: -len("state")]
    return any(prefix + w in columns for w in ADDRESS_WORDS)


def spelling_key(value: str) -> str:
    """Active/active, in-progress/in_progress and canceled/cancelled share a key."""
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[^a-z0-9]", "", value.lower()))


def spelling_variants(values: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """(canonical values, {canonical: [other spellings]}); the first (most common) spelling is canonical."""
    first: dict[str, str] = {}
    variants: dict[str, list[str]] = {}
    for v in values:
        key = spelling_key(v)
        if key in first:
            variants.setdefault(first[key], []).append(v)
        else:
            first[key] = v
    return list(first.values()), variants


TABLE_EMPTY = "table is empty (no statistics to judge)"


def no_statistics_reason(snap: Snapshot, t: Table) -> str:
    """Why a column has no pg_stats row: the table is empty, was never analyzed, or its values are not listed.

    ANALYZE writes no pg_stats row for an empty table, so a missing row there is not stale statistics.
    Empty: reltuples 0 once ANALYZE or VACUUM has looked (PostgreSQL 14+ keeps -1 until then; before 14
    a 0 counts only with an analyze on record); or, for a plain table never analyzed, no live row in the
    cumulative statistics (a standby's counters describe the standby, so not there; a partitioned
    table's own counters are always 0).
    """
    ts = None if snap.statistics_from_standby else snap.stats_of.get(t.oid)
    analyzed = bool(ts and (ts.last_analyze or ts.last_autoanalyze))
    empty = t.reltuples == 0 and (analyzed or snap.server.version_num >= 140000)
    if empty or (t.kind == "r" and ts is not None and not analyzed and ts.n_live_tup == 0 and t.reltuples <= 0):
        return TABLE_EMPTY
    if analyzed or t.reltuples > 0:
        return (
            "unknown (pg_stats lists no small set of values for this column: many distinct values, statistics"
            " not readable by this role, or rows written since the last ANALYZE)"
        )
    return "unknown (no pg_stats for this column: table never analyzed)"


@rule(
    "CON006",
    "free-text-enum-column",
    severity="low",
    subject="column",
    requires=("tables", "columns", "constraints"),
    population="columns",
)
def free_text_enum(snap: Snapshot) -> Iterator[Hit]:
    """Status-like text column with no CHECK, enum type or lookup-table foreign key.

    ## Why is this bad?
    A `status text` column takes any string: `'actve'`, `'Active'` and `'active '` all go in, and
    every query that filters on `status = 'active'` silently misses them. A CHECK listing the
    values (or an enum type, or a foreign key to a lookup table) makes the set explicit and stops
    typos at the door.

    ## What counts
    text/varchar columns named status, state, stage, type, kind, severity, level, category,
    priority, or ending in `_status`, `_state`, `_stage`, `_type`, `_kind`, `_level`, ... with no
    CHECK mentioning them and no foreign key. Left out: MIME types (`content_type`), address
    states (`state` beside `city`/`zipcode`/`country`), Rails polymorphic `*_type` columns and
    Rails single-table-inheritance `type` columns (class names the framework writes). Where
    pg_stats is readable the values seen are listed and the fix uses them; values that differ only
    in case, punctuation or a doubled letter (`Active`/`active`, `canceled`/`cancelled`) are
    reported as spelling variants (medium: the data already disagrees with itself) and the fix
    normalizes them before adding the CHECK. Without a pg_stats row the evidence says why: the table
    was never analyzed, or it is empty (ANALYZE writes no row for an empty table; the finding is then
    info: nothing stored can disagree yet, and adding the CHECK now costs nothing).

    ## Example
    ```sql
    CREATE TABLE tickets (id bigint PRIMARY KEY, status text NOT NULL);
    ```

    ## Fix
    ```sql
    ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
        CHECK (status IN ('open', 'pending', 'closed')) NOT VALID;
    ALTER TABLE tickets VALIDATE CONSTRAINT tickets_status_check;
    ```
    """
    for t in judged_tables(snap):
        cols = snap.columns_of.get(t.oid, [])
        names = {c.name for c in cols}
        guarded = checked_columns(snap, t) | fk_columns(snap, t)
        poly_types = set(polymorphic_ids(snap, t).values())
        rails = is_rails(snap, t.schema)
        for col in cols:
            low = col.name.lower()
            if col.base_type not in TEXT_TYPES or col.name in guarded or col.generated:
                continue
            if not (low in ENUM_NAMES or low.endswith(ENUM_SUFFIXES)) or low in NOT_ENUM:
                continue
            if col.name in poly_types or address_state(low, names) or (rails and low == "type"):
                continue
            stats = snap.column_stats_of.get((t.schema, t.name, col.name))
            values = sorted(stats.common_values) if stats and stats.common_values else None
            distinct = stats.n_distinct if stats and stats.n_distinct >= 0 else None
            if stats and stats.n_distinct < 0:  # a share of the rows: the count grows with the table
                distinct = -stats.n_distinct * max(t.reltuples, 0)
            if distinct is not None and distinct > 50:
                continue  # many distinct values: free text, not a set of states
            name = constraint_name(t.name, [col.name], "check")
            evidence: dict[str, object] = {"type": col.type}
            message = f"{col.name} ({col.type}) looks like a fixed set of values but accepts any string"
            severity = None
            if values and stats and stats.common_values:
                evidence["values_seen"] = values
                canonical, variants = spelling_variants(stats.common_values)  # most common first
                in_list = ", ".join(quote_literal(v) for v in sorted(canonical))
                fix = "-- values from pg_stats (a sample): add any rare value the application writes\n"
                if stats.n_distinct > len(stats.common_values):
                    fix += (
                        f"-- pg_stats lists {len(stats.common_values)} of about {stats.n_distinct:.0f} values: "
                        f"list them all first (SELECT DISTINCT {quote_ident(col.name)} FROM {t.qualified})\n"
                    )
                if variants:
                    severity = "medium"  # the data already disagrees with itself
                    evidence["spelling_variants"] = {k: sorted(v) for k, v in sorted(variants.items())}
                    message += "; it already holds spelling variants of the same value: " + ", ".join(
                        f"{' / '.join(sorted([k, *v]))}" for k, v in sorted(variants.items())
                    )
                    fix += "-- one value spelled several ways: normalize (this changes data; batch it on big tables)\n"
                    fix += "\n".join(
                        f"UPDATE {t.qualified} SET {quote_ident(col.name)} = {quote_literal(k)} "
                        f"WHERE {quote_ident(col.name)} IN ({', '.join(quote_literal(x) for x in sorted(v))});"
                        for k, v in sorted(variants.items())
                    )
                    fix += "\n"
                fix += add_constraint_sql(t, name, f"CHECK ({quote_ident(col.name)} IN ({in_list}))")
            else:
                why = no_statistics_reason(snap, t)
                evidence["values_seen"] = why
                if why == TABLE_EMPTY:
                    severity = "info"  # nothing stored yet: a design note, not a data risk (and adding it is free)
                    message += f"; {TABLE_EMPTY}"
                first = (
                    "-- the table is empty: take the values from the application code\n"
                    if why == TABLE_EMPTY
                    else f"-- list the values first: SELECT {quote_ident(col.name)}, count(*) FROM {t.qualified}"
                    " GROUP BY 1;\n"
                )
                fix = (
                    first
                    + "-- then, with those values:\n"
                    + "\n".join(
                        "-- " + line
                        for line in add_constraint_sql(
                            t, name, f"CHECK ({quote_ident(col.name)} IN ('value1', 'value2'))"
                        ).splitlines()
                    )
                )
            yield Hit(obj=column_obj(t, col.name), message=message, evidence=evidence, fix=fix, severity=severity)


# ---- CON007 --------------------------------------------------------------------------------------

UNIT_RANGE = {
    "confidence": (0, 1),
    "probability": (0, 1),
    "ratio": (0, 1),
    "percent": (0, 100),
    "percentage": (0, 100),
    "pct": (0, 100),
}
OPEN_RANGE = {"score", "rate"}
NON_NEGATIVE = {"quantity", "qty", "price", "amount", "cost"}
UNIT_WORDS = {"cents", "minor", "usd", "eur", "gbp", "value", "bps", "micros"}
SIGNED_HINTS = {"net", "pnl", "profit", "margin", "signed"}  # whole words (netto, network are not "net")
SIGNED_STEMS = (
    "negativ", "balanc", "delta", "diff", "chang", "adjust", "offset", "varian", "correct", "credit", "refund",
    "deficit", "surplus", "discrepan", "revers", "writeoff",
)  # fmt: skip  # word beginnings: credits, adjustments, refunded, differences...


@lru_cache(maxsize=1 << 14)
def signed_name(name: str) -> bool:
    """The name says the value may be below 0: a balance, credit, refund, adjustment, delta, offset, net..."""
    return any(w in SIGNED_HINTS or w.startswith(SIGNED_STEMS) for w in tokens(name))


MEASURES = {*UNIT_RANGE, *OPEN_RANGE, *NON_NEGATIVE, "units", "cents"}


def measure_words(name: str) -> tuple[str, ...]:
    """The words of a name without trailing units: amount_cents, price_usd end with their noun."""
    words = tokens(name)
    while len(words) > 1 and words[-1] in UNIT_WORDS:
        words = words[:-1]
    return words


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

    ## Why is this bad?
    A price of -10, a quantity of -3 or a confidence of 7.5 is a bug that got stored: it flows into
    totals, invoices and model features before anyone notices. The column's name says what range
    is valid; a CHECK makes the database refuse the rest for free.

    ## What counts
    Numeric columns named with amount, price, cost or quantity (>= 0); rate or score (>= 0; a
    conversion or exchange rate > 0); ratio, probability or confidence (0 to 1); percent or
    percentage (0 to 100); with no CHECK mentioning them. Left out: names that say the value may be
    negative (balance, credit, refund, adjustment, delta, diff, change, offset, net, ...); `>= 0` on
    the amounts of a table so named (`credit_notes`, `refunds`, `adjusted_fees`); and any column whose
    pg_stats (most common values, lowest histogram bound) already hold a value below 0. One finding
    per table, or one per schema when the pattern runs through many of its tables.

    ## Example
    ```sql
    CREATE TABLE order_lines (id bigint PRIMARY KEY, quantity integer, unit_price numeric(12,2));
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
            per_table.append((t, found, unbounded_fix(t, found, checks)))
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


def unbounded_fix(t: Table, found: list[str], checks: dict[tuple[int, str], str]) -> str:
    """A read-only count of the rows each inferred CHECK would reject, then the CHECKs commented out.

    The bounds come from names, and a name can mislead (a refund or correction stored negative): adding
    them is the DBA's call once the counts are 0 and the application never writes such a value.
    """
    names = {c: quote_ident(constraint_name(t.name, [c], "check")) for c in found}
    counts = ",\n       ".join(f"count(*) FILTER (WHERE NOT ({checks[(t.oid, c)]})) AS {quote_ident(c)}" for c in found)
    adds = ",\n    ".join(f"ADD CONSTRAINT {names[c]} CHECK ({checks[(t.oid, c)]}) NOT VALID" for c in found)
    validates = "\n".join(f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {names[c]};" for c in found)
    checks_sql = f"ALTER TABLE {t.qualified}\n    {adds};\n{validates}"
    return (
        f"-- rows each CHECK below would reject (all must be 0; reads the whole table):\n"
        f"SELECT {counts}\nFROM {t.qualified};\n"
        "-- the bounds are inferred from the names: uncomment only once you have confirmed the application\n"
        "-- never writes a value outside them (credits, refunds and corrections are often negative)\n"
        + "\n".join(f"-- {line}" for line in checks_sql.splitlines())
    )


# ---- CON008 --------------------------------------------------------------------------------------


def timestamptz_fix(t: Table, cols: list[str]) -> str:
    keyed = [c for c in cols if c in t.partition_key_columns]
    cols = [c for c in cols if c not in keyed]
    note = (
        f"-- {column_list(keyed)} is in the partition key of {t.qualified}: its type cannot be altered in place;\n"
        "-- it changes only by recreating the partitioned table."
        if keyed
        else ""
    )
    if not cols:
        return note
    alters = ",\n    ".join(f"ALTER COLUMN {quote_ident(c)} TYPE timestamptz" for c in cols)
    return (note + "\n" if note else "") + f"ALTER TABLE {t.qualified}\n    {alters};"


@rule(
    "CON008",
    "timestamp-without-time-zone",
    severity="low",
    subject="table",
    requires=("tables", "columns"),
)
def timestamp_without_time_zone(snap: Snapshot) -> Iterator[Hit]:
    """Columns of type `timestamp without time zone`.

    ## Why is this bad?
    A `timestamp` stores wall-clock digits with no zone. Which zone they meant lives only in the
    application's convention: a session with another TimeZone, a report tool, a daylight-saving
    change or a second service writing local time and the values silently shift by hours, and
    comparisons with `now()` (a timestamptz) convert using the session's zone. `timestamptz`
    stores an instant and costs the same 8 bytes.

    One finding per table, or one for the whole schema when most of its tables do it (a Rails or
    Django schema typically uses `timestamp` everywhere), with the columns listed in the evidence.

    ## Example
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamp NOT NULL);
    ```

    ## Fix
    ```sql
    -- If the stored values are UTC (Rails, Django and most ORMs write UTC), with TimeZone = UTC
    -- PostgreSQL 12+ changes the type without rewriting the table (indexes on it are rebuilt);
    -- it still takes an ACCESS EXCLUSIVE lock while it runs:
    SET timezone = 'UTC';
    ALTER TABLE events ALTER COLUMN created_at TYPE timestamptz;
    ```
    """
    per_table: list[tuple[Table, list[str], str]] = []
    for t in judged_tables(snap):
        cols = [c.name for c in snap.columns_of.get(t.oid, []) if c.base_type == "timestamp"]
        if cols:
            per_table.append((t, cols, timestamptz_fix(t, cols)))
    preamble = (
        "-- Only if the stored values are UTC. With TimeZone = UTC, PostgreSQL 12+ changes the type without\n"
        "-- rewriting the table (indexes on the columns are rebuilt); each ALTER holds an ACCESS EXCLUSIVE lock.\n"
        "SET timezone = 'UTC';\n"
    )
    for schema, items in rollup(snap, per_table):
        if schema is not None:
            hit = schema_hit(
                snap,
                schema,
                items,
                "{columns} timestamp without time zone columns in {tables} of {of} tables of {schema}",
                "columns",
            )
            hit.fix = dependent_views_note(snap, [t for t, _, _ in items]) + preamble + (hit.fix or "")
            names = Counter(c for _, cols, _ in items for c in cols)
            hit.evidence["most_common"] = [f"{n} ({k} tables)" for n, k in names.most_common(5)]
            yield hit
            continue
        t, cols, fix = items[0]
        yield Hit(
            obj=table_obj(t),
            message=f"{column_list(cols)} {'are' if len(cols) > 1 else 'is'} timestamp without time zone",
            evidence={"columns": cols},
            fix=dependent_views_note(snap, [t]) + preamble + fix,
        )


# ---- CON009 --------------------------------------------------------------------------------------


def before_update_row(trg: Trigger) -> bool:
    return trg.timing == "BEFORE" and "UPDATE" in trg.events and trg.level == "ROW"


def touches_updated_at(snap: Snapshot, t: Table) -> str | None:
    """The function of an enabled BEFORE UPDATE row trigger on the table (or its root), or None."""
    for table in (t, snap.root_of(t)):
        for trg in snap.triggers_of.get(table.oid, []):
            if before_update_row(trg) and trg.enabled != "D":
                return trg.function
    return None


@rule(
    "CON009",
    "updated-at-without-trigger",
    severity="low",
    subject="table",
    requires=("tables", "columns", "triggers"),
    population="tables",
)
def updated_at_without_trigger(snap: Snapshot) -> Iterator[Hit]:
    """`updated_at` with no BEFORE UPDATE trigger where the schema's other tables have one.

    ## Why is this bad?
    When most tables of a schema keep `updated_at` with a trigger, code (and people) trust the
    column. On a table that lacks the trigger it only changes when the application remembers to set
    it, so a bulk `UPDATE` from a script or migration leaves it stale, and incremental exports and
    caches keyed on it miss rows. Schemas where no table has such a trigger (the ORM sets the
    column) are not judged.

    ## Example
    ```sql
    CREATE TRIGGER set_updated_at BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
    CREATE TABLE tasks (id bigint PRIMARY KEY, updated_at timestamptz);  -- no trigger
    ```

    ## Fix
    ```sql
    CREATE TRIGGER set_updated_at BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
    ```
    """
    by_schema: dict[str, list[tuple[Table, str | None]]] = defaultdict(list)
    for t in judged_tables(snap):
        if (t.oid, "updated_at") in snap.column_by_name:
            by_schema[t.schema].append((t, touches_updated_at(snap, t)))
    for tables in by_schema.values():
        with_trigger = [f for _, f in tables if f]
        without = [t for t, f in tables if not f]
        if not with_trigger or len(with_trigger) < len(without):
            continue
        function, uses = Counter(with_trigger).most_common(1)[0]
        for t in without:
            taken = {trg.name for trg in snap.triggers_of.get(t.oid, [])}
            name = "set_updated_at" if "set_updated_at" not in taken else f"{t.name}_set_updated_at"
            disabled = next((trg for trg in snap.triggers_of.get(t.oid, []) if before_update_row(trg)), None)
            fix = (
                f"CREATE TRIGGER {quote_ident(name)} BEFORE UPDATE ON {t.qualified} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}();"
            )
            if disabled is not None:
                fix = f"ALTER TABLE {t.qualified} ENABLE TRIGGER {quote_ident(disabled.name)};  -- it is disabled"
            yield Hit(
                obj=table_obj(t),
                message=f"updated_at has no BEFORE UPDATE trigger; {len(with_trigger)} of {len(tables)} tables "
                f"with updated_at in this schema have one",
                evidence={"function_used_elsewhere": function, "tables_using_it": uses},
                fix=fix,
            )


# ---- CON010 --------------------------------------------------------------------------------------

GENERIC_NAMES = {
    "id", "name", "value", "code", "data", "description", "status", "state", "type", "kind", "key", "title",
    "metadata", "settings", "options", "properties", "payload", "body", "content", "label", "position",
    "sequential_id", "version", "number", "level", "token", "url", "email",
}  # fmt: skip


def drift_matters(name: str) -> bool:
    """Names that mean the same thing in every table: keys (*_id) and times (*_at), and named amounts."""
    if name in GENERIC_NAMES:
        return False
    if name.endswith(("_id", "_at", "_on")) or name == "tenant":
        return True
    words = measure_words(name)
    return bool(words) and words[-1] in MEASURES


@rule(
    "CON010",
    "column-type-drift",
    severity="low",
    subject="column",
    requires=("tables", "columns"),
)
def column_type_drift(snap: Snapshot) -> Iterator[Hit]:
    """The same column name with different types across tables.

    ## Why is this bad?
    `org_id bigint` in most tables and `org_id integer` in a few means the narrow ones overflow
    first, joins between them cast, and foreign keys between them are mismatched. `created_at
    timestamptz` beside `created_at timestamp` compares instants with wall-clock times.
    `precise_amount numeric(30,5)` beside `numeric(40,15)` rounds the same quantity differently
    depending on the table it went through.

    ## What counts
    Names that mean the same thing wherever they appear: `*_id` keys, `*_at`/`*_on` times, and
    measures (`units`, `*_amount`, `*_cents`, `*_price`, `*_rate`, `*_confidence`, `*_percent` ...).
    Generic names (`id`, `name`, `status`, `value`, `sequential_id` ...) are left out: they carry
    different things in different tables. One finding per column name and schema, listing each
    type with its tables; `timestamp(6)` counts as `timestamp`. Differences of type family
    (bigint vs uuid) are medium, the rest low.

    ## Example
    ```sql
    CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL);
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id integer NOT NULL);
    ```

    ## Fix
    ```sql
    ALTER TABLE invoices ALTER COLUMN org_id TYPE bigint;  -- rewrites the table
    ```
    """
    seen: dict[tuple[str, str], dict[str, list[tuple[Table, Column]]]] = defaultdict(lambda: defaultdict(list))
    for t in judged_tables(snap):
        for col in snap.columns_of.get(t.oid, []):
            if drift_matters(col.name.lower()):
                seen[(t.schema, col.name)][type_label(col)].append((t, col))
    for schema, name in sorted(seen):
        types = seen[(schema, name)]
        if len(types) < 2:
            continue
        ranked = sorted(types.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        majority, major_rows = ranked[0]
        families = {rows[0][1].base_type if rows[0][1].base_type not in INTEGER_WIDTH else "int" for _, rows in ranked}
        families = {"text" if f in TEXT_TYPES else f for f in families}
        severity = "medium" if len(families) > 1 else "low"
        odd = [(t, c) for _, rows in ranked[1:] for t, c in rows]
        tie = len(ranked) > 1 and len(ranked[1][1]) == len(major_rows)
        evidence = {
            "types": {ty: sample(sorted(t.qualified for t, _ in rows), 15) for ty, rows in ranked},
            "tables_per_type": {ty: len(rows) for ty, rows in ranked},
        }
        if tie:
            fix = f"-- no type is the majority: choose one for {quote_ident(name)} and align the others"
        else:
            fix = dependent_views_note(snap, [t for t, _ in odd]) + (
                f"-- align on {majority} (the type most tables use); changing a type rewrites the table under an\n"
                "-- ACCESS EXCLUSIVE lock (dropping a numeric or varchar limit does not):\n"
                + "\n".join(
                    f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c.name)} TYPE {major_rows[0][1].type};"
                    for t, c in sorted(odd, key=lambda tc: (tc[0].schema, tc[0].name))
                )
            )
        yield Hit(
            obj=Obj("column", schema=schema, name=name),
            message=f"{name} has {len(ranked)} types across {sum(len(r) for _, r in ranked)} tables: "
            + ", ".join(f"{ty} ({len(rows)})" for ty, rows in ranked),
            evidence=evidence,
            fix=fix,
            severity=severity,
        )


# ---- CON011 --------------------------------------------------------------------------------------


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

    ## Why is this bad?
    When a sequence reaches its maximum, or the `integer` column it feeds reaches 2,147,483,647,
    every insert fails: an outage that arrives on a calendar nobody watches. Widening a busy
    table's key to bigint rewrites it and every index on it, which takes planning; the warning is
    only useful well before the end. The share is measured against the smaller of the sequence's
    maximum and the column type's maximum (a bigint sequence feeding an integer column runs out at
    the integer's limit). Sequences that CYCLE are left out.

    ## Example
    An `id serial` column whose sequence is at 1,900,000,000.

    ## Fix
    ```sql
    -- the column first (rewrites the table and its indexes, ACCESS EXCLUSIVE lock; plan it):
    ALTER TABLE orders ALTER COLUMN id TYPE bigint;
    ALTER SEQUENCE orders_id_seq AS bigint MAXVALUE 9223372036854775807;
    ```
    Referencing columns in other tables must be widened too.
    """
    share_limit = float(SEQUENCE_USED_SHARE(snap))
    mine = [s for s in snap.sequences if s.schema not in snap.extension_schemas]
    unreadable = [s for s in mine if not s.readable]
    if mine and len(unreadable) == len(mine):
        raise Skip(f"no SELECT or USAGE on any of the {len(mine)} sequences: their last values are hidden", True)
    feeds = sequence_feeds(snap)
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


# ---- CON012 --------------------------------------------------------------------------------------


@rule(
    "CON012",
    "foreign-key-partly-null",
    severity="medium",
    subject="constraint",
    requires=("tables", "columns", "constraints"),
    population="foreign_keys",
)
def foreign_key_partly_null(snap: Snapshot) -> Iterator[Hit]:
    """Multi-column foreign key with nullable columns and MATCH SIMPLE.

    ## Why is this bad?
    With the default MATCH SIMPLE, a row where any one of the key's columns is NULL is not checked
    at all: `(org_id, project_id) = (7, NULL)` passes, and so does `(NULL, 42)` pointing at a
    project of no tenant, which is how cross-tenant references slip in. Make the columns NOT NULL,
    or declare the key MATCH FULL (all NULL or none).

    ## Example
    ```sql
    CREATE TABLE tasks (org_id bigint, project_id bigint,
                        FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id));
    ```

    ## Fix
    ```sql
    ALTER TABLE tasks ALTER COLUMN org_id SET NOT NULL;  -- scans the table
    -- or
    ALTER TABLE tasks DROP CONSTRAINT tasks_org_id_project_id_fkey,
        ADD CONSTRAINT tasks_org_id_project_id_fkey FOREIGN KEY (org_id, project_id)
        REFERENCES projects (org_id, id) MATCH FULL NOT VALID;
    ALTER TABLE tasks VALIDATE CONSTRAINT tasks_org_id_project_id_fkey;
    ```
    """
    for t, con, _ref in foreign_keys(snap):
        if len(con.columns) < 2 or con.match_type == "f":
            continue
        nullable = [c for c in con.columns if not snap.column_by_name[(t.oid, c)].not_null]
        if not nullable:
            continue
        full = re.sub(r"(REFERENCES .+?\((?:\"[^\"]*\"|[^)\"])*\))", r"\1 MATCH FULL", con.definition, count=1)
        yield Hit(
            obj=constraint_obj(t, con),
            message=f"{column_list(nullable)} may be NULL, and then MATCH SIMPLE skips the check for the whole row",
            evidence={"nullable_columns": nullable, "definition": con.definition},
            fix=(
                "-- either (SET NOT NULL scans the table):\n"
                + "\n".join(f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c)} SET NOT NULL;" for c in nullable)
                + "\n-- or all-or-nothing NULLs:\n"
                f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(con.name)},\n"
                f"    ADD CONSTRAINT {quote_ident(con.name)} {full} NOT VALID;\n"
                f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {quote_ident(con.name)};"
            ),
        )


# ---- CON013 --------------------------------------------------------------------------------------


@rule(
    "CON013",
    "duplicate-foreign-key",
    severity="low",
    subject="constraint",
    requires=("tables", "constraints"),
    population="foreign_keys",
)
def duplicate_foreign_key(snap: Snapshot) -> Iterator[Hit]:
    """Two foreign keys with the same columns referencing the same key.

    ## Why is this bad?
    Every insert and update of the table, and every delete of a referenced row, runs each check
    twice, and when their ON DELETE actions differ the outcome depends on which fires first. It
    usually comes from a migration re-run under another name.

    ## Example
    ```sql
    ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers;
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers;
    ```

    ## Fix
    ```sql
    ALTER TABLE orders DROP CONSTRAINT fk_orders_customer;
    ```
    """
    groups: dict[tuple, list[tuple[Table, Constraint]]] = defaultdict(list)
    for t, con, _ref in foreign_keys(snap):
        key = (t.oid, tuple(sorted(zip(con.columns, con.ref_columns, strict=False))), con.ref_table_oid)
        groups[key].append((t, con))
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda tc: (not tc[1].validated, tc[1].name))
        keep = members[0][1]
        for t, con in members[1:]:
            same = (con.on_delete, con.on_update) == (keep.on_delete, keep.on_update)
            yield Hit(
                obj=constraint_obj(t, con),
                message=f"duplicates {keep.name}"
                + (
                    ""
                    if same
                    else f" with different actions (ON DELETE {FK_ACTIONS.get(con.on_delete or 'a')} "
                    f"vs {FK_ACTIONS.get(keep.on_delete or 'a')})"
                ),
                evidence={"kept": keep.definition, "duplicate": con.definition},
                fix=("" if same else "-- the actions differ: keep the one the application relies on\n")
                + f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(con.name)};",
                severity="low" if same else "medium",
            )


# ---- CON014 --------------------------------------------------------------------------------------

DISCOURAGED = {
    "money": ("numeric(19,4)", "money rounds to lc_monetary's fraction digits and prints per locale"),
    "json": ("jsonb", "json keeps the text as typed: no equality, no GIN index, reparsed on every access"),
    "bpchar": ("text", "char(n) pads with spaces, which comparisons and lengths then trip over"),
}


DISPLAY_TYPE = {"money": "money", "json": "json", "bpchar": "char(n)"}


def discouraged(c: Column) -> tuple[str, str] | None:
    if c.base_type == "bpchar" and c.typmod in (-1, 5):  # char(1) flags are a habit, not a bug
        return None
    return DISCOURAGED.get(c.base_type)


@rule(
    "CON014",
    "discouraged-column-type",
    severity="low",
    subject="table",
    requires=("tables", "columns"),
    population="tables",
)
def discouraged_column_type(snap: Snapshot) -> Iterator[Hit]:
    """Columns of type money, json or char(n).

    ## Why is this bad?
    `money` rounds to the fraction digits of the server's `lc_monetary` and its text form changes
    with the locale, so a dump restored elsewhere can read back different amounts. `json` stores
    the text as typed: it has no equality operator, no GIN index, and is reparsed on every access;
    `jsonb` is what almost every use wants. `char(n)` pads with spaces, so lengths, comparisons with
    text and LIKE behave unexpectedly (`char(1)` flags are left out).

    ## Example
    ```sql
    CREATE TABLE payments (id bigint PRIMARY KEY, amount money, raw json, currency char(3));
    ```

    ## Fix
    ```sql
    -- each rewrites the table under an ACCESS EXCLUSIVE lock:
    ALTER TABLE payments ALTER COLUMN amount TYPE numeric(19,4);
    ALTER TABLE payments ALTER COLUMN raw TYPE jsonb;
    ALTER TABLE payments ALTER COLUMN currency TYPE text;
    ```
    """
    for t in judged_tables(snap):
        bad = [(c, found) for c in snap.columns_of.get(t.oid, []) if (found := discouraged(c))]
        if not bad:
            continue
        yield Hit(
            obj=table_obj(t),
            message="; ".join(
                f"{', '.join(c.name for c, _ in bad if c.base_type == base)} "
                f"{'is' if sum(c.base_type == base for c, _ in bad) == 1 else 'are'} {DISPLAY_TYPE[base]}: {why}"
                for base, (_, why) in DISCOURAGED.items()
                if any(c.base_type == base for c, _ in bad)
            ),
            evidence={"columns": {c.name: c.type for c, _ in bad}},
            fix="-- each rewrites the table under an ACCESS EXCLUSIVE lock:\n"
            + "\n".join(
                f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c.name)} TYPE {to};" for c, (to, _) in bad
            ),
        )


# ---- CON015 --------------------------------------------------------------------------------------

_DEF_TAIL = re.compile(r" (?:WITH \(|TABLESPACE |WHERE )")


def nulls_not_distinct_sql(definition: str, name: str) -> str:
    """The index's definition rebuilt CONCURRENTLY under a new name, with NULLS NOT DISTINCT."""
    head, _, rest = definition.partition(" ON ")
    new_head = head.replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX CONCURRENTLY ", 1)
    new_head = new_head[: new_head.rindex(" ") + 1] + quote_ident(name)
    m = _DEF_TAIL.search(rest)
    at = m.start() if m else len(rest)
    return f"{new_head} ON {rest[:at]} NULLS NOT DISTINCT{rest[at:]};"


def excluded_by_predicate(column: str, predicate: str | None) -> bool:
    """A partial index whose WHERE (an AND of terms) compares the column leaves its NULL rows out."""
    if not predicate or " OR " in predicate.upper():
        return False
    name = re.escape(quote_ident(column))
    if re.search(rf"(?<![\w.\"]){name} IS NULL", predicate):
        return False
    return bool(re.search(rf"(?<![\w.\"]){name}(?:\)?::\w[\w ]*)? (?:IS NOT NULL|=|<>|<|>|<=|>=|IN |~)", predicate))


@rule(
    "CON015",
    "nullable-unique-key",
    severity="low",
    subject="index",
    requires=("tables", "columns", "indexes"),
    population="indexes",
)
def nullable_unique_key(snap: Snapshot) -> Iterator[Hit]:
    """Multi-column unique key with a nullable column: rows with a NULL there are never duplicates.

    ## Why is this bad?
    A unique index treats NULLs as distinct, so `UNIQUE (org_id, code, category)` lets any number
    of `(7, 'x', NULL)` rows in. That is sometimes intended, but more often the duplicates the
    index was written to stop slip through for exactly the rows where an optional column is empty.
    Single-column unique keys are left out (many NULLs in an optional unique column are normal),
    and so are columns a partial index's `WHERE col IS NOT NULL` excludes.

    ## Example
    ```sql
    CREATE UNIQUE INDEX ON integration_customers (customer_id, category, code);  -- category nullable
    ```

    ## Fix
    On PostgreSQL 15+, treat NULLs as equal (or make the column NOT NULL):
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY integration_customers_key_nnd
        ON integration_customers (customer_id, category, code) NULLS NOT DISTINCT;
    DROP INDEX CONCURRENTLY integration_customers_key;
    ALTER INDEX integration_customers_key_nnd RENAME TO integration_customers_key;
    ```
    The new index fails to build if such duplicates already exist: that is the finding proved.
    """
    tables = {t.oid: t for t in judged_tables(snap)}
    per_index: list[tuple[Table, list[str], str, Hit]] = []
    for idx in snap.indexes:
        t = tables.get(idx.table_oid)
        if t is None or not idx.is_unique or idx.is_primary or idx.parent_index_oid is not None:
            continue
        if idx.key_count < 2 or idx.has_expressions or idx.nulls_not_distinct:
            continue
        keys = [c for c in idx.columns[: idx.key_count] if c]
        ruled = checked_columns(snap, t)  # CHECK (a IS NOT NULL) <> (b IS NOT NULL): the NULLs are by design
        nullable = [
            c
            for c in keys
            if not snap.column_by_name[(t.oid, c)].not_null
            and not excluded_by_predicate(c, idx.predicate)
            and c not in ruled
        ]
        if not nullable:
            continue
        evidence: dict[str, object] = {"definition": idx.definition, "nullable_columns": nullable}
        if idx.constraint_name:
            evidence["constraint"] = idx.constraint_name
        not_null = "\n".join(
            f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c)} SET NOT NULL;  -- scans the table"
            for c in nullable
        )
        if snap.server.major >= 15 and not idx.constraint_name and not t.is_partitioned:
            twin = index_name(idx.name, [], "nnd")
            fix = (
                "-- treat NULLs as equal (fails to build if such duplicates exist already):\n"
                + nulls_not_distinct_sql(idx.definition, twin)
                + f"\nDROP INDEX CONCURRENTLY {qualified(t.schema, idx.name)};\n"
                f"ALTER INDEX {qualified(t.schema, twin)} RENAME TO {quote_ident(idx.name)};\n"
                f"-- or, if the column should never be empty:\n{not_null}"
            )
        else:
            fix = not_null
        hit = Hit(
            obj=Obj("index", t.schema, t.name, idx.name),
            message=f"unique on {column_list(keys)}, but rows where {column_list(nullable)} "
            f"{'is' if len(nullable) == 1 else 'are'} NULL are never duplicates of each other",
            evidence=evidence,
            fix=fix,
        )
        per_index.append((t, [f"{idx.name} ({', '.join(nullable)} nullable)"], fix, hit))
    by_table: dict[int, tuple[Table, list[str], list[str]]] = {}
    for t, names, fix, _hit in per_index:
        item = by_table.setdefault(t.oid, (t, [], []))
        item[1].extend(names)
        item[2].append(fix)
    items = [(t, names, "\n".join(fixes)) for t, names, fixes in by_table.values()]
    hits_of: dict[int, list[Hit]] = defaultdict(list)
    for item in per_index:
        hits_of[item[0].oid].append(item[3])
    for schema, group in rollup(snap, items):
        if schema is None:
            yield from hits_of[group[0][0].oid]
            continue
        hit = schema_hit(
            snap,
            schema,
            group,
            "{columns} multi-column unique indexes in {tables} tables of {schema} let rows with a NULL key column "
            "repeat: review which are intended",
            "indexes",
        )
        hit.fix = (
            "-- some of these are intended: run only the blocks for indexes whose NULL rows must be unique too\n"
            + (hit.fix or "")
        )
        yield hit


# ---- CON016 --------------------------------------------------------------------------------------

BOOLEAN_SPELLINGS = [
    {"t", "f"}, {"true", "false"}, {"y", "n"}, {"yes", "no"}, {"0", "1"}, {"on", "off"},
]  # fmt: skip


def boolean_values(values: list[str]) -> bool:
    low = {v.strip().lower() for v in values}
    return any(low == spelling for spelling in BOOLEAN_SPELLINGS)  # both seen: a lone 'NO' may be Norway


@rule(
    "CON016",
    "boolean-stored-as-text",
    severity="low",
    subject="column",
    requires=("tables", "columns", "column_stats"),
    population="columns",
)
def boolean_stored_as_text(snap: Snapshot) -> Iterator[Hit]:
    """Text column that only ever holds yes/no values.

    ## Why is this bad?
    A flag kept as `'Y'`/`'N'`, `'true'`/`'false'` or `'0'`/`'1'` in a text column also accepts
    `'y'`, `'Yes'` and `'maybe'`; every query has to know the spelling, and it takes 2+ bytes and a
    collation where a boolean takes one byte. Judged from pg_stats: the column holds exactly the two
    spellings of one boolean pair (both seen, so a country column holding only 'NO' is left alone).

    ## Example
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, is_admin varchar(1));  -- 'Y' or 'N'
    ```

    ## Fix
    ```sql
    -- rewrites the table under an ACCESS EXCLUSIVE lock; the cast accepts t/f, true/false, y/n, yes/no, on/off, 1/0:
    ALTER TABLE users ALTER COLUMN is_admin TYPE boolean USING is_admin::boolean;
    ```
    """
    for t in judged_tables(snap):
        for col in snap.columns_of.get(t.oid, []):
            if col.base_type not in TEXT_TYPES or col.generated:
                continue
            stats = snap.column_stats_of.get((t.schema, t.name, col.name))
            if not stats or not stats.common_values or not 0 < stats.n_distinct <= 2:
                continue
            if not boolean_values(stats.common_values):
                continue
            name = quote_ident(col.name)
            default = f"\nALTER TABLE {t.qualified} ALTER COLUMN {name} DROP DEFAULT;" if col.default else ""
            restore = (
                f"\nALTER TABLE {t.qualified} ALTER COLUMN {name} SET DEFAULT ({col.default})::boolean;"
                if col.default
                else ""
            )
            yield Hit(
                obj=column_obj(t, col.name),
                message=f"{col.name} ({col.type}) only holds {', '.join(sorted(stats.common_values))}: a boolean",
                evidence={"values_seen": sorted(stats.common_values), "type": col.type},
                fix="-- rewrites the table under an ACCESS EXCLUSIVE lock:"
                + default
                + f"\nALTER TABLE {t.qualified} ALTER COLUMN {name} TYPE boolean USING trim({name})::boolean;"
                + restore,
            )
