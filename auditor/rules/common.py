"""Helpers the checks share: object references, sizes, and index coverage tests."""

from __future__ import annotations

import dataclasses
import re

from auditor.analysis.acl import PRIVILEGE_NAMES
from auditor.analysis.acl import parse as parse_acl
from auditor.analysis.tenant_columns import TENANT_COLUMNS  # noqa: F401  (the rules read it from here)
from auditor.base.names import column_list, quote_ident, quote_literal
from auditor.base.text import sql_comment
from auditor.base.thresholds import threshold
from auditor.catalog.model import Constraint, Index, Snapshot, Table, View
from auditor.rules.fixnames import new_name
from auditor.rules.registry import Obj
from auditor.rules.runtime_sql import partitioned_index_sql

LARGE_TABLE_ROWS = threshold("large_table_rows", 1_000_000, "estimated rows from which a table counts as large")
SMALL_TABLE_ROWS = threshold("small_table_rows", 1_000, "estimated rows under which a table counts as small")


def table_obj(t: Table) -> Obj:
    return Obj("partitioned table" if t.is_partitioned else "table", t.schema, t.name, None)


def column_obj(t: Table, column: str) -> Obj:
    return Obj("column", t.schema, t.name, column)


def constraint_obj(t: Table, c: Constraint) -> Obj:
    return Obj("constraint", t.schema, t.name, c.name)


def index_obj(t: Table, i: Index) -> Obj:
    return Obj("index", t.schema, t.name, i.name)


def human_bytes(n: int | None) -> str:
    if n is None:
        return "unknown"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def plain_btree(i: Index) -> bool:
    """A valid, full (non-partial) btree index: one that can serve any lookup on its leading columns."""
    return i.method == "btree" and i.is_valid and i.predicate is None


def leads_with(i: Index, columns: list[str]) -> bool:
    """The index's first len(columns) keys are exactly these columns, in any order."""
    n = len(columns)
    lead = i.columns[:n]
    return len(lead) == n and None not in lead and set(lead) == set(columns)


def create_index_sql(
    snap: Snapshot,
    t: Table,
    columns: list[str],
    name: str | None = None,
    *,
    using: str | None = None,
    where: str | None = None,
    if_not_exists: bool = False,
) -> str:
    """CREATE INDEX that runs as-is: CONCURRENTLY on a plain table; on a partitioned one (CONCURRENTLY is not
    allowed on its parent) ON ONLY the parent, then a copy per partition as they are when it runs, attached.
    `using` names the access method (btree when None), `where` makes it partial. `if_not_exists` (a plain
    table) lets two fixes that want the same index both run: the second skips it, and whatever checks the
    index afterwards finds the first one's (or none, if the name holds something else)."""
    suffix = "_".join(p for p in (using, "partial" if where else None, "idx") if p)
    name = name or new_name(snap, t, [t.name, "_".join(columns)], suffix)
    body = (f" USING {using}" if using else "") + f" ({column_list(columns)})" + (f" WHERE {where}" if where else "")
    if not t.is_partitioned:
        ine = "IF NOT EXISTS " if if_not_exists else ""
        return f"CREATE INDEX CONCURRENTLY {ine}{quote_ident(name)} ON {t.qualified}{body};"
    return partitioned_index_sql(t, name, body.lstrip() if using else f"USING btree{body}")


_VIEW_OPTION = re.compile(r"[a-z_]+=[A-Za-z0-9_]+")


def dependent_views(snap: Snapshot, tables: list[Table]) -> list[View]:
    """The views that read these tables, and the views that read those, in an order that creates each
    one after what it reads (drop them in reverse)."""
    reading = snap.views_reading
    found: dict[int, View] = {}
    stack = [t.oid for t in tables]
    while stack:
        for v in reading.get(stack.pop(), []):
            if v.oid not in found:
                found[v.oid] = v
                stack.append(v.oid)
    order: list[View] = []
    placed: set[int] = set()

    def place(v: View) -> None:
        if v.oid in placed:
            return
        placed.add(v.oid)
        for oid in v.reads:
            if oid in found:
                place(found[oid])
        order.append(v)

    for v in sorted(found.values(), key=lambda v: (v.schema, v.name)):
        place(v)
    return order


def _rebuildable(v: View) -> bool:
    return v.kind == "v" and v.definition is not None and all(_VIEW_OPTION.fullmatch(o) for o in v.options or [])


