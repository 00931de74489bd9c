"""CON016: a text column used as a boolean, judged from pg_stats values."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.common import column_obj
from auditor.rules.constraints._shared import (
    TEXT_TYPES,
    judged_tables,
)
from auditor.rules.guarded import transaction
from auditor.rules.registry import Hit, rule

BOOLEAN_SPELLINGS = [
    {"t", "f"}, {"true", "false"}, {"y", "n"}, {"yes", "no"}, {"0", "1"}, {"on", "off"},
]  # fmt: skip


def boolean_values(values: list[str]) -> bool:
    low = {v.strip().lower() for v in values}
    return any(low == spelling for spelling in BOOLEAN_SPELLINGS)  # both seen: a lone 'NO' may be Norway


@rule(
    "CON016",
    "boolean-stored-as-text",
    severity="low",
    subject="column",
    requires=("tables", "columns", "column_stats"),
    population="columns",
)
def boolean_stored_as_text(snap: Snapshot) -> Iterator[Hit]:
    """Text column that only ever holds yes/no values.

    ## Why it matters
    A flag kept as `'Y'`/`'N'`, `'true'`/`'false'` or `'0'`/`'1'` in a text column also accepts
    `'y'`, `'Yes'` and `'maybe'`; every query has to know the spelling, and it takes 2+ bytes and a
    collation where a boolean takes one byte.

    ## What it checks
    Text and varchar columns (generated ones left out) that pg_stats shows holding exactly the two
    spellings of one boolean pair: t/f, true/false, y/n, yes/no, 0/1 or on/off, in any case. Both
    must be seen, so a country column holding only 'NO' is left alone. The rule needs pg_stats: a
    table never analyzed, or whose statistics the auditing role cannot read, is not judged.

    ## Bad
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, is_admin varchar(1) NOT NULL DEFAULT 'N');
    INSERT INTO users
    SELECT g, 'user' || g || '@example.com', CASE WHEN g % 10 = 0 THEN 'Y' ELSE 'N' END
    FROM generate_series(1, 200) g;
    ANALYZE users;
    ```

    ## Good
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, is_admin boolean NOT NULL DEFAULT false);
    INSERT INTO users
    SELECT g, 'user' || g || '@example.com', g % 10 = 0
    FROM generate_series(1, 200) g;
    ANALYZE users;
    ```

    ## Fix
    ```sql
    -- rewrites the table under an ACCESS EXCLUSIVE lock; the cast accepts t/f, true/false, y/n, yes/no, on/off, 1/0:
    DO $guard$ BEGIN
      ALTER TABLE users ALTER COLUMN is_admin DROP DEFAULT;
      ALTER TABLE users ALTER COLUMN is_admin TYPE boolean USING trim(is_admin)::boolean;
      ALTER TABLE users ALTER COLUMN is_admin SET DEFAULT ('N')::boolean;
    END $guard$;
    ```
    One `DO` block, one transaction: a value the cast rejects rolls back the DROP DEFAULT too.

    ## False positives
    A column that has held two values so far but is meant to take more (a `'0'`/`'1'` level that
    will reach `'2'`), or one that a system outside the database reads as text. Suppress on the column:
    `COMMENT ON COLUMN users.is_admin IS 'pg-auditor: ignore CON016 -- the billing export reads Y/N'`
    (a comment on the table covers it too); or `--ignore CON016` / `ignore = ["CON016"]` in the config.
    """
    for t in judged_tables(snap):
        for col in snap.columns_of.get(t.oid, []):
            if col.base_type not in TEXT_TYPES or col.generated:
                continue
            stats = snap.column_stats_of.get((t.schema, t.name, col.name))
            if not stats or not stats.common_values or not 0 < stats.n_distinct <= 2:
                continue
            if not boolean_values(stats.common_values):
                continue
            name = quote_ident(col.name)
            default = f"ALTER TABLE {t.qualified} ALTER COLUMN {name} DROP DEFAULT;\n" if col.default else ""
            restore = (
                f"\nALTER TABLE {t.qualified} ALTER COLUMN {name} SET DEFAULT ({col.default})::boolean;"
                if col.default
                else ""
            )
            yield Hit(
                obj=column_obj(t, col.name),
                message=f"{col.name} ({col.type}) only holds {', '.join(sorted(stats.common_values))}: a boolean",
                evidence={"values_seen": sorted(stats.common_values), "type": col.type},
                # one transaction: a value the cast rejects rolls the DROP DEFAULT back with it
                fix="-- rewrites the table under an ACCESS EXCLUSIVE lock:\n"
                + transaction(
                    (
                        default
                        + f"\nALTER TABLE {t.qualified} ALTER COLUMN {name} TYPE boolean USING trim({name})::boolean;"
                        + restore
                    ).lstrip("\n")
                ),
            )
