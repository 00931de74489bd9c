"""What a person at a terminal sees of a long command: the progress on stderr, then the summary.

- Progress: a live line (spinner, stage, bar) on stderr while the work runs, only when stderr is a
  terminal and not --quiet; gone when the work ends. With -v, one plain line per step instead, on any
  stderr (a cron log keeps them).
- Summary, on stderr unless --quiet: the scores, the top findings (code, severity, object, message),
  the files written (the HTML first, as a file:// link) and why the exit code is what it is.
- Colour only on a terminal, never with NO_COLOR set (rich reads it) or TERM=dumb. Every string from
  the database goes through strip_controls and is printed as rich Text, never as markup, so neither
  an escape sequence nor a `[bold]` in a table name can act on the terminal.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.base import progress

SEVERITY_STYLES = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}

TOP = 5  # findings the summary names (-v: TOP_VERBOSE)
TOP_VERBOSE = 20


@dataclass(frozen=True)
class Verbosity:
    """-q / -v of a command: quiet says errors and warnings only, verbose one line per step."""

    quiet: bool = False
    verbose: bool = False


def console(stream: Any = None) -> Any:
    """A rich console on stderr: colour and animation only on a terminal, no colour with NO_COLOR."""
    from rich.console import Console  # late: `pg-auditor --help` and `rules` never load rich

    stream = stream or sys.stderr
    return Console(
        file=stream,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=not _is_tty(stream),  # a log line stays one line; on a terminal, lines fit the width
        no_color=bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb" or None,
    )


def _is_tty(stream: Any) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def describe(step: progress.Step) -> str:
    """A step as the progress line says it."""
    from auditor.output.text import strip_controls

    detail = strip_controls(step.detail)
    said = {
        "connect": "connecting",
        "load": f"loading {detail}",
        "read": f"reading the catalogs: {detail}",
        "rules": "running the rules and scoring",
        "write": f"writing {detail}",
        "target": f"auditing the databases: {detail}",
    }.get(step.stage, detail or step.stage)
    if step.total and step.stage != "read":
        said += f" ({step.done}/{step.total})"
    return said


@contextmanager
def showing_progress(verbosity: Verbosity, stages: tuple[str, ...] | None = None) -> Iterator[None]:
    """Show the steps of the work in the block as verbosity and the terminal allow.

    `stages` limits what is shown (a fleet shows targets finishing, not every target's sections).
    """
    wanted = lambda s: stages is None or s.stage in stages  # noqa: E731
    if verbosity.quiet:
        yield
        return
    if verbosity.verbose:
        started = time.monotonic()
        out = console()

        def say(step: progress.Step) -> None:
            if wanted(step):
                out.print(f"pg-auditor: [{time.monotonic() - started:5.1f}s] {describe(step)}", style="dim")

        with progress.listening(say):
            yield
        return
    if not _is_tty(sys.stderr) or os.environ.get("TERM") == "dumb":
        yield
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        TimeElapsedColumn(),
        console=console(),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = bar.add_task("starting", total=None)

    def show(step: progress.Step) -> None:
        if wanted(step):
            # drawn at each step, not only at the next tick: a quick section still shows
            bar.update(task, description=describe(step), total=step.total, completed=step.done or 0, refresh=True)

    with bar, progress.listening(show):
        yield


def findings_shown(report: Any, verbose: bool) -> list[Any]:
    """The top active findings, most severe first (the report's order)."""
    active = sorted(report.active, key=lambda f: f.sort_key())
    return active[: TOP_VERBOSE if verbose else TOP]


def summary(report: Any, paths: list[Path], exit_line: str, verbosity: Verbosity) -> None:
    """The closing summary on stderr: scores, top findings, files, the exit code's reason."""
    if verbosity.quiet:
        return
    from rich.text import Text

    from auditor.output.text import strip_controls

    out = console()
    star = "*" if report.partial else ""
    where = report.run.get("target") or report.run.get("source") or ""
    name = strip_controls(str(report.database.get("name") or "database"))
    # "audited ...", not "pg-auditor: ...", which starts the error and warning lines above it
    out.print(Text.assemble("audited ", (name, "bold"), f" ({strip_controls(str(where))})" if where else ""))
    overall = "n/a" if report.overall is None else f"{report.overall}{star}/100"
    areas = ", ".join(f"{a} {'n/a' if s.score is None else f'{s.score}{star}'}" for a, s in report.scores.items())
    partial = " (partial: * scores cover only what was read)" if report.partial else ""
    out.print(Text.assemble("score ", (overall, "bold"), f"{partial} ({areas})"))
    counts = report.counts()
    found = [Text(f"{n} {sev}", style=SEVERITY_STYLES[sev]) for sev, n in counts.items() if n]
    line = Text("findings: ")
    line.append(Text(", ").join(found) if found else Text("none"))
    skipped = sum(1 for s in report.statuses if s.status in ("skipped", "not_evaluated"))
    errors = sum(1 for s in report.statuses if s.status == "error")
    if skipped:
        line.append(f"; {skipped} rules skipped")
    if errors:
        line.append(f"; {errors} rules failed", style="bold red")
    out.print(line)
    top = findings_shown(report, verbosity.verbose)
    if top:
        out.print("top findings:")
        for line in finding_lines(top, out.width if out.is_terminal else None):
            out.print(line)
        rest = len(report.active) - len(top)
        if rest > 0:
            out.print(f"  ... and {rest} more in the report", style="dim")
    if paths:
        out.print("written:")
        for p in ordered_paths(paths):
            shown = p.resolve().as_uri() if p.suffix == ".html" else str(p)
            out.print(Text("  " + shown, style=f"link {p.resolve().as_uri()}" if out.is_terminal else ""))
    code = exit_line.split(":", 1)[0]
    out.print(Text(exit_line, style="bold green" if code == "exit 0" else "bold red"))


def finding_lines(findings: list[Any], width: int | None) -> list[Any]:
    """One line a finding: code, severity, object, message; cut to `width` on a terminal (None: whole)."""
    from rich.text import Text

    from auditor.output.text import strip_controls

    objects = [strip_controls(f.obj.display) for f in findings]
    obj_width = min(max(len(o) for o in objects), 48 if width is None else max(12, width // 3))
    lines = []
    for f, obj in zip(findings, objects, strict=True):
        line = Text("  ")
        line.append(f"{f.code:<6}", style="bold")
        line.append("  ")
        line.append(f"{f.severity:<8}", style=SEVERITY_STYLES[f.severity])
        line.append(f"  {_cut(obj, obj_width):<{obj_width}}  ")
        message = _first_line(strip_controls(f.message))
        line.append(message if width is None else _cut(message, max(12, width - len(line.plain) - 1)))
        lines.append(line)
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def ordered_paths(paths: list[Path]) -> list[Path]:
    """The HTML first (the one a person opens), the rest as written."""
    return sorted(paths, key=lambda p: p.suffix != ".html")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def paths_to_stdout(verbosity: Verbosity) -> bool:
    """The written paths go to stdout for a script reading it; on a terminal the summary lists them."""
    return verbosity.quiet or not _is_tty(sys.stdout)
