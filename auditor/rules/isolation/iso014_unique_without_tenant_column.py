"""ISO014: uniqueness bypasses RLS, so a global key collides and leaks across tenants."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from auditor.analysis.isolation_model import UNIQUE_CUT, model_for
from auditor.analysis.tenancy import global_by_design, shared_row_signals, unscoped_uniques
from auditor.base.names import qualified, quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _tenant, bounded, not_null_sql
from auditor.rules.registry import Hit, Obj, rule


@rule("ISO014", "unique-without-tenant-column", severity="medium", subject="index", requires=(*RLS, "indexes"))
def unique_without_tenant_column(snap: Snapshot) -> Iterator[Hit]:
    """Unique key on a tenant table that does not include the tenant column.

    ## Why it matters
    Uniqueness is checked across all tenants and bypasses RLS: tenant B cannot create the invoice
    number or email tenant A already has, and the error tells B that it exists.

    ## What it checks
    Unique indexes and constraints on tables that carry the tenant column, whose keys leave that column
    out. Never a primary key (re-keying it is a redesign, and its fix would drop the key). Not reported:
    keys that hold a generated value (identity, serial, uuid, or a column named like a token, secret or
    idempotency key), keys that include a reference to a tenant-owned parent (unique within that
    parent: a foreign key, one declared on the partitions only, a declared reference, or one the name
    implies), keys that include the table's own declared tenant key (`tenant_keys`: per tenant at its
    level of the hierarchy), keys made only of booleans, and partial indexes whose predicate names the
    tenant column or a declared tenant key (the shared NULL-tenant rows, on purpose). Low, with the
    reason and no points off, for keys global by design: a URL slug, a domain and its selector, an
    email, a username, a provider's id, a fingerprint, an OAuth device or user code (by column name);
    the login name of users who join tenants through a membership table (`organization_users (user_id,
    organization_id)`: one identity across tenants); a single foreign key column (a 1:1 link); any key
    of a table that holds one row per tenant. More than `isolation_group_over` such keys of one severity
    become one finding.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation_model = "none"`).

    ## Bad
    ```sql
    CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, org_id bigint NOT NULL,
        email text UNIQUE);
    ```

    ## Good
    ```sql
    CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, org_id bigint NOT NULL,
        email text, UNIQUE (org_id, email));
    ```

    ## Fix
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY customers_org_id_email_key ON customers (org_id, email);
    ALTER TABLE customers DROP CONSTRAINT customers_email_key;
    ```
    When the tenant column is nullable, rows without a tenant would no longer be unique among themselves
    (NULLs are distinct): on PostgreSQL 15+ the new index is NULLS NOT DISTINCT; before 15 the fix makes
    the column NOT NULL first (ISO015's fix), or, when NULL rows are shared on purpose (see ISO015),
    adds a second unique index WHERE the tenant column IS NULL. When a foreign key uses the old key, the
    fix leaves its DROP commented out: move the foreign key first.

    ## False positives
    A key that must be unique across every tenant on purpose (a login email shared by all tenants, a
    public slug in URLs): tag the index or constraint,
    `COMMENT ON CONSTRAINT customers_email_key ON customers IS 'pg-auditor: ignore ISO014 -- global login'`.
    A grouped finding (on a schema or the database) is not covered by comments on single keys.
    """
    ten = _tenant(snap)
    hits = []
    referenced = {c.index_oid for c in snap.constraints if c.type == "f" and c.index_oid}
    uniques = unscoped_uniques(snap, ten)
    per_table = Counter(info.table.oid for info, _ in uniques)
    sm = model_for(snap)
    for info, idx in uniques:
        t = info.table
        by_design = global_by_design(snap, ten, info, idx)
        keys = [info.column or "", *idx.keys]
        new = f"{t.name}_{'_'.join(c for c in [info.column or '', *(c or 'expr' for c in idx.columns)])}_key"
        where = f" WHERE {idx.predicate}" if idx.predicate else ""
        conc = "" if t.is_partitioned else "CONCURRENTLY "
        drop = (
            f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(idx.constraint_name)};"
            if idx.constraint_name
            else f"DROP INDEX {conc}{qualified(t.schema, idx.name)};"
        )
        tcol = snap.column_by_name.get((t.oid, info.column or ""))
        nullable = tcol is not None and not tcol.not_null
        pre, nnd = "", ""
        if nullable and snap.server.version_num >= 150000:
            pre = (
                f"-- {info.column} is nullable: NULLS NOT DISTINCT keeps rows without a tenant unique among "
                "themselves (NULLs are distinct otherwise)\n"
            )
            nnd = " NULLS NOT DISTINCT"
        elif nullable:
            why = (
                f"-- {info.column} is nullable, and a unique index does not stop duplicates among rows where it is "
                "NULL (NULLs are distinct; NULLS NOT DISTINCT needs PostgreSQL 15): "
            )
            if shared_row_signals(snap, ten, info):  # NULL on purpose (ISO015): keep the shared rows unique apart
                shared = f"{t.name}_{'_'.join(c or 'expr' for c in idx.columns)}_shared_key"
                null_rows = f"{quote_ident(info.column or '')} IS NULL"
                null_rows += f" AND ({idx.predicate})" if idx.predicate else ""
                pre = (
                    f"{why}the shared rows get their own index\nCREATE UNIQUE INDEX {conc}{quote_ident(shared[:63])} "
                    f"ON {t.qualified} ({', '.join(idx.keys)}) WHERE {null_rows};\n"
                )
            else:
                pre = f"{why}make it NOT NULL first (ISO015)\n{not_null_sql(t, info.column or '')}\n"
        hits.append(
            Hit(
                obj=Obj("index", t.schema, t.name, idx.name),
                message=f"unique {idx.name} ({', '.join(idx.keys)}) on {t.qualified} is global, not per tenant: "
                + (f"global by design, {by_design}" if by_design else "cross-tenant collisions and existence leaks"),
                evidence={
                    "keys": idx.keys,
                    "predicate": idx.predicate,
                    "primary": idx.is_primary,
                    "tenant_column_nullable": nullable,
                },
                fix=f"{pre}CREATE UNIQUE INDEX {conc}{quote_ident(new[:63])} ON {t.qualified} ({', '.join(keys)})"
                f"{nnd}{where};\n"
                + (f"-- then, once no foreign key uses it:\n-- {drop}" if idx.oid in referenced else drop),
                severity="low" if by_design else None,
                points=None if by_design else sm.struct_points(t.qualified, UNIQUE_CUT, per_table[t.oid]),
            )
        )
    yield from bounded(snap, hits, f"unique keys on tenant tables leave out {ten.column}", "medium")
