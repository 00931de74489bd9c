"""Helpers the checks share: object references, sizes, and index coverage tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from auditor.analysis.acl import PRIVILEGE_NAMES
from auditor.analysis.acl import parse as parse_acl
from auditor.analysis.tenant_columns import TENANT_COLUMNS  # noqa: F401  (the rules read it from here)
from auditor.base.names import column_list, quote_ident, quote_literal
from auditor.base.text import sql_comment
from auditor.base.thresholds import threshold
from auditor.catalog.model import Constraint, Index, Snapshot, Table, View
from auditor.rules.fixnames import new_name
from auditor.rules.guarded import commented, covers, drop_index_guarded_sql, index_there
from auditor.rules.registry import Obj, Skip
from auditor.rules.runtime_sql import partitioned_index_sql

LARGE_TABLE_ROWS = threshold("large_table_rows", 1_000_000, "estimated rows from which a table counts as large")
SMALL_TABLE_ROWS = threshold("small_table_rows", 1_000, "estimated rows under which a table counts as small")
INDEX_STATS_MIN_DAYS = threshold(
    "index_stats_min_days", 7, "usage statistics younger than this many days leave usage-based rules not evaluated"
)


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
    if_not_exists: bool = True,
) -> str:
    """CREATE INDEX that runs as-is: CONCURRENTLY on a plain table; on a partitioned one (CONCURRENTLY is not
    allowed on its parent) ON ONLY the parent, then a copy per partition as they are when it runs, attached.
    `using` names the access method (btree when None), `where` makes it partial. IF NOT EXISTS (the default):
    new_name gives one name per request (table, columns, method), so two findings that propose the same index
    (IDX008 for each btree on one array column) build it once in a fix script, each fix still runs on its own,
    and whatever checks the index afterwards (the guarded drops) finds it, or none if the name holds another."""
    suffix = "_".join(p for p in (using, "partial" if where else None, "idx") if p)
    name = name or new_name(snap, t, [t.name, "_".join(columns)], suffix)
    body = (f" USING {using}" if using else "") + f" ({column_list(columns)})" + (f" WHERE {where}" if where else "")
    if not t.is_partitioned:
        ine = "IF NOT EXISTS " if if_not_exists else ""
        return f"CREATE INDEX CONCURRENTLY {ine}{quote_ident(name)} ON {t.qualified}{body};"
    return partitioned_index_sql(t, name, body.lstrip() if using else f"USING btree{body}")


def referencing_index_sql(snap: Snapshot, t: Table, columns: list[str], name: str) -> str:
    """The index a new foreign key's lookups need on its referencing side (IDX001), as a line of a fix, unless a
    plain btree index already leads with its columns: '' then."""
    if any(plain_btree(i) and leads_with(i, columns) for i in snap.indexes_of.get(t.oid, [])):
        return ""
    return create_index_sql(snap, t, columns, name) + "\n"


_VIEW_OPTION = re.compile(r"[a-z_]+=[A-Za-z0-9_]+")


def unique_key_sql(snap: Snapshot, t: Table, columns: list[str]) -> str:
    """The UNIQUE (tenant, key) a composite foreign key to t needs, unless t has one: IF NOT EXISTS under the
    name new_name gives this request (the same for every rule and fix of a run), so each fix that needs it
    builds it or finds it built, on its own. '' when a valid, whole unique index on those columns exists."""
    if any(
        i.is_unique and i.is_valid and i.predicate is None and set(c for c in i.columns if c) == set(columns)
        for i in snap.indexes_of.get(t.oid, [])
    ):
        return ""
    name = new_name(snap, t, [t.name, *columns], "key")
    conc = "" if t.is_partitioned else "CONCURRENTLY "
    create = f"CREATE UNIQUE INDEX {conc}IF NOT EXISTS {quote_ident(name)} ON {t.qualified} ({column_list(columns)});\n"
    same = next((i for i in snap.indexes_of.get(t.oid, []) if same_plain_keys(i, columns)), None)
    if same is None or t.is_partitioned:
        return create
    # a plain index on the same columns is a duplicate of the unique one (IDX002): it goes once that is there
    keep = index_there(t.schema, name, "k", covers(snap))
    return (
        f"{create}-- {quote_ident(same.name)} on the same columns is not needed beside it:\n"
        f"{drop_index_guarded_sql(t, same, [keep], if_there=True)}\n"
    )


def same_plain_keys(i: Index, columns: list[str]) -> bool:
    """A valid, whole, non-unique btree index on exactly these columns, in this order, and no others, with the
    default operator classes, collations and order (what a plain CREATE UNIQUE INDEX on them covers)."""
    return (
        not i.is_unique
        and not i.include_columns
        and not any(i.options)
        and not any(i.definition_suffixes or [])
        and i.is_valid
        and i.predicate is None
        and i.method == "btree"
        and not i.has_expressions
        and i.columns == columns
        and i.key_count == len(columns)
    )


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


def in_index_expression(snap: Snapshot, t: Table, column: str) -> bool:
    """The column appears in an index's predicate or expression key (`WHERE created_at >= '2023-09-12'`):
    changed to timestamptz, the comparison with a timestamp needs the session's zone and the ALTER fails."""
    word = re.compile(rf'(?<![\w"])({re.escape(column)}|{re.escape(quote_ident(column))})(?![\w"])')
    for i in snap.indexes_of.get(t.oid, []):
        texts = [i.predicate or "", *(k for k, c in zip(i.keys, i.columns, strict=False) if c is None)]
        if any(word.search(x) for x in texts):
            return True
    return False


