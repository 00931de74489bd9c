"""`pg-auditor history`: the recorded runs and their scores."""

from __future__ import annotations

from typing import Annotated

import typer

from auditor.cli.app import app
from auditor.cli.console import (
    _SECRETS,
    echo,
    fail,
    handles_errors,
    secrets_of_settings,
    setup_logging,
)
from auditor.cli.options import (
    ConfigOpt,
    DebugOpt,
    HistoryOpt,
)


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
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.engine import config as config_mod
    from auditor.runs import nightly

    setup_logging(debug)
    _SECRETS.extend(secrets_of_settings(config_file, history))
    settings = nightly.history_settings(config_mod.load(config_file), history)
    if not settings.location:
        fail("no history: give --history PATH or set [history] url in the config")
    store = nightly.open_history(settings)
    try:
        if prune:
            n = store.prune(settings.keep_runs, settings.keep_days, target)
            echo(f"removed {n} run(s)", err=True)
        for line in nightly.history_lines(store.runs(target, limit), as_json):
            echo(line)
    finally:
        store.close()
