"""CON002: columns that name and type a reference no foreign key declares (resolution in analysis.references)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.notnull import is_not_null
from auditor.analysis.references import (
    CONFIDENCE_RANK,
    LOW,
    Reference,
    across_databases,
    foreign_keys_on,
    polymorphic_ids,
    resolve,
)
from auditor.analysis.tenancy import tenancy
from auditor.base.names import column_list, quote_ident, quote_literal, regclass_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import referencing_index_sql, table_obj, unique_key_sql
from auditor.rules.constraints._shared import constraint_name, judged_tables
from auditor.rules.fixnames import new_name
from auditor.rules.guarded import do_block
from auditor.rules.registry import Hit, rule


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
    Each column of an application table, resolved as `analysis.references` does it: `<thing>_id` to a
    table `<thing>s` (`-es`, `-ies`; leading qualifiers dropped, so `voided_invoice_id` finds
    `invoices`; the table's own prefix tried, so `shop_orders.item_id` finds `shop_items`; camelCase
    and quoted names read as words, so `"orderId"` finds `"Order"`), then a table keyed by the very
    column name (`pagw_id` -> `pagw (pagw_id)`), a 1:1 side table's key followed to its parent, and
    `parent_id` to its own table. A tenant-scoped key `accounts (org_id, id)` matches `account_id` in
    a table that has `org_id`, and the fix is the composite key. Between two tables that both carry the
    tenant column (with one type, NOT NULL on the referencing side), the fix is the composite key too,
    `(org_id, account_id) REFERENCES accounts (org_id, id)`, with the UNIQUE `(org_id, id)` and the index it
    needs: a plain key would let a row point at another tenant's row (ISO013). Left alone: columns in a
    foreign key (on the table or on its partitions: PAR017 reports keys declared on some partitions only), columns
    declared in `[tool.pg-auditor.references]` (references the application enforces itself), the
    table's own primary key, generic names (`uuid`), cursors (`last_event_id`), other systems' ids
    (`external_*`, `sentry_*`, a `slack_*` table's ids), Rails polymorphic pairs, and references between
    tables an application keeps in separate databases (`databases` in the thresholds: `"ci_builds" =
    "ci"`, `"projects" = "main"`; no foreign key can cross databases, so the evidence names them and
    nothing is suggested). One finding per
    table, medium; low when every column's evidence is weak: a provenance column (`original_*`), a
    history or audit table (by its name, or by the shape of a version trail: `item_type`, `item_id`, `event`
    and `object`), an event stream that is partitioned or FK-free, a tenant or sharding key
    copied from a parent whose own copy has no foreign key either, negative values seen (sentinel
    ids), or a partitioned table that declares no foreign key at all.

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
    without blocking writes. The finding's fix checks for orphans when it runs: with any, it adds nothing
    and says so in a NOTICE (the rest of a fix script goes on); the VALIDATE runs only on a key it added.
    Index the column too (IDX001 will say so). On a partitioned table before
    PostgreSQL 18 NOT VALID is not allowed, and the fix adds the key in one step.

    ## False positives
    The name can mislead: a `customer_id` that holds another system's identifier (a CRM's or a payment
    provider's id), or a table that deliberately has no foreign key at all (an ingest or log table that
    must accept rows whose parent arrives later; the evidence notes it). The finding is about the
    table, so the comment goes on the table and covers all its columns:
    `COMMENT ON TABLE invoices IS 'pg-auditor: ignore CON002 -- customer_id is the CRM id'`; or
    `--ignore CON002` / `ignore = ["CON002"]` in the config.
    """
    for t in judged_tables(snap):
        resolved = [resolve(snap, t, c.name) for c in snap.columns_of.get(t.oid, [])]
        candidates = [r for r in resolved if r is not None and r.resolved and not r.enforced]
        apart = {r.column: why for r in candidates if r.target and (why := across_databases(snap, t, r.target))}
        found: list[Reference] = [r for r in candidates if r.column not in apart]
        if not found:
            continue
        skipped = {r.column: r.reason for r in resolved if r is not None and not r.resolved} | apart
        any_fk = bool(foreign_keys_on(snap, t))
        yield table_hit(snap, t, found, skipped, any_fk)


