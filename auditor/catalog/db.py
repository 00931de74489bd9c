"""The only module that talks to PostgreSQL: libpq conventions, read-only sessions, timeouts, redaction.

Connection resolution follows psql: a positional conninfo (URI or key=value), then -h/-p/-U/-d and
--service overrides merged by psycopg's conninfo helpers, and libpq fills the rest from PG* variables,
~/.pgpass and pg_service.conf. DATABASE_URL is used only when nothing else names a database.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus
from psycopg.rows import RowFactory, dict_row

from auditor.base.errors import ConnectError, ConnectionLost
from auditor.base.process import QUICK_SWITCHES
from auditor.base.redaction import passwords_in, redact

log = logging.getLogger("pg_auditor")

APP_NAME = "pg-auditor"
QUERY_MARKER = "/* pg-auditor */ "
PINNED_SEARCH_PATH = "pg_catalog, pg_temp"
# Pinned in every audit transaction, local to it (PgBouncer-safe): timeouts, a search_path and output
# formats that make the report deterministic, no JIT (it compiles catalog queries for seconds that run
# in milliseconds) and one backend (parallel workers each rebuilt the same hash of every key: x3 CPU on L).
SETTINGS = (
    "/* pg-auditor */ SELECT set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true),"
    " set_config('idle_in_transaction_session_timeout', %s, true), set_config('search_path', %s, true),"
    " set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),"
    " set_config('IntervalStyle', 'postgres', true), set_config('jit', 'off', true),"
    " set_config('max_parallel_workers_per_gather', '0', true), set_config('pg_auditor.locked', %s, true)"
)
# pg_locks is read once, on its own (queries/locks.sql), so a role that may not read it loses only the lock
# facts; the relations it lists reach every later query as this transaction-local setting, which the
# queries' `locked` CTE unnests (unset, as in psql, it is an empty list).
LOCKED_SETTING = "pg_auditor.locked"
T = TypeVar("T")
AHEAD = 2  # executed results waiting to be read: the server stays one query ahead of the client


@dataclass(frozen=True)
class Timeouts:
    """Transaction-local limits set inside every read-only transaction (PgBouncer-safe)."""

    statement: str = "60s"
    lock: str = "2s"
    idle_in_transaction: str = "60s"
    connect: int = 10


@dataclass
class Target:
    """What the user asked to connect to, before libpq fills in the rest."""

    conninfo: str = ""
    host: str | None = None
    port: str | None = None
    user: str | None = None
    dbname: str | None = None
    service: str | None = None
    dsn_env: str = "DATABASE_URL"

    def resolve(self) -> tuple[str, str]:
        """Return (conninfo, source) where source says which input named the database.

        `-d` given a URI or key=value pairs is expanded as psql expands it (its parts, then the other
        options); `-h`, `-p`, `-U` and `--service` given one are refused, never passed on to libpq
        (which would take the string, password and all, for a host name).
        """
        base, source = self.conninfo, "argument"
        check_uri(base)
        for option, value in (("-h/--host", self.host), ("-p/--port", self.port), ("--service", self.service)):
            if value and ("=" in value or "://" in value):
                raise ConnectError(f"{option} takes a name, not a connection string: give that as the DSN argument")
        if self.user and "://" in self.user:
            raise ConnectError("-U/--username takes a role name, not a connection string")
        expanded: dict[str, Any] = {}
        if self.dbname and is_conninfo(self.dbname):
            check_uri(self.dbname)
            try:
                expanded = {k: v for k, v in conninfo_to_dict(self.dbname).items() if v is not None}
            except psycopg.ProgrammingError:
                raise ConnectError("invalid connection string given to -d/--dbname (its text is not shown)") from None
        overrides = expanded | {
            k: v
            for k, v in {
                "host": self.host,
                "port": self.port,
                "user": self.user,
                "dbname": None if expanded else self.dbname,
            }.items()
            if v
        }
        if self.service:
            overrides["service"] = self.service
        if not base and not overrides:
            env_value = os.environ.get(self.dsn_env)
            if env_value and not (os.environ.get("PGHOST") or os.environ.get("PGSERVICE")):
                base, source = env_value, self.dsn_env
            else:
                source = "libpq environment"
        elif not base:
            source = "options"
        if base and "=" not in base and "://" not in base:
            base = make_conninfo(dbname=base)  # psql accepts a bare database name
        try:
            return make_conninfo(base, **overrides), source
        except psycopg.ProgrammingError as exc:
            # libpq's parse errors quote the text they choked on, which may be a badly quoted password:
            # whatever their wording, nothing quoted is shown
            message = mask_quoted(redact(first_line(exc), secrets_of(base)))
            raise ConnectError(f"invalid connection string: {message}") from None


def is_conninfo(text: str) -> bool:
    """What psql expands when given as a database name: a URI or key=value pairs."""
    return "=" in text or text.startswith(("postgresql://", "postgres://"))


def check_uri(text: str) -> None:
    """Refuse a URI whose password holds an unencoded `@` or `/`: libpq would split it at the first
    one and take the rest of the password for a host, port or database name (shown in every error)."""
    if "://" not in text:
        return
    rest = text.split("://", 1)[1].split("?", 1)[0]
    if "@" not in rest:
        return
    userinfo = rest.rsplit("@", 1)[0]
    if "@" in userinfo or "/" in userinfo:
        raise ConnectError(
            "the URI's user or password holds an unencoded '@' or '/': percent-encode it (%40, %2F), "
            "or keep the password in ~/.pgpass or PGPASSWORD"
        )


def mask_quoted(text: str) -> str:
    """Every quoted token of a libpq parse error masked: it may be part of a password."""
    return re.sub(r'".*"|".*$', '"***"', text)  # first quote to last: a password may hold quotes itself


def secrets_of(conninfo: str) -> list[str]:
    """Every password we could leak: the one in the conninfo (parsed, or found by pattern when libpq
    cannot parse it, since its parse errors echo the offending token) and PGPASSWORD."""
    found: list[str] = []
    try:
        pw = conninfo_to_dict(conninfo).get("password")
        if pw:
            found.append(str(pw))
    except Exception:  # an unparsable string: the patterns below still find the password
        pass
    found += passwords_in(conninfo)
    if os.environ.get("PGPASSWORD"):
        found.append(os.environ["PGPASSWORD"])
    return [s for s in dict.fromkeys(found) if s]


class QueryUnavailable(Exception):
    """One catalog query could not run; the collector records why and carries on."""

    def __init__(self, reason: str, grant: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.grant = grant


Fetched = tuple[str, "list[Any] | QueryUnavailable"]  # a section's rows, or why it could not be read
Planned = tuple[str, "str | sql.Composable", RowFactory[Any]]


class Plan:
    """The queries of one fetch_ahead, taken in order by its connections. The reader may add to it while
    they run: `awaiting` additions are promised (the sequences' values, once their list is in), and a
    connection that finds nothing to take waits for them rather than ending."""

    def __init__(self, items: Iterable[Planned], awaiting: int = 0) -> None:
        self._items: deque[Planned] = deque(items)
        self._awaiting = awaiting
        self._closed = False
        self._cond = threading.Condition()

    def add(self, items: Iterable[Planned]) -> None:
        """One promised addition (possibly empty): these queries go to the end."""
        with self._cond:
            self._items.extend(items)
            self._awaiting -= 1
            self._cond.notify_all()

    def close(self) -> None:
        """Nothing more is taken (the reader stopped, or a connection was lost)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self) -> Planned | None:
        with self._cond:
            while not self._items and self._awaiting > 0 and not self._closed:
                self._cond.wait()
            return None if self._closed or not self._items else self._items.popleft()


