"""What the terminal sees: one-line errors with no secrets, logging, the summary and the exit."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from auditor.base.errors import AuditorError

log = logging.getLogger("pg_auditor")


_SECRETS: list[str] = []


_CONSOLE = False  # set by main(): the process ends with the command (see finish)


class Terminated(BaseException):
    """SIGTERM (a scheduler stopping the run): unwinds like Ctrl-C, so the query in flight is cancelled
    and nothing half-written is left behind, then exits 143 (128 + 15), as the shell reports a kill."""


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def mark_console() -> None:
    """The process is the console command: finish() may end it without the interpreter's teardown,
    and SIGTERM unwinds (Terminated) instead of killing it mid-write."""
    global _CONSOLE
    _CONSOLE = True
    import signal  # late: only the console command handles signals

    signal.signal(signal.SIGTERM, _terminated)


F = TypeVar("F", bound=Callable[..., Any])


def echo(text: Any, err: bool = False) -> None:
    """Print to the terminal as the reports print: names from the database (a role, a database, a
    target) may hold ESC/OSC sequences (title changes, colours, a cleared screen), shown as \\u001b."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.output.text import strip_controls

    typer.echo(strip_controls(str(text)), err=err)


def fail(message: str, code: int = 2) -> None:
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.base.redaction import redact

    one_line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    echo(f"pg-auditor: {redact(one_line, _SECRETS)}", err=True)
    raise typer.Exit(code)


PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader closed the pipe


def reader_gone() -> None:
    """Stdout's reader closed the pipe: nothing more can be said there, and nothing is wrong to say."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's own final flush fails no more
    raise typer.Exit(PIPE_CLOSED)


def handles_errors(func: F) -> F:
    """One line on stderr and exit 2 for anything that goes wrong; a traceback only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:  # the reader went away (`pg-auditor rules | head`): end quietly, as `yes` does
            reader_gone()
        except AuditorError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Terminated:
            fail("terminated (SIGTERM)", 143)
        except OSError as exc:  # the machine's, not ours: a full disk, a read-only or missing path
            where = f": {exc.filename}" if exc.filename else ""
            fail(f"{exc.strerror or type(exc).__name__}{where}")
        except Exception as exc:
            if log.isEnabledFor(logging.DEBUG):
                # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
                import traceback

                from auditor.base.redaction import redact

                echo(redact(traceback.format_exc(), _SECRETS), err=True)
            fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")

    return wrapper  # type: ignore[return-value]


def setup_logging(debug: bool) -> None:
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.base.redaction import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("pg-auditor: %(message)s"))
    handler.addFilter(RedactingFilter(_SECRETS))
    handler.addFilter(_visible_controls)
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if debug else logging.WARNING)
    log.propagate = False


def _visible_controls(record: logging.LogRecord) -> bool:
    """A log line shows control characters (from database names) as escapes, as echo() does."""
    from auditor.output.text import strip_controls

    record.msg = strip_controls(record.getMessage())
    record.args = None
    return True


def finish(code: int) -> None:
    """End a command whose work is all written. From the console, without the interpreter's teardown:
    freeing a big catalog's snapshot object by object takes 0.15 s (10,000 tables) and frees nothing
    anyone needs. Under typer's test runner or the Python API, the ordinary way."""
    if _CONSOLE:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise typer.Exit(code)


def secrets_of_settings(config_file: Path | None, history: str | None) -> list[str]:
    """Passwords in a history URL (command line or config) and the webhook URL: never printed."""
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.engine import config as config_mod
    from auditor.runs import notify

    out = []
    try:
        cfg = config_mod.load(config_file)
    except AuditorError:
        cfg = None
    locations = [history, *(((cfg.extra.get("history") or {}).get("url"),) if cfg else ())]
    for loc in locations:
        if loc and "://" in str(loc):
            from auditor.runs.history import secrets_of

            out += secrets_of(str(loc))
    return out + (notify.secrets_of(cfg) if cfg else [])


def warn_partial(report: Any) -> None:
    """A partial audit says so on stderr even under --quiet: the scores cover only what was read."""
    if report.partial:
        lost = ", ".join(sorted(report.unavailable))
        echo(f"pg-auditor: partial audit: not read: {lost} (the report says why)", err=True)


STDOUT = Path("-")


def output_formats(
    output: Path, formats: list[str] | None, default: list[str], check: Callable[[list[str]], list[str]] | None = None
) -> tuple[list[str], bool]:
    """What -o means, the same for every command that writes reports: a directory for the formats asked
    for (default: `default`), or `-`: one format streamed to stdout (JSON unless one -f names another).
    Returns the formats and whether they go to stdout; a file where the directory should be is an error
    before anything connects."""
    check = check or check_formats
    if output == STDOUT:
        chosen = check(formats or ["json"])
        if len(chosen) != 1:
            raise AuditorError(
                f"-o - streams one format to stdout; {len(chosen)} given ({', '.join(chosen)}): give one -f"
            )
        return chosen, True
    if output.exists() and not output.is_dir():
        raise AuditorError(f"-o {output}: a file is in the way; -o names a directory for the reports (or - for stdout)")
    return check(formats or default), False


def output_file(output: Path, default_name: str) -> Path | None:
    """-o of a command that writes one file (a snapshot, a baseline): `-` is stdout (None), an existing
    directory gets the file under its default name, anything else is the file."""
    if output == STDOUT:
        return None
    if output.is_dir():
        return output / default_name
    return output


def stream(text: str) -> None:
    """One report on stdout, as written (no escaping: it is the format's own text)."""
    sys.stdout.write(text)
    sys.stdout.flush()


def check_formats(formats: list[str]) -> list[str]:
    # late imports: loaded when this runs, so `pg-auditor --help` and `--version` stay fast
    from auditor.output.render import FORMATS

    out = []
    for f in formats:
        for part in f.split(","):
            part = part.strip().lower()
            if part not in FORMATS:
                raise AuditorError(f"unknown format {part!r} (choose from {', '.join(FORMATS)})")
            if part not in out:
                out.append(part)
    return out
