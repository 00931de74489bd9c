"""CON014: columns of type money, json or char(n)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import quote_ident
from auditor.catalog.model import Column, Snapshot
from auditor.rules.common import table_obj
from auditor.rules.constraints._shared import (
    judged_tables,
)
from auditor.rules.registry import Hit, rule

DISCOURAGED = {
    "money": ("numeric(19,4)", "money rounds to lc_monetary's fraction digits and prints per locale"),
    "json": ("jsonb", "json keeps the text as typed: no equality, no GIN index, reparsed on every access"),
    "bpchar": ("text", "char(n) pads with spaces, which comparisons and lengths then trip over"),
}

DISPLAY_TYPE = {"money": "money", "json": "json", "bpchar": "char(n)"}


def discouraged(c: Column) -> tuple[str, str] | None:
    if c.base_type == "bpchar" and c.typmod in (-1, 5):  # char(1) flags are a habit, not a bug
        return None
    return DISCOURAGED.get(c.base_type)


@rule(
    "CON014",
    "discouraged-column-type",
    severity="low",
    subject="table",
    requires=("tables", "columns"),
    population="tables",
)
def discouraged_column_type(snap: Snapshot) -> Iterator[Hit]:
    """Columns of type money, json or char(n).

    ## Why it matters
    `money` rounds to the fraction digits of the server's `lc_monetary` and its text form changes
    with the locale, so a dump restored elsewhere can read back different amounts. `json` stores
    the text as typed: it has no equality operator, no GIN index, and is reparsed on every access;
    `jsonb` is what almost every use wants. `char(n)` pads with spaces, so lengths, comparisons with
    text and LIKE behave unexpectedly.

    ## What it checks
    Columns of type money, json or char(n) in the application's tables, one finding per table;
    `char(1)` flags (and bare `char`) are left out.

    ## Bad
    ```sql
    CREATE TABLE payments (id bigint PRIMARY KEY, amount money, raw json, currency char(3));
    ```

    ## Good
    ```sql
    CREATE TABLE payments (id bigint PRIMARY KEY, amount numeric(19,4), raw jsonb, currency text,
                           settled char(1));
    ```

    ## Fix
    ```sql
    -- rewrites the table once under an ACCESS EXCLUSIVE lock, all columns or none:
    ALTER TABLE payments
        ALTER COLUMN amount TYPE numeric(19,4),
        ALTER COLUMN raw TYPE jsonb,
        ALTER COLUMN currency TYPE text;
    ```

    ## False positives
    `json` is right when the exact text must be kept (key order, duplicate keys, whitespace), such as
    a webhook body whose signature is checked later; `char(n)` is harmless for codes that always fill
    the width (`char(2)` country codes). The finding is about the table, so the comment goes on the
    table and covers all its columns:
    `COMMENT ON TABLE payments IS 'pg-auditor: ignore CON014 -- raw keeps the signed webhook body'`;
    or `--ignore CON014` / `ignore = ["CON014"]` in the config.
    """
    for t in judged_tables(snap):
        bad = [(c, found) for c in snap.columns_of.get(t.oid, []) if (found := discouraged(c))]
        if not bad:
            continue
        yield Hit(
            obj=table_obj(t),
            message="; ".join(
                f"{', '.join(c.name for c, _ in bad if c.base_type == base)} "
                f"{'is' if sum(c.base_type == base for c, _ in bad) == 1 else 'are'} {DISPLAY_TYPE[base]}: {why}"
                for base, (_, why) in DISCOURAGED.items()
                if any(c.base_type == base for c, _ in bad)
            ),
            evidence={"columns": {c.name: c.type for c, _ in bad}},
            # one statement: one rewrite, and a value one cast rejects leaves every column as it was
            fix="-- rewrites the table once under an ACCESS EXCLUSIVE lock, all columns or none:\n"
            + f"ALTER TABLE {t.qualified}\n"
            + ",\n".join(f"    ALTER COLUMN {quote_ident(c.name)} TYPE {to}" for c, (to, _) in bad)
            + ";",
        )
