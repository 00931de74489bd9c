"""`pg-auditor demo`: a throwaway server, a sample schema, its report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.base.errors import AuditorError
from auditor.cli.app import app
from auditor.cli.console import (
    STDOUT,
    echo,
    handles_errors,
    output_formats,
    setup_logging,
)
from auditor.cli.options import (
    DebugOpt,
    QuietOpt,
    VerboseOpt,
)
from auditor.cli.terminal import Verbosity, paths_to_stdout, showing_progress, summary


@app.command()
@handles_errors
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the demo report.")] = Path(
        "pg-auditor-demo"
    ),
    keep: Annotated[bool, typer.Option("--keep", help="Leave the demo server running (prints its DSN).")] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Start a throwaway PostgreSQL, load a sample multi-tenant SaaS schema, audit it and write the report."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.demo.run import demo as run_demo
    from auditor.engine.gate import explain

    setup_logging(debug)
    if output == STDOUT:
        raise AuditorError("the demo writes its report as files (html, md, json): -o names a directory")
    output_formats(output, None, ["html"])  # a file in the way is an error before the server starts
    verbosity = Verbosity(quiet, verbose)
    with showing_progress(verbosity):
        outcome, dsn = run_demo(output, keep=keep)
    if paths_to_stdout(verbosity):
        for p in outcome.paths:
            echo(str(p))
    report = outcome.report
    gate = explain(report, report.run.get("fail_on") or "high", exit_zero=False)
    summary(report, outcome.paths, f"exit 0: a demo; an audit of this database would {gate}", verbosity)
    if dsn:
        echo(f"demo server left running: {dsn}", err=True)
