"""ISO013: foreign-key checks bypass RLS, so a key without the tenant column crosses tenants."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from auditor.analysis.isolation_model import FK_CUT, model_for
from auditor.analysis.notnull import is_not_null
from auditor.analysis.policy_expr import shares
from auditor.analysis.tenancy import (
    TableInfo,
    Tenancy,
    cross_tenant_links,
    has_privilege,
    polymorphic_key,
    unsafe_foreign_keys,
)
from auditor.base.names import column_list, quote_ident
from auditor.catalog.model import FK_ACTIONS, Snapshot, Table
from auditor.rules.common import referencing_index_sql, unique_key_sql
from auditor.rules.fixnames import new_name
from auditor.rules.guarded import (
    not_valid,
    replace_foreign_key_sql,
)
from auditor.rules.isolation._shared import RLS, _tenant, bounded
from auditor.rules.registry import Hit, Obj, rule


@rule("ISO013", "cross-tenant-foreign-key", severity="medium", subject="constraint", requires=RLS)
def cross_tenant_foreign_key(snap: Snapshot) -> Iterator[Hit]:
    """Foreign key between tenant tables that leaves the tenant column out.

    ## Why it matters
    Foreign-key checks bypass row-level security, so with `(project_id) REFERENCES projects (id)`
    a row of tenant A can point at tenant B's project (and learn that it exists). A key that
    includes the tenant column makes that impossible in the schema, not just in the application.

    ## What it checks
    Foreign keys from a table that carries the tenant column to another table that carries it, whose
    columns do not pair the child's tenant column with the parent's. Keys to the root tenant table are
    the tenant itself and are not reported, and neither are keys on tables no application role can
    write (no user can make the reference) nor keys of a row whose tenant column is one branch of a
    `num_nonnulls(...) = 1` CHECK (the key itself is its tenant, hierarchical tenancy), nor, where the
    project declares its tables' tenant keys (`tenant-keys`), a key on the table's own declared key or to
    a level of that hierarchy (a table other tables declare as their key: projects, namespaces), nor a
    key to users who join tenants through a membership table keyed by (user, tenant). Also reported: the
    NOT NULL keys of a link table without the tenant column that join two tables carrying it (a team to
    a group of possibly another organization), without fix SQL (the table needs the column first). Low when the
    referenced key is a uuid (pointing at another tenant's row then takes a leaked id), unless the
    parent's rows are shared with other tenants by a policy (their ids are then not secret). When the
    child's tenant column is nullable the fix keeps the old key (a composite key is not checked where
    the tenant is NULL). More than `isolation-group-over` such keys become one finding, whose fixes run
    in order. Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

    ## Bad
    ```sql
    CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL, name text);
    CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint NOT NULL, project_id bigint REFERENCES projects,
        title text);
    ```

    ## Good
    ```sql
    CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL, name text, UNIQUE (org_id, id));
    CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint NOT NULL, project_id bigint, title text,
        FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id));
    ```

    ## Fix
    ```sql
    CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS projects_org_id_id_key ON projects (org_id, id);
    CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_org_id_project_id_idx ON tasks (org_id, project_id);
    ALTER TABLE tasks ADD CONSTRAINT tasks_project_id_fkey_tenant FOREIGN KEY (org_id, project_id)
        REFERENCES projects (org_id, id) NOT VALID;
    ALTER TABLE tasks VALIDATE CONSTRAINT tasks_project_id_fkey_tenant;
    DO $guard$ BEGIN
      -- raises unless tasks_project_id_fkey_tenant is there, validated, and holds the old key's columns
      ALTER TABLE tasks DROP CONSTRAINT tasks_project_id_fkey;
    END $guard$;
    ```
    The parent's unique (tenant, key) index and the referencing side's index come in the same fix
    (IF NOT EXISTS, under names fixed when the audit ran), so each fix of a grouped finding runs on its
    own. The new key's name fits 63 bytes and differs from every constraint of the table. It keeps the
    key's ON DELETE action (SET NULL only on the key's own columns, never the tenant), its ON UPDATE
    CASCADE or RESTRICT, and its deferrability. The old key is
    dropped inside a `DO` block that first checks the new one is validated: a failed step keeps it.
    When the child's tenant column is nullable the old key stays.

    ## False positives
    A reference that crosses tenants by design (a marketplace order pointing at another tenant's
    listing): tag the key,
    `COMMENT ON CONSTRAINT orders_listing_id_fkey ON orders IS 'pg-auditor: ignore ISO013 -- cross-tenant by design'`.
    A grouped finding (on a schema or the database) is not covered by comments on single keys.
    """
    ten = _tenant(snap)
    hits = []
    made: dict[tuple[int, str], str] = {}  # (table, columns) -> the index name given it: one per index, none twice
    unsafe = unsafe_foreign_keys(snap, ten)
    per_table = Counter(child.table.oid for child, _, _ in unsafe)
    sm = model_for(snap)
    for child, parent, con in unsafe:
        ct, pt = child.table, parent.table
        if ten.app_roles and not any(has_privilege(snap, r, ct, "aw") for r in ten.app_roles):
            continue  # no application role writes the child: no user can make the reference
        if polymorphic_key(snap, ct, child.column or ""):
            continue  # the row is keyed by one of several keys: this key is its tenant (hierarchical tenancy)
        ccolumn = snap.column_by_name.get((ct.oid, child.column or ""))
        nullable = ccolumn is not None and not is_not_null(snap, ct.oid, ccolumn.name)
        ccol, pcol = child.column or "", parent.column or ""
        fix = unique_key_sql(snap, pt, [pcol, *con.ref_columns])
        fix += _child_index_sql(snap, ct, [ccol, *con.columns], made)
        name = new_name(snap, ct, [con.name], "tenant", kind="constraint")  # never the old key's own name
        action = ""
        if con.on_delete == "n":  # only the key's own columns go NULL, never the tenant (PostgreSQL 15+)
            action = f" ON DELETE SET NULL ({column_list(con.columns)})"
        elif con.on_delete in ("c", "r"):
            action = f" ON DELETE {FK_ACTIONS[con.on_delete]}"
        if con.on_update in ("c", "r"):  # SET NULL / DEFAULT on update would reach the tenant column too
            action += f" ON UPDATE {FK_ACTIONS[con.on_update]}"
        if con.deferrable:  # the application may rely on checking at commit
            action += " DEFERRABLE" + (" INITIALLY DEFERRED" if con.deferred else "")
        nv, note = not_valid(snap, ct)
        fix += (
            f"{note}ALTER TABLE {ct.qualified} ADD CONSTRAINT {quote_ident(name)} FOREIGN KEY "
            f"({column_list([ccol, *con.columns])}) REFERENCES {pt.qualified} ({column_list([pcol, *con.ref_columns])})"
            f"{action}{nv};\nALTER TABLE {ct.qualified} VALIDATE CONSTRAINT {quote_ident(name)};\n"
        )
        if nullable:  # MATCH SIMPLE skips a composite key on rows whose tenant column is NULL: keep the old one
            fix += (
                "-- the old key stays: the tenant column is nullable, and the new key is not checked where it is NULL"
            )
        else:  # the old key goes only once the new one is there and validated
            fix += replace_foreign_key_sql(ct, name, con.name)
        hits.append(
            Hit(
                obj=Obj("constraint", ct.schema, ct.name, con.name),
                message=f"{ct.qualified} ({column_list(con.columns)}) -> {pt.qualified} without {ccol}: a row can "
                "point at another tenant's row",
                evidence={"columns": con.columns, "references": pt.qualified, "ref_columns": con.ref_columns},
                fix=fix,
                severity="low" if _uuid_key(snap, pt, con.ref_columns) and not _ids_shared(snap, ten, parent) else None,
                points=sm.struct_points(ct.qualified, FK_CUT, per_table[ct.oid]),
            )
        )
    hits += link_hits(snap, ten)
    yield from bounded(snap, hits, f"foreign keys between tenant tables leave out {ten.column}", "medium")


def link_hits(snap: Snapshot, ten: Tenancy) -> list[Hit]:
    """Keys of a link table without the tenant column that join two tenant tables (cross_tenant_links).
    No fix SQL here: the table first needs the column, backfilled, before any key can carry it."""
    out = []
    for child, parent, con in cross_tenant_links(snap, ten):
        ct, pt = child.table, parent.table
        if ten.app_roles and not any(has_privilege(snap, r, ct, "aw") for r in ten.app_roles):
            continue
        others = sorted(
            p.table.qualified for c, p, k in cross_tenant_links(snap, ten) if c is child and p.table.oid != pt.oid
        )
        out.append(
            Hit(
                obj=Obj("constraint", ct.schema, ct.name, con.name),
                message=f"{ct.qualified} ({column_list(con.columns)}) -> {pt.qualified} links it to "
                f"{', '.join(others)} with no {ten.column} on {ct.qualified}: nothing keeps both rows in one tenant",
                evidence={
                    "columns": con.columns,
                    "references": pt.qualified,
                    "ref_columns": con.ref_columns,
                    "links_to": others,
                    "remedy": f"add {ten.column} to {ct.qualified} (backfilled from the parents), then make each "
                    f"key composite with it",
                },
            )
        )
    return out


def _ids_shared(snap: Snapshot, ten: Tenancy, parent: TableInfo) -> bool:
    """The parent's rows (their ids with them) are readable by other tenants through a sharing policy."""
    subj = ten.subject(parent)
    return any(
        p.permissive and p.command in ("SELECT", "ALL") and shares(p.using_expr, subj)
        for p in snap.policies_of.get(parent.table.oid, [])
    )


def _uuid_key(snap: Snapshot, t: Table, columns: list[str]) -> bool:
    """Random uuid keys cannot be guessed, so pointing at another tenant's row takes a leaked id."""
    return all((c := snap.column_by_name.get((t.oid, col))) is not None and c.base_type == "uuid" for col in columns)


def _index_name(snap: Snapshot, t: Table, columns: list[str], suffix: str, made: dict[tuple[int, str], str]) -> str:
    """The same name each time for one table's index on these columns (members of a grouped finding share
    it), never a name taken in the snapshot or given to another index of this run (63-byte cuts collide)."""
    key = (t.oid, f"{suffix}:{','.join(columns)}")
    if key not in made:
        made[key] = new_name(snap, t, [t.name, *columns], suffix)
    return made[key]


def _child_index_sql(snap: Snapshot, ct: Table, columns: list[str], made: dict[tuple[int, str], str]) -> str:
    """The index the composite key's lookups need on the referencing side, under this run's one name for it."""
    return referencing_index_sql(snap, ct, columns, _index_name(snap, ct, columns, "idx", made))
