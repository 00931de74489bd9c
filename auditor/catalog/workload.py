"""The workload: pg_stat_statements' heaviest statements, the indexes they lack, the planner's word on each.

analyse(session, snap) runs after every catalog section is in. For each statement it
1. parses the text with PostgreSQL's own parser (workload_parse) and resolves its tables and columns
   against the snapshot;
2. builds one candidate index per table it filters, joins or sorts on (equality columns first, then one
   range or the ORDER BY columns), unless an index already serves them (the same leading columns, a
   leading-column prefix, a unique index within the equality columns);
3. EXPLAINs its generic plan (never ANALYZE: nothing runs): PREPARE under plan_cache_mode =
   force_generic_plan, EXPLAIN EXECUTE with NULL parameters, DEALLOCATE, so a `$1` text plans as the
   application's prepared statements do, on every supported version;
4. where hypopg is installed, creates each candidate as a hypothetical index (backend memory only: no
   catalog row, no file, no lock beyond the table's AccessShareLock) and EXPLAINs again; a candidate is
   kept for the statements whose estimated cost it cuts by workload_min_gain or more, with hypopg's
   size estimate, then hypopg_reset() drops it.

Each statement is one read-only transaction of its own (Session.within) under a short statement_timeout,
and the whole analysis stops at workload_budget_seconds: what was not reached is noted per statement.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from auditor.base.names import quote_ident
from auditor.base.thresholds import threshold
from auditor.catalog.db import QUERY_MARKER as MARK
from auditor.catalog.db import QueryUnavailable, Session
from auditor.catalog.model import Index, IndexCandidate, Snapshot, Statement, Table

if TYPE_CHECKING:  # the SQL parser (pglast, 40 ms to import) loads only when a workload is analysed
    from auditor.catalog.workload_parse import Parsed, Ref

log = logging.getLogger("pg_auditor")


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be above 0"


WORKLOAD_TOP = threshold(
    "workload_top_statements",
    100,
    "statements read from pg_stat_statements: the top N by total time and the top N by mean time",
    _positive,
)
WORKLOAD_BUDGET = threshold(
    "workload_budget_seconds", 10.0, "time the workload analysis (parse, EXPLAIN, hypopg) may take", _positive
)
WORKLOAD_MIN_GAIN = threshold(
    "workload_min_gain",
    2.0,
    "a hypothetical index is suggested when the statement's estimated cost falls by this factor or more",
    _positive,
)
WORKLOAD_MIN_ROWS = threshold(
    "workload_min_rows", 10_000, "tables with fewer estimated rows get no index candidate from the workload"
)
WORKLOAD_QUERY_TEXT = threshold(
    "workload_query_text", True, "keep the statements' texts in the snapshot and the report (--no-query-text: false)"
)
EXPLAIN_TIMEOUT = "5s"  # one statement's EXPLAINs, all its candidates included
MAX_COLUMNS = 3
HIDDEN_TEXT = "<insufficient privilege>"
PREPARED = "pg_auditor_workload"  # the one prepared statement the analysis makes; deallocated at once


@dataclass
class Wanted:
    """A candidate for one statement: table, columns, how many lead with equality."""

    table: Table
    columns: tuple[str, ...]
    equality: int


Measured = dict[int, "tuple[float, float, int] | None"]  # index in wanted -> (before, after, size); None: unverified


def analyse(session: Session, snap: Snapshot) -> None:
    """Fill each statement's cost and sequential scans, and snap.index_candidates (see the module doc)."""
    hypopg = snap.installed("hypopg")
    deadline = time.monotonic() + float(WORKLOAD_BUDGET(snap))
    from auditor.catalog.workload_parse import parse_statement

    found: dict[tuple[int, tuple[str, ...]], IndexCandidate] = {}
    for st in sorted(snap.statements, key=lambda s: (-s.total_ms, s.queryid)):
        if st.query is None or st.query.startswith(HIDDEN_TEXT):
            st.note = "text hidden from this role"
            continue
        parsed = parse_statement(st.query)
        if parsed is None:
            st.note = "not a SELECT from tables"
            continue
        wanted = candidates(snap, parsed, verified=hypopg is not None)
        if time.monotonic() > deadline:
            st.note = f"not explained: workload_budget_seconds ({WORKLOAD_BUDGET(snap)}) spent"
            record(found, st, wanted, None)
            continue
        try:
            outcome = session.within(
                "workload", lambda cur, st=st, p=parsed, w=wanted: explain_all(cur, snap, st, p, w), EXPLAIN_TIMEOUT
            )
        except QueryUnavailable as exc:
            st.note = f"not explained: {exc.reason}"
            record(found, st, wanted, None)
            continue
        record(found, st, wanted, outcome)
    snap.index_candidates = sorted(found.values(), key=lambda c: (c.table_oid, c.columns))
    if not WORKLOAD_QUERY_TEXT(snap):
        for st in snap.statements:
            st.query = None