@dataclass
class Session:
    """One connection; every query in its own short read-only transaction with local timeouts.

    Inside a transaction the caller already opened (tests that roll their DDL back), each query
    runs in a savepoint instead, and the settings are local to the caller's transaction.
    """

    conn: psycopg.Connection
    timeouts: Timeouts = field(default_factory=Timeouts)
    secrets: list[str] = field(default_factory=list)
    queries: int = 0
    rows: int = 0
    elapsed: float = 0.0
    locked: list[int] = field(default_factory=list)  # relations under ACCESS EXCLUSIVE (locks.sql), skipped by queries
    # Opens one more connection like this one (connect() sets it): fetch_ahead's extra readers.
    reopen: Callable[[], psycopg.Connection] | None = field(default=None, repr=False)
    connections: int = 1  # the most connections one fetch_ahead read on
    notes: list[str] = field(default_factory=list)  # why fewer connections were used than asked
    pids: list[int] = field(default_factory=list)  # backends of fetch_ahead's connections (horizon leaves them out)

    def fetch(
        self,
        name: str,
        query: str | sql.Composable,
        retry: bool = True,
        row_factory: RowFactory[Any] = dict_row,
        statement_timeout: str | None = None,
    ) -> list[Any]:
        """Run one catalog query and return its rows (dicts unless a psycopg row factory says otherwise).

        A lock timeout or a hot-standby recovery conflict is retried once; a second failure, a
        statement timeout or a cancel makes this one query unavailable, never the whole run.
        """
        return self.rows_of(name, self.execute(name, query, row_factory, retry, statement_timeout))

    def fetch_ahead(
        self,
        plan: Iterable[Planned] | Plan,
        idle: Callable[[], bool] | None = None,
        connections: int = 1,
    ) -> Iterator[Fetched]:
        """Run the queries of `plan`, each in its own transaction, yielding (name, rows or
        QueryUnavailable) as they complete: in plan order on one connection.

        Threads run the queries while the caller builds the rows of the last one, so the server's
        work and the client's overlap. With `connections` above 1, that many connections (this one
        and read-only siblings opened as the reading starts) each take the next query of the plan:
        catalogs are independent sections, each query already its own transaction and snapshot. A
        sibling the server refuses (max_connections, a role's CONNECTION LIMIT) is done without and
        noted in `notes`. Results wait at most AHEAD deep, which bounds the memory of unread results.
        While no result is ready, `idle()` is called until it returns False (other work that fills
        the wait).
        """
        work = plan if isinstance(plan, Plan) else Plan(plan)
        ahead: queue.Queue[tuple[str, psycopg.Cursor[Any] | BaseException, Session]] = queue.Queue(maxsize=AHEAD)
        stop = threading.Event()
        extra = connections - 1 if self.can_add_connections() else 0
        readers: list[Session] = [self]  # whose queries a cancel must reach, and whose counters add up here
        self.pids = [self.conn.info.backend_pid]
        refused: list[str] = []

        def run(session: Session | None) -> None:
            if session is None:
                try:
                    session = self.sibling()
                except psycopg.Error as exc:
                    refused.append(describe_connect_error(exc, self.secrets))
                    ahead.put(("", StopIteration(), self))
                    return
                readers.append(session)
                self.pids.append(session.conn.info.backend_pid)  # before its first query: see `pids`
            while not stop.is_set():
                item = work.take()
                if item is None:
                    break
                name, query, row_factory = item
                try:
                    ahead.put((name, session.execute(name, query, row_factory), session))
                except QueryUnavailable as exc:
                    ahead.put((name, exc, session))
                except BaseException as exc:  # connection lost, or a bug: the caller raises it
                    work.close()
                    ahead.put((name, exc, session))
                    break
            ahead.put(("", StopIteration(), session))

        workers = [
            threading.Thread(target=run, args=(None if n else self,), name=f"pg-auditor-fetch-{n}", daemon=True)
            for n in range(1 + extra)
        ]
        ended = 0
        with QUICK_SWITCHES.held():  # the fetch threads must get the GIL soon after data arrives
            for worker in workers:
                worker.start()
            try:
                while ended < len(workers):
                    while idle is not None and ahead.empty() and idle():
                        pass
                    name, outcome, owner = ahead.get()
                    if isinstance(outcome, StopIteration):
                        ended += 1
                    elif isinstance(outcome, QueryUnavailable):
                        yield name, outcome
                    elif isinstance(outcome, BaseException):
                        raise outcome
                    else:
                        try:
                            yield name, self.rows_of(name, outcome, owner)
                        except QueryUnavailable as exc:
                            yield name, exc
            finally:
                stop.set()
                work.close()
                if ended < len(workers):  # interrupted (Ctrl-C, an error): stop the server's work now
                    for reader in list(readers):
                        reader.cancel()
                while any(w.is_alive() for w in workers):  # drain, so a worker blocked on a full queue sees `stop`
                    try:
                        _, pending, _ = ahead.get(timeout=0.05)
                    except queue.Empty:
                        continue
                    if isinstance(pending, psycopg.Cursor):
                        pending.close()
                for worker in workers:
                    worker.join()
                for reader in readers[1:]:
                    self.queries += reader.queries
                    self.elapsed += reader.elapsed
                    reader.conn.close()
                self.connections = max(self.connections, len(readers))
                if refused:
                    self.notes.append(
                        f"{connections} connections asked, {connections - len(refused)} opened: {refused[0]}"
                    )

    def can_add_connections(self) -> bool:
        """Siblings read what is committed: not inside a transaction the caller opened (tests that roll
        their DDL back), and only when this session knows how to open one."""
        return self.reopen is not None and self.conn.info.transaction_status == TransactionStatus.IDLE

    def sibling(self) -> Session:
        """One more read-only connection like this one: same target, timeouts, secrets and skipped relations."""
        assert self.reopen is not None
        conn = self.reopen()
        conn.read_only = True
        return Session(conn=conn, timeouts=self.timeouts, secrets=self.secrets, locked=list(self.locked))

    def cancel(self) -> None:
        """Ask the server to cancel the query in flight, if any (a no-op on an idle connection)."""
        try:
            cancel = getattr(self.conn, "cancel_safe", None) or self.conn.cancel  # cancel_safe: psycopg 3.2+
            cancel()
        except psycopg.Error as exc:
            log.debug("cancel request failed: %s", redact(first_line(exc), self.secrets))

    def execute(
        self,
        name: str,
        query: str | sql.Composable,
        row_factory: RowFactory[Any],
        retry: bool = True,
        statement_timeout: str | None = None,
    ) -> psycopg.Cursor[Any]:
        """Run one query in its own read-only transaction; its rows stay on the returned cursor."""
        started = time.perf_counter()
        limit = statement_timeout or self.timeouts.statement
        try:
            cursor = self._run(query, row_factory, limit)
        except pgerrors.LockNotAvailable:
            if not retry:
                raise QueryUnavailable("a lock held by another session outlasted lock_timeout") from None
            log.debug("query %s hit lock_timeout; retrying once", name)
            return self.execute(name, query, row_factory, False, statement_timeout)
        except pgerrors.SerializationFailure as exc:  # 40001: "canceling statement due to conflict with recovery"
            if retry and not (self.conn.closed or self.conn.broken):
                log.debug("query %s cancelled by a recovery conflict; retrying once", name)
                return self.execute(name, query, row_factory, False, statement_timeout)
            raise QueryUnavailable(f"cancelled twice by recovery conflicts: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise self._unavailable(name, exc, limit) from None
        took = time.perf_counter() - started
        self.queries += 1
        self.elapsed += took
        log.debug("query %-20s %6d rows %8.1f ms", name, cursor.rowcount, took * 1000)
        return cursor

    def within(self, name: str, work: Callable[[psycopg.Cursor[Any]], T], statement_timeout: str | None = None) -> T:
        """work(cursor) inside one read-only transaction with the audit's settings, for what takes more than
        one statement (the workload's EXPLAINs): errors end it as they end a query (QueryUnavailable), never
        retried, and everything work set up that outlives a transaction it must undo itself."""
        limit = statement_timeout or self.timeouts.statement
        t = self.timeouts
        started = time.perf_counter()
        try:
            with self.conn.cursor() as cur, self.conn.transaction():
                locked = "{" + ",".join(str(oid) for oid in self.locked) + "}"
                cur.execute(SETTINGS, (limit, t.lock, t.idle_in_transaction, PINNED_SEARCH_PATH, locked))
                result = work(cur)
        except pgerrors.LockNotAvailable:
            raise QueryUnavailable("a lock held by another session outlasted lock_timeout") from None
        except psycopg.Error as exc:
            raise self._unavailable(name, exc, limit) from None
        self.queries += 1
        self.elapsed += time.perf_counter() - started
        return result

    def _unavailable(self, name: str, exc: psycopg.Error, limit: str) -> Exception:
        """Why one query (or one transaction of within()) could not run, as the collector records it."""
        if isinstance(exc, pgerrors.InsufficientPrivilege):
            return QueryUnavailable(f"permission denied: {first_line(exc)}")
        if isinstance(exc, pgerrors.QueryCanceled):
            if "statement timeout" in str(exc):
                return QueryUnavailable(f"cancelled by statement_timeout ({limit})")
            return QueryUnavailable(f"cancelled: {first_line(exc)}")
        if isinstance(exc, pgerrors.UndefinedTable | pgerrors.UndefinedFunction | pgerrors.UndefinedColumn):
            return QueryUnavailable(f"not supported here: {first_line(exc)}")
        return self._failure(name, exc)

    def rows_of(self, name: str, cursor: psycopg.Cursor[Any], owner: Session | None = None) -> list[Any]:
        """Build the rows of an executed query (the client's share of the work) and free its result;
        `owner` is the session whose connection ran it (a sibling's, in fetch_ahead)."""
        try:
            with cursor:
                rows = cursor.fetchall()
        except psycopg.Error as exc:
            raise (owner or self)._failure(name, exc) from None
        self.rows += len(rows)
        return rows

    def _failure(self, name: str, exc: psycopg.Error) -> Exception:
        """A lost connection ends the run; any other driver error makes this one query unavailable."""
        if self.conn.closed or self.conn.broken:
            return ConnectionLost(f"connection lost during query {name}: {redact(first_line(exc), self.secrets)}")
        if isinstance(exc, psycopg.OperationalError):
            return QueryUnavailable(redact(first_line(exc), self.secrets))
        return QueryUnavailable(f"failed: {redact(first_line(exc), self.secrets)}")

    def _run(
        self, query: str | sql.Composable, row_factory: RowFactory[Any], statement_timeout: str
    ) -> psycopg.Cursor[Any]:
        text = (
            sql.Composed([sql.SQL(QUERY_MARKER), query])
            if isinstance(query, sql.Composable)
            else (QUERY_MARKER + query)
        )
        t = self.timeouts
        cur = self.conn.cursor(row_factory=row_factory)
        try:
            with self.conn.transaction():
                locked = "{" + ",".join(str(oid) for oid in self.locked) + "}"
                cur.execute(SETTINGS, (statement_timeout, t.lock, t.idle_in_transaction, PINNED_SEARCH_PATH, locked))
                self.queries += 1
                cur.execute(text)  # type: ignore[arg-type]
        except BaseException:
            cur.close()
            raise
        return cur


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def connect(
    target: Target,
    timeouts: Timeouts | None = None,
    password: str | None = None,
) -> Session:
    """Open the read-only connection an audit uses (Session.sibling opens more like it for reading the
    catalogs). Raises ConnectError with a safe one-line message."""
    timeouts = timeouts or Timeouts()
    conninfo, source = target.resolve()
    secrets = secrets_of(conninfo) + ([password] if password else [])
    kwargs: dict[str, Any] = {"fallback_application_name": APP_NAME, "connect_timeout": timeouts.connect}
    if password:
        kwargs["password"] = password

    def reopen() -> psycopg.Connection:
        return psycopg.connect(conninfo, autocommit=False, **kwargs)

    try:
        conn = reopen()
    except psycopg.Error as exc:
        raise ConnectError(f"cannot connect: {describe_connect_error(exc, secrets)}") from None
    conn.read_only = True
    log.debug("connected via %s to %s", source, describe(conn))
    return Session(conn=conn, timeouts=timeouts, secrets=secrets, reopen=reopen)


def describe_connect_error(exc: BaseException, secrets: list[str]) -> str:
    """libpq's messages span lines and can echo the conninfo: keep where and why, on one line, masked.

    'connection failed: connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  password
    authentication failed for user "x"' becomes 'db:5432: password authentication failed for user "x"'.
    """
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    attempts = [ln for ln in lines if "failed:" in ln]
    text = (attempts or lines or [type(exc).__name__])[-1]
    text = re.sub(r"^(connection failed|connection is bad):\s*", "", text)
    m = _SERVER_FAILED.match(text)
    if m:
        where = f"{m.group('host')}:{m.group('port')}" if m.group("host") else f"socket {m.group('socket')}"
        text = f"{where}: {m.group('reason')}"
    text = re.sub(r"\b(FATAL|ERROR):\s+", "", text)
    return mask_parse_error(redact(text, secrets), secrets)


def mask_parse_error(text: str, secrets: list[str]) -> str:
    """libpq's parse errors quote the token they choked on, which may be part of a badly quoted password."""
    parse_words = ("connection info string", "URI", "connection option", "unexpected", "invalid", "missing")
    if any(w in text for w in parse_words):
        return mask_quoted(text)
    return text


_SERVER_FAILED = re.compile(
    r'^connection to server (?:at "(?P<host>[^"]*)"(?: \([^)]*\))?, port (?P<port>\d+)|on socket "(?P<socket>[^"]*)")'
    r" failed: (?P<reason>.*)$"
)


def describe(conn: psycopg.Connection) -> str:
    """host:port/db as user, from conn.info (psycopg never returns the password there)."""
    info = conn.info
    host = info.host if not info.host.startswith("/") else f"socket {info.host}"
    return f"{info.user}@{host}:{info.port}/{info.dbname}"
