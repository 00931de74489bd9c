"""The Python API, for schedulers that fan out on their own engine (Airflow, Dagster, a Celery task).

    import auditor
    report = auditor.audit("host=db1 dbname=billing user=auditor", "pg-auditor.toml")
    auditor.write(report, ["html", "json"], Path("/reports/billing"))
    if report.counts()["critical"]: ...

`audit` opens one read-only connection, collects, runs the rules and returns the Report; with a
history it also compares with the latest run, records this one and adds the trend, exactly as
`pg-auditor audit --history ... --compare-to latest` does (one pipeline: auditor.runs.single), and a
run that fails is recorded as failed and announced as the CLI does. Errors raise auditor.base.errors.AuditorError
subclasses whose text is safe to log (no passwords).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.catalog import db
from auditor.engine import config as config_mod
from auditor.engine.config import Config
from auditor.engine.gate import exit_code
from auditor.engine.report import Report
from auditor.output import render
from auditor.runs import nightly, single

__all__ = ["Config", "Report", "audit", "exit_code", "load_config", "write"]


def load_config(config: Config | str | Path | None) -> Config:

    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    return config_mod.load(Path(config))


def audit(
    dsn: str,
    config: Config | str | Path | None = None,
    *,
    history: Any = None,
    compare_to: str | None = None,
    label: str | None = None,
    schemas: Sequence[str] | None = None,
    exclude_schemas: Sequence[str] | None = None,
    statement_timeout: str = "60s",
    lock_timeout: str = "2s",
    connect_timeout: int = 10,
) -> Report:
    """Audit one database and return its Report (render it with auditor.write).

    dsn: a libpq conninfo, URI, database name or "service=NAME"; passwords belong in ~/.pgpass.
    config: a Config, a path to pg-auditor.toml / pyproject.toml, or None for the defaults.
    history: a history location (SQLite path or SQLAlchemy URL) or an open auditor.runs.history.History;
        None uses [history] from the config, if any; False means no history at all.
    compare_to: "latest", a run id, or a JSON report / baseline / snapshot file.
    label: the target's name in the history (default host:port/dbname).
    """

    cfg = load_config(config)
    settings = nightly.history_settings(cfg, history if isinstance(history, str) else None)
    if history is False:  # the caller says: no history, whatever the config says
        store = None
    elif history is None or isinstance(history, str):
        store = nightly.open_history(settings)
    else:
        store = history
    timeouts = db.Timeouts(statement=statement_timeout, lock=lock_timeout, connect=connect_timeout)
    job = single.Job(
        config=cfg,
        connect=lambda: db.connect(db.Target(conninfo=dsn), timeouts),
        schemas=list(schemas or []) or None,
        exclude_schemas=list(exclude_schemas or []) or None,
        history=store,
        history_settings=settings,
        compare_to=compare_to,
        label=label,
        failure_label=lambda: nightly.guess_label(dsn, None, None, None, None),
    )
    try:
        return single.run(job).report
    finally:
        if store is not None and (history is None or isinstance(history, str)):
            store.close()


def write(report: Report, formats: Sequence[str], out_dir: Path, stem: str = "pg-auditor-report") -> list[Path]:
    """Render the report to files (md, html, json...) in out_dir; returns the paths."""

    return render.write(report, list(formats), Path(out_dir), stem)
