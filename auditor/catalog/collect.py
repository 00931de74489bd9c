"""collect(session) -> Snapshot: one query per catalog kind, whatever the number of objects.

A query that cannot run (privileges, timeout, missing extension) leaves its section empty and
named in snapshot.unavailable with the reason and the GRANT that would unlock it; the checks that
need it are then skipped, never run on missing data.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import logging
import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from psycopg import sql
from psycopg.postgres import types as builtins
from psycopg.rows import RowFactory, dict_row

from auditor._version import __version__
from auditor.base import progress
from auditor.base.durations import duration_ms
from auditor.base.errors import AuditorError
from auditor.base.names import qualified, quote_ident
from auditor.base.process import GC_PAUSED, give_back
from auditor.base.resources import queries_dir
from auditor.base.thresholds import threshold
from auditor.catalog.db import Plan, Planned, QueryUnavailable, Session
from auditor.catalog.model import (
    SECTIONS,
    InFlight,
    Server,
    Snapshot,
    Statement,
    Strings,
    Unavailable,
    row_fields,
)
from auditor.catalog.workload import HIDDEN_TEXT, WORKLOAD_TOP, analyse

log = logging.getLogger("pg_auditor")

# What would unlock a section a least-privileged role cannot read.
GRANT_HINTS: dict[str, str] = {
    "partman_config": "GRANT USAGE ON SCHEMA {partman} TO {role}; "
    "GRANT SELECT ON {partman}.part_config, {partman}.part_config_sub TO {role};",
    "cron_jobs": "GRANT USAGE ON SCHEMA cron TO {role}; GRANT SELECT ON cron.job TO {role};",
    "column_stats": "GRANT pg_read_all_data TO {role};  -- PostgreSQL 14+; pg_stats shows readable columns only",
    "index_stats": "GRANT pg_read_all_data TO {role};  -- PostgreSQL 14+; pg_stats shows readable columns only",
    "table_widths": "GRANT pg_read_all_data TO {role};  -- PostgreSQL 14+; pg_stats shows readable columns only",
    "horizon": "GRANT pg_monitor TO {role};",
    "table_io": "GRANT pg_monitor TO {role};",
    "index_builds": "GRANT pg_read_all_stats TO {role};",
    "table_stats": "GRANT pg_monitor TO {role};",
    "index_usage": "GRANT pg_monitor TO {role};",
    "locks": "GRANT pg_monitor TO {role};",
    "statements": "GRANT pg_read_all_stats TO {role};",
}


# What would show the rest of a section a role read only in part.
LIMITED_HINTS: dict[str, str] = {
    "column_stats": "GRANT pg_read_all_data TO {role};  -- PostgreSQL 14+; or a SECURITY DEFINER "
    "wrapper over pg_stats (docs/setup-role.sql)",
    "sequences": "GRANT pg_read_all_data TO {role};  -- PostgreSQL 14+; or GRANT SELECT ON ALL SEQUENCES IN SCHEMA ...",
    "settings": "GRANT pg_read_all_settings TO {role};  -- included in pg_monitor",
    "cron_jobs": "run as the superuser that owns the jobs, or a SECURITY DEFINER wrapper over cron.job",
}


_DENIED_CATALOG = re.compile(r"permission denied for (?:view|table|relation) (pg_\w+)")


def catalog_grant(reason: str, role: str) -> str | None:
    """A hardened database may revoke PUBLIC's SELECT on a statistics view: name that exact GRANT."""
    m = _DENIED_CATALOG.search(reason)
    return f"GRANT SELECT ON pg_catalog.{m.group(1)} TO {role};" if m else None


_VERSION_MARK = re.compile(r"--\s*(PG(\d+)\+|before PG(\d+))\s*$")


