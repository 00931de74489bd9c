"""ISO015: a row without a tenant belongs to nobody, or to everyone."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.isolation_model import NULLABLE_CUT, model_for
from auditor.analysis.notnull import pending_check_not_null
from auditor.analysis.tenancy import (
    TENANT_KEYS,
    TableInfo,
    declared_keys,
    nullable_tenant_columns,
    polymorphic_key,
    shared_row_signals,
)
from auditor.catalog.model import Snapshot
from auditor.rules.common import column_obj
from auditor.rules.isolation._shared import RLS, _tenant, bounded, not_null_sql
from auditor.rules.registry import Hit, rule


@rule("ISO015", "nullable-tenant-column", severity="medium", subject="column", requires=RLS)
def nullable_tenant_column(snap: Snapshot) -> Iterator[Hit]:
    """Nullable tenant column.

    ## Why it matters
    A row with no tenant belongs to nobody: policies comparing `org_id = ...` hide it, policies with
    `OR org_id IS NULL` show it to everyone, and application filters disagree on which.

    ## What it checks
    The tenant column of every table that carries it, when it allows NULL and no validated
    `CHECK (col IS NOT NULL)` says otherwise (that is NOT NULL in all but the catalog flag). High when
    the planner statistics show NULL rows. Low when a `CHECK (col IS NOT NULL) NOT VALID` already
    refuses new NULLs (the backfill is under way), and, where the project publishes its tables' tenant
    keys (`tenant-keys`), when the column is not the table's one published key: one of several
    published keys, another key published, or no key published for the table yet. A column that is
    NULL by design is reported at info with no
    fix and no points off: one branch of a `CHECK (num_nonnulls(organization_id, namespace_id,
    project_id) = 1)` (each row keyed by exactly one of several keys, hierarchical tenancy), or rows
    every tenant shares (built-in roles, default plans) when the schema says so: a unique index for the
    NULL rows (`UNIQUE (name) WHERE org_id IS NULL`) or one with the column and NULLS NOT DISTINCT, a
    partial index on `org_id IS NULL`, a CHECK giving NULL-tenant rows their own rule
    (`CHECK (org_id IS NULL OR ...)`), or a policy whose USING admits `org_id IS NULL` rows (ISO007
    still reports that policy). More than `isolation-group-over` such columns become one finding.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

    ## Bad
    ```sql
    CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint REFERENCES orgs, total numeric);
    ```

    ## Good
    ```sql
    CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs, total numeric);
    ```

    ## Fix
    ```sql
    ALTER TABLE invoices ADD CONSTRAINT invoices_org_id_not_null CHECK (org_id IS NOT NULL) NOT VALID;
    ALTER TABLE invoices VALIDATE CONSTRAINT invoices_org_id_not_null;
    ALTER TABLE invoices ALTER COLUMN org_id SET NOT NULL;  -- PostgreSQL 12+ uses the valid CHECK, no scan
    ALTER TABLE invoices DROP CONSTRAINT invoices_org_id_not_null;  -- the NOT NULL replaces it
    ```
    The finding's fix drops the CHECK inside a `DO` block that first checks the column is NOT NULL and
    the CHECK is the one it added, so a failed step never removes it (or another constraint).

    ## False positives
    Shared NULL-tenant rows the schema does not mark in one of the ways above: add the mark (the
    partial unique index is usually wanted anyway), or tag the column,
    `COMMENT ON COLUMN plans.org_id IS 'pg-auditor: ignore ISO015 -- NULL plans are the public ones'`.
    A grouped finding (on a schema or the database) is not covered by comments on single columns.
    """
    ten = _tenant(snap)
    hits: list[Hit] = []
    by_design: list[Hit] = []
    for info in nullable_tenant_columns(snap, ten):
        t, col = info.table, info.column or ""
        st = snap.column_stats_of.get((t.schema, t.name, col))
        nulls = f"; statistics say {st.null_frac:.1%} of rows have no tenant" if st and st.null_frac > 0 else ""
        poly = polymorphic_key(snap, t, col)
        if poly:
            by_design.append(
                Hit(
                    obj=column_obj(t, col),
                    message=f"{t.qualified}.{col} is nullable by design: CHECK {poly[0]} keys each row by exactly one "
                    f"of {col}, {', '.join(poly[1])} (hierarchical tenancy){nulls}",
                    evidence={"null_frac": st.null_frac if st else None, "polymorphic_check": poly[0]},
                    severity="info",
                )
            )
            continue
        shared = shared_row_signals(snap, ten, info)
        if shared:
            hits.append(
                Hit(
                    obj=column_obj(t, col),
                    message=f"{t.qualified}.{col} is nullable, and looks intentional: NULL rows are shared by every "
                    f"tenant ({shared[0]}{f' and {len(shared) - 1} more' if len(shared) > 1 else ''}){nulls}; "
                    "make sure policies and application filters treat them as shared",
                    evidence={"null_frac": st.null_frac if st else None, "shared_rows": shared},
                    severity="info",
                )
            )
            continue
        lower = weaker_evidence(snap, info)
        evidence = {"null_frac": st.null_frac if st else None}
        if lower:
            evidence["lower"] = lower
        hits.append(
            Hit(
                obj=column_obj(t, col),
                message=f"{t.qualified}.{col} is nullable{nulls}" + (f" ({lower})" if lower else ""),
                evidence=evidence,
                fix=not_null_sql(snap, t, col),
                severity="high" if st and st.null_frac > 0 else ("low" if lower else None),
                points=model_for(snap).struct_points(t.qualified, NULLABLE_CUT),
            )
        )
    yield from bounded(snap, hits, f"tenant tables allow a NULL {ten.column}", "medium")
    yield from bounded(snap, by_design, f"tenant tables keyed by one of several keys, {ten.column} among them")


def weaker_evidence(snap: Snapshot, info: TableInfo) -> str | None:
    """Why a nullable tenant column is a low finding: a CHECK (col IS NOT NULL) NOT VALID already guards
    new rows (the backfill is under way; CON005 asks for the VALIDATE), or the project publishes its tables'
    tenant keys (`tenant-keys`) and this column is not the table's one published key: one of several
    (each row carries one), another key is published, or none is yet (the table's key is undecided)."""
    t, col = info.table, info.column or ""
    pending = pending_check_not_null(snap, t.oid).get(col)
    if pending is not None:
        return f"CHECK {pending.name} NOT VALID already refuses new NULLs; validate it"
    if not TENANT_KEYS(snap):
        return None
    declared = declared_keys(snap, t)
    if declared == [col]:
        return None
    if col in declared:
        return f"one of the table's declared tenant keys ({', '.join(declared)}): each row carries one of them"
    if declared:
        return f"the table's declared tenant key is {', '.join(declared)}"
    return "the table has no declared tenant key (tenant_keys): its key is not decided yet"
