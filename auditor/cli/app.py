"""The Typer application and its global options; each command lives in cli/commands/."""

from __future__ import annotations

from typing import Annotated

import typer

from auditor._version import __version__

app = typer.Typer(
    name="pg-auditor",
    help="Audit a live PostgreSQL database: multi-tenant isolation, indexes, constraints, partitions and health.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