def record(
    found: dict[tuple[int, tuple[str, ...]], IndexCandidate],
    st: Statement,
    wanted: list[Wanted],
    outcome: Measured | None,
) -> None:
    """Add the statement to its candidates. outcome None: nothing was explained; {-1: None}: explained
    without hypopg; else hypopg's verdict per candidate (see explain_all): one it left out did not cut
    the cost enough and is dropped for this statement. A candidate verified on one statement lists
    only the statements it was verified on."""
    judged = outcome is not None and -1 not in outcome
    for n, w in enumerate(wanted):
        if judged and n not in outcome:  # type: ignore[operator]
            continue
        measured = outcome.get(n) if judged else None  # type: ignore[union-attr]
        key = (w.table.oid, w.columns)
        cand = found.setdefault(key, IndexCandidate(w.table.oid, list(w.columns), w.equality, [], False, [], [], None))
        if cand.verified and measured is None:
            continue
        if measured is not None and not cand.verified:
            cand.verified, cand.queryids, cand.cost_before, cand.cost_after = True, [], [], []
        cand.queryids.append(st.queryid)
        cand.cost_before.append(measured[0] if measured else None)
        cand.cost_after.append(measured[1] if measured else None)
        if measured:
            cand.size_bytes = measured[2]


def explain_all(cur: Any, snap: Snapshot, st: Statement, parsed: Parsed, wanted: list[Wanted]) -> Measured:
    """EXPLAIN the statement, then (with hypopg) each candidate hypothetically. Returns, per index in
    wanted, (cost before, cost after, size) for the candidates that cut the cost by workload_min_gain
    and None for those hypopg could not create (they stay unverified); the others are left out.
    {-1: None} without hypopg: every candidate stays unverified."""
    cur.execute(
        MARK + "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('search_path', %s, true)",
        (search_path(snap, parsed),),
    )
    plan = generic_plan(cur, st.query or "", parsed.params)
    st.cost = float(plan["Total Cost"])
    st.seq_scans = sorted({oid for oid in seq_scanned(snap, plan)})
    hypopg = snap.installed("hypopg")
    if hypopg is None or not wanted:
        return {-1: None}
    reset = sql.SQL(MARK + "SELECT {}.hypopg_reset()").format(sql.Identifier(hypopg.schema or "public"))
    cur.execute(reset)  # whatever an earlier, failed transaction of this backend may have left
    gains: Measured = {}
    min_gain = float(WORKLOAD_MIN_GAIN(snap))
    for n, w in enumerate(wanted):
        try:
            with cur.connection.transaction():  # a savepoint: a candidate hypopg refuses fails alone
                before_after = hypothetical_cost(cur, hypopg.schema or "public", st, parsed, w)
        except psycopg.errors.QueryCanceled:
            raise  # the statement's time is up: the whole statement stays unexplained
        except psycopg.Error as exc:
            log.debug("hypopg could not try %s: %s", w.columns, str(exc).splitlines()[0] if str(exc) else exc)
            gains[n] = None
            continue
        finally:
            cur.execute(reset)  # hypopg's indexes are not transactional: a rolled-back savepoint keeps them
        cost, used, size = before_after
        if used and cost * min_gain <= st.cost:
            gains[n] = (st.cost, cost, size)
    return gains


