"""The command line (Typer). Argument parsing and exit codes only; the work lives in the other modules.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration, connection or
internal error. Every report is written before a non-zero exit; errors are one line on stderr.
"""

from __future__ import annotations

import functools
import gc
import getpass
import inspect
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from auditor import __version__
from auditor.errors import AuditorError

log = logging.getLogger("pg_auditor")
app = typer.Typer(
    name="pg-auditor",
    help="Audit a live PostgreSQL database: multi-tenant isolation, indexes, constraints and partitions.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_SECRETS: list[str] = []
_CONSOLE = False  # set by main(): the process ends with the command (see finish)
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> None:
    from auditor.redaction import redact

    one_line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    typer.echo(f"pg-auditor: {redact(one_line, _SECRETS)}", err=True)
    raise typer.Exit(code)


def handles_errors(func: F) -> F:
    """One line on stderr and exit 2 for anything that goes wrong; a traceback only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except AuditorError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as exc:
            if log.isEnabledFor(logging.DEBUG):
                import traceback

                from auditor.redaction import redact

                typer.echo(redact(traceback.format_exc(), _SECRETS), err=True)
            fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")

    return wrapper  # type: ignore[return-value]


def setup_logging(debug: bool) -> None:
    from auditor.redaction import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("pg-auditor: %(message)s"))
    handler.addFilter(RedactingFilter(_SECRETS))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if debug else logging.WARNING)
    log.propagate = False


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"pg-auditor {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Audit a live PostgreSQL database."""


# ---- shared options --------------------------------------------------------------------------

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
StatementTimeoutOpt = Annotated[str, typer.Option("--statement-timeout", help="Per-query statement_timeout.")]
LockTimeoutOpt = Annotated[str, typer.Option("--lock-timeout", help="Per-query lock_timeout.")]
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
        from auditor.db import Target

        return Target(self.dsn or "", self.host, self.port, self.user, self.dbname, self.service)

    def label(self) -> str:
        """The history's name for a database the run never reached."""
        from auditor import nightly

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
        connection = Connection(
            dsn, host, port, username, dbname, service, password, statement_timeout, lock_timeout, connect_timeout
        )
        return func(connection=connection, **kwargs)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]


def open_session(connection: Connection) -> Any:
    """Connect read-only; every password met on the way joins the secrets that are never printed."""
    from auditor.db import Timeouts, connect, secrets_of

    password = getpass.getpass("Password: ") if connection.prompt else None
    if password:
        _SECRETS.append(password)
    if connection.dsn:
        _SECRETS.extend(secrets_of(connection.dsn))
    timeouts = Timeouts(
        statement=connection.statement_timeout, lock=connection.lock_timeout, connect=connection.connect_timeout
    )
    session = connect(connection.target(), timeouts, password=password)
    _SECRETS.extend(session.secrets)
    return session


def collect_snapshot(session: Any, schema: list[str] | None, exclude_schema: list[str] | None) -> Any:
    """Read the catalogs, then close the connection whatever happened."""
    from auditor.collect import collect

    try:
        return collect(session, schema, exclude_schema)
    finally:
        session.conn.close()


# ---- commands ----------------------------------------------------------------------------------


ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Config file (default: found from cwd).")]
SelectOpt = Annotated[list[str] | None, typer.Option("--select", help="Only these rule codes or prefixes.")]
IgnoreOpt = Annotated[list[str] | None, typer.Option("--ignore", help="Leave out these codes or prefixes.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Threshold KEY=VALUE (repeat).")]
FromSnapshotOpt = Annotated[
    Path | None, typer.Option("--from-snapshot", help="Audit a saved snapshot; no database needed.")
]


def run_audit(
    cfg: Any,
    from_snapshot: Path | None,
    connection: Connection,
    schema: list[str] | None,
    exclude_schema: list[str] | None,
) -> tuple[Any, Any]:
    """Collect (or load) a snapshot and run the rules over it: the shared core of `audit` and `baseline`."""
    from auditor import api

    started = time.time()
    if from_snapshot:
        report, snap = check_snapshot(cfg, from_snapshot, started)
    else:
        session = open_session(connection)
        report, snap = api.check_database(session, cfg, schema, exclude_schema, started)
        log.debug("collected with %d queries, %d rows", session.queries, session.rows)
    report.run["fail_on"] = cfg.fail_on
    # The snapshot and the report live until the process exits: a full collection during rendering
    # would walk their millions of objects again (0.3 s on 10,000 tables) to find nothing to free.
    # (Collecting and the rules already froze what they allocated; this freezes the report.)
    gc.freeze()
    return report, snap


