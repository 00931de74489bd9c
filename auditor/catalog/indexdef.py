"""An index's definition exactly as pg_get_indexdef() prints it, assembled from the parts queries/indexes.sql reads.

pg_get_indexdef() looks up the default opclass of every key with a scan of pg_opclass: on a 50,000-index catalog
that was about half the indexes query, for definitions most of which are never read. The query returns the parts
instead (names quoted by the server, what follows each key decided there, once per access method and type for the
default opclass) and Index.definition joins them on first use. One decision is left to Python: a collation on an
expression key prints only when it is not the expression's own (exprCollation), which only the expression's node
tree tells.

Known limit: where an expression's index column stores another type than the expression's (the opclass's
opckeytype, as brin's minmax opclasses and gin's have, or the access method's, as hash stores int4), the
expression's type is not in the catalogs, and a default opclass counts as the expression's own default. So an
explicitly named default opclass of another input type is left out there: pg_get_indexdef prints
`USING hash (((v)::character varying) bpchar_ops)`, this prints it without `bpchar_ops`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.catalog.model import Index


def index_definition(i: Index) -> str:
    """CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING method (keys) [INCLUDE (...)]
    [NULLS NOT DISTINCT] [WITH (...)] [WHERE ...], as pg_get_indexdef(oid) prints it."""
    return index_head(i) + index_body(i)


def index_head(i: Index) -> str:
    """CREATE [UNIQUE ]INDEX name ON [ONLY ]schema.table USING method, from its parts ("": none saved)."""
    if i.definition_on is None:
        return i.definition_head or ""
    return f"CREATE {'UNIQUE ' if i.is_unique else ''}INDEX {i.quoted_name or i.name} ON {i.definition_on}"


def index_body(i: Index, nulls_not_distinct: bool | None = None, where: str | None = None) -> str:
    """What follows `USING method` in the definition: ` (keys) [INCLUDE (...)] [NULLS NOT DISTINCT]
    [WITH (...)] [WHERE ...]`, each part as the server quoted it. Fixes rebuild an index from it under
    another name (never by cutting the printed definition, where a name may hold ` ON ` or a newline);
    `nulls_not_distinct` overrides the index's own, `where` adds a predicate to an index that has none."""
    out = [" ("]
    expression_colls = expression_collations(i) if i.expression_collations else None
    for k in range(i.key_count):
        if k:
            out.append(", ")
        expression = i.definition_keys[k] if i.definition_keys else None
        out.append(i.keys[k] if expression is None else expression)
        if expression_colls and expression_colls[k]:
            out.append(" COLLATE " + expression_colls[k])
        if i.definition_suffixes:
            out.append(i.definition_suffixes[k])
    if i.definition_include:
        out.append(") INCLUDE (")
        out.append(", ".join(i.definition_include))
    out.append(")")
    if i.nulls_not_distinct if nulls_not_distinct is None else nulls_not_distinct:
        out.append(" NULLS NOT DISTINCT")
    if i.definition_with:
        out.append(f" WITH ({i.definition_with})")
    predicate = i.definition_predicate if i.definition_predicate is not None else where
    if predicate is not None:
        out.append(" WHERE " + predicate)
    return "".join(out)


def expression_collations(i: Index) -> list[str | None]:
    """Per key, the COLLATE an expression key prints: its index collation where that differs from the
    expression's own (an explicit COLLATE in CREATE INDEX), None elsewhere."""
    names = i.expression_collations or []
    oids = i.collation_oids or []
    own = top_level_collations(i.expressions or "")
    out: list[str | None] = []
    expression_no = 0
    for k, name in enumerate(names):
        if i.columns[k] is not None:
            out.append(None)
            continue
        mine = own[expression_no] if expression_no < len(own) else None
        expression_no += 1
        # Unknown node kinds count as the expression's own collation: no explicit COLLATE is the usual case.
        out.append(name if name is not None and mine is not None and mine != oids[k] else None)
    return out


# ---- pg_node_tree: just enough to read each top-level expression's result collation ---------------------------

