"""`pg-auditor audit`: one database through the run pipeline, or a fleet of them."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.base.errors import AuditorError
from auditor.cli.app import app
from auditor.cli.console import (
    _SECRETS,
    STDOUT,
    echo,
    finish,
    handles_errors,
    output_formats,
    secrets_of_settings,
    setup_logging,
    stream,
    warn_partial,
)
from auditor.cli.options import (
    ConfigOpt,
    Connection,
    ConnectionsOpt,
    DebugOpt,
    ExcludeSchemaOpt,
    FromSnapshotOpt,
    HistoryOpt,
    IgnoreOpt,
    NoQueryTextOpt,
    QuietOpt,
    SchemaOpt,
    SelectOpt,
    SetOpt,
    VerboseOpt,
    open_session,
    takes_connection,
    with_connections,
    with_query_text,
)
from auditor.cli.terminal import Verbosity, paths_to_stdout, showing_progress, summary


@app.command()
@handles_errors
@takes_connection
def audit(
    connection: Connection,
    from_snapshot: FromSnapshotOpt = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "-f", "--format", help="md, html, json, sarif, junit, sql: the fix script (default: md,html,json)."
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Directory for the report files; - streams one format to stdout.")
    ] = Path("."),
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
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial",
            help="Exit 0/1 as usual when sections could not be read (default: 2); the report says it is partial.",
        ),
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
    no_query_text: NoQueryTextOpt = False,
    connections: ConnectionsOpt = None,
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
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Collect the catalogs, run every rule and write the report."""
    setup_logging(debug)
    settings = with_connections(with_query_text(settings, no_query_text), connections)
    verbosity = Verbosity(quiet, verbose)
    formats, to_stdout = output_formats(output, formats, ["md", "html", "json"])
    if (targets or all_databases) and output == STDOUT:
        raise AuditorError("a fleet writes a directory of reports and an index: -o - streams one report")
    if targets or all_databases:
        # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
        from auditor.catalog.db import secrets_of
        from auditor.runs.fleet import run_fleet, summary_exit_code

        _SECRETS.extend(secrets_of_settings(config_file, history) + secrets_of(connection.dsn or ""))
        display = ExitStack()  # the progress shows the databases as they finish, then goes
        display.enter_context(showing_progress(verbosity, stages=("target",)))
        try:
            results, paths = run_fleet(
            server=connection.target(), targets_file=targets,
            config_file=config_file, cli={"select": select, "ignore": ignore, "fail_on": fail_on,
            "settings": settings, "allow_partial": allow_partial}, formats=formats, out_dir=output,
            jobs=jobs, history=history, compare_to=compare_to, exit_zero=exit_zero, schema=schema,
            exclude_schema=exclude_schema, timeouts=connection.timeouts(),
            )  # fmt: skip
        finally:
            display.close()
        for r in results:
            shown = "n/a" if r.overall is None else r.overall
            detail = f"score {shown}" if r.status in ("ok", "findings") else (r.error or "")
            echo(f"{r.name}: {r.status} ({detail})", err=True)
        for p in paths:
            echo(str(p))
        raise typer.Exit(summary_exit_code(results))
    from auditor.engine import config as config_mod
    from auditor.runs import baseline, nightly, notify, single

    cfg = config_mod.apply_cli(config_mod.load(config_file), select, ignore, fail_on, settings, allow_partial)
    if baseline_file and compare_to:
        raise AuditorError("--baseline and --compare-to both say what changed: give one")
    base = baseline.load(baseline_file) if baseline_file else None  # a bad baseline fails before connecting
    _SECRETS.extend(secrets_of_settings(config_file, history) + notify.secrets_of(cfg))
    hist = nightly.history_settings(cfg, history)
    notify.settings(cfg)  # every config section is checked before anything connects
    store = nightly.open_history(hist, connection.connect_timeout)
    display = ExitStack()  # the progress line, on a terminal, until the run is done
    display.enter_context(showing_progress(verbosity))
    try:
        outcome = single.run(
            single.Job(
                config=cfg,
                connect=lambda: open_session(connection),
                from_snapshot=from_snapshot,
                schemas=schema,
                exclude_schemas=exclude_schema,
                history=store,
                history_settings=hist,
                compare_to=compare_to,
                label=label,
                failure_label=connection.label,
                baseline=(base, baseline_file.name) if base is not None and baseline_file is not None else None,
                formats=[] if to_stdout else formats,
                out_dir=output,
                stem=name,
                sarif_anchor=sarif_anchor,
                notify=True,
                exit_zero=exit_zero,
            )
        )
    finally:
        display.close()
        if store is not None:
            store.close()
    report = outcome.report
    if to_stdout:
        from auditor.output import render

        stream(render.render(report, formats[0], cfg.fail_on))
    elif paths_to_stdout(verbosity):
        for p in outcome.paths:
            echo(str(p))
    warn_partial(report)
    summary(report, outcome.paths, exit_reason(outcome, cfg, exit_zero), verbosity)
    finish(outcome.exit_code)


def exit_reason(outcome: Any, cfg: Any, exit_zero: bool) -> str:
    """Why the run exits as it does: the gate's reason, or the history's refusal (warned above)."""
    from auditor.engine.gate import exit_code, explain

    if outcome.exit_code != exit_code(outcome.report, cfg.fail_on, exit_zero, cfg.allow_partial):
        return f"exit {outcome.exit_code}: the run could not be recorded in the history (see the warning above)"
    return explain(outcome.report, cfg.fail_on, exit_zero, cfg.allow_partial)
