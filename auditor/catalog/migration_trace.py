"""Apply a migration's statements one by one on a connection and measure what each did: the locks its
backend held (pg_locks), the tables it rewrote (a new relfilenode) and scanned (pg_stat_xact_user_tables).

Runs on the throwaway copy of the schema (or, only when asked, inside a transaction on the target that
is always rolled back). Also the live sizes and write rates of the relations touched, read on the
audit's read-only session. Plain dicts out; the advice is analysis/migration.py's.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from auditor.catalog.db import Session, first_line

# The display name of a relation: bare in public (as a migration names it), schema-qualified elsewhere.
_DISPLAY = (
    "CASE WHEN n.nspname = 'public' THEN quote_ident(c.relname) "
    "ELSE quote_ident(n.nspname) || '.' || quote_ident(c.relname) END"
)
_USER_RELATIONS = (
    f"SELECT c.oid::bigint AS oid, c.relfilenode::bigint AS filenode, c.relkind::text AS kind, {_DISPLAY} AS name "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname !~ '^pg_temp' "
    "AND c.relkind IN ('r', 'p', 'm', 'i', 'I', 'S')"
)
_LOCKS = (
    f"SELECT l.relation::bigint AS oid, l.mode, l.granted, c.relkind::text AS kind, {_DISPLAY} AS name "
    "FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE l.pid = %s AND l.locktype = 'relation' "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND coalesce(n.nspname, '') NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
)
# Sequential scans this backend counted and has not yet reported (PostgreSQL 15+ keeps earlier transactions'
# counts here until they are flushed): read before and after the statement, the difference is its own.
_SCANS = (
    "SELECT CASE WHEN schemaname = 'public' THEN quote_ident(relname) "
    "ELSE quote_ident(schemaname) || '.' || quote_ident(relname) END AS name, seq_scan AS n "
    "FROM pg_stat_xact_user_tables WHERE seq_scan > 0"
)
TRANSACTION_CONTROL = ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE")


@dataclass
class Step:
    """One statement to apply: its text and whether PostgreSQL lets it run in a transaction block."""

    text: str
    transactional: bool = True
    control: bool = False  # BEGIN/COMMIT/...: each statement is traced in its own transaction instead
    relations: tuple[str, ...] = ()  # the relations it names, as display names (bare in public)
    skip: str | None = None  # why it is not run here (it acts on the whole server, not on this database)


def _relations(cur: psycopg.Cursor[Any]) -> dict[int, dict[str, Any]]:
    cur.execute(_USER_RELATIONS)
    return {r["oid"]: r for r in cur.fetchall()}


def _locks(cur: psycopg.Cursor[Any], pid: int, before: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    cur.execute(_LOCKS, (pid,))
    out = []
    for r in cur.fetchall():
        old = before.get(r["oid"])
        if r["name"] is None and old is None:
            continue  # a transient relation of a rewrite, gone by now
        name = r["name"] or (old["name"] if old else f"oid {r['oid']}")
        kind = r["kind"] or (old["kind"] if old else "?")
        if kind == "S":
            continue
        out.append({"relation": name, "mode": r["mode"], "granted": r["granted"], "new": old is None,
                    "kind": "index" if kind in ("i", "I") else "table"})  # fmt: skip
    return _merge(out)


def _merge(locks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (relation, mode), tables first."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for lk in locks:
        seen.setdefault((lk["relation"], lk["mode"]), lk)
    return sorted(seen.values(), key=lambda lk: (lk["kind"] != "table", lk["relation"], lk["mode"]))


def _rewrites(before: dict[int, dict[str, Any]], after: dict[int, dict[str, Any]]) -> list[str]:
    return sorted(
        a["name"]
        for oid, a in after.items()
        if oid in before and a["kind"] in ("r", "m") and a["filenode"] != before[oid]["filenode"]
    )


def apply(conn: psycopg.Connection, steps: list[Step], statement_timeout: str = "15min",
          rollback: bool = False, lock_timeout: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Run each step and record what it did; stop at the first failure (the rest are `not run`).

    `conn` is in autocommit. Each transactional step runs in its own transaction, committed after its
    locks were read (or, with rollback=True, all in one transaction that is rolled back at the end: the
    target mode). A step that cannot run in a transaction runs on its own, its locks read from a second
    connection while a third holds ROW EXCLUSIVE on its tables, so that it stops at its wait for older
    writers with its own locks still held.
    """
    conn.autocommit = True
    out: list[dict[str, Any]] = []
    failed = False
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    pid = conn.info.backend_pid
    cur.execute("SELECT set_config('statement_timeout', %s, false)", (statement_timeout,))
    if lock_timeout:
        cur.execute("SELECT set_config('lock_timeout', %s, false)", (lock_timeout,))
    if rollback:
        cur.execute("BEGIN")
    try:
        for step in steps:
            if failed:
                out.append({"status": "not run", "reason": "an earlier statement failed"})
            elif step.skip:
                out.append({"status": "skipped", "reason": step.skip})
            elif step.control:
                out.append({"status": "skipped", "reason": "transaction control: each statement is traced in "
                            "its own transaction"})  # fmt: skip
            elif not step.transactional and rollback:
                out.append({"status": "skipped", "reason": "cannot run in the rolled-back transaction"})
            elif step.transactional:
                out.append(_in_transaction(conn, cur, pid, step, rollback))
            else:
                out.append(_on_its_own(conn, step))
            failed = failed or out[-1]["status"] == "failed"
    finally:
        if rollback and not conn.closed:
            cur.execute("ROLLBACK")  # the target mode: nothing of the migration ever commits
    return out