def tenant_scope(
    snap: Snapshot, t: Table, target: Table, mine: list[str], refs: list[str]
) -> tuple[str | None, str | None]:
    """The tenant column to lead the new key with, when both tables carry it with one type and it is NOT NULL here
    (a plain key between tenant tables lets a row point at another tenant's row: ISO013); else why not, when
    both carry it."""
    ten = tenancy(snap)
    child, parent = ten.tables.get(t.oid), ten.tables.get(target.oid)
    if child is None or parent is None or child.cls != "tenant" or parent.cls != "tenant":
        return None, None
    col = child.column
    if col is None or col != parent.column or col in mine or col in refs:
        return None, None
    mine_type = snap.column_by_name[(t.oid, col)].type if (t.oid, col) in snap.column_by_name else None
    their_type = snap.column_by_name[(target.oid, col)].type if (target.oid, col) in snap.column_by_name else None
    if mine_type is None or their_type is None:
        return None, None
    if not is_not_null(snap, t.oid, col):
        return None, (
            f"{quote_ident(col)} may be NULL here: a key that includes it would check no row without it (MATCH "
            "SIMPLE), so it leaves it out"
        )
    if mine_type != their_type:
        return None, (
            f"{quote_ident(col)} is {sql_comment(mine_type)} here and {sql_comment(their_type)} on "
            f"{target.qualified}: the key cannot include it until the types agree (CON010), so it leaves it out"
        )
    return col, None


def _unique_on(snap: Snapshot, t: Table, columns: list[str]) -> bool:
    """A foreign key can reference these columns: a valid unique index on exactly them, whole."""
    return any(
        i.is_unique and i.is_valid and i.predicate is None and set(i.columns) == set(columns)
        for i in snap.indexes_of.get(t.oid, [])
    )


def _guarded_key_sql(snap: Snapshot, t: Table, target: Table, name: str, body: str, mine: list[str], match: str) -> str:
    """The key added only when no row of t references a missing row (checked when the fix runs: the audit
    reads no rows), else a NOTICE and nothing added, so the rest of a fix script goes on; then validated
    in a statement of its own, only if it was added. A partitioned table before PostgreSQL 18 takes no NOT
    VALID key: it is added checked, in one step."""
    present = " AND ".join(f"c.{quote_ident(c)} IS NOT NULL" for c in mine)
    nv = t.is_partitioned and snap.server.major < 18
    note = "-- NOT VALID is not allowed on a partitioned table before PostgreSQL 18: the key is added checked\n"
    check = do_block(
        f"  IF EXISTS (SELECT FROM {t.qualified} c WHERE {present}\n"
        f"      AND NOT EXISTS (SELECT FROM {target.qualified} p WHERE {match})) THEN\n"
        f"    RAISE NOTICE 'pg-auditor: rows of % reference no row of %: foreign key % not added (the query above "
        f"finds them)', {quote_literal(t.qualified)}, {quote_literal(target.qualified)}, {quote_literal(name)};\n"
        "  ELSE\n"
        f"    ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(name)} {body}{'' if nv else ' NOT VALID'};\n"
        "  END IF;"
    )
    if nv:
        return note + check
    validate = do_block(
        "  IF EXISTS (SELECT FROM pg_catalog.pg_constraint\n"
        f"      WHERE conrelid = {regclass_literal(t.schema, t.name)}::regclass AND conname = {quote_literal(name)}"
        " AND NOT convalidated) THEN\n"
        f"    ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {quote_ident(name)};\n"
        "  END IF;"
    )
    return f"{check}\n{validate}"