def check_snapshot(cfg: Any, path: Path, started: float) -> tuple[Any, Any]:
    """Run the rules over a saved snapshot (`--from-snapshot`): no database, no connection options."""
    from auditor import api, engine, snapshot_file

    rules = engine.Run(cfg)
    snap = snapshot_file.load(path)
    report = rules.finish(snap, {"started_at": api.timestamp(started), "source": "snapshot"})
    report.run["seconds"] = round(time.time() - started, 2)
    return report, snap


@app.command()
@handles_errors
@takes_connection
def audit(
    connection: Connection,
    from_snapshot: FromSnapshotOpt = None,
    formats: Annotated[
        list[str] | None,
        typer.Option("-f", "--format", help="md, html, json, sarif, junit (default: md,html,json)."),
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the report files.")] = Path("."),
    name: Annotated[str, typer.Option("--name", help="File name stem of the report files.")] = "pg-auditor-report",
    config_file: ConfigOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 on findings at or above: critical, high, medium, low, info, never."),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even with findings (2 still on error).")
    ] = False,
    baseline_file: Annotated[
        Path | None,
        typer.Option("--baseline", help="Baseline (or previous JSON report): mark findings new/known, gate on new."),
    ] = None,
    sarif_anchor: Annotated[
        str | None,
        typer.Option("--sarif-anchor", help="Repo-relative file for SARIF locations (default: a path per object)."),
    ] = None,
    settings: SetOpt = None,
    history: HistoryOpt = None,
    compare_to: Annotated[
        str | None,
        typer.Option("--compare-to", help="latest, a history RUN_ID, or a JSON report/baseline/snapshot file."),
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="This database's name in the history (default host:port/db).")
    ] = None,
    targets: Annotated[
        Path | None, typer.Option("--targets", help="Audit every database of a targets file (TOML).")
    ] = None,
    all_databases: Annotated[
        bool, typer.Option("--all-databases", help="Audit every database of the server the DSN points at.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Databases audited at once (fleet runs).")] = 4,
    schema: SchemaOpt = None,
    exclude_schema: ExcludeSchemaOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Collect the catalogs, run every rule and write the report."""
    if targets or all_databases:
        from auditor.db import secrets_of
        from auditor.fleet import run_cli

        _SECRETS.extend(secrets_of_settings(config_file, history) + secrets_of(connection.dsn or ""))
        code = run_cli(
            server=connection.target(), targets_file=targets,
            config_file=config_file, cli={"select": select, "ignore": ignore, "fail_on": fail_on,
            "settings": settings}, formats=check_formats(formats or ["md", "html", "json"]), out_dir=output,
            jobs=jobs, history=history, compare_to=compare_to, exit_zero=exit_zero, schema=schema,
            exclude_schema=exclude_schema, timeouts={"statement_timeout": connection.statement_timeout,
            "lock_timeout": connection.lock_timeout, "connect_timeout": connection.connect_timeout}, debug=debug,
            echo=typer.echo,
        )  # fmt: skip
        raise typer.Exit(code)
    from auditor import baseline, nightly, notify, render
    from auditor import config as config_mod

    setup_logging(debug)
    cfg = config_mod.apply_cli(config_mod.load(config_file), select, ignore, fail_on, settings)
    formats = check_formats(formats or ["md", "html", "json"])
    if baseline_file and compare_to:
        raise AuditorError("--baseline and --compare-to both say what changed: give one")
    base = baseline.load(baseline_file) if baseline_file else None  # a bad baseline fails before connecting
    _SECRETS.extend(secrets_of_settings(config_file, history) + notify.secrets_of(cfg))
    hist = nightly.history_settings(cfg, history)
    store = nightly.open_history(hist)
    try:
        nightly.check_compare_to(compare_to, store)
        try:
            report, snap = run_audit(cfg, from_snapshot, connection, schema, exclude_schema)
        except AuditorError as exc:
            if not from_snapshot:
                nightly.run_failed(cfg, store, label or connection.label(), exc)
            raise
        if base is not None and baseline_file is not None:
            baseline.apply(report, base, baseline_file.name)
        nightly.after_run(report, snap, cfg, store, compare_to, label, hist.trend_runs, hist.keep_runs, hist.keep_days)
    finally:
        if store is not None:
            store.close()
    if sarif_anchor:
        report.run["sarif_anchor"] = sarif_anchor
    paths = render.write(report, formats, output, name, cfg.fail_on)
    for p in paths:
        typer.echo(str(p))
    summarize(report)
    notify.on_report(cfg, report, report.run["target"])
    finish(exit_code(report, cfg.fail_on, exit_zero))


def finish(code: int) -> None:
    """End a command whose work is all written. From the console, without the interpreter's teardown:
    freeing a big catalog's snapshot object by object takes 0.15 s (10,000 tables) and frees nothing
    anyone needs. Under typer's test runner or the Python API, the ordinary way."""
    if _CONSOLE:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise typer.Exit(code)


