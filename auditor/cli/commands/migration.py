"""`pg-auditor check-migration FILE... DSN`: a migration reviewed against the live database it will run on."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from auditor.base.errors import ConfigError
from auditor.cli.app import app
from auditor.cli.console import _SECRETS, echo, finish, handles_errors, output_formats, setup_logging, stream
from auditor.cli.options import (
    ConfigOpt,
    Connection,
    ConnectTimeoutOpt,
    DbOpt,
    DebugOpt,
    HostOpt,
    IgnoreOpt,
    PortOpt,
    PromptOpt,
    SelectOpt,
    ServiceOpt,
    SetOpt,
    UserOpt,
    open_session,
)


def _size(text: str) -> int:
    units = {"": 1, "b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}
    t = text.strip().lower().replace(" ", "")
    num = t.rstrip("kmgtb")
    unit = t[len(num) :]
    try:
        value = float(num)
    except ValueError:
        value = -1
    if value < 0 or unit not in units:
        raise ConfigError(f"--max-locked-size takes a size such as 100MB or 2GB, not {text!r}")
    return int(value * units[unit])


@app.command("check-migration")
@handles_errors
def check_migration(
    args: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE... [DSN]", help="The migration file(s), then the target's connection string (or -d)."
        ),
    ],
    host: HostOpt = None,
    port: PortOpt = None,
    username: UserOpt = None,
    dbname: DbOpt = None,
    service: ServiceOpt = None,
    password: PromptOpt = False,
    formats: Annotated[
        list[str] | None, typer.Option("-f", "--format", help="md, json, sarif (default: md,json).")
    ] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Directory for the review files; - streams one format to stdout.")
    ] = Path("."),
    name: Annotated[str, typer.Option("--name", help="File name stem of the review files.")] = "pg-auditor-migration",
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 when the migration introduces a finding at or above this severity."),
    ] = None,
    max_locked_size: Annotated[
        str,
        typer.Option("--max-locked-size", help="Exit 1 when a statement blocks writes on a table this big (100MB)."),
    ] = "100MB",
    scratch: Annotated[
        str | None,
        typer.Option(
            "--scratch",
            help="A server (superuser DSN) to make the schema copy on; default: a temporary "
            "cluster from the initdb on PATH.",
        ),
    ] = None,
    on_target: Annotated[
        bool,
        typer.Option(
            "--on-target",
            help="Trace on the target itself, inside one transaction that is always rolled "
            "back, under --lock-timeout (CONCURRENTLY statements are skipped).",
        ),
    ] = False,
    no_audit_diff: Annotated[
        bool, typer.Option("--no-audit-diff", help="Skip auditing the schema before and after the migration.")
    ] = False,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when the review fails.")] = False,
    config_file: ConfigOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    settings: SetOpt = None,
    statement_timeout: Annotated[
        str,
        typer.Option(
            "--statement-timeout",
            help="statement_timeout on the target: its reads, and each statement with --on-target (60s).",
        ),
    ] = "60s",
    lock_timeout: Annotated[
        str, typer.Option("--lock-timeout", help="lock_timeout on the target: its reads, pg_dump and --on-target.")
    ] = "2s",
    connect_timeout: ConnectTimeoutOpt = 10,
    debug: DebugOpt = False,
) -> None:
    """Review a migration: locks, rewrites and scans measured on a copy of the schema, live sizes, advice per
    statement, and the audit findings it introduces and removes."""
    setup_logging(debug)
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.base.durations import check_timeout
    from auditor.catalog.db import secrets_of
    from auditor.engine import config as config_mod
    from auditor.output import migration as out
    from auditor.runs import migration

    files, dsn = _files_and_dsn(args)
    if dsn:
        _SECRETS.extend(secrets_of(dsn))
    if scratch:
        _SECRETS.extend(secrets_of(scratch))
    fmts, to_stdout = output_formats(output, formats, ["md", "json"], out.check_formats)
    statement_timeout = check_timeout("--statement-timeout", statement_timeout)
    lock_timeout = check_timeout("--lock-timeout", lock_timeout)
    if connect_timeout < 1:
        raise ConfigError("--connect-timeout must be at least 1 second (libpq reads 0 as: wait forever)")
    cfg = config_mod.apply_cli(config_mod.load(config_file), select, ignore, fail_on, settings)
    connection = Connection(dsn, host, port, username, dbname, service, False, statement_timeout, lock_timeout,
                            connect_timeout)  # fmt: skip
    secret = getpass.getpass("Password: ") if password else None
    if secret:
        _SECRETS.append(secret)
    job = migration.Job(
        files=files,
        config=cfg,
        connect=lambda: open_session(_with_password(connection, secret)),
        conninfo=lambda: migration.target_conninfo(connection.target(), secret),
        scratch=scratch,
        on_target=on_target,
        lock_timeout=lock_timeout,
        target_statement_timeout=statement_timeout,
        max_locked_bytes=_size(max_locked_size),
        audit_diff=not no_audit_diff,
        formats=[] if to_stdout else fmts,
        out_dir=output,
        stem=name,
        exit_zero=exit_zero,
    )
    outcome = migration.run(job)
    if to_stdout:
        stream(out.WRITERS[fmts[0]](outcome.review))
    for p in outcome.paths:
        echo(str(p))
    statements = outcome.review["migration"]["statements"]
    advice = sum(len(s["advice"]) for s in statements)
    diff = outcome.review.get("audit_diff")
    said = f"{len(statements)} statements, {advice} advice"
    if diff:
        said += f", {len(diff['introduced'])} findings introduced, {len(diff['removed'])} removed"
    for reason in outcome.review["gate"]["reasons"]:
        echo(f"pg-auditor: {reason}", err=True)
    echo(said, err=True)
    finish(outcome.exit_code)


def _with_password(connection: Connection, secret: str | None) -> Connection:
    """open_session prompts when asked to; the prompt was answered once, up front."""
    if secret is not None:
        os.environ["PGPASSWORD"] = secret  # libpq's and pg_dump's; never on a command line
    return connection


def _files_and_dsn(args: list[str]) -> tuple[list[Path], str | None]:
    """FILE... [DSN]: the last argument is the DSN unless it is a file (then -d, PG* or DATABASE_URL name it)."""
    if not args:
        raise ConfigError("give the migration file(s), then the database: check-migration FILE... DSN")
    last = args[-1]
    if len(args) > 1 and not Path(last).is_file():
        return [Path(a) for a in args[:-1]], last
    if len(args) == 1 and not Path(last).is_file() and not last.endswith(".sql"):
        raise ConfigError("give the migration file(s), then the database: check-migration FILE... DSN")
    return [Path(a) for a in args], None
