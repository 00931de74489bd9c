"""What a statement filters, joins and sorts on, read by the real PostgreSQL parser (pglast, libpg_query).

parse_statement(text) -> Parsed | None: the tables of a single SELECT's FROM list and the columns its
WHERE and JOIN conditions compare (equality, range) and its ORDER BY sorts, each with the alias or
table it was written with. Only what an index on plain columns can serve is kept: `col = $1`,
`col IN (...)`, `col < $1`, `BETWEEN`, `col IS NULL`, `a.x = b.y` across two tables; a condition
under OR or NOT, on an expression (`lower(email)`), in a subquery or a CTE is left out, so a
candidate is never built on a column the statement does not compare as written.

Pure: no database, no snapshot. catalog/workload.py resolves the names against the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_sql
from pglast.parser import ParseError

EQUALITY_OPS = {"="}
RANGE_OPS = {"<", "<=", ">", ">="}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class Ref:
    """A column as written: qualifier is the alias or table name before the dot (None: unqualified)."""

    qualifier: str | None
    column: str


@dataclass(frozen=True)
class Source:
    """A table of the FROM list: schema as written (None: on the search_path), name, alias."""

    schema: str | None
    name: str
    alias: str | None


@dataclass
class Parsed:
    sources: list[Source] = field(default_factory=list)
    equality: list[Ref] = field(default_factory=list)  # compared with = / IN / IS NULL to a value
    ranges: list[Ref] = field(default_factory=list)  # compared with < <= > >= / BETWEEN to a value
    joins: list[tuple[Ref, Ref]] = field(default_factory=list)  # a.x = b.y
    sorts: list[Ref] = field(default_factory=list)  # ORDER BY columns, in order
    limited: bool = False  # LIMIT: an index in ORDER BY order can stop early
    params: int = 0  # the highest $n


def parse_statement(text: str) -> Parsed | None:
    """The parts of one plain SELECT an index could serve, or None (not one SELECT, or not parsable)."""
    try:
        stmts = parse_sql(text)
    except ParseError:
        return None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.SelectStmt):
        return None
    select = stmts[0].stmt
    if select.op is not None and getattr(select.op, "name", "SETOP_NONE") != "SETOP_NONE":
        return None  # UNION / INTERSECT / EXCEPT: each arm is a statement of its own
    if select.valuesLists:
        return None
    out = Parsed(params=max((n.number for n in walk(select) if isinstance(n, ast.ParamRef)), default=0))
    for item in select.fromClause or ():
        read_from(item, out)
    if not out.sources:
        return None
    read_condition(select.whereClause, out)
    for sort in select.sortClause or ():
        ref = column_ref(sort.node)
        if ref is None:
            break  # an expression: the columns after it cannot follow an index's order
        out.sorts.append(ref)
    out.limited = select.limitCount is not None
    return out


def read_from(item: Any, out: Parsed) -> None:
    """Tables of a FROM item; the ON conditions of inner joins are read as WHERE conditions."""
    if isinstance(item, ast.RangeVar):
        alias = item.alias.aliasname if item.alias else None
        out.sources.append(Source(item.schemaname, item.relname, alias))
    elif isinstance(item, ast.JoinExpr):
        read_from(item.larg, out)
        read_from(item.rarg, out)
        if getattr(item.jointype, "name", "") in ("JOIN_INNER", "JOIN_LEFT", "JOIN_RIGHT"):
            read_condition(item.quals, out)


def read_condition(node: Any, out: Parsed) -> None:
    """AND-ed comparisons of a column with a value, or of two columns; anything else is left out."""
    if node is None:
        return
    if isinstance(node, ast.BoolExpr):
        if getattr(node.boolop, "name", "") == "AND_EXPR":
            for arg in node.args:
                read_condition(arg, out)
        return  # OR, NOT: no single index column serves it
    if isinstance(node, ast.NullTest):
        ref = column_ref(node.arg)
        if ref is not None and getattr(node.nulltesttype, "name", "") == "IS_NULL":
            out.equality.append(ref)
        return
    if not isinstance(node, ast.A_Expr):
        return
    kind = getattr(node.kind, "name", "")
    op = node.name[-1].sval if node.name else ""
    left, right = column_ref(node.lexpr), column_ref(node.rexpr)
    if kind == "AEXPR_IN" and op == "=" and left is not None and is_value(node.rexpr):
        out.equality.append(left)
    elif kind == "AEXPR_BETWEEN" and left is not None and is_value(node.rexpr):
        out.ranges.append(left)
    elif kind == "AEXPR_OP" and op in EQUALITY_OPS | RANGE_OPS:
        if left is not None and right is not None:
            if op in EQUALITY_OPS:
                out.joins.append((left, right))
        elif left is not None and is_value(node.rexpr):
            (out.equality if op in EQUALITY_OPS else out.ranges).append(left)
        elif right is not None and is_value(node.lexpr):
            (out.equality if op in EQUALITY_OPS else out.ranges).append(right)


def column_ref(node: Any) -> Ref | None:
    """`col`, `t.col` or `s.t.col` (the table kept as qualifier); None for anything else."""
    if not isinstance(node, ast.ColumnRef):  # col::text, lower(col): an index on the column may not serve it
        return None
    parts = [f.sval for f in node.fields if isinstance(f, ast.String)]
    if len(parts) != len(node.fields) or not parts:
        return None  # t.* or something stranger
    if len(parts) == 1:
        return Ref(None, parts[0])
    return Ref(parts[-2], parts[-1])


def is_value(node: Any) -> bool:
    """A value fixed for the statement's run: parameters, constants and anything built from them alone
    (`$1::date`, `now() - $1`, a list for IN), never a column or a subquery."""
    if node is None or (isinstance(node, list | tuple) and not node):
        return False
    return not any(isinstance(n, ast.ColumnRef | ast.SubLink | ast.A_Star) for n in walk(node))


def walk(node: Any) -> Iterator[Any]:
    """Every node under `node` (itself included), depth first."""
    if isinstance(node, list | tuple):
        for n in node:
            yield from walk(n)
        return
    if not isinstance(node, ast.Node):
        return
    yield node
    for name in type(node).__slots__:
        value = getattr(node, name, None)
        if isinstance(value, ast.Node | list | tuple):
            yield from walk(value)
