"""`pg-auditor baseline`: today's findings recorded as accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.cli.app import app
from auditor.cli.console import (
    echo,
    fail,
    handles_errors,
    output_file,
    setup_logging,
    stream,
)
from auditor.cli.options import (
    ConfigOpt,
    Connection,
    DebugOpt,
    ExcludeSchemaOpt,
    FromSnapshotOpt,
    IgnoreOpt,
    SchemaOpt,
    SelectOpt,
    SetOpt,
    open_session,
    takes_connection,
)


@app.command("baseline")
@handles_errors
@takes_connection
def write_baseline(
    connection: Connection,
    from_snapshot: FromSnapshotOpt = None,
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="Baseline file, or a directory for pg-auditor-baseline.json; - for stdout."
        ),
    ] = Path("pg-auditor-baseline.json"),
    config_file: ConfigOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    settings: SetOpt = None,
    schema: SchemaOpt = None,
    exclude_schema: ExcludeSchemaOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Record today's findings as accepted: `audit --baseline FILE` then fails only on new ones."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.engine import config as config_mod
    from auditor.runs import baseline

    setup_logging(debug)
    cfg = config_mod.apply_cli(config_mod.load(config_file), select, ignore, None, settings)
    from auditor.runs import single

    job = single.Job(cfg, connect=lambda: open_session(connection), from_snapshot=from_snapshot,
                     schemas=schema, exclude_schemas=exclude_schema)  # fmt: skip
    path = output_file(output, "pg-auditor-baseline.json")
    report, _ = single.check(job)
    if path is None:
        doc = baseline.build(report)
        stream(baseline.text(doc))
    else:
        doc = baseline.save(report, path)
        echo(str(path))
    echo(f"baseline of {len(doc['entries'])} findings", err=True)
    if any(s.status == "error" for s in report.statuses):
        fail("some rules failed with an error; their findings are not in the baseline (run with --debug)")
