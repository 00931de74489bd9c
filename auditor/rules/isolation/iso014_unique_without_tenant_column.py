"""ISO014: uniqueness bypasses RLS, so a global key collides and leaks across tenants."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from auditor.analysis.isolation_model import UNIQUE_CUT, model_for
from auditor.analysis.tenancy import global_by_design, shared_row_signals, unscoped_uniques
from auditor.base.names import quote_ident
from auditor.catalog.model import Index, Snapshot
from auditor.rules.common import leads_with, plain_btree
from auditor.rules.fixnames import new_name
from auditor.rules.guarded import (
    not_null_now,
    replace_index_sql,
    valid_unique_index,
)
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
    implies), keys that include the table's own declared tenant key (`tenant-keys`: per tenant at its
    level of the hierarchy), keys made only of booleans, and partial indexes whose predicate names the
    tenant column or a declared tenant key (the shared NULL-tenant rows, on purpose). Low, with the
    reason and no points off, for keys global by design: a URL slug, a domain and its selector, an
    email, a username, a provider's id, a fingerprint, an OAuth device or user code (by column name);
    the login name of users who join tenants through a membership table (`organization_users (user_id,
    organization_id)`: one identity across tenants); a single foreign key column (a 1:1 link); any key
    of a table that holds one row per tenant. More than `isolation-group-over` such keys of one severity
    become one finding.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

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
    CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS customers_org_id_email_key ON customers (org_id, email);
    DO $guard$ BEGIN
      -- raises unless the new index is valid, on customers, keyed (org_id, <the old keys>) with the
      -- old predicate, and unless the old key is a primary key, replica identity or used by a foreign key
      ALTER TABLE customers DROP CONSTRAINT customers_email_key;
    END $guard$;
    ```
    Each key's fix stands alone: the old key is dropped (a plain DROP INDEX, or DROP CONSTRAINT, under a
    short lock) only inside the `DO` block that checks its replacement first, so a failed CREATE keeps
    it. When the old index is the one a foreign key of the table looks its rows up by, the tenant
    column goes last, so the new index serves those lookups too. A primary key or a key a foreign key
    references is never dropped: the fix builds the new index and says so; point the foreign keys at
    the (tenant, ...) key first (ISO013), then drop the old one.
    When the tenant column is nullable, rows without a tenant would no longer be unique among themselves
    (NULLs are distinct): on PostgreSQL 15+ the new index is NULLS NOT DISTINCT; before 15 the fix makes
    the column NOT NULL first (ISO015's fix), or, when NULL rows are shared on purpose (see ISO015),
    adds a second unique index WHERE the tenant column IS NULL; the old key goes only once that step
    worked (the `DO` block checks the column is NOT NULL, or the second index valid).

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
        tenant = info.column or ""
        # the tenant leads, unless the old index is what a foreign key of the table looks its rows up by:
        # then it goes last, so the new index serves those lookups too (IDX001 otherwise)
        last = _serves_a_foreign_key(snap, idx)
        keys = [*idx.keys, quote_ident(tenant)] if last else [quote_ident(tenant), *idx.keys]
        new = new_name(snap, t, [t.name, tenant, *(c or "expr" for c in idx.columns)], "key")
        where = f" WHERE {idx.predicate}" if idx.predicate else ""
        conc = "" if t.is_partitioned else "CONCURRENTLY "
        tcol = snap.column_by_name.get((t.oid, tenant))
        nullable = tcol is not None and not tcol.not_null
        pre, nnd, also = "", "", ""
        if nullable and snap.server.version_num >= 150000:
            pre = (
                "-- the tenant column is nullable: NULLS NOT DISTINCT keeps rows without a tenant unique among "
                "themselves (NULLs are distinct otherwise)\n"
            )
            nnd = " NULLS NOT DISTINCT"
        elif nullable:
            why = (
                "-- the tenant column is nullable, and a unique index does not stop duplicates among rows where it "
                "is NULL (NULLs are distinct; NULLS NOT DISTINCT needs PostgreSQL 15): "
            )
            if shared_row_signals(snap, ten, info):  # NULL on purpose (ISO015): keep the shared rows unique apart
                shared = new_name(snap, t, [t.name, *(c or "expr" for c in idx.columns)], "shared_key")
                null_rows = f"{quote_ident(tenant)} IS NULL"
                null_rows += f" AND ({idx.predicate})" if idx.predicate else ""
                also = valid_unique_index(t.schema, shared)  # no swap unless the shared rows are covered
                pre = (
                    f"{why}the shared rows get their own index\nCREATE UNIQUE INDEX {conc}IF NOT EXISTS "
                    f"{quote_ident(shared)} ON {t.qualified} ({', '.join(idx.keys)}) WHERE {null_rows};\n"
                )
            else:
                pre = f"{why}make it NOT NULL first (ISO015)\n{not_null_sql(snap, t, tenant)}\n"
                also = not_null_now(tenant)  # no swap while rows without a tenant could repeat
        on = f"{t.qualified} ({', '.join(keys)}){nnd}{where}"
        create = f"CREATE UNIQUE INDEX {conc}IF NOT EXISTS {quote_ident(new)} ON {on};"
        if idx.is_primary or idx.oid in referenced:
            # Never drop a primary key or a key a foreign key uses: the new index is built beside it, and the
            # old one goes only after the foreign keys point at the (tenant, ...) key (ISO013's fix).
            fix = (
                f"{pre}{create}\n-- the old key stays: "
                + ("it is the primary key" if idx.is_primary else "a foreign key references it")
                + "; move what uses it to the new key first, then drop it"
            )
        else:
            fix = pre + replace_index_sql(
                t,
                create,
                new,
                idx.name,
                idx.constraint_name,
                lead=[] if last else [tenant],
                trail=[tenant] if last else [],
                nulls_not_distinct=bool(nnd),
                also=also,
            )
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
                fix=fix,
                severity="low" if by_design else None,
                points=None if by_design else sm.struct_points(t.qualified, UNIQUE_CUT, per_table[t.oid]),
            )
        )
    yield from bounded(snap, hits, f"unique keys on tenant tables leave out {ten.column}", "medium")


def _serves_a_foreign_key(snap: Snapshot, idx: Index) -> bool:
    """A foreign key of the index's table, or of one of its partitions (GitLab's ci_runner_machines has
    them there only), leads the index, and no other plain index serves its lookups."""
    t = snap.table_by_oid.get(idx.table_oid)
    tables = [idx.table_oid, *(p.oid for p in snap.leaf_partitions(t))] if t and t.is_partitioned else [idx.table_oid]
    for oid in tables:
        others = [
            i
            for i in snap.indexes_of.get(oid, [])
            if i.oid != idx.oid and i.parent_index_oid != idx.oid and plain_btree(i)
        ]
        for c in snap.constraints_of.get(oid, []):
            if c.type == "f" and leads_with(idx, c.columns) and not any(leads_with(i, c.columns) for i in others):
                return True
    return False
