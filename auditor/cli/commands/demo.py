"""`pg-auditor demo`: a throwaway server, a sample schema, its report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.cli.app import app
from auditor.cli.console import (
    echo,
    handles_errors,
    setup_logging,
)
from auditor.cli.options import (
    DebugOpt,
)


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
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.demo.run import run_demo

    setup_logging(debug)
    paths, dsn = run_demo(output, keep=keep)
    for p in paths:
        echo(str(p))
    if dsn:
        echo(f"demo server left running: {dsn}", err=True)