def query_for(name: str, version_num: int) -> str:
    """queries/NAME.sql for this server: a line that ends in `-- PG16+` is kept on 16 and later only,
    one that ends in `-- before PG16` only before 16 (a column a newer catalog has, NULL on older ones)."""
    major = version_num // 10000
    kept = []
    for line in (queries_dir() / f"{name}.sql").read_text(encoding="utf-8").splitlines():
        mark = _VERSION_MARK.search(line)
        if mark and (major < int(mark.group(2)) if mark.group(2) else major >= int(mark.group(3))):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def plain(value: Any) -> Any:
    """Make a value JSON-native and deterministic: UTC ISO timestamps, ints for integral decimals."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


# Types psycopg loads as something JSON cannot hold (datetime, Decimal, timedelta), and their arrays.
# Every other column (text, name, oid, int, bool, float, json, text[], int[]) is kept as loaded.
NEEDS_PLAIN = frozenset(
    {builtins[t].oid for t in ("timestamptz", "timestamp", "date", "time", "timetz", "interval", "numeric")}
    | {builtins[t].array_oid for t in ("timestamptz", "timestamp", "date", "time", "timetz", "interval", "numeric")}
)


def _connections(value: Any) -> str | None:
    return None if 1 <= value <= MAX_CONNECTIONS else f"must be between 1 and {MAX_CONNECTIONS}"


MAX_CONNECTIONS = 8
COLLECT_CONNECTIONS = threshold(
    "collect_connections",
    1,
    "connections reading the catalogs at once, each query its own read-only transaction (1: one query at a "
    "time; fewer are used when the server refuses more)",
    _connections,
)


# The values Strings shares: text (text, name, varchar, char) and integers. An oid was one object per row that
# holds it (a table's in each of its columns', indexes' and constraints' rows, an index's in three sections):
# 12 MB of copies on a 10,000-table catalog. Their arrays too, as SharedList (indoption's [0, 0] on every
# two-key index, a table's key columns). Floats apart (Strings.float: 0.0 must not stand for -0.0).
_SHARED_TYPES = ("text", "name", "varchar", "bpchar", '"char"', "int2", "int4", "int8", "oid")
SHARED = frozenset(builtins[t].oid for t in _SHARED_TYPES)
SHARED_ARRAYS = frozenset(builtins[t].array_oid for t in _SHARED_TYPES)
FLOATS = frozenset(builtins[t].oid for t in ("float4", "float8"))


# A result this large leaves enough freed C memory behind to hand back at once (process.give_back).
GIVE_BACK_ROWS = 5000


def rows_of(cls: type, strings: Strings | None = None) -> RowFactory[Any]:
    """A psycopg row factory building `cls` rows straight from the values (no dict per row), passing
    through plain() only the columns whose type needs it: 250,000 rows on a 10,000-table catalog.
    With `strings`, text values repeated across rows (types, schema names, key names) are kept once."""
    wanted = row_fields(cls)

    def factory(cursor: Any) -> Any:
        desc = cursor.description or []
        names = [d.name for d in desc]
        if sorted(names) != sorted(wanted):
            return lambda values: cls(**dict(zip(names, values, strict=True)))  # raises the usual TypeError
        order = [names.index(f) for f in wanted]
        convert = {i for i, d in enumerate(desc) if d.type_code in NEEDS_PLAIN}
        if convert:
            pick = lambda values: [plain(values[i]) if i in convert else values[i] for i in order]  # noqa: E731
        elif order == list(range(len(order))):  # the query's columns in the row's field order: no reshuffle
            pick = list
        else:
            pick = lambda values: [values[i] for i in order]  # noqa: E731
        if strings is None:
            return lambda values: cls(*pick(values))
        text = tuple(n for n, i in enumerate(order) if desc[i].type_code in SHARED)
        lists = tuple(n for n, i in enumerate(order) if desc[i].type_code in SHARED_ARRAYS)
        floats = tuple(n for n, i in enumerate(order) if desc[i].type_code in FLOATS)
        share = strings.values
        return lambda values: cls(*share(pick(values), text, lists, floats))

    return factory


def collect(
    session: Session,
    schemas: list[str] | None = None,
    exclude_schemas: list[str] | None = None,
    meanwhile: Callable[[Snapshot], bool] | None = None,
    settings: dict[str, Any] | None = None,
) -> Snapshot:
    """Read every catalog kind once into a Snapshot.

    `meanwhile(snapshot)` is called while the server works on a query, until it returns False (the
    audit runs the rules whose sections have arrived); sections still in flight stand as InFlight.
    Not with schema filters, which change the snapshot once everything is read. `settings` are the
    run's thresholds (the workload analysis reads its own; the rules' run sets them otherwise).
    """
    try:
        server_rows = session.fetch("server", query_for("server", 0))
    except QueryUnavailable as exc:  # without version and role nothing else can be judged
        raise AuditorError(f"cannot read the server facts (version, role): {exc.reason}") from None
    server = Server(**{k: plain(v) for k, v in server_rows[0].items()})
    snap = Snapshot(server=server, tool_version=__version__)
    if settings is not None:
        snap.settings = settings
    role = quote_ident(server.current_user)
    facts = privilege_facts(session, server)

    # extensions first: whether and where pg_partman and pg_cron live decides two of the other queries
    store(snap, "extensions", fetch_one(session, "extensions", server), role)
    # pg_locks once, on its own: the relation queries skip what it lists (session.locked), and a role that
    # may not read it loses the lock facts only, never the sections that would have joined it
    store(snap, "locks", fetch_one(session, "locks", server), role)
    session.locked = [lk.oid for lk in snap.locks]
    plan = section_queries(snap, facts)
    total = len(plan) + 2  # and extensions, locks
    progress.step("read", "locks", 2, total)
    idle = None
    if meanwhile is not None and not (schemas or exclude_schemas):
        for name in [n for n, _ in plan] + list(WORKLOAD_SECTIONS):
            setattr(snap, name, InFlight(name))
        idle = partial(meanwhile, snap)
    # the sequences' last values are read once their list is in, on the same connections
    values = SequenceValues(snap)
    strings = Strings()  # for this read only: what the rows share stays with them, nothing in between
    planned = Plan(
        ((name, query, rows_of(SECTIONS[name], strings)) for name, query in plan),
        awaiting=sum(1 for name, _ in plan if name == "sequences"),
    )
    ahead = session.fetch_ahead(planned, idle, connections_for(session, int(COLLECT_CONNECTIONS(snap))))
    sequences: list[Any] | QueryUnavailable | None = None
    done = 2
    with GC_PAUSED.held():
        for name, outcome in ahead:
            if name in values.chunks:
                values.take(name, outcome)
                continue
            done += 1
            progress.step("read", name, done, total)
            if name == "sequences":  # the list now; the last values (read next) make it whole in values.finish
                sequences = outcome
                planned.add([] if isinstance(outcome, QueryUnavailable) else values.queries(outcome))
                if values.chunks and idle is not None:
                    snap.sequence_values = InFlight("sequence_values")  # before any rule can see the list
            if name == "horizon" and not isinstance(outcome, QueryUnavailable):
                # this audit's own connections hold no horizon back: each is in session.pids before its
                # first query, so before any horizon result that could list it arrives
                ours = {str(pid) for pid in session.pids}
                outcome = [h for h in outcome if not (h.kind == "session" and h.name in ours)]
            store(snap, name, outcome, role)
            if done == total:  # every section's rows are built: what is left (last values) shares no strings
                strings.forget()
            if isinstance(outcome, list) and len(outcome) >= GIVE_BACK_ROWS:
                give_back()  # the result's C memory, freed as its rows were built
        if sequences is not None and not isinstance(sequences, QueryUnavailable):
            values.finish(sequences)
        snap.__dict__.pop("sequence_values", None)  # the values are in: Snapshot.last_values() answers
    # in plan order, whatever order the connections delivered in
    order = {name: n for n, (name, _) in enumerate(plan)}
    snap.unavailable = dict(sorted(snap.unavailable.items(), key=lambda kv: order.get(kv[0], -1)))
    read_database_size(session, snap)
    read_workload(session, snap, role)

    note_limits(snap, facts, role)
    note_locked(snap)
    if schemas or exclude_schemas:
        apply_schema_filter(snap, schemas or [], exclude_schemas or [])
    return snap


def connections_for(session: Session, asked: int) -> int:
    """How many connections to read on: as many as asked while the server, the role and the database each
    keep a tenth of their limit free (at least RESERVED) for others; the cut is noted in session.notes."""
    if asked <= 1 or not session.can_add_connections():
        return 1
    try:
        room = session.fetch("connections", query_for("connections", 0))[0]
    except QueryUnavailable as exc:
        session.notes.append(f"{asked} connections asked, 1 used: the connection limits were not read ({exc.reason})")
        return 1
    allowed, why = asked, ""
    for scope in ("server", "role", "database"):
        limit, used = room[f"{scope}_limit"], room[f"{scope}_used"]
        if limit is None or limit < 0:
            continue
        spare = limit - used - max(RESERVED, limit // 10)
        if 1 + spare < allowed:
            allowed = max(1, 1 + spare)
            why = f"the {scope} allows {limit} connections and has {used} open"
    if allowed < asked:
        session.notes.append(f"{asked} connections asked, {allowed} used: {why}, and the audit leaves some to others")
    return allowed


# Connections an audit leaves free under each limit, at least (a tenth of the limit when more).
RESERVED = 3


def fetch_one(session: Session, name: str, server: Server) -> list[Any] | QueryUnavailable:
    """One section on its own (not run ahead): its rows, or why it could not be read."""
    try:
        return session.fetch(name, query_for(name, server.version_num), row_factory=rows_of(SECTIONS[name]))
    except QueryUnavailable as exc:
        return exc


# Read order: what most rules read first, so they can run while the server reads on. The tenant
# model needs tables, columns, constraints, policies and roles, and the isolation rules little more:
# those first, then indexes (the server's longest query, during which the isolation rules run), then
# the statistics sections, which few rules read. Extensions come before all: whether pg_partman and
# pg_cron are there decides two queries.
READ_ORDER = (
    "extensions", "schemas", "locks", "tables", "columns", "constraints", "policies", "roles", "memberships",
    "role_settings", "views", "functions", "column_stats", "triggers", "indexes", "sequences",
    "partman_config", "cron_jobs", "table_stats", "index_usage", "index_stats", "index_builds", "table_widths",
    "table_io", "horizon", "statements", "index_candidates",
)  # fmt: skip
# Read apart, once every catalog section is in (read_workload): the statements and the indexes they lack.
WORKLOAD_SECTIONS = ("statements", "index_candidates")


def section_queries(snap: Snapshot, facts: dict[str, Any]) -> list[tuple[str, str | sql.Composable]]:
    """The query of every section still to read, in READ_ORDER; extension-backed ones only if installed."""
    plan: list[tuple[str, str | sql.Composable]] = []
    for name in READ_ORDER:
        if name in ("extensions", "locks") or name in WORKLOAD_SECTIONS:  # read already, or apart
            continue
        query: str | sql.Composable = query_for(name, snap.server.version_num)
        if name == "partman_config":
            ext = snap.installed("pg_partman")
            if ext is None or ext.schema is None:
                continue
            query = sql.SQL(query).format(schema=sql.Identifier(ext.schema))  # type: ignore[arg-type]
        elif name == "cron_jobs" and snap.installed("pg_cron") is None:
            continue
        elif name == "column_stats" and facts.get("column_stats_helper"):
            query = query_for("column_stats_helper", snap.server.version_num)
        plan.append((name, query))
    return plan


def store(snap: Snapshot, name: str, outcome: list[Any] | QueryUnavailable, role: str) -> None:
    """Keep a section's rows, or record why it is unavailable and the GRANT that would unlock it."""
    if not isinstance(outcome, QueryUnavailable):
        setattr(snap, name, outcome)
        return
    setattr(snap, name, [])
    # A GRANT unlocks a section only the role may not read: not one cancelled by a timeout or a lock.
    hint = GRANT_HINTS.get(name) if outcome.reason.startswith("permission denied") else None
    partman = snap.installed("pg_partman")
    partman_schema = partman.schema if partman and partman.schema else "partman"
    grant = catalog_grant(outcome.reason, role) or (
        hint.format(role=role, partman=quote_ident(partman_schema)) if hint else None
    )
    snap.unavailable[name] = Unavailable(outcome.reason, grant)
    log.debug("section %s unavailable: %s", name, outcome.reason)