def _cannot_retype(snap: Snapshot, t: Table, column: str, new_type: str) -> bool:
    """ALTER ... TYPE refuses a partition key column, and (to a time zone type) one an index predicate or
    expression compares with a timestamp constant."""
    if column in t.partition_key_columns:
        return True
    zoned = new_type in ("timestamptz", "timestamp with time zone") or new_type.endswith("with time zone")
    return zoned and in_index_expression(snap, t, column)


def retype_columns_sql(
    snap: Snapshot,
    changes: list[tuple[Table, str, str]],
    why: str,
    settings: tuple[str, ...] = (),
    partial: bool = False,
) -> str:
    """ALTER COLUMN ... TYPE for several columns as one transaction, all or none. ALTER ... TYPE fails for
    a column a view uses, so the views reading these tables (and those reading them) are dropped and
    recreated inside it, as they were: definition, options, owner, grants, comment. A materialized view,
    or a view whose definition the audit could not read, cannot be rebuilt from the snapshot: a table it
    reads is left out, named in a comment, when the columns are independent (`partial`, CON008); otherwise
    the whole change is printed as comments for the DBA (it would fail on that view and stop a script).
    `settings` are SET LOCAL statements the ALTERs need (a TimeZone), kept to the transaction."""
    stuck = [(t, c) for t, c, new_type in changes if _cannot_retype(snap, t, c, new_type)]
    if stuck and partial:
        changes = [(t, c, n) for t, c, n in changes if (t, c) not in stuck]
    tables = sorted({t.oid: t for t, _, _ in changes}.values(), key=lambda t: (t.schema, t.name))
    lines = [
        f"-- {sql_comment(why)}. Changing a type rewrites the table under an ACCESS EXCLUSIVE lock (dropping a",
        "-- numeric or varchar limit does not). One transaction: every column changes, or none does.",
    ]
    blocked = {t.oid: [v for v in dependent_views(snap, [t]) if not _rebuildable(v)] for t in tables}
    blocked = {oid: views for oid, views in blocked.items() if views}
    if stuck:
        shown = ", ".join(f"{t.qualified}.{quote_ident(c)}" for t, c in stuck[:10]) + (
            " ..." if len(stuck) > 10 else ""
        )
        lines.append(
            f"-- {len(stuck)} column(s) cannot change type in place (in a partition key, or compared with a timestamp"
            f" in an index\n-- predicate or expression: rebuild that index first): {sql_comment(shown)}"
            + ("; left out." if partial else "; so nothing below runs as printed.")
        )
    if blocked:
        manual = sorted({v.qualified for views in blocked.values() for v in views})
        held = [t for t in tables if t.oid in blocked]
        shown = ", ".join(manual[:10]) + (f" and {len(manual) - 10} more" if len(manual) > 10 else "")
        lines.append(
            f"-- {len(manual)} view(s) that cannot be rebuilt here (materialized, or their definition was not read:"
            f" {sql_comment(shown)})\n-- read {len(held)} of these tables"
            + (
                f" ({sql_comment(', '.join(t.qualified for t in held[:10]))}{' ...' if len(held) > 10 else ''}):"
                " their columns are left out.\n-- Save those views (pg_get_viewdef, indexes, grants), drop them,"
                " change the columns, then recreate them."
                if partial
                else ". Save them (pg_get_viewdef, indexes, grants), drop them, run the statements below\n"
                "-- (commented out: they fail while those views exist), then recreate them."
            )
        )
        if partial:
            changes = [c for c in changes if c[0].oid not in blocked]
            tables = [t for t in tables if t.oid not in blocked]
            if not changes:
                return "\n".join(lines)
    views = [v for v in dependent_views(snap, tables) if _rebuildable(v)]
    body = ["BEGIN;", "SET LOCAL search_path = pg_catalog, pg_temp;", *settings]
    if views:
        body.append(
            f"-- {len(views)} view(s) read these tables: dropped and recreated as they were, in this transaction"
        )
        body += [f"DROP VIEW {v.qualified};" for v in reversed(views)]
    body += [
        f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(col)} TYPE {new_type};"
        for t, col, new_type in sorted(changes, key=lambda c: (c[0].schema, c[0].name, c[1]))
    ]
    for v in views:
        body += _create_view_sql(v)
    body.append("COMMIT;")
    if (blocked or stuck) and not partial:
        return "\n".join([*lines, commented("\n".join(body))])
    return "\n".join([*lines, *body])