def secrets_of_settings(config_file: Path | None, history: str | None) -> list[str]:
    """Passwords in a history URL (command line or config) and the webhook URL: never printed."""
    from auditor import config as config_mod
    from auditor import notify

    out = []
    try:
        cfg = config_mod.load(config_file)
    except AuditorError:
        cfg = None
    locations = [history, *(((cfg.extra.get("history") or {}).get("url"),) if cfg else ())]
    for loc in locations:
        if loc and "://" in str(loc):
            from auditor.history import secrets_of

            out += secrets_of(str(loc))
    return out + (notify.secrets_of(cfg) if cfg else [])


@app.command("baseline")
@handles_errors
@takes_connection
def write_baseline(
    connection: Connection,
    from_snapshot: FromSnapshotOpt = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Baseline file to write.")] = Path(
        "pg-auditor-baseline.json"
    ),
    config_file: ConfigOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    settings: SetOpt = None,
    schema: SchemaOpt = None,
    exclude_schema: ExcludeSchemaOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Record today's findings as accepted: `audit --baseline FILE` then fails only on new ones."""
    from auditor import baseline
    from auditor import config as config_mod

    setup_logging(debug)
    cfg = config_mod.apply_cli(config_mod.load(config_file), select, ignore, None, settings)
    report, _ = run_audit(cfg, from_snapshot, connection, schema, exclude_schema)
    doc = baseline.save(report, output)
    typer.echo(str(output))
    typer.echo(f"baseline of {len(doc['entries'])} findings", err=True)
    if any(s.status == "error" for s in report.statuses):
        fail("some rules failed with an error; their findings are not in the baseline (run with --debug)")


