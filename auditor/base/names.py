"""Quote identifiers and literals the way PostgreSQL's quote_ident/quote_literal do, with no connection.

Fix SQL is printed for a human to run, so names are quoted only when they must be, exactly as
pg_dump would print them: a weird name (mixed case, spaces, quotes, keywords) still round-trips.
"""

from __future__ import annotations

import re
from functools import lru_cache

# PostgreSQL's keywords that quote_ident quotes, from kwlist.h: the reserved and type/function-name ones, which
# can never name a table or column unquoted, and the column-name ones (`time`, `position`, `values`), which may.
KEYWORD_NAMES = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "binary",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "collation",
        "column",
        "concurrently",
        "constraint",
        "create",
        "cross",
        "current_catalog",
        "current_date",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "freeze",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "ilike",
        "in",
        "initially",
        "inner",
        "intersect",
        "into",
        "is",
        "isnull",
        "join",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "natural",
        "not",
        "notnull",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "outer",
        "overlaps",
        "placing",
        "primary",
        "references",
        "returning",
        "right",
        "select",
        "session_user",
        "similar",
        "some",
        "symmetric",
        "system_user",
        "table",
        "tablesample",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "verbose",
        "when",
        "where",
        "window",
        "with",
    ]
)
COLUMN_NAME_KEYWORDS = frozenset(
    [
        "between",
        "bigint",
        "bit",
        "boolean",
        "char",
        "character",
        "coalesce",
        "dec",
        "decimal",
        "exists",
        "extract",
        "float",
        "greatest",
        "grouping",
        "inout",
        "int",
        "integer",
        "interval",
        "json",
        "json_array",
        "json_arrayagg",
        "json_exists",
        "json_object",
        "json_objectagg",
        "json_query",
        "json_scalar",
        "json_serialize",
        "json_table",
        "json_value",
        "least",
        "merge_action",
        "national",
        "nchar",
        "none",
        "normalize",
        "nullif",
        "numeric",
        "out",
        "overlay",
        "position",
        "precision",
        "real",
        "row",
        "setof",
        "smallint",
        "substring",
        "time",
        "timestamp",
        "treat",
        "trim",
        "values",
        "varchar",
        "xmlattributes",
        "xmlconcat",
        "xmlelement",
        "xmlexists",
        "xmlforest",
        "xmlnamespaces",
        "xmlparse",
        "xmlpi",
        "xmlroot",
        "xmlserialize",
        "xmltable",
    ]
)
RESERVED = KEYWORD_NAMES | COLUMN_NAME_KEYWORDS

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


@lru_cache(maxsize=1 << 13)
def quote_ident(name: str) -> str:
    """Quote a name only when PostgreSQL needs it to read it back unchanged (cached: findings and their
    fixes name the same tables and columns over and over, a million times on a large catalog)."""
    if _PLAIN.fullmatch(name) and name not in RESERVED:  # fullmatch: "$" would accept a trailing newline
        return name
    return '"' + name.replace('"', '""') + '"'


@lru_cache(maxsize=1 << 13)
def qualified(schema: str | None, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)


def column_list(columns: list[str] | tuple[str, ...]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def quote_literal(value: str) -> str:
    """A standard-conforming string literal (E'' form when it holds a backslash, as quote_literal does)."""
    body = value.replace("'", "''")
    if "\\" in body:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


def index_name(table: str, columns: list[str] | tuple[str, ...], suffix: str = "idx") -> str:
    """A name for a proposed index, within PostgreSQL's 63-byte limit, as CREATE INDEX would derive it."""
    parts = [table, "_".join(columns)] if columns else [table]
    # As PostgreSQL's makeObjectName: shorten the longer part, never the suffix, so the name stays
    # distinct from the table's (a 63-byte table name would otherwise collide with its own index).
    while len("_".join([*parts, suffix]).encode("utf-8")) > 63:
        longer = max(range(len(parts)), key=lambda i: len(parts[i].encode("utf-8")))
        parts[longer] = parts[longer][:-1]
    return "_".join([*parts, suffix])
