"""The command line: `pg-auditor COMMAND`. Parsing and the terminal only; the work is in the layers below.

app.py holds the Typer app, options.py the shared options, console.py what the terminal sees,
commands/ one module per command.
"""

from __future__ import annotations

from auditor.cli import (
    commands,  # noqa: F401  (registers the commands)
    console,
)
from auditor.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point."""
    console.mark_console()
    app()
