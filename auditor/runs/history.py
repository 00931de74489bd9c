"""Run history: every run's envelope, scores, findings (by fingerprint) and schema digest.

A SQLite file by default (`--history PATH`), or any SQLAlchemy URL (a team's PostgreSQL) for a
shared history. The store manages its own schema: created on first use, versioned in
`pga_meta`, migrated forward step by step; a history written by a newer pg-auditor is refused
rather than damaged. Retention (keep the last N runs per target, or runs younger than N days) is
applied after each write.

This module is the only one that imports SQLAlchemy, and only when history is asked for.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from auditor.base.errors import AuditorError

log = logging.getLogger("pg_auditor")

SCHEMA_VERSION = 1
metadata = sa.MetaData()

meta = sa.Table(
    "pga_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
runs = sa.Table(
    "pga_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target", sa.String(255), nullable=False, index=True),
    sa.Column("database", sa.String(255)),
    sa.Column("started_at", sa.String(32), nullable=False),  # ISO 8601 UTC: sorts as text everywhere
    sa.Column("collected_at", sa.String(64)),
    sa.Column("tool_version", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False),  # ok / failed
    sa.Column("error", sa.Text),
    sa.Column("overall", sa.Integer),
    sa.Column("scores", sa.Text),  # {"overall": int, area: int}
    sa.Column("counts", sa.Text),  # {severity: n}
    sa.Column("envelope", sa.Text),  # the JSON report as rendered (pack())
    sa.Column("digest", sa.Text),  # drift.digest(): object identities for schema drift (pack())
)
findings = sa.Table(
    "pga_findings",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("pga_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("fingerprint", sa.String(32), primary_key=True),
    sa.Index("pga_findings_fingerprint", "fingerprint"),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("object", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)


class HistoryError(AuditorError):
    """The history store cannot be opened, is newer than this pg-auditor, or a run is not in it."""


def _create_v1(conn: sa.Connection) -> None:
    # Version 1 is the tables above as first released. A later version adds a function that alters
    # them with explicit DDL (never metadata.create_all, which would describe the newest shape).
    for table in (runs, findings):
        conn.execute(sa.schema.CreateTable(table, if_not_exists=True))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))


# Version N is reached by running MIGRATIONS[N] on a store at version N-1. Append; never edit.
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {1: _create_v1}


@dataclass
class StoredRun:
    id: int
    target: str
    database: str | None
    started_at: str
    collected_at: str | None
    status: str
    error: str | None
    overall: int | None
    scores: dict[str, int | None]
    counts: dict[str, int]
    digest: dict[str, Any] | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """`run 12 (2026-11-22 02:15 UTC)`: how the report names the run it compares with."""
        when = self.collected_at or self.started_at
        with contextlib.suppress(TypeError, ValueError):
            when = datetime.fromisoformat(when).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"run {self.id} ({when})"

    def as_baseline(self) -> dict[str, Any]:
        """The shape auditor.runs.baseline.apply() compares against."""
        return {"scores": self.scores, "entries": self.findings}


def to_url(location: str) -> sa.URL:
    """A path means a SQLite file; anything with :// is a SQLAlchemy URL (postgresql:// uses psycopg 3)."""
    if "://" not in location:
        path = Path(location).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create the history's directory {path.parent}: {exc.strerror}") from None
        return sa.URL.create("sqlite", database=str(path.resolve()))
    try:
        url = sa.make_url(location)
        url.port  # noqa: B018 - a port that is not a number fails here, as a one-line error
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise HistoryError(f"invalid history URL: {_redacted(str(exc), location)}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def secrets_of(location: str) -> list[str]:
    if "://" not in location:
        return []
    try:
        pw = sa.make_url(location).password
    except (sa.exc.ArgumentError, ValueError):
        return []
    return [str(pw)] if pw else []


def _redacted(text: str, location: str) -> str:
    for secret in secrets_of(location):
        text = text.replace(secret, "***")
    return text


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """A history read that fails (a dropped connection, a damaged table) as one HistoryError line."""

    def wrapper(self: History, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sa.exc.SQLAlchemyError as exc:
            raise HistoryError(f"cannot read history {self.safe_url}: {_first_line(exc)}") from None

    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper


class History:
    """One history store. Thread-safe for a fleet run: writes are serialized by a lock.

    `timeout` (the audit's --connect-timeout) bounds what the store may make a run wait: the connection to
    a history server (a server that accepts TCP and never answers fails after it), and, for SQLite, three
    times it for another writer to let go of the file (30 s by default).
    """

    def __init__(self, location: str, timeout: int = 10) -> None:
        self.location = location
        url = to_url(location)
        self.safe_url = url.render_as_string(hide_password=True)
        kwargs: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": 3 * timeout, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True  # a connection the server dropped is replaced, not used
            if url.get_backend_name() == "postgresql":
                kwargs["connect_args"] = {"connect_timeout": timeout}
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise HistoryError(f"cannot use history {self.safe_url}: {exc}") from None
        if url.get_backend_name() == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.lock = threading.Lock()
        self.version = self._migrate()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- schema --------------------------------------------------------------------------------

    def _migrate(self) -> int:
        """Create or upgrade the schema. Processes opening a new store at once race to create it: a
        creation that lost the race (the table or the version row appeared meanwhile) is tried again."""
        for attempt in range(5):
            try:
                return self._migrate_once()
            except sa.exc.SQLAlchemyError as exc:
                if attempt == 4 or not isinstance(
                    exc, sa.exc.IntegrityError | sa.exc.OperationalError | sa.exc.ProgrammingError
                ):
                    raise HistoryError(f"cannot open history {self.safe_url}: {_first_line(exc)}") from None
                log.debug("history: schema creation raced another process (%s); again", _first_line(exc))
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _migrate_once(self) -> int:
        with self.engine.begin() as conn:
            if not sa.inspect(conn).has_table(meta.name):  # a role that may only read never needs CREATE
                conn.execute(sa.schema.CreateTable(meta, if_not_exists=True))
            row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"history {self.safe_url} has schema version {version}, newer than this pg-auditor "
                    f"understands ({SCHEMA_VERSION}); upgrade pg-auditor"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                log.debug("history: migrating schema to version %d", step)
                MIGRATIONS[step](conn)
            if version < SCHEMA_VERSION:
                values = {"key": "schema_version", "value": str(SCHEMA_VERSION)}
                if row:
                    conn.execute(meta.update().where(meta.c.key == "schema_version").values(values))
                else:
                    conn.execute(meta.insert().values(values))
            return SCHEMA_VERSION

    # ---- writing -------------------------------------------------------------------------------

    def record(self, report: Any, target: str, envelope: dict[str, Any], digest: dict[str, Any] | None) -> int:
        """Store a finished run; returns its id."""
        scores = {"overall": report.overall, **{a: s.score for a, s in report.scores.items()}}
        row = {
            "target": target,
            "database": report.database.get("name"),
            "started_at": report.run.get("started_at") or now_iso(),
            "collected_at": report.database.get("collected_at"),
            "tool_version": report.tool_version,
            "status": "partial" if getattr(report, "partial", False) else "ok",
            "overall": report.overall,
            "scores": json.dumps(scores, sort_keys=True),
            "counts": json.dumps(report.counts(), sort_keys=True),
            "envelope": pack(envelope),
            "digest": pack(digest) if digest else None,
        }
        rows = [
            {
                "fingerprint": f.fingerprint,
                "code": f.code,
                "severity": f.severity,
                "object": f.obj.display,
                "message": f.message,
            }
            for f in report.active
        ]
        return self._insert(row, rows)

    def record_failure(self, target: str, error: str, started_at: str | None = None) -> int:
        """A run that produced no report (could not connect, lost the connection...)."""
        row = {"target": target, "started_at": started_at or now_iso(), "status": "failed", "error": error}
        return self._insert(row, [])

    def _insert(self, row: dict[str, Any], finding_rows: list[dict[str, Any]]) -> int:
        with self.lock:
            try:
                with self.engine.begin() as conn:
                    run_id = int(conn.execute(runs.insert().values(row)).inserted_primary_key[0])
                    if finding_rows:
                        conn.execute(findings.insert(), [{"run_id": run_id, **r} for r in finding_rows])
                return run_id
            except sa.exc.SQLAlchemyError as exc:
                raise HistoryError(f"cannot write history {self.safe_url}: {_first_line(exc)}") from None

    @_guarded
    def prune(self, keep_runs: int | None = None, keep_days: int | None = None, target: str | None = None) -> int:
        """Retention: drop runs beyond the newest keep_runs per target, or older than keep_days. Returns how many."""
        doomed: set[int] = set()
        with self.lock, self.engine.begin() as conn:
            if keep_days is not None:
                cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
                q = sa.select(runs.c.id).where(runs.c.started_at < cutoff)
                if target is not None:
                    q = q.where(runs.c.target == target)
                doomed.update(r[0] for r in conn.execute(q))
            if keep_runs is not None:
                q = sa.select(runs.c.target, runs.c.id).order_by(runs.c.target, runs.c.id.desc())
                if target is not None:
                    q = q.where(runs.c.target == target)
                seen: dict[str, int] = {}
                for tgt, run_id in conn.execute(q):
                    seen[tgt] = seen.get(tgt, 0) + 1
                    if seen[tgt] > keep_runs:
                        doomed.add(run_id)
            if doomed:
                ids = sorted(doomed)
                for i in range(0, len(ids), 500):
                    chunk = ids[i : i + 500]
                    conn.execute(findings.delete().where(findings.c.run_id.in_(chunk)))
                    conn.execute(runs.delete().where(runs.c.id.in_(chunk)))
        return len(doomed)

    # ---- reading -------------------------------------------------------------------------------

    @_guarded
    def runs(self, target: str | None = None, limit: int = 30, include_failed: bool = True) -> list[StoredRun]:
        """Newest first."""
        q = sa.select(*_summary_columns()).order_by(runs.c.id.desc()).limit(limit)
        if target is not None:
            q = q.where(runs.c.target == target)
        if not include_failed:
            q = q.where(runs.c.status == "ok")
        with self.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(q)]

    @_guarded
    def latest(self, target: str) -> StoredRun | None:
        """The newest successful run of this target, with its findings and digest."""
        q = (
            sa.select(runs.c.id)
            .where(runs.c.target == target, runs.c.status == "ok")
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return self.get(row[0]) if row else None

    @_guarded
    def get(self, run_id: int) -> StoredRun:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*_summary_columns(), runs.c.digest).where(runs.c.id == run_id)).first()
            if row is None:
                raise HistoryError(f"no run {run_id} in history {self.safe_url}")
            run = _stored(row)
            run.digest = unpack(row.digest)
            q = sa.select(findings).where(findings.c.run_id == run_id).order_by(findings.c.code, findings.c.object)
            run.findings = [
                {k: r._mapping[k] for k in ("fingerprint", "code", "severity", "object", "message")}
                for r in conn.execute(q)
            ]
        return run

    @_guarded
    def envelope(self, run_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(runs.c.envelope).where(runs.c.id == run_id)).first()
        return unpack(row[0]) if row else None

    def trend(self, target: str, limit: int) -> list[dict[str, Any]]:
        """Scores of the last `limit` successful runs, oldest first."""
        points = []
        for run in reversed(self.runs(target, limit, include_failed=False)):
            points.append({"run_id": run.id, "collected_at": run.collected_at or run.started_at, **run.scores})
        return points

    @_guarded
    def targets(self) -> list[str]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.select(runs.c.target).distinct().order_by(runs.c.target))]


def _summary_columns() -> list[sa.Column]:
    c = runs.c
    return [
        c.id,
        c.target,
        c.database,
        c.started_at,
        c.collected_at,
        c.status,
        c.error,
        c.overall,
        c.scores,
        c.counts,
    ]


def _stored(row: Any) -> StoredRun:
    return StoredRun(
        id=row.id,
        target=row.target,
        database=row.database,
        started_at=row.started_at,
        collected_at=row.collected_at,
        status=row.status,
        error=row.error,
        overall=row.overall,
        scores=json.loads(row.scores) if row.scores else {},
        counts=json.loads(row.counts) if row.counts else {},
    )


def pack(doc: Any) -> str:
    """JSON, deflated and base64'd: a schema digest of a 140-table database is ~180 kB as text, ~28 kB packed."""
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return "z1:" + base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def unpack(text: str | None) -> Any:
    if not text:
        return None
    if text.startswith("z1:"):
        return json.loads(zlib.decompress(base64.b64decode(text[3:])).decode("utf-8"))
    return json.loads(text)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")  # readers (pg-auditor history) never block the nightly writer
    cur.close()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