def table_hit(snap: Snapshot, t, found: list[Reference], skipped: dict[str, str], any_fk: bool) -> Hit:
    """One finding for the table; medium when a column's reference is sure, low when the evidence is weak
    (only low-confidence columns, or a table that declares no foreign key at all: FK-free on purpose)."""
    evidence: dict[str, object] = {
        "references": {
            r.column: f"{r.target.qualified}({column_list(list(r.target_columns))})"
            + (f" as ({column_list(list(r.columns))})" if len(r.columns) > 1 else "")
            for r in found
        },
        "why": {r.column: f"{r.reason} ({r.confidence} confidence)" for r in found},
        "estimated_rows": snap.estimated_rows(t),
    }
    key_type = {
        r.column: snap.column_by_name[(r.target.oid, r.target_columns[r.columns.index(r.column)])] for r in found
    }
    differs = {
        r.column: f"{snap.column_by_name[(t.oid, r.column)].type} vs {key_type[r.column].type}"
        for r in found
        if snap.column_by_name[(t.oid, r.column)].type != key_type[r.column].type
    }
    if differs:
        evidence["types_differ"] = differs
    severity = None
    if not any_fk and t.is_partitioned:
        evidence["note"] = (
            "the table declares no foreign key at all: an ingest, log or archive table is often FK-free on purpose "
            "(rows whose parent arrives later or is deleted first); low until someone says otherwise"
        )
        severity = "low"
    elif max(CONFIDENCE_RANK[r.confidence] for r in found) <= CONFIDENCE_RANK[LOW]:
        severity = "low"
    poly = polymorphic_ids(snap, t)
    if poly:
        evidence["polymorphic_pairs_not_flagged"] = sorted(f"({v}, {k})" for k, v in poly.items())
    if skipped:
        evidence["not_references"] = {c: why for c, why in sorted(skipped.items()) if c not in poly}
        if not evidence["not_references"]:
            del evidence["not_references"]
    fixes = []
    for r in found:
        target, refs, mine = r.target, list(r.target_columns), list(r.columns)
        name = constraint_name(snap, t, mine, "fkey")
        body = f"FOREIGN KEY ({column_list(mine)}) REFERENCES {target.qualified} ({column_list(refs)})"
        match = " AND ".join(f"p.{quote_ident(a)} = c.{quote_ident(b)}" for a, b in zip(refs, mine, strict=True))
        orphans = (
            f"-- orphans first: SELECT count(*) FROM {t.qualified} c WHERE c.{quote_ident(r.column)} IS NOT NULL\n"
            f"--   AND NOT EXISTS (SELECT 1 FROM {target.qualified} p WHERE {sql_comment(match)});\n"
        )
        if not _unique_on(snap, target, refs):  # PostgreSQL refuses the key: no unique key to reference
            fixes.append(
                f"-- {target.qualified} has no unique key on ({column_list(refs)}) alone (a partitioned table's key "
                "holds its partition key too):\n-- a foreign key needs one, so none is added for "
                f"{quote_ident(r.column)}"
            )
            continue
        tenant, why_not = tenant_scope(snap, t, target, mine, refs)
        before = f"-- {sql_comment(why_not)}\n" if why_not else ""
        if tenant is not None:  # both rows in one tenant: the composite key ISO013 would ask for next
            mine, refs = [tenant, *mine], [tenant, *refs]
            name = constraint_name(snap, t, mine, "fkey")
            body = f"FOREIGN KEY ({column_list(mine)}) REFERENCES {target.qualified} ({column_list(refs)})"
            match = " AND ".join(f"p.{quote_ident(a)} = c.{quote_ident(b)}" for a, b in zip(refs, mine, strict=True))
            before = unique_key_sql(snap, target, refs) + referencing_index_sql(
                snap, t, mine, new_name(snap, t, [t.name, *mine], "idx")
            )
            orphans = (
                f"-- orphans first (or rows pointing at another tenant's row): SELECT count(*) FROM {t.qualified} c\n"
                f"--   WHERE c.{quote_ident(r.column)} IS NOT NULL\n"
                f"--   AND NOT EXISTS (SELECT 1 FROM {target.qualified} p WHERE {sql_comment(match)});\n"
            )
        fixes.append(before + orphans + _guarded_key_sql(snap, t, target, name, body, mine, match))
    listed = ", ".join(f"{r.column} -> {r.target.qualified}" for r in found)
    return Hit(
        obj=table_obj(t),
        message=(
            f"{listed} looks like a reference but has no foreign key"
            if len(found) == 1
            else f"{len(found)} columns look like references but have no foreign key: {listed}"
        ),
        evidence=evidence,
        fix="\n".join(fixes),
        severity=severity,
    )
