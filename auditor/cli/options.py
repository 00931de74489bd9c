"""The options commands share: connection (libpq-style), timeouts, config, selection."""

from __future__ import annotations

import functools
import getpass
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from auditor.base.errors import ConfigError
from auditor.cli.console import _SECRETS

F = TypeVar("F", bound=Callable[..., Any])


DsnArg = Annotated[
    str | None,
    typer.Argument(
        help="Connection string: a URI, key=value pairs or a database name. "
        "libpq's PG* variables, ~/.pgpass and pg_service.conf apply."
    ),
]


HostOpt = Annotated[str | None, typer.Option("-h", "--host", help="Server host or socket directory.")]


PortOpt = Annotated[str | None, typer.Option("-p", "--port", help="Server port.")]


UserOpt = Annotated[str | None, typer.Option("-U", "--username", help="Role to connect as.")]


DbOpt = Annotated[str | None, typer.Option("-d", "--dbname", help="Database name.")]


ServiceOpt = Annotated[str | None, typer.Option("--service", help="Service name from pg_service.conf.")]


PromptOpt = Annotated[bool, typer.Option("-W", "--password", help="Prompt for the password.")]


DebugOpt = Annotated[bool, typer.Option("--debug", help="Log every query with timing to stderr (no secrets).")]


SchemaOpt = Annotated[list[str] | None, typer.Option("--schema", "-n", help="Only these schemas (glob; repeat).")]


ExcludeSchemaOpt = Annotated[
    list[str] | None, typer.Option("--exclude-schema", "-N", help="Leave these schemas out (glob; repeat).")
]


StatementTimeoutOpt = Annotated[
    str, typer.Option("--statement-timeout", help="Per-query statement_timeout (500ms, 60s, 2min; off: no limit).")
]


LockTimeoutOpt = Annotated[str, typer.Option("--lock-timeout", help="Per-query lock_timeout (2s; off: no limit).")]


ConnectTimeoutOpt = Annotated[int, typer.Option("--connect-timeout", help="Seconds to wait for the server.")]


HistoryOpt = Annotated[
    str | None, typer.Option("--history", help="Run history: a SQLite file, or a SQLAlchemy URL for a shared one.")
]


@dataclass(frozen=True)
class Connection:
    """The connection options of every command that reads a database, as one value to pass on."""

    dsn: str | None
    host: str | None
    port: str | None
    user: str | None
    dbname: str | None
    service: str | None
    prompt: bool
    statement_timeout: str
    lock_timeout: str
    connect_timeout: int

    def target(self) -> Any:
        # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
        from auditor.catalog.db import Target

        return Target(self.dsn or "", self.host, self.port, self.user, self.dbname, self.service)

    def timeouts(self) -> Any:
        """The limits every query of this connection runs under (catalog.db.Timeouts)."""
        # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
        from auditor.catalog.db import Timeouts

        return Timeouts(statement=self.statement_timeout, lock=self.lock_timeout, connect=self.connect_timeout)

    def label(self) -> str:
        """The history's name for a database the run never reached."""
        # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
        from auditor.runs import nightly

        return nightly.guess_label(self.dsn, self.host, self.port, self.dbname, self.service)


def _options(*specs: tuple[str, Any, Any]) -> list[inspect.Parameter]:
    """Typer options as signature parameters: (name, Annotated type, default) each."""
    return [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d, annotation=a) for n, a, d in specs]


_CONNECTION_PARAMS = _options(
    ("dsn", DsnArg, None),
    ("host", HostOpt, None),
    ("port", PortOpt, None),
    ("username", UserOpt, None),
    ("dbname", DbOpt, None),
    ("service", ServiceOpt, None),
    ("password", PromptOpt, False),
)


_TIMEOUT_PARAMS = _options(
    ("statement_timeout", StatementTimeoutOpt, "60s"),
    ("lock_timeout", LockTimeoutOpt, "2s"),
    ("connect_timeout", ConnectTimeoutOpt, 10),
)


def takes_connection(func: F) -> F:
    """Give a command the connection options as one `connection: Connection` argument.

    Typer reads options from the signature, so the wrapper shows it the connection options first and
    the timeouts just before --debug (the order of --help), and hands the command one Connection.
    """
    own = [p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != "connection"]
    at = next((i for i, p in enumerate(own) if p.name == "debug"), len(own))
    params = [*_CONNECTION_PARAMS, *own[:at], *_TIMEOUT_PARAMS, *own[at:]]

    @functools.wraps(func)
    def wrapper(*, dsn, host, port, username, dbname, service, password, statement_timeout, lock_timeout,
                connect_timeout, **kwargs: Any) -> Any:  # fmt: skip
        # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
        from auditor.base.durations import check_timeout

        statement_timeout = check_timeout("--statement-timeout", statement_timeout)
        lock_timeout = check_timeout("--lock-timeout", lock_timeout)
        if connect_timeout < 1:
            raise ConfigError("--connect-timeout must be at least 1 second (libpq reads 0 as: wait forever)")
        connection = Connection(
            dsn, host, port, username, dbname, service, password, statement_timeout, lock_timeout, connect_timeout
        )
        return func(connection=connection, **kwargs)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]


def open_session(connection: Connection) -> Any:
    """Connect read-only; every password met on the way joins the secrets that are never printed."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.catalog.db import connect, secrets_of

    password = getpass.getpass("Password: ") if connection.prompt else None
    if password:
        _SECRETS.append(password)
    if connection.dsn:
        _SECRETS.extend(secrets_of(connection.dsn))
    session = connect(connection.target(), connection.timeouts(), password=password)
    _SECRETS.extend(session.secrets)
    return session


ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Config file (default: found from cwd).")]


SelectOpt = Annotated[list[str] | None, typer.Option("--select", help="Only these rule codes or prefixes.")]


IgnoreOpt = Annotated[list[str] | None, typer.Option("--ignore", help="Leave out these codes or prefixes.")]


SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Threshold KEY=VALUE (repeat).")]
NoQueryTextOpt = Annotated[
    bool,
    typer.Option(
        "--no-query-text",
        help="Leave pg_stat_statements' query texts out of the snapshot and the report (same as "
        "--set workload-query-text=false).",
    ),
]


ConnectionsOpt = Annotated[
    int | None,
    typer.Option(
        "--connections",
        min=1,
        max=8,
        help="Connections reading the catalogs at once, each query its own read-only snapshot (same as "
        "--set collect-connections=N; fewer when the server refuses more).",
    ),
]


def with_connections(settings: list[str] | None, connections: int | None) -> list[str] | None:
    """--connections as the threshold it stands for."""
    return [*(settings or []), f"collect_connections={connections}"] if connections is not None else settings


def with_query_text(settings: list[str] | None, no_query_text: bool) -> list[str] | None:
    """--no-query-text as the threshold it stands for."""
    return [*(settings or []), "workload_query_text=false"] if no_query_text else settings


FromSnapshotOpt = Annotated[
    Path | None, typer.Option("--from-snapshot", help="Audit a saved snapshot; no database needed.")
]


QuietOpt = Annotated[bool, typer.Option("-q", "--quiet", help="No progress and no summary: errors and warnings only.")]


VerboseOpt = Annotated[
    bool, typer.Option("-v", "--verbose", help="A line per step on stderr, and more findings in the summary.")
]