# The field holding exprCollation() for each node kind (labels as outfuncs.c writes them, old and new spellings).
_COLLATION_FIELD = {
    "VAR": "varcollid",
    "CONST": "constcollid",
    "PARAM": "paramcollid",
    "FUNCEXPR": "funccollid",
    "OPEXPR": "opcollid",
    "DISTINCTEXPR": "opcollid",
    "NULLIFEXPR": "opcollid",
    "RELABELTYPE": "resultcollid",
    "COERCEVIAIO": "resultcollid",
    "ARRAYCOERCEEXPR": "resultcollid",
    "COERCETODOMAIN": "resultcollid",
    "FIELDSELECT": "resultcollid",
    "COLLATEEXPR": "collOid",
    "COLLATE": "collOid",
    "CASE": "casecollid",
    "CASEEXPR": "casecollid",
    "ARRAY": "array_collid",
    "ARRAYEXPR": "array_collid",
    "COALESCE": "coalescecollid",
    "COALESCEEXPR": "coalescecollid",
    "MINMAX": "minmaxcollid",
    "MINMAXEXPR": "minmaxcollid",
    "SUBSCRIPTINGREF": "refcollid",
    "JSONEXPR": "collation",
}
# Node kinds whose result is never collatable (booleans, rows).
_NO_COLLATION = frozenset(
    {
        "BOOLEXPR",
        "NULLTEST",
        "BOOLEANTEST",
        "SCALARARRAYOPEXPR",
        "ROWCOMPAREEXPR",
        "ROW",
        "ROWEXPR",
        "CONVERTROWTYPEEXPR",
        "FIELDSTORE",
        "JSONISPREDICATE",
    }
)
_XMLSERIALIZE = "6"  # XmlExprOp IS_XMLSERIALIZE: the only XmlExpr with a (default) collation
_DEFAULT_COLLATION = 100


def top_level_collations(tree: str) -> list[int | None]:
    """exprCollation() of each expression in an indexprs node tree; None where the node kind is unknown."""
    tokens = _tokens(tree)
    if not tokens or tokens[0] is not _OPEN_LIST:
        return []
    out: list[int | None] = []
    pos = 1
    while pos < len(tokens) and tokens[pos] is not _CLOSE_LIST:
        if tokens[pos] is _OPEN_NODE:
            node, pos = _node(tokens, pos)
            out.append(_collation(node))
        else:
            pos += 1
    return out


def _collation(node: tuple[str, dict[str, object]]) -> int | None:
    label, fields = node
    if label in _NO_COLLATION:
        return 0
    if label == "XMLEXPR":
        return _DEFAULT_COLLATION if fields.get("op") == _XMLSERIALIZE else 0
    field = _COLLATION_FIELD.get(label)
    value = fields.get(field) if field else None
    return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else None


class _Mark(str):
    """A structural token: ( ) { } unescaped (an escaped one is plain text)."""


_OPEN_LIST, _CLOSE_LIST, _OPEN_NODE, _CLOSE_NODE = _Mark("("), _Mark(")"), _Mark("{"), _Mark("}")
_MARKS = {"(": _OPEN_LIST, ")": _CLOSE_LIST, "{": _OPEN_NODE, "}": _CLOSE_NODE}


def _tokens(text: str) -> list[str]:
    """pg_strtok(): whitespace separates tokens, ( ) { } stand alone, a backslash makes the next character plain."""
    out: list[str] = []
    word: list[str] = []
    escaped_word = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            word.append(text[i + 1])
            escaped_word = escaped_word or len(word) == 1
            i += 2
            continue
        if ch in " \t\n" or ch in _MARKS:
            if word:
                out.append("".join(word) if not escaped_word else "\\" + "".join(word))
                word, escaped_word = [], False
            if ch in _MARKS:
                out.append(_MARKS[ch])
            i += 1
            continue
        word.append(ch)
        i += 1
    if word:
        out.append("".join(word))
    return out


def _node(tokens: list[str], pos: int) -> tuple[tuple[str, dict[str, object]], int]:
    """{LABEL :field value ...} from tokens[pos] (the brace); returns the node and the position after it."""
    label = tokens[pos + 1]
    pos += 2
    fields: dict[str, object] = {}
    current: str | None = None
    while pos < len(tokens) and tokens[pos] is not _CLOSE_NODE:
        tok = tokens[pos]
        value: object
        if tok is _OPEN_NODE:
            value, pos = _node(tokens, pos)
        elif tok is _OPEN_LIST:
            value, pos = _skip_list(tokens, pos)
        elif not isinstance(tok, _Mark) and tok.startswith(":"):
            current = tok[1:]
            fields.setdefault(current, None)
            pos += 1
            continue
        else:
            value, pos = tok, pos + 1
        if current is not None and fields.get(current) is None:
            fields[current] = value
    return (label, fields), pos + 1


def _skip_list(tokens: list[str], pos: int) -> tuple[None, int]:
    depth = 0
    while pos < len(tokens):
        tok = tokens[pos]
        if tok is _OPEN_LIST or tok is _OPEN_NODE:
            depth += 1
        elif tok is _CLOSE_LIST or tok is _CLOSE_NODE:
            depth -= 1
            if depth == 0:
                return None, pos + 1
        pos += 1
    return None, pos