def hypothetical_cost(cur: Any, schema: str, st: Statement, parsed: Parsed, w: Wanted) -> tuple[float, bool, int]:
    """(estimated cost, whether the plan uses the index, hypopg's size estimate) with w created hypothetically."""
    ext = sql.Identifier(schema)
    cur.execute(
        sql.SQL(MARK + "SELECT indexrelid FROM {}.hypopg_create_index({})").format(
            ext, sql.Literal(hypothetical_ddl(w).as_string(cur))
        )
    )
    oid = cur.fetchone()[0]
    after = generic_plan(cur, st.query or "", parsed.params)
    cur.execute(sql.SQL(MARK + "SELECT {}.hypopg_relation_size({})").format(ext, sql.Literal(oid)))
    size = int(cur.fetchone()[0] or 0)
    return float(after["Total Cost"]), f"<{oid}>" in json.dumps(after), size


def search_path(snap: Snapshot, parsed: Parsed) -> str:
    """The statement's tables are looked up where the analysis found them (its unqualified names resolved
    as find_table does), after pg_catalog, so an unqualified name plans as the application's did."""
    schemas = ["pg_catalog"]
    for src in parsed.sources:
        t = find_table(snap, src.schema, src.name)
        if t is not None and t.schema not in schemas:
            schemas.append(t.schema)
    if "public" not in schemas:
        schemas.append("public")
    return ", ".join(quote_ident(s) for s in [*schemas, "pg_temp"])


def hypothetical_ddl(w: Wanted) -> sql.Composable:
    return sql.SQL("CREATE INDEX ON {} ({})").format(
        sql.Identifier(w.table.schema, w.table.name), sql.SQL(", ").join(map(sql.Identifier, w.columns))
    )


def generic_plan(cur: Any, text: str, params: int) -> dict[str, Any]:
    """The statement's generic plan as EXPLAIN (FORMAT JSON, VERBOSE) gives it: PREPARE, EXPLAIN EXECUTE
    with NULLs (plan_cache_mode = force_generic_plan is set: they are not looked at), DEALLOCATE.
    A failed EXPLAIN rolls back to its savepoint, so the DEALLOCATE still runs."""
    body = text.strip().rstrip(";")
    cur.execute(sql.SQL(MARK + "PREPARE {} AS ").format(sql.Identifier(PREPARED)) + sql.SQL(body))
    try:
        args = sql.SQL("({})").format(sql.SQL(", ".join(["NULL"] * params))) if params else sql.SQL("")
        with cur.connection.transaction():
            cur.execute(
                sql.SQL(MARK + "EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE {}{}").format(sql.Identifier(PREPARED), args)
            )
            doc = cur.fetchone()[0]
    finally:
        cur.execute(sql.SQL(MARK + "DEALLOCATE {}").format(sql.Identifier(PREPARED)))
    if isinstance(doc, str):
        doc = json.loads(doc)
    return doc[0]["Plan"]


def seq_scanned(snap: Snapshot, plan: dict[str, Any]) -> Iterator[int]:
    """The tables a plan reads with a sequential scan (VERBOSE names their schema)."""
    if plan.get("Node Type") == "Seq Scan":
        t = snap.table_by_name.get((plan.get("Schema", ""), plan.get("Relation Name", "")))
        if t is not None:
            yield t.oid
    for child in plan.get("Plans", ()):
        yield from seq_scanned(snap, child)


