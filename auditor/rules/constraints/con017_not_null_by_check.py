"""CON017: a validated CHECK (col IS NOT NULL) standing in for a real NOT NULL."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.notnull import check_not_null
from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.common import column_obj
from auditor.rules.constraints._shared import judged_tables
from auditor.rules.guarded import transaction
from auditor.rules.registry import Hit, rule


@rule(
    "CON017",
    "not-null-by-check",
    severity="low",
    subject="column",
    requires=("tables", "columns", "constraints"),
    population="tables",
)
def not_null_by_check(snap: Snapshot) -> Iterator[Hit]:
    """Column kept NOT NULL by a validated CHECK instead of a NOT NULL declaration.

    ## Why it matters
    `CHECK (col IS NOT NULL)` added NOT VALID and validated later is how large applications make a
    column NOT NULL without a long lock. Once validated it enforces the same thing, but only the real
    declaration is seen by the planner, by `\\d`, by ORMs and by tools that read `attnotnull`, and the
    check costs a little on every write. From PostgreSQL 12, `SET NOT NULL` uses the validated CHECK as
    its proof and skips the table scan, so the conversion is cheap.

    ## What it checks
    Columns of application tables that are nullable in the catalog and held by a validated CHECK made
    only of `col IS NOT NULL` terms. The other rules already read such columns as NOT NULL.

    ## Bad
    ```sql
    CREATE TABLE notes (id bigint PRIMARY KEY, project_id bigint);
    ALTER TABLE notes ADD CONSTRAINT check_project_id CHECK (project_id IS NOT NULL) NOT VALID;
    ALTER TABLE notes VALIDATE CONSTRAINT check_project_id;
    ```

    ## Good
    ```sql
    CREATE TABLE notes (id bigint PRIMARY KEY, project_id bigint NOT NULL);
    ```

    ## Fix
    ```sql
    DO $guard$ BEGIN
      ALTER TABLE notes ALTER COLUMN project_id SET NOT NULL;  -- no scan: the validated CHECK proves it
      ALTER TABLE notes DROP CONSTRAINT check_project_id;
    END $guard$;
    ```
    One `DO` block, one transaction: a failed SET NOT NULL keeps the CHECK.
    `SET NOT NULL` takes an ACCESS EXCLUSIVE lock, held briefly when the CHECK proves the column
    (PostgreSQL 12+). Before 12 it scans the table under that lock.

    ## False positives
    A framework that manages its constraints by name and would re-add the CHECK; or a column that must
    become nullable again soon. Suppress on the column: `COMMENT ON COLUMN notes.project_id IS
    'pg-auditor: ignore CON017 -- managed by migrations'`.
    """
    for t in judged_tables(snap):
        for column, con in sorted(check_not_null(snap, t.oid).items()):
            col = snap.column_by_name.get((t.oid, column))
            if col is None or col.not_null:
                continue
            scan_free = snap.server.major >= 12
            yield Hit(
                obj=column_obj(t, column),
                message=f"{column} is kept NOT NULL by CHECK {con.name}; a real NOT NULL says the same"
                + (" and can be set without a scan" if scan_free else ""),
                evidence={"check": con.name, "definition": con.definition, "scan_free": scan_free},
                fix=transaction(  # the CHECK goes only with the NOT NULL that replaces it
                    f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(column)} SET NOT NULL;"
                    + ("  -- no scan: the validated CHECK proves it" if scan_free else "  -- scans the table")
                    + f"\nALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(con.name)};"
                ),
            )