# Bounds on the sequences' last values: one query per chunk of sequences (each reads its sequences'
# one-row relations under AccessShareLock). A chunk is at most max_locks_per_transaction (the lock table's
# budget per transaction, default 64) and SEQUENCE_CHUNK sequences, so a query never takes more locks
# than the server plans for. Planning grows faster than the chunk (400 sequences: 30 ms to plan, 15 ms to
# run; 1,600: 220 ms and 60 ms), so past a few hundred more queries cost less than bigger ones.
SEQUENCE_CHUNK = 400


class SequenceValues:
    """Fill last_value of the sequences this role may SELECT, without pg_sequence_last_value().

    pg_sequences.last_value calls pg_sequence_last_value(), which takes RowExclusiveLock and so waits
    behind ALTER SEQUENCE (ShareRowExclusiveLock). `SELECT last_value, is_called FROM seq` takes
    AccessShareLock, which only ACCESS EXCLUSIVE blocks: sequences locks.sql lists are skipped, as
    tables are, and any other lock met still ends at lock_timeout for that chunk only. The chunks'
    queries join the collector's plan (queries()), their results come back through take().
    """

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.locked = {lk.oid for lk in snap.locks}  # read before any section: skipped, as tables are
        self.chunks: dict[str, list[Any]] = {}
        self.values: dict[int, Any] = {}
        self.lost: dict[str, str] = {}  # chunk -> why it was not read

    def queries(self, sequences: list[Any]) -> list[Planned]:
        wanted = [s for s in sequences if s.readable and s.oid not in self.locked]
        try:
            per_tx = int(self.snap.server.settings.get("max_locks_per_transaction") or 64)
        except ValueError:
            per_tx = 64
        size = max(1, min(SEQUENCE_CHUNK, per_tx))
        self.chunks = {
            f"sequence_values_{n}": wanted[i : i + size] for n, i in enumerate(range(0, len(wanted), size), 1)
        }
        return [(name, sequence_values_query(chunk), dict_row) for name, chunk in self.chunks.items()]

    def take(self, name: str, outcome: list[Any] | QueryUnavailable) -> None:
        if isinstance(outcome, QueryUnavailable):
            self.lost[name] = f"{len(self.chunks[name])} ({outcome.reason})"
        else:
            self.values.update((r["oid"], r["last_value"]) for r in outcome)

    def finish(self, sequences: list[Any]) -> None:
        """Every value read set on its sequence, and what was not read noted."""
        for chunk in self.chunks.values():
            for s in chunk:
                s.last_value = self.values.get(s.oid)
        skipped = [s for s in sequences if s.readable and s.oid in self.locked]
        notes = []
        if skipped:
            names = ", ".join(qualified(s.schema, s.name) for s in skipped[:20])
            more = f" and {len(skipped) - 20} more" if len(skipped) > 20 else ""
            notes.append(
                f"{len(skipped)} sequences another session holds or waits to lock ACCESS EXCLUSIVE: {names}{more}"
            )
        if self.lost:
            lost = [self.lost[name] for name in self.chunks if name in self.lost]  # in chunk order
            notes.append("sequences whose read failed: " + "; ".join(lost))
        if notes:
            self.snap.limited["sequence_values"] = Unavailable(
                "last_value not read for " + "; ".join(notes), "nothing to grant: audit again once the lock is released"
            )