def _create_view_sql(v: View) -> list[str]:
    """A view as it was: its definition (pg_get_viewdef under a pinned search_path, so every name that
    needs it is qualified), options, owner, grants and comment."""
    with_opts = f" WITH ({', '.join(v.options)})" if v.options else ""
    body = (v.definition or "").strip().rstrip(";")
    out = [
        f"CREATE VIEW {v.qualified}{with_opts} AS\n{body};",
        f"ALTER VIEW {v.qualified} OWNER TO {quote_ident(v.owner)};",
    ]
    for item in parse_acl(v.acl):
        privileges = sorted({PRIVILEGE_NAMES[ch] for ch in item.privileges if ch in PRIVILEGE_NAMES})
        if item.grantee == v.owner or not privileges:
            continue
        grantee = quote_ident(item.grantee) if item.grantee else "PUBLIC"
        out.append(f"GRANT {', '.join(privileges)} ON {v.qualified} TO {grantee};")
    if v.comment is not None:
        out.append(f"COMMENT ON VIEW {v.qualified} IS {quote_literal(v.comment)};")
    return out


def invoker_view_sql(v: View) -> list[str]:
    """A materialized view rebuilt as a plain view of the same name, query, owner, grants and comment that runs
    as its reader (security_invoker, PostgreSQL 15+), so the policies of the tables it reads apply again."""
    return _create_view_sql(dataclasses.replace(v, kind="v", options=["security_invoker=true"]))


def retype_columns_sql(snap: Snapshot, changes: list[tuple[Table, str, str]], why: str) -> str:
    """ALTER COLUMN ... TYPE for several columns as one transaction, all or none. ALTER ... TYPE fails for
    a column a view uses, so the views reading these tables (and those reading them) are dropped and
    recreated inside it, as they were: definition, options, owner, grants, comment. A materialized view,
    or a view whose definition the audit could not read, cannot be rebuilt from the snapshot: the script
    then says so and leaves the ALTERs to fail on it (the transaction rolls back)."""
    tables = sorted({t.oid: t for t, _, _ in changes}.values(), key=lambda t: (t.schema, t.name))
    views = dependent_views(snap, tables)
    lines = [
        f"-- {sql_comment(why)}. Changing a type rewrites the table under an ACCESS EXCLUSIVE lock (dropping a",
        "-- numeric or varchar limit does not). One transaction: every column changes, or none does.",
    ]
    manual = [v for v in views if not _rebuildable(v)]
    if manual:
        shown = ", ".join(v.qualified for v in manual[:10]) + (
            f" and {len(manual) - 10} more" if len(manual) > 10 else ""
        )
        lines.append(
            f"-- {len(manual)} view(s) read these tables and cannot be rebuilt here ({sql_comment(shown)}):\n"
            "-- materialized, or their"
            " definition was not read. Save them (pg_get_viewdef, their indexes and grants), drop them, run this,\n"
            "-- then recreate them; until then the ALTERs fail for a column they use."
        )
        views = []
    lines += ["BEGIN;", "SET LOCAL search_path = pg_catalog, pg_temp;"]
    if views:
        lines.append(
            f"-- {len(views)} view(s) read these tables: dropped and recreated as they were, in this transaction"
        )
        lines += [f"DROP VIEW {v.qualified};" for v in reversed(views)]
    lines += [
        f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(col)} TYPE {new_type};"
        for t, col, new_type in sorted(changes, key=lambda c: (c[0].schema, c[0].name, c[1]))
    ]
    for v in views:
        lines += _create_view_sql(v)
    lines.append("COMMIT;")
    return "\n".join(lines)


def dependent_views_note(snap: Snapshot, tables: list[Table]) -> str:
    """A warning for fixes that change a column's type: ALTER ... TYPE fails while a view uses the column."""
    views = sorted({v.qualified for t in tables for v in snap.views_reading.get(t.oid, [])})
    if not views:
        return ""
    shown = ", ".join(views[:10]) + (f" and {len(views) - 10} more" if len(views) > 10 else "")
    return (
        f"-- {len(views)} view(s) read these tables ({sql_comment(shown)}); ALTER COLUMN ... TYPE fails for a\n"
        "-- column a view uses: save their definitions (pg_get_viewdef), drop them, run the ALTERs, then\n"
        "-- recreate them.\n"
    )