def block_size(snap: Snapshot) -> int:
    """The server's page size (relpages x this = bytes)."""
    return int(snap.server.settings.get("block_size") or 8192)


def parse_time(value: str | None) -> dt.datetime | None:
    """A snapshot's ISO timestamp, read as UTC when it carries no zone."""
    if not value:
        return None
    out = dt.datetime.fromisoformat(value)
    return out if out.tzinfo else out.replace(tzinfo=dt.UTC)


@dataclass
class StatsWindow:
    """Since when the statistics have been counting, for how many days, and how we know."""

    since: str
    days: float
    basis: str

    def evidence(self) -> dict[str, Any]:
        return {
            "statistics_since": self.since,
            "statistics_age_days": round(self.days, 1),
            "statistics_basis": self.basis,
        }


def stats_window(snap: Snapshot) -> StatsWindow:
    """How long the usage counters have been counting; Skip (not evaluated) when too short to judge."""
    collected = parse_time(snap.server.collected_at) or dt.datetime.now(dt.UTC)
    if snap.server.stats_reset:
        since, basis = snap.server.stats_reset, "pg_stat_database.stats_reset"
    elif snap.server.postmaster_start:
        since = snap.server.postmaster_start
        basis = "server start: statistics never reset, so this is a lower bound of their age"
    else:
        raise Skip("the age of the usage statistics is unknown", not_evaluated=True)
    start = parse_time(since)
    assert start is not None
    window = StatsWindow(since, (collected - start).total_seconds() / 86400, basis)
    minimum = INDEX_STATS_MIN_DAYS(snap)
    if window.days < minimum:
        raise Skip(
            f"usage statistics cover {window.days:.1f} days (since {since}, {basis}); "
            f"at least {minimum} are needed (threshold index_stats_min_days)",
            not_evaluated=True,
        )
    return window
