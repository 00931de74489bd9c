"""Quote identifiers and literals the way PostgreSQL's quote_ident/quote_literal do, with no connection.

Fix SQL is printed for a human to run, so names are quoted only when they must be, exactly as
pg_dump would print them: a weird name (mixed case, spaces, quotes, keywords) still round-trips.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from auditor.base.text import UNSAFE_CHARS

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

# Characters never printed raw into SQL: a line break would end a `--` comment around a name, and
# controls, invisible and bidi-override characters hide what a statement does (the set strip_controls shows).
_UNSAFE = UNSAFE_CHARS


def _code_point(ch: str) -> str:
    cp = ord(ch)
    return f"\\{cp:04x}" if cp <= 0xFFFF else f"\\+{cp:06x}"


@lru_cache(maxsize=1 << 13)
def quote_ident(name: str) -> str:
    """Quote a name only when PostgreSQL needs it to read it back unchanged (cached: findings and their
    fixes name the same tables and columns over and over, a million times on a large catalog).

    A name holding a line break or another control character is printed in Unicode-escape form,
    U&"a\\000ab": the SQL text then holds no such character, so a quoted name can never end a comment
    or hide a statement. U&"..." identifiers read the same whatever standard_conforming_strings says."""
    if _PLAIN.fullmatch(name) and name not in RESERVED:  # fullmatch: "$" would accept a trailing newline
        return name
    body = name.replace('"', '""')
    if not _UNSAFE.search(name):
        return '"' + body + '"'
    return 'U&"' + _UNSAFE.sub(lambda m: _code_point(m.group()), body.replace("\\", "\\\\")) + '"'


@lru_cache(maxsize=1 << 13)
def qualified(schema: str | None, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)


def column_list(columns: list[str] | tuple[str, ...]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


_LITERAL_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _literal_escape(ch: str) -> str:
    cp = ord(ch)
    if ch in _LITERAL_ESCAPES:
        return _LITERAL_ESCAPES[ch]
    return f"\\x{cp:02x}" if cp < 0x80 else f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def quote_literal(value: str) -> str:
    """A string literal that reads back unchanged whatever standard_conforming_strings says: plain
    '...' when it holds no backslash and no control character, else E'...' with the backslash doubled
    and line breaks and controls as escapes (never raw), so the SQL text holds none of them.
    (U&'...' is refused when standard_conforming_strings is off; E'...' always works.)"""
    body = value.replace("'", "''")
    if "\\" not in body and not _UNSAFE.search(body):
        return "'" + body + "'"
    return "E'" + _UNSAFE.sub(lambda m: _literal_escape(m.group()), body.replace("\\", "\\\\")) + "'"


def regclass_literal(schema: str, name: str) -> str:
    """A relation's name as a string literal for a regclass argument (nextval('...')): every part in
    double quotes, as regclass input reads it (it does not read U&"..." forms), then quote_literal,
    which escapes any line break."""
    return quote_literal(".".join('"' + p.replace('"', '""') + '"' for p in (schema, name)))


def _shorten(text: str, limit: int) -> str:
    """text cut to at most `limit` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[: max(limit, 0)].decode("utf-8", errors="ignore")


def fit_name(parts: list[str] | tuple[str, ...], suffix: str) -> str:
    """parts and suffix joined by "_", within PostgreSQL's 63-byte limit (NAMEDATALEN - 1).

    A name that must be cut keeps its suffix and gets a short hash of the whole name before it, so two
    long names that differ only past the cut (partitions events_..._2024_01 and _02) stay distinct.
    The longest part is cut first, as PostgreSQL's makeObjectName does, by bytes on a character boundary."""
    parts = [p for p in parts if p]
    tail = [suffix] if suffix else []
    full = "_".join([*parts, *tail])
    if len(full.encode("utf-8")) <= 63:
        return full
    tag = hashlib.sha256(full.encode("utf-8")).hexdigest()[:8]
    tail = [tag, *tail]
    budget = 63 - len("_".join(["", *tail]).encode("utf-8"))
    if len(tail[-1].encode("utf-8")) > 40:  # an absurd suffix: cut it too
        return _shorten(full, 63 - 9) + "_" + tag
    while parts and len("_".join(parts).encode("utf-8")) > budget:
        longer = max(range(len(parts)), key=lambda i: len(parts[i].encode("utf-8")))
        over = len("_".join(parts).encode("utf-8")) - budget
        parts[longer] = _shorten(parts[longer], len(parts[longer].encode("utf-8")) - over)
        if not parts[longer]:
            del parts[longer]
    return "_".join([*parts, *tail])


def index_name(table: str, columns: list[str] | tuple[str, ...], suffix: str = "idx") -> str:
    """A name for a proposed index, within PostgreSQL's 63-byte limit (fit_name; no snapshot: for a name
    checked against the database's existing ones, rules call rules.fixnames.new_name)."""
    return fit_name([table, "_".join(columns)] if columns else [table], suffix)