def candidates(snap: Snapshot, parsed: Parsed, verified: bool) -> list[Wanted]:
    """One candidate per large table the statement filters, joins or sorts on, unless an index serves it."""
    tables = resolve_sources(snap, parsed)
    if tables is None:
        return []
    out: list[Wanted] = []
    min_rows = int(WORKLOAD_MIN_ROWS(snap))
    for qualifier, t in tables.items():
        if snap.estimated_rows(t) < min_rows or t.schema in snap.extension_schemas:
            continue

        def mine(refs: list[Ref], t: Table = t, qualifier: str = qualifier) -> list[str]:
            cols = [c for r in refs if (c := column_of(snap, tables, r)) and c[0] == qualifier]
            return list(dict.fromkeys(name for _, name in cols))

        eq, ranges, sorts = mine(parsed.equality), mine(parsed.ranges), mine(parsed.sorts)
        joined = mine([r for pair in parsed.joins for r in pair if crosses(snap, tables, pair)])
        if not eq and not ranges:
            eq = joined
        columns = eq[:MAX_COLUMNS]
        tail: list[str] = []
        if ranges and len(columns) < MAX_COLUMNS:
            tail = [ranges[0]]
        elif sorts and parsed.limited and len(sorts) == len(parsed.sorts) and not ranges:
            tail = [c for c in sorts if c not in columns][: MAX_COLUMNS - len(columns)]
        if not columns and not tail:
            continue
        if served(snap, t, columns, tail, partial_serves=not verified):
            continue
        out.append(Wanted(t, tuple(columns + tail), len(columns)))
    return out


def resolve_sources(snap: Snapshot, parsed: Parsed) -> dict[str, Table] | None:
    """{alias or name: table} for the FROM list, or None when a source is not one table of the snapshot."""
    out: dict[str, Table] = {}
    for src in parsed.sources:
        t = find_table(snap, src.schema, src.name)
        if t is None:
            return None
        out[src.alias or src.name] = t
    return out


def find_table(snap: Snapshot, schema: str | None, name: str) -> Table | None:
    """A table by the name a statement gives it: qualified, or the one table of that name (public first)."""
    if schema is not None:
        return snap.table_by_name.get((schema, name))
    found = [t for t in snap.tables if t.name == name]
    if len(found) > 1:
        found = [t for t in found if t.schema == "public"]
    return found[0] if len(found) == 1 else None


def column_of(snap: Snapshot, tables: dict[str, Table], ref: Ref) -> tuple[str, str] | None:
    """(qualifier of its table, column name) for a column as written, if it names exactly one column."""
    if ref.qualifier is not None:
        t = tables.get(ref.qualifier)
        return (ref.qualifier, ref.column) if t and (t.oid, ref.column) in snap.column_by_name else None
    owners = [q for q, t in tables.items() if (t.oid, ref.column) in snap.column_by_name]
    return (owners[0], ref.column) if len(owners) == 1 else None


def crosses(snap: Snapshot, tables: dict[str, Table], pair: tuple[Ref, Ref]) -> bool:
    """A join condition between two different tables of the FROM list."""
    a, b = column_of(snap, tables, pair[0]), column_of(snap, tables, pair[1])
    return a is not None and b is not None and a[0] != b[0]


def served(snap: Snapshot, t: Table, equality: list[str], tail: list[str], partial_serves: bool) -> bool:
    """Whether a valid btree index of t already serves these columns: a unique one within the equality
    columns (one row at most), or one whose leading columns are the equality columns in any order followed
    by the tail. A partial index serves only when nothing can verify (without hypopg); with hypopg the
    planner says whether its predicate matches the statement."""
    k = len(equality)
    for i in snap.indexes_of.get(t.oid, []):
        if not i.is_valid or i.method != "btree":
            continue
        if i.predicate is not None and not partial_serves:
            continue
        keys = key_columns(i)
        unique = (i.is_unique or i.is_primary) and i.predicate is None and keys and None not in keys
        if unique and equality and set(keys) <= set(equality):
            return True
        if k + len(tail) <= len(keys) and set(keys[:k]) == set(equality) and keys[k : k + len(tail)] == tail:
            return True
    return False


def key_columns(i: Index) -> list[str | None]:
    return list(i.columns[: i.key_count])