def sequence_values_query(chunk: list[Any]) -> sql.Composable:
    """One row (oid, last_value) per sequence of the chunk (NULL before the first nextval).

    Each sequence is a scalar subquery in one array, planned on its own: as `SELECT ... FROM seq UNION ALL
    ...` the planner's work grew with the square of the chunk (200 sequences: 34 ms to plan, here 14 ms).
    """
    return sql.SQL(
        "SELECT v.oid, v.last_value FROM unnest(ARRAY[{oids}]::bigint[], ARRAY[{values}]::bigint[]) v(oid, last_value)"
    ).format(
        oids=sql.SQL(", ").join(sql.Literal(s.oid) for s in chunk),
        values=sql.SQL(", ").join(
            sql.SQL("(SELECT CASE WHEN is_called THEN last_value END FROM {seq})").format(
                seq=sql.Identifier(s.schema, s.name)
            )
            for s in chunk
        ),
    )


# pg_database_size() stats every file of the database: bounded apart from the statement_timeout of the
# audit, and optional (the report lacks the figure, nothing else).
DATABASE_SIZE_TIMEOUT = "5s"


def read_database_size(session: Session, snap: Snapshot) -> None:
    limit = DATABASE_SIZE_TIMEOUT
    if duration_ms(session.timeouts.statement) not in (None, 0):  # the audit's own limit, when shorter
        limit = min((DATABASE_SIZE_TIMEOUT, session.timeouts.statement), key=lambda t: duration_ms(t) or 0)
    try:
        rows = session.fetch("database_size", query_for("database_size", 0), statement_timeout=limit)
    except QueryUnavailable as exc:
        snap.limited["database_size"] = Unavailable(f"the database size was not read: {exc.reason}", None)
        return
    snap.server.database_bytes = rows[0]["database_bytes"]