@app.command("render")
@handles_errors
def render_report(
    report_file: Annotated[Path, typer.Argument(help="A JSON report written by `audit -f json`.")],
    formats: Annotated[
        list[str] | None, typer.Option("-f", "--format", help="md, html, json, sarif, junit (default md,html).")
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the report files.")] = Path("."),
    name: Annotated[str | None, typer.Option("--name", help="File name stem (default: the JSON file's).")] = None,
) -> None:
    """Render a saved JSON report again (another format, a newer template), with no database."""
    import json

    from auditor import render
    from auditor.report import report_from_dict

    try:
        doc = json.loads(report_file.read_text(encoding="utf-8"))
        report = report_from_dict(doc)
    except FileNotFoundError:
        raise AuditorError(f"report file not found: {report_file}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise AuditorError(f"{report_file} is not a pg-auditor JSON report: {exc}") from None
    stem = name or report_file.name.removesuffix(".json")
    for p in render.write(report, check_formats(formats or ["md", "html"]), output, stem):
        typer.echo(str(p))


def check_formats(formats: list[str]) -> list[str]:
    from auditor.render import FORMATS

    out = []
    for f in formats:
        for part in f.split(","):
            part = part.strip().lower()
            if part not in FORMATS:
                raise AuditorError(f"unknown format {part!r} (choose from {', '.join(FORMATS)})")
            if part not in out:
                out.append(part)
    return out


def summarize(report: Any) -> None:
    counts = report.counts()
    scores = ", ".join(f"{a} {s.score if s.score is not None else 'n/a'}" for a, s in report.scores.items())
    errors = sum(1 for s in report.statuses if s.status == "error")
    skipped = sum(1 for s in report.statuses if s.status in ("skipped", "not_evaluated"))
    typer.echo(
        f"score {report.overall if report.overall is not None else 'n/a'}/100 ({scores}); "
        + ", ".join(f"{n} {sev}" for sev, n in counts.items() if n)
        + (f"; {skipped} rules skipped" if skipped else "")
        + (f"; {errors} rules failed" if errors else ""),
        err=True,
    )


def exit_code(report: Any, fail_on: str, exit_zero: bool) -> int:
    """2 when a rule crashed (even with --exit-zero), else 1 when a new, unsuppressed finding reaches fail_on."""
    from auditor.view import gating

    if any(s.status == "error" for s in report.statuses):
        return 2
    if exit_zero:
        return 0
    return 1 if gating(report, fail_on) else 0


@app.command()
@handles_errors
@takes_connection
def collect(
    connection: Connection,
    output: Annotated[Path, typer.Option("-o", "--output", help="Snapshot file to write.")] = Path("snapshot.json"),
    schema: SchemaOpt = None,
    exclude_schema: ExcludeSchemaOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Read the catalogs into a snapshot file, to audit later with `audit --from-snapshot`."""
    from auditor import snapshot_file

    setup_logging(debug)
    session = open_session(connection)
    queries = session.queries
    snap = collect_snapshot(session, schema, exclude_schema)
    snapshot_file.save(snap, output)
    log.debug("collected with %d queries, %d rows", session.queries - queries, session.rows)
    typer.echo(str(output))


@app.command("rules")
@handles_errors
def list_rules(
    thresholds: Annotated[bool, typer.Option("--thresholds", help="List the tunable thresholds instead.")] = False,
) -> None:
    """List every rule: code, severity, slug and title."""
    from auditor.registry import THRESHOLDS, load_all

    rules = load_all()
    if thresholds:
        for key, t in sorted(THRESHOLDS.items()):
            typer.echo(f"{key} = {t.default!r}\n    {t.help}")
        return
    for r in rules.values():
        typer.echo(f"{r.code}  {r.severity:<8}  {r.slug:<40}  {r.title}")


@app.command("rule")
@handles_errors
def show_rule(code: Annotated[str, typer.Argument(help="Rule code (IDX001) or slug.")]) -> None:
    """Print a rule's documentation: why it matters, an example and the fix."""
    from auditor.registry import find_rule

    r = find_rule(code)
    if r is None:
        fail(f"no rule {code!r} (see `pg-auditor rules`)")
        return
    req = f"; needs {', '.join(r.requires)}" if r.requires else ""
    typer.echo(f"{r.code} {r.slug} ({r.area}, default severity {r.severity}{req})\n")
    typer.echo(r.doc)


@app.command("history")
@handles_errors
def show_history(
    history: HistoryOpt = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target (a label or fleet name).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs, newest first.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Apply the retention settings now.")] = False,
    config_file: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """List the recorded runs with their scores (and apply retention with --prune)."""
    from auditor import config as config_mod
    from auditor import nightly

    setup_logging(debug)
    _SECRETS.extend(secrets_of_settings(config_file, history))
    settings = nightly.history_settings(config_mod.load(config_file), history)
    if not settings.location:
        fail("no history: give --history PATH or set [history] url in the config")
    store = nightly.open_history(settings)
    try:
        if prune:
            n = store.prune(settings.keep_runs, settings.keep_days, target)
            typer.echo(f"removed {n} run(s)", err=True)
        for line in nightly.history_lines(store.runs(target, limit), as_json):
            typer.echo(line)
    finally:
        store.close()


@app.command()
@handles_errors
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the demo report.")] = Path(
        "pg-auditor-demo"
    ),
    keep: Annotated[bool, typer.Option("--keep", help="Leave the demo server running (prints its DSN).")] = False,
    debug: DebugOpt = False,
) -> None:
    """Start a throwaway PostgreSQL, load a sample multi-tenant SaaS schema, audit it and write the report."""
    from auditor.demo_run import run_demo

    setup_logging(debug)
    paths, dsn = run_demo(output, keep=keep)
    for p in paths:
        typer.echo(str(p))
    if dsn:
        typer.echo(f"demo server left running: {dsn}", err=True)


@app.command()
@handles_errors
@takes_connection
def doctor(
    connection: Connection,
    debug: DebugOpt = False,
) -> None:
    """Show what this role can read, the GRANTs for the rest, and which libpq files and variables applied."""
    from auditor.doctor import diagnose, format_diagnosis

    setup_logging(debug)
    session = open_session(connection)
    try:
        diagnosis = diagnose(session, connection.target(), prompted=connection.prompt)
    finally:
        session.conn.close()
    from auditor.redaction import redact

    typer.echo(redact(format_diagnosis(diagnosis), _SECRETS))


def main() -> None:
    """Console entry point."""
    global _CONSOLE
    _CONSOLE = True
    app()


if __name__ == "__main__":
    main()