def _in_transaction(conn: psycopg.Connection, cur: psycopg.Cursor[Any], pid: int, step: Step,
                    rollback: bool) -> dict[str, Any]:  # fmt: skip
    if not rollback:
        cur.execute("BEGIN")
    else:
        cur.execute("SAVEPOINT pg_auditor_step")
    before = _relations(cur)
    scans_before = _scan_counts(cur)
    started = time.perf_counter()
    try:
        cur.execute(step.text.encode("utf-8"))  # bytes: sent as is, no %-placeholders
    except psycopg.Error as exc:
        cur.execute("ROLLBACK TO SAVEPOINT pg_auditor_step" if rollback else "ROLLBACK")
        return {"status": "failed", "error": _error(exc), "seconds": round(time.perf_counter() - started, 4)}
    took = time.perf_counter() - started
    locks = _locks(cur, pid, before)
    after = _relations(cur)
    existing = {b["name"] for b in before.values()}
    scans = sorted(n for n, c in _scan_counts(cur).items() if c > scans_before.get(n, 0) and n in existing)
    if rollback:
        cur.execute("RELEASE SAVEPOINT pg_auditor_step")
    else:
        cur.execute("COMMIT")
    return {"status": "ok", "seconds": round(took, 4), "locks": locks, "rewrites": _rewrites(before, after),
            "scans": scans, "measured": "in its transaction, before commit"}  # fmt: skip


def _scan_counts(cur: psycopg.Cursor[Any]) -> dict[str, int]:
    cur.execute(_SCANS)
    return {r["name"]: r["n"] for r in cur.fetchall()}


def _error(exc: psycopg.Error) -> str:
    state = getattr(exc, "sqlstate", None)
    return f"{first_line(exc)}" + (f" (SQLSTATE {state})" if state else "")


def _on_its_own(conn: psycopg.Connection, step: Step) -> dict[str, Any]:
    """A CONCURRENTLY (or other non-transactional) step, watched from outside while it waits for a writer."""
    info = conn.info
    params = {"host": info.host, "port": info.port, "dbname": info.dbname, "user": info.user}
    if info.password:
        params["password"] = info.password
    with psycopg.connect(**params, autocommit=True) as watcher, psycopg.connect(**params, autocommit=True) as holder:
        wcur = watcher.cursor(row_factory=psycopg.rows.dict_row)
        before = _relations(wcur)
        tables = _tables_named(wcur, step.relations, before)
        holder.execute("BEGIN")
        for oid in tables:
            holder.execute(sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(sql.Identifier(*_qual(wcur, oid))))
        result: dict[str, Any] = {}

        def run() -> None:
            started = time.perf_counter()
            try:
                conn.execute(step.text.encode("utf-8"))
                result["status"] = "ok"
            except psycopg.Error as exc:
                result.update(status="failed", error=_error(exc))
            result["seconds"] = round(time.perf_counter() - started, 4)

        worker = threading.Thread(target=run, name="pg-auditor-migration-step", daemon=True)
        worker.start()
        seen: list[dict[str, Any]] = []
        waited = 0
        deadline = time.monotonic() + 10
        while worker.is_alive() and time.monotonic() < deadline:
            got = _locks(wcur, conn.info.backend_pid, before)
            seen.extend(got)
            wcur.execute("SELECT count(*) AS n FROM pg_locks WHERE pid = %s AND NOT granted", (conn.info.backend_pid,))
            waited = waited + 1 if wcur.fetchone()["n"] else waited
            if waited >= 3:
                break
            time.sleep(0.01)
        holder.execute("COMMIT")
        worker.join()
        after = _relations(wcur)
    out = {**result, "locks": [{**lk, "granted": True} for lk in _merge(seen)], "rewrites": _rewrites(before, after),
           "scans": None, "measured": "watched from a second session while it waited for writers"}  # fmt: skip
    if result.get("status") == "failed":
        out.pop("locks")
    return out


