"""CON002: columns that name and type a reference no foreign key declares; name matching lives here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from auditor.base.names import column_list, quote_ident
from auditor.catalog.model import Column, Snapshot, Table
from auditor.rules.common import TENANT_COLUMNS, table_obj
from auditor.rules.constraints._shared import (
    GENERIC_NAMES,
    INTEGER_WIDTH,
    TEXT_TYPES,
    add_constraint_sql,
    constraint_name,
    fk_columns,
    judged_tables,
    polymorphic_ids,
    primary_key,
)
from auditor.rules.registry import Hit, rule


def app_schemas(snap: Snapshot) -> list[str]:
    return sorted({t.schema for t in snap.user_tables})


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

    ## Why it matters
    `invoices.customer_id uuid` beside `customers (id uuid PRIMARY KEY)` is a reference in all but
    declaration: without the constraint nothing stops a row pointing at a customer that never
    existed or was deleted, and those orphans surface later as missing rows in joins, wrong totals
    and failed exports. The constraint also documents the relationship for every tool and reader.

    ## What it checks
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

    ## Bad
    ```sql
    CREATE TABLE customers (id uuid PRIMARY KEY, name text NOT NULL);
    CREATE TABLE invoices (id uuid PRIMARY KEY, customer_id uuid NOT NULL, total_cents bigint NOT NULL);
    ```

    ## Good
    ```sql
    CREATE TABLE customers (id uuid PRIMARY KEY, name text NOT NULL);
    CREATE TABLE invoices (id uuid PRIMARY KEY, customer_id uuid NOT NULL REFERENCES customers (id),
                           total_cents bigint NOT NULL);
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
    without blocking writes. Index the column too (IDX001 will say so). On a partitioned table before
    PostgreSQL 18 NOT VALID is not allowed, and the fix adds the key in one step.

    ## False positives
    The name can mislead: a `customer_id` that holds another system's identifier (a CRM's or a payment
    provider's id), or a table that deliberately has no foreign key at all (an ingest or log table that
    must accept rows whose parent arrives later; the evidence notes it). The finding is about the
    table, so the comment goes on the table and covers all its columns:
    `COMMENT ON TABLE invoices IS 'pg-auditor: ignore CON002 -- customer_id is the CRM id'`; or
    `--ignore CON002` / `ignore = ["CON002"]` in the config.
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
