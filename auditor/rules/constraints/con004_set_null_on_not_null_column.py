"""CON004: a foreign key action that sets NULL (or a missing default) on a NOT NULL column, so deletes fail."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.analysis.notnull import check_not_null, is_not_null
from auditor.base.names import column_list, quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.common import constraint_obj
from auditor.rules.constraints._shared import (
    foreign_keys,
)
from auditor.rules.guarded import commented, swap_foreign_key_sql
from auditor.rules.registry import Hit, rule

_SET_NULL = re.compile(r"ON (DELETE|UPDATE) SET (NULL|DEFAULT)(?: \(([^)]*)\))?")
_SETS = {"n", "d"}  # confdeltype / confupdtype: SET NULL, SET DEFAULT


@rule(
    "CON004",
    "set-null-on-not-null-column",
    severity="high",
    subject="constraint",
    requires=("tables", "columns", "constraints"),
    population="foreign_keys",
)
def set_null_on_not_null_column(snap: Snapshot) -> Iterator[Hit]:
    """ON DELETE SET NULL (or SET DEFAULT with no default) on a NOT NULL column.

    ## Why it matters
    The action is only tried when a referenced row is deleted (or its key updated): then setting
    the NOT NULL column to NULL fails, so the parent's DELETE fails with a not-null violation in
    production, long after the schema passed review. SET DEFAULT on a column with no default is
    the same thing.

    ## What it checks
    Every foreign key whose ON DELETE or ON UPDATE action is SET NULL or SET DEFAULT, for the columns
    the action sets (all the key's columns, or the list of `SET NULL (col, ...)` on PostgreSQL 15+):
    a NOT NULL column (declared, or held by a validated `CHECK (col IS NOT NULL)`) is reported for SET
    NULL, and for SET DEFAULT when it has no default (or a default of NULL).

    ## Bad
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE TABLE tasks (id bigint PRIMARY KEY,
                        owner_id bigint NOT NULL REFERENCES users ON DELETE SET NULL);
    ```

    ## Good
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE TABLE tasks (id bigint PRIMARY KEY,
                        owner_id bigint REFERENCES users ON DELETE SET NULL);  -- a task may lose its owner
    CREATE TABLE sessions (id bigint PRIMARY KEY,
                           user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE);
    ```

    ## Fix
    Decide what a deleted parent means: keep the rows and allow NULL (what the declared SET NULL says,
    and what the fix runs), or delete them with it (printed as comments: remove the marks to choose it).
    ```sql
    ALTER TABLE tasks ALTER COLUMN owner_id DROP NOT NULL;
    -- or, instead, delete them with it:
    -- ALTER TABLE tasks ADD CONSTRAINT tasks_owner_id_fkey_new FOREIGN KEY (owner_id) REFERENCES users(id)
    --     ON DELETE CASCADE NOT VALID;
    -- ALTER TABLE tasks VALIDATE CONSTRAINT tasks_owner_id_fkey_new;
    -- DO $guard$ ... drops tasks_owner_id_fkey and renames the new key to it, once the new key is validated
    ```
    The CASCADE key replaces the old one only after it is validated (a `DO` block checks it), so a
    failed step keeps the old key. For SET DEFAULT, giving the column a default is the other way; the
    default is the DBA's to choose, so that fix runs nothing.

    ## False positives
    Hardly any: the declared action cannot succeed. If referenced rows are never deleted (they are
    only soft-deleted) the failure never happens, but the declaration still says something false.
    Suppress on the constraint:
    `COMMENT ON CONSTRAINT tasks_owner_id_fkey ON tasks IS 'pg-auditor: ignore CON004 -- users are never deleted'`
    (a comment on the table covers it too); or `--ignore CON004` / `ignore = ["CON004"]` in the config.
    """
    for t, con, ref in foreign_keys(snap):
        if not {con.on_delete, con.on_update} & _SETS:  # its definition is built only for those that set
            continue
        for m in _SET_NULL.finditer(con.definition):
            event, action, listed = m.group(1), m.group(2), m.group(3)
            targets = [c.strip().strip('"') for c in listed.split(",")] if listed else con.columns
            bad = []
            for name in targets:
                col = snap.column_by_name.get((t.oid, name))
                if col is None or not is_not_null(snap, t.oid, name):
                    continue
                if action == "DEFAULT" and col.default is not None and col.default.upper() != "NULL":
                    continue
                bad.append(name)
            if not bad:
                continue
            body = re.sub(rf"ON {event} SET {action}(?: \([^)]*\))?", f"ON {event} CASCADE", con.definition)
            kind = "confdeltype" if event == "DELETE" else "confupdtype"
            cascade = swap_foreign_key_sql(snap, t, con.name, body, extra=f" AND n.{kind} = 'c'")
            if action == "NULL":  # recommended: keep the rows, as the declared SET NULL says
                checks = check_not_null(snap, t.oid)
                drop = "\n".join(
                    f"ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(checks[c].name)};"
                    if c in checks and not snap.column_by_name[(t.oid, c)].not_null
                    else f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c)} DROP NOT NULL;"
                    for c in bad
                )
                fix = (
                    f"-- keep the rows when the parent goes (allow NULL), as the key's SET NULL says:\n{drop}\n"
                    f"-- or, instead, delete them with it (not run: remove the comment marks to choose it):\n"
                    + commented(cascade)
                )
            else:  # a default is the DBA's to choose: nothing runs
                fix = "-- choose one (not run):\n-- give the column a default:\n" + "\n".join(
                    commented(f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(c)} SET DEFAULT <value>;")
                    for c in bad
                )
                fix += "\n-- or delete the rows with their parent:\n" + commented(cascade)
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
