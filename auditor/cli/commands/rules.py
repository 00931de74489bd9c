"""`pg-auditor rules` and `pg-auditor rule CODE`: the rule list and one rule's documentation."""

from __future__ import annotations

from typing import Annotated

import typer

from auditor.cli.app import app
from auditor.cli.console import (
    echo,
    fail,
    handles_errors,
)


@app.command("rules")
@handles_errors
def list_rules(
    thresholds: Annotated[
        bool, typer.Option("--thresholds", help="List the tunable thresholds as the config file takes them.")
    ] = False,
) -> None:
    """List every rule: code, severity, slug and title."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.base.thresholds import THRESHOLDS
    from auditor.engine.config import canon, example
    from auditor.rules import load_all

    rules = load_all()
    if thresholds:  # as the config file takes them: [tool.pg-auditor.thresholds], or --set KEY=VALUE
        for key, t in sorted(THRESHOLDS.items()):
            echo(f"{canon(key)} = {example(key)}\n    {t.help}")
        return
    for r in rules.values():
        echo(f"{r.code}  {r.severity:<8}  {r.slug:<40}  {r.title}")


@app.command("rule")
@handles_errors
def show_rule(code: Annotated[str, typer.Argument(help="Rule code (IDX001) or slug.")]) -> None:
    """Print a rule's documentation: why it matters, an example and the fix."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.rules import find_rule

    r = find_rule(code)
    if r is None:
        fail(f"no rule {code!r} (see `pg-auditor rules`)")
        return
    req = f"; needs {', '.join(r.requires)}" if r.requires else ""
    echo(f"{r.code} {r.slug} ({r.area}, default severity {r.severity}{req})\n")
    echo(r.doc)
