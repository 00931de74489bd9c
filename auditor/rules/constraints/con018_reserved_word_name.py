"""CON018: a table or column named with an SQL reserved word, which every query must then quote."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import KEYWORD_NAMES
from auditor.catalog.model import Snapshot
from auditor.rules.common import column_obj, table_obj
from auditor.rules.constraints._shared import judged_tables
from auditor.rules.registry import Hit, rule

# Reserved (R) and type/function-name (T) keywords: a table or column so named must be quoted everywhere.
MUST_QUOTE = KEYWORD_NAMES


@rule("CON018", "reserved-word-name", severity="low", subject="table", requires=("tables", "columns"))
def reserved_word_name(snap: Snapshot) -> Iterator[Hit]:
    """Table or column named with a reserved word.

    ## Why it matters
    A table called `user` or a column called `order` must be written `"user"` and `"order"` in
    every query, migration, report and psql session; forget the quotes once and the statement fails
    with a syntax error or, worse, means something else (`SELECT user FROM accounts` returns the
    current role's name on every row). ORMs quote for you, until someone writes SQL by hand.

    ## What it checks
    Application tables and their columns whose name, in lower case, is one of PostgreSQL's reserved
    or type/function-name keywords (`user`, `order`, `group`, `check`, `default`, `limit`, `left`,
    ...; as pglinter's reserved-keyword rule). Keywords that may name a column unquoted (`time`,
    `position`, `values`) are not reported, nor are mixed-case names such as `"User"`, which need
    quotes for their case, not because they are keywords.

    ## Bad
    ```sql
    CREATE TABLE "user" (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE TABLE purchases (id bigint PRIMARY KEY, "order" int NOT NULL);
    ```

    ## Good
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE TABLE purchases (id bigint PRIMARY KEY, position int NOT NULL);
    ```

    ## Fix
    ```sql
    ALTER TABLE "user" RENAME TO users;
    ALTER TABLE purchases RENAME COLUMN "order" TO sort_order;
    ```
    No fix SQL is printed: a rename breaks every query, view body and function that uses the old
    name, so it goes with the application's change (a view with the old name can bridge the gap).

    ## False positives
    A schema shared with a tool that chose the names. Ignore it for the object with an
    `ignore-objects` entry (`rule = "CON018"`, `object = "public.user"`).
    """
    for t in judged_tables(snap):
        if t.name in MUST_QUOTE:
            yield Hit(
                obj=table_obj(t),
                message=f"table {t.qualified} is named with the reserved word {t.name}: every query must quote it",
                evidence={"word": t.name},
            )
        for col in snap.columns_of.get(t.oid, []):
            if col.name in MUST_QUOTE:
                yield Hit(
                    obj=column_obj(t, col.name),
                    message=f"column {col.name} of {t.qualified} is a reserved word: every query must quote it",
                    evidence={"word": col.name},
                )