def read_workload(session: Session, snap: Snapshot, role: str) -> None:
    """pg_stat_statements' heaviest statements, then the indexes they lack (catalog/workload.py).

    Without the extension in this database, or with it not preloaded, both sections stay empty and the
    rules that read them say what would unlock them (no section is unavailable: most databases run
    without it, and that does not make an audit partial)."""
    snap.statements, snap.index_candidates = [], []
    pgss = snap.installed("pg_stat_statements")
    preloaded = snap.server.preloaded
    if pgss is None or pgss.schema is None or (preloaded is not None and "pg_stat_statements" not in preloaded):
        return
    query = sql.SQL(query_for("statements", snap.server.version_num)).format(  # type: ignore[arg-type]
        schema=sql.Identifier(pgss.schema), limit=sql.Literal(int(WORKLOAD_TOP(snap)))
    )
    try:
        rows = session.fetch("statements", query)
    except QueryUnavailable as exc:
        store(snap, "statements", exc, role)
        return
    snap.statements = [Statement(**{k: plain(v) for k, v in r.items()}) for r in rows]
    hidden = [st for st in snap.statements if st.query is None or st.query.startswith(HIDDEN_TEXT)]
    if hidden:
        calls, ms = sum(st.calls for st in hidden), sum(st.total_ms for st in hidden)
        snap.limited["statements"] = Unavailable(
            f"other roles' statements are hidden from this role ({calls:,} calls, {ms:,.0f} ms): not analysed",
            f"GRANT pg_read_all_stats TO {role};",
        )
    analyse(session, snap)


