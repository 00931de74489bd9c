"""`pg-auditor render`: a saved JSON report rendered again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.base.errors import AuditorError
from auditor.cli.app import app
from auditor.cli.console import (
    echo,
    handles_errors,
    output_formats,
    stream,
)


@app.command("render")
@handles_errors
def render_report(
    report_file: Annotated[Path, typer.Argument(help="A JSON report written by `audit -f json`.")],
    formats: Annotated[
        list[str] | None, typer.Option("-f", "--format", help="md, html, json, sarif, junit, sql (default md,html).")
    ] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Directory for the report files; - streams one format to stdout.")
    ] = Path("."),
    name: Annotated[str | None, typer.Option("--name", help="File name stem (default: the JSON file's).")] = None,
) -> None:
    """Render a saved JSON report again (another format, a newer template), with no database."""
    import json

    chosen, to_stdout = output_formats(output, formats, ["md", "html"])

    from auditor.engine.report import report_from_dict
    from auditor.output import render

    try:
        doc = json.loads(report_file.read_text(encoding="utf-8"))
        report = report_from_dict(doc)
    except FileNotFoundError:
        raise AuditorError(f"report file not found: {report_file}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise AuditorError(f"{report_file} is not a pg-auditor JSON report: {exc}") from None
    if to_stdout:
        stream(render.render(report, chosen[0], report.run.get("fail_on")))
        return
    stem = name or report_file.name.removesuffix(".json")
    for p in render.write(report, chosen, output, stem):
        echo(str(p))
