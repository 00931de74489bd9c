"""ISO023: tables the tenant model cannot place, row-history copies of every tenant above all."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import table_obj
from auditor.rules.isolation._shared import RLS, _tenant, bounded
from auditor.rules.registry import Hit, rule


@rule("ISO023", "unclassified-table", severity="info", subject="table", requires=RLS)
def unclassified_table(snap: Snapshot) -> Iterator[Hit]:
    """Table the tenant model could not classify.

    ## Why it matters
    It has no tenant column, no foreign key path to a tenant table, and does not look like a lookup
    or framework table. It may hold tenant data nobody scopes. Classify it in configuration
    (thresholds.table_classes) so the score and the rules treat it right.

    ## What it checks
    Tables the tenant model leaves unclassified and that have no foreign key to tenant data (those are
    ISO012's), reported at info. A row-history table of paper_trail (`item_type, item_id` with
    `object`/`object_changes`), audited (`auditable_type, auditable_id, audited_changes`) or
    django-reversion (`content_type_id, object_id, serialized_data`) is medium, not info: it holds a
    copy of rows from every tenant table, with nothing to scope it by tenant. Skipped on a
    schema-per-tenant layout and when no tenant column is found. More than `isolation-group-over` plain
    unclassified tables become one finding.

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE TABLE versions (id bigint PRIMARY KEY, item_type text NOT NULL, item_id bigint NOT NULL,
        event text, object jsonb);  -- paper_trail's history of every tenant's rows
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    CREATE TABLE versions (id bigint PRIMARY KEY, org_id bigint NOT NULL, item_type text NOT NULL,
        item_id bigint NOT NULL, event text, object jsonb);
    ```

    ## Fix
    Add the tenant column, or classify it: `table-classes = {"public.versions" = "reference"}`. For a
    row-history table, add the tenant column and have the library fill it (paper_trail: a `meta`
    entry; audited: `associated`), then scope it like any tenant table.

    ## False positives
    A global table the name rules do not recognise (feature flags, a job queue of a less common
    framework): classify it, `table-classes = {"public.feature_flags" = "reference"}` (or `framework`),
    which also keeps it out of the score, or tag it,
    `COMMENT ON TABLE feature_flags IS 'pg-auditor: ignore ISO023 -- global, no tenant data'`.
    """
    ten = _tenant(snap)
    unclassified = [
        i
        for i in ten.of_class("unknown")
        if not any(
            c.type == "f"
            and ten.tables.get(c.ref_table_oid or 0)
            and ten.tables[c.ref_table_oid or 0].cls in ("tenant", "indirect", "root")
            for c in snap.constraints_of.get(i.table.oid, [])
        )
    ]
    others = []
    for i in unclassified:
        library = row_history_library(snap, i.table)
        if library is None:
            others.append(
                Hit(obj=table_obj(i.table), message=f"{i.table.qualified}: {i.reason}", evidence={"class": i.cls})
            )
            continue
        yield Hit(
            obj=table_obj(i.table),
            message=f"{i.table.qualified}: a {library} row-history table: it keeps copies of rows of every tenant,"
            " with no tenant column to scope them",
            evidence={"class": i.cls, "row_history": library},
            severity="medium",
        )
    yield from bounded(snap, others, "tables not classified (no tenant column, no path to one)")


# Row-history tables of common libraries: a polymorphic reference to a row and a copy of it.
ROW_HISTORY_SHAPES = (
    ("paper_trail", ("item_type", "item_id"), ("object", "object_changes")),
    ("audited", ("auditable_type", "auditable_id"), ("audited_changes",)),
    ("django-reversion", ("content_type_id", "object_id"), ("serialized_data",)),
)


def row_history_library(snap: Snapshot, table: Table) -> str | None:
    """The library whose row-history table this looks like, if any."""
    names = {c.name for c in snap.columns_of.get(table.oid, [])}
    for library, reference, copies in ROW_HISTORY_SHAPES:
        if set(reference) <= names and names & set(copies):
            return library
    return None