def privilege_facts(session: Session, server: Server) -> dict[str, Any]:
    """What a role that is not a superuser cannot see (one query of privilege checks)."""
    if server.is_superuser:
        return {}
    try:
        return session.fetch("privileges", query_for("privileges", server.version_num))[0]
    except QueryUnavailable as exc:
        log.debug("privilege summary unavailable: %s", exc.reason)
        return {}


def note_limits(snap: Snapshot, facts: dict[str, Any], role: str) -> None:
    """Name the sections this role read only in part (catalog views filter silently by privilege)."""
    if not facts:
        return
    read_all = "pg_read_all_data" in snap.server.privileged_memberships or facts["column_stats_helper"]
    hidden = facts["tables_without_select"]
    if hidden and not read_all and snap.available("column_stats"):
        snap.limited["column_stats"] = Unavailable(
            f"pg_stats hides the columns of {hidden} of {facts['tables_total']} tables this role may not SELECT",
            LIMITED_HINTS["column_stats"].format(role=role),
        )
    if facts["sequences_hidden"] and snap.available("sequences"):
        snap.limited["sequences"] = Unavailable(
            f"last_value hidden for {facts['sequences_hidden']} sequences without SELECT",
            LIMITED_HINTS["sequences"].format(role=role),
        )
    if not facts["settings_visible"]:
        snap.limited["settings"] = Unavailable(
            "superuser-only settings (shared_preload_libraries) are hidden", LIMITED_HINTS["settings"].format(role=role)
        )
    if snap.cron_jobs or (snap.installed("pg_cron") and snap.available("cron_jobs")):
        snap.limited["cron_jobs"] = Unavailable(
            "cron.job shows only this role's own jobs (row-level security)", LIMITED_HINTS["cron_jobs"]
        )