def _tables_named(cur: psycopg.Cursor[Any], names: tuple[str, ...], before: dict[int, dict[str, Any]]) -> list[int]:
    """The existing tables a step names (for an index, its table): what the holder locks."""
    out = []
    for oid, r in before.items():
        if r["name"].replace('"', "") in names and r["kind"] in ("r", "p", "m", "i", "I"):
            if r["kind"] in ("i", "I"):
                cur.execute("SELECT indrelid::bigint AS t FROM pg_index WHERE indexrelid = %s", (oid,))
                row = cur.fetchone()
                if row:
                    out.append(row["t"])
            else:
                out.append(oid)
    return sorted(set(out))


def _qual(cur: psycopg.Cursor[Any], oid: int) -> tuple[str, str]:
    cur.execute("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.oid = %s", (oid,))  # fmt: skip
    row = cur.fetchone()
    return row["nspname"], row["relname"]


# ---- the live target, read-only ---------------------------------------------------------------------------

_SIZES = """
SELECT CASE WHEN n.nspname = 'public' THEN quote_ident(c.relname)
            ELSE quote_ident(n.nspname) || '.' || quote_ident(c.relname) END AS name,
       c.relkind::text AS kind,
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE s.n_live_tup END AS rows,
       (c.relpages::bigint + coalesce(t.relpages, 0)) * current_setting('block_size')::bigint AS bytes,
       (SELECT sum(i.relpages)::bigint * current_setting('block_size')::bigint
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid) AS index_bytes,
       s.n_tup_ins + s.n_tup_upd + s.n_tup_del AS writes,
       extract(epoch FROM now() - coalesce(d.stats_reset, pg_postmaster_start_time()))::float8 AS over_seconds
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
  LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
  LEFT JOIN pg_stat_database d ON d.datname = current_database()
 WHERE c.relkind IN ('r', 'p', 'm', 'i', 'I')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND (n.nspname, c.relname) IN (SELECT * FROM unnest({schemas}::text[], {names}::text[]))
"""


def live_sizes(session: Session, relations: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Row estimate, size (relpages: no table file is touched), index size and writes a day on the live
    target, for (schema, name) pairs; keyed by display name. {} when it cannot be read."""
    if not relations:
        return {}
    query = sql.SQL(_SIZES).format(
        schemas=sql.Literal([s for s, _ in relations]), names=sql.Literal([n for _, n in relations])
    )
    try:
        rows = session.fetch("migration_sizes", query)
    except Exception as exc:  # a view revoked, a timeout: the review goes on without sizes
        return {"_unavailable": {"reason": first_line(exc)}}
    out = {}
    for r in rows:
        writes, over = r.pop("writes"), r.pop("over_seconds") or 0
        r["writes_per_day"] = round(writes * 86400 / over) if writes is not None and over > 60 else None
        out[r.pop("name")] = r
    return out


def server_version_num(session: Session) -> int:
    rows = session.fetch("server_version", "SELECT current_setting('server_version_num')::int AS v")
    return int(rows[0]["v"])


def roles(session: Session) -> list[dict[str, Any]]:
    """The target's roles and their attributes (no passwords): the copy gets them, so grants, owners and
    policies restore as they are."""
    return session.fetch(
        "migration_roles",
        "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls "
        "FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname",
    )


def create_roles(conn: psycopg.Connection, wanted: list[dict[str, Any]]) -> list[str]:
    """Create the roles the copy's server lacks (without passwords); returns the names created."""
    have = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles")}
    created = []
    for r in wanted:
        if r["rolname"] in have:
            continue
        flags = [
            "SUPERUSER" if r["rolsuper"] else "NOSUPERUSER",
            "INHERIT" if r["rolinherit"] else "NOINHERIT",
            "LOGIN" if r["rolcanlogin"] else "NOLOGIN",
            "BYPASSRLS" if r["rolbypassrls"] else "NOBYPASSRLS",
        ]
        conn.execute(sql.SQL("CREATE ROLE {} " + " ".join(flags)).format(sql.Identifier(r["rolname"])))
        created.append(r["rolname"])
    return created
