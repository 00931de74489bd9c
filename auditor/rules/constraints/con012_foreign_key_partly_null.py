"""CON012: a multi-column foreign key that MATCH SIMPLE skips when two or more of its columns may be NULL."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.analysis.notnull import is_not_null
from auditor.base.names import column_list, quote_ident
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import constraint_obj
from auditor.rules.constraints._shared import (
    foreign_keys,
)
from auditor.rules.guarded import commented, swap_foreign_key_sql
from auditor.rules.registry import Hit, rule


def tied_by_check(snap: Snapshot, t: Table, columns: list[str]) -> bool:
    """A validated CHECK that mentions every one of the columns: it may well make them all-or-nothing."""
    return any(
        c.type == "c" and c.validated and set(columns) <= set(c.columns) for c in snap.constraints_of.get(t.oid, [])
    )


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

    ## Why it matters
    With the default MATCH SIMPLE, a row where any one of the key's columns is NULL is not checked
    at all: `(org_id, project_id) = (7, NULL)` passes, and so does `(NULL, 42)` pointing at a
    project of no tenant, which is how cross-tenant references slip in. Make the columns NOT NULL,
    or declare the key MATCH FULL (all NULL or none).

    ## What it checks
    Every foreign key of two or more columns, not declared MATCH FULL, with two or more nullable
    columns among them (each key once: the clones on partitions are left out). A column held by a
    validated `CHECK (col IS NOT NULL)` counts as NOT NULL, and a validated CHECK mentioning all the
    nullable columns (`num_nulls(a, b) IN (0, 2)`) is taken to tie them together. With one nullable
    column the key is an optional reference (`(partition_id NOT NULL, job_id NULL)` means "no job"),
    which MATCH SIMPLE handles as meant.

    ## Bad
    ```sql
    CREATE TABLE projects (org_id bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (org_id, id));
    CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint, project_id bigint,
                        FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id));
    ```

    ## Good
    ```sql
    CREATE TABLE projects (org_id bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (org_id, id));
    CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint NOT NULL, project_id bigint NOT NULL,
                        FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id));
    ```

    ## Fix
    All-or-nothing NULLs (what the fix runs), or required columns (printed as comments):
    ```sql
    ALTER TABLE tasks ADD CONSTRAINT tasks_org_id_project_id_fkey_new FOREIGN KEY (org_id, project_id)
        REFERENCES projects (org_id, id) MATCH FULL NOT VALID;
    ALTER TABLE tasks VALIDATE CONSTRAINT tasks_org_id_project_id_fkey_new;
    DO $guard$ ... drops tasks_org_id_project_id_fkey and renames the new key to it, once it is validated
    -- or, instead, make the columns required:
    -- ALTER TABLE tasks ALTER COLUMN org_id SET NOT NULL;
    ```
    The old key is dropped only inside a `DO` block that checks the MATCH FULL key is validated: when
    rows hold one NULL column, VALIDATE fails and the old key stays (drop the NOT VALID one, or fix the rows).

    ## False positives
    Both columns nullable on purpose, with the application always writing both or neither. Suppress on the constraint:
    `COMMENT ON CONSTRAINT tasks_org_id_project_id_fkey ON tasks IS 'pg-auditor: ignore CON012 -- project is optional'`
    (a comment on the table covers it too); or `--ignore CON012` / `ignore = ["CON012"]` in the config.
    """
    for t, con, _ref in foreign_keys(snap):
        if len(con.columns) < 2 or con.match_type == "f":
            continue
        nullable = [c for c in con.columns if not is_not_null(snap, t.oid, c)]
        if len(nullable) < 2 or tied_by_check(snap, t, nullable):
            continue
        full = re.sub(r"(REFERENCES .+?\((?:\"[^\"]*\"|[^)\"])*\))", r"\1 MATCH FULL", con.definition, count=1)
        yield Hit(
            obj=constraint_obj(t, con),
            message=f"{column_list(nullable)} may be NULL, and then MATCH SIMPLE skips the check for the whole row",
            evidence={"nullable_columns": nullable, "definition": con.definition},
            fix=(  # recommended: all-or-nothing NULLs keep the columns optional, as they are declared
                "-- all-or-nothing NULLs (the old key goes only once the MATCH FULL one is validated):\n"
                + swap_foreign_key_sql(snap, t, con.name, full, extra=" AND n.confmatchtype = 'f'")
                + "\n-- or, instead, make the columns required (not run; SET NOT NULL scans the table):\n"
                + commented(
                    "\n".join(
                        f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c)} SET NOT NULL;" for c in nullable
                    )
                )
            ),
        )
