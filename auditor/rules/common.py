"""Helpers the checks share: object references, sizes, and index coverage tests."""

from __future__ import annotations

from auditor.analysis.tenant_columns import TENANT_COLUMNS  # noqa: F401  (the rules read it from here)
from auditor.base.names import column_list, quote_ident
from auditor.base.text import sql_comment
from auditor.base.thresholds import threshold
from auditor.catalog.model import Constraint, Index, Snapshot, Table
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
) -> str:
    """CREATE INDEX that runs as-is: CONCURRENTLY on a plain table; on a partitioned one (CONCURRENTLY is not
    allowed on its parent) ON ONLY the parent, then a copy per partition as they are when it runs, attached.
    `using` names the access method (btree when None), `where` makes it partial."""
    suffix = "_".join(p for p in (using, "partial" if where else None, "idx") if p)
    name = name or new_name(snap, t, [t.name, "_".join(columns)], suffix)
    body = (f" USING {using}" if using else "") + f" ({column_list(columns)})" + (f" WHERE {where}" if where else "")
    if not t.is_partitioned:
        return f"CREATE INDEX CONCURRENTLY {quote_ident(name)} ON {t.qualified}{body};"
    return partitioned_index_sql(t, name, body.lstrip() if using else f"USING btree{body}")


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
