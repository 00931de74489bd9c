"""One audit, end to end: the one pipeline that `pg-auditor audit`, the Python API and a fleet run call.

    config, compare-to and output checks -> collect (or load a snapshot) and run the rules -> baseline
    -> compare and trend (nightly.before_write) -> write the formats -> record (nightly.record) -> notify
    -> exit code

Callers differ only in what they ask of it (a Job): the CLI connects with a prompt and keeps the
passwords it meets secret, the API writes nothing, a fleet shares one history between targets.
A run that fails before its reports are written leaves nothing in the output directory, is recorded
as failed (history row and failure notification) once, here, and the error is raised again for the
caller to show.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.base import progress
from auditor.base.errors import AuditorError
from auditor.base.process import give_back
from auditor.catalog import snapshot_file
from auditor.catalog.collect import collect
from auditor.catalog.model import Snapshot
from auditor.engine import Run, inflate_long_fixes
from auditor.engine.config import Config
from auditor.engine.gate import exit_code
from auditor.engine.report import Report
from auditor.output import render
from auditor.runs import baseline, nightly, notify

log = logging.getLogger("pg_auditor")


@dataclass
class Job:
    """What one audit is asked to do. `connect` opens the read-only session (None with a snapshot)."""

    config: Config
    connect: Callable[[], Any] | None = None
    from_snapshot: Path | None = None
    schemas: list[str] | None = None
    exclude_schemas: list[str] | None = None
    history: Any = None  # an open History, or None
    history_settings: nightly.HistorySettings = field(default_factory=nightly.HistorySettings)
    compare_to: str | None = None
    label: str | None = None  # the history's name for the target (default host:port/dbname)
    failure_label: Callable[[], str] = lambda: "database"  # its name when the run never reached it
    baseline: tuple[dict[str, Any], str] | None = None  # a loaded baseline and the name to show for it
    formats: list[str] = field(default_factory=list)  # none: return the report, write nothing
    out_dir: Path = Path(".")
    stem: str = "pg-auditor-report"
    sarif_anchor: str | None = None
    notify: bool = False
    exit_zero: bool = False
    run_info: dict[str, Any] = field(default_factory=dict)  # said in report.run (the demo says its source)


@dataclass
class Outcome:
    report: Report
    paths: list[Path]
    exit_code: int


def run(job: Job) -> Outcome:
    """Audit once as the job says; on failure clean up, record it (history, notification) and raise again.

    Everything the run will need is checked before connecting: the config's sections, --compare-to and
    the output directory (a staging directory is made in it). The reports are written before the history:
    a history that refuses the write costs a warning and exit 2, never the reports.
    """
    cfg = job.config
    notify.settings(cfg)  # [notify] checked now (raises ConfigError), not after the audit
    nightly.history_settings(cfg)
    nightly.check_compare_to(job.compare_to, job.history)
    staging = None
    target = None
    try:
        staging = render.prepare(job.out_dir, job.stem, job.formats) if job.formats else None
        report, snap = check(job, inflate_fixes=False)  # inflated below, once the snapshot is let go
        target = nightly.target_label(report, job.label)
        if job.baseline is not None:
            baseline.apply(report, *job.baseline)
        hist = job.history_settings
        digest = nightly.before_write(report, snap, cfg, job.history, job.compare_to, job.label, hist.trend_runs)
        # The report is all the writers read: the snapshot's memory (100 MB on 10,000 tables) goes back
        # before they run, so the peak is the larger of the two, not their sum.
        del snap
        give_back()
        inflate_long_fixes(report.findings)
        if job.sarif_anchor:
            report.run["sarif_anchor"] = job.sarif_anchor
        if job.formats:
            progress.step("write", ", ".join(job.formats))
        paths = render.write(report, job.formats, job.out_dir, job.stem, cfg.fail_on, staging) if job.formats else []
    except BaseException as exc:
        render.discard(staging)  # an interrupted or failed run leaves nothing half-written behind
        if isinstance(exc, Exception) and (job.from_snapshot is None or target is not None):
            nightly.run_failed(cfg, job.history, target or job.label or job.failure_label(), _said(exc))
        raise
    code = exit_code(report, cfg.fail_on, job.exit_zero, cfg.allow_partial)
    try:
        nightly.record(report, job.history, digest, hist.keep_runs, hist.keep_days)
    except AuditorError as exc:
        log.warning("%s; the reports are written, the run is not in the history", exc)
        code = 2
    if job.notify:
        notify.on_report(cfg, report, report.run["target"])
    return Outcome(report, paths, code)


def _said(exc: Exception) -> Exception:
    """The error as the history and the webhook say it: ours as is, anything else named by its type."""
    return exc if isinstance(exc, AuditorError) else AuditorError(f"internal error: {type(exc).__name__}: {exc}")


def check(job: Job, inflate_fixes: bool = True) -> tuple[Report, Snapshot]:
    """Collect (or load) a snapshot and run the rules over it. `inflate_fixes` False: long fixes stay
    deflated (engine.Run.finish) for the caller to inflate once it lets the snapshot go."""
    started = time.time()
    if job.from_snapshot is not None:
        progress.step("load", str(job.from_snapshot))
        report, snap = check_snapshot(job.config, job.from_snapshot, started, inflate_fixes)
    else:
        assert job.connect is not None, "a job reads a database or a snapshot"
        progress.step("connect")
        session = job.connect()
        report, snap = check_database(session, job.config, job.schemas, job.exclude_schemas, started, inflate_fixes)
    report.run["fail_on"] = job.config.fail_on
    report.run.update(job.run_info)
    # The snapshot and the report live until the caller is done: a full collection while rendering
    # would walk their millions of objects again (0.3 s on 10,000 tables) to find nothing to free.
    # (Collecting and the rules already froze what they allocated; this freezes the report.)
    gc.freeze()
    return report, snap


def check_database(
    session: Any,
    cfg: Config,
    schemas: list[str] | None,
    exclude_schemas: list[str] | None,
    started: float,
    inflate_fixes: bool = True,
) -> tuple[Report, Snapshot]:
    """Collect one database and run the rules over it; closes the session.

    The rules run while the catalogs are read (meanwhile=rules.step): a rule starts as soon as the
    sections it needs have arrived, in the waits on the server.
    """
    rules = Run(cfg)
    try:
        where = server_label(session.conn)
        snap = collect(session, schemas, exclude_schemas, meanwhile=rules.step, settings=cfg.thresholds_for_run())
    finally:
        session.conn.close()
    progress.step("rules")
    run_info: dict[str, Any] = {
        "started_at": timestamp(started),
        "target": where,
        "source": "database",
        "queries": session.queries,
        "rows": session.rows,
        "connections": session.connections,
    }
    if session.notes:
        run_info["connections_note"] = "; ".join(session.notes)
    report = rules.finish(snap, run_info, inflate_fixes)
    report.run["seconds"] = round(time.time() - started, 2)
    return report, snap


def check_snapshot(cfg: Config, path: Path, started: float, inflate_fixes: bool = True) -> tuple[Report, Snapshot]:
    """Run the rules over a saved snapshot (`--from-snapshot`): no database, no connection options."""
    snap = snapshot_file.load(path)
    progress.step("rules")
    report = Run(cfg).finish(snap, {"started_at": timestamp(started), "source": "snapshot"}, inflate_fixes)
    report.run["seconds"] = round(time.time() - started, 2)
    return report, snap


def timestamp(seconds: float) -> str:
    """UTC, as run["started_at"] has it in every report and the history."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def server_label(conn: Any) -> str:
    """host:port/dbname as the history names a target (never the user or the password)."""
    info = conn.info
    host = info.host if not info.host.startswith("/") else "localhost"
    return f"{host}:{info.port}/{info.dbname}"