def note_locked(snap: Snapshot, shown: int = 20) -> None:
    """Relations another session holds or waits to lock ACCESS EXCLUSIVE: their sizes and definitions were skipped."""
    names: dict[int, str] = {t.oid: t.qualified for t in snap.tables}
    names.update({v.oid: qualified(v.schema, v.name) for v in snap.views})
    for i in snap.indexes:
        table = snap.table_by_oid.get(i.table_oid)
        names[i.oid] = qualified(table.schema if table else "?", i.name)
    locked = sorted((names[lk.oid], "held" if lk.granted else "waiting") for lk in snap.locks if lk.oid in names)
    if not locked:
        return
    listed = ", ".join(f"{name} ({state})" for name, state in locked[:shown])
    more = f" and {len(locked) - shown} more" if len(locked) > shown else ""
    snap.limited["locked_relations"] = Unavailable(
        f"size and definition skipped for {len(locked)} relations another session holds or waits to lock "
        f"ACCESS EXCLUSIVE: {listed}{more}",
        "nothing to grant: audit again once the lock is released",
    )


def schema_matcher(include: list[str], exclude: list[str]):
    """A predicate over schema names from --schema/--exclude-schema globs."""

    def keep(schema: str) -> bool:
        if include and not any(fnmatch.fnmatchcase(schema, p) for p in include):
            return False
        return not any(fnmatch.fnmatchcase(schema, p) for p in exclude)

    return keep


def apply_schema_filter(snap: Snapshot, include: list[str], exclude: list[str]) -> None:
    """Drop objects outside the chosen schemas, keeping the snapshot consistent by table OID."""
    keep = schema_matcher(include, exclude)
    snap.filters = {"schema": include, "exclude_schema": exclude}
    snap.schemas = [s for s in snap.schemas if keep(s.name)]
    snap.tables = [t for t in snap.tables if keep(t.schema)]
    snap.views = [v for v in snap.views if keep(v.schema)]
    snap.functions = [f for f in snap.functions if keep(f.schema)]
    snap.sequences = [s for s in snap.sequences if keep(s.schema)]
    snap.column_stats = [s for s in snap.column_stats if keep(s.schema)]
    kept = {t.oid for t in snap.tables} | {v.oid for v in snap.views}
    for name in ("columns", "indexes", "constraints", "triggers", "policies", "table_stats"):
        setattr(snap, name, [r for r in getattr(snap, name) if r.table_oid in kept])
    index_oids = {i.oid for i in snap.indexes}
    snap.index_usage = [u for u in snap.index_usage if u.index_oid in index_oids]
    snap.index_stats = [s for s in snap.index_stats if s.index_oid in index_oids]
    snap.index_builds = [b for b in snap.index_builds if b.table_oid in kept]
    snap.table_widths = [w for w in snap.table_widths if w.table_oid in kept]
    snap.table_io = [w for w in snap.table_io if w.table_oid in kept]
    snap.index_candidates = [c for c in snap.index_candidates if c.table_oid in kept]
