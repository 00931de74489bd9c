"""The verdict of a run: which findings fail it, and the exit code that says so."""

from __future__ import annotations

from auditor.engine.report import Finding, Report
from auditor.rules.registry import SEVERITY_RANK


def gating(report: Report, fail_on: str) -> list[Finding]:
    """The findings that make a run fail: unsuppressed, not accepted in a baseline, at or above fail_on."""
    if fail_on == "never":
        return []
    threshold = SEVERITY_RANK[fail_on]
    return [f for f in report.active if f.rank >= threshold and f.state != "known"]


def exit_code(report: Report, fail_on: str, exit_zero: bool, allow_partial: bool = False) -> int:
    """2 when a rule crashed or a section was not read (even with --exit-zero; a partial audit passes only
    with allow_partial, --allow-partial), else 1 when a new, unsuppressed finding reaches fail_on."""
    if any(s.status == "error" for s in report.statuses):
        return 2
    if report.partial and not allow_partial:
        return 2
    if exit_zero:
        return 0
    return 1 if gating(report, fail_on) else 0


def explain(report: Report, fail_on: str, exit_zero: bool, allow_partial: bool = False) -> str:
    """Why exit_code() says what it says, in words: "exit 1: 2 findings at or above high"."""
    code = exit_code(report, fail_on, exit_zero, allow_partial)
    errors = sum(1 for s in report.statuses if s.status == "error")
    if errors:
        return f"exit {code}: {_count(errors, 'rule')} failed with an error (run with --debug to see why)"
    if report.partial and not allow_partial:
        lost = ", ".join(sorted(report.unavailable))
        return f"exit {code}: a partial audit, {lost} not read (--allow-partial accepts it)"
    failing = gating(report, fail_on)
    known = any(f.state is not None for f in report.findings)  # compared with a baseline or a previous run
    what = f"{_count(len(failing), ('new finding' if known else 'finding'))} at or above {fail_on}"
    if fail_on == "never":
        return f"exit {code}: --fail-on never"
    if exit_zero:
        return f"exit {code}: --exit-zero ({what})"
    if failing:
        return f"exit {code}: {what}"
    return f"exit {code}: no {'new finding' if known else 'finding'} at or above {fail_on}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
