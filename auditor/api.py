"""The Python API, for schedulers that fan out on their own engine (Airflow, Dagster, a Celery task).

    import auditor
    report = auditor.audit("host=db1 dbname=billing user=auditor", "pg-auditor.toml")
    auditor.write(report, ["html", "json"], Path("/reports/billing"))
    if report.counts()["critical"]: ...

`audit` opens one read-only connection, collects, runs the rules and returns the Report; with a
history it also compares with the latest run, records this one and adds the trend, exactly as
`pg-auditor audit --history ... --compare-to latest` does. Errors raise auditor.errors.AuditorError
subclasses whose text is safe to log (no passwords).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.config import Config
from auditor.report import Report


def load_config(config: Config | str | Path | None) -> Config:
    from auditor import config as config_mod

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
    history: a history location (SQLite path or SQLAlchemy URL) or an open auditor.history.History;
        None uses [history] from the config, if any; False means no history at all.
    compare_to: "latest", a run id, or a JSON report / baseline / snapshot file.
    label: the target's name in the history (default host:port/dbname).
    """
    from auditor import db, nightly

    cfg = load_config(config)
    settings = nightly.history_settings(cfg, history if isinstance(history, str) else None)
    if history is False:  # the caller says: no history, whatever the config says
        store = None
    elif history is None or isinstance(history, str):
        store = nightly.open_history(settings)
    else:
        store = history
    try:
        nightly.check_compare_to(compare_to, store)
        started = time.time()
        timeouts = db.Timeouts(statement=statement_timeout, lock=lock_timeout, connect=connect_timeout)
        session = db.connect(db.Target(conninfo=dsn), timeouts)
        only, leave_out = list(schemas or []) or None, list(exclude_schemas or []) or None
        report, snap = check_database(session, cfg, only, leave_out, started)
        nightly.after_run(
            report,
            snap,
            cfg,
            store,
            compare_to,
            label,
            settings.trend_runs,
            settings.keep_runs,
            settings.keep_days,
        )
        return report
    finally:
        if store is not None and (history is None or isinstance(history, str)):
            store.close()


def check_database(
    session: Any, cfg: Config, schemas: list[str] | None, exclude_schemas: list[str] | None, started: float
) -> tuple[Report, Any]:
    """Collect one database and run the rules over it; closes the session. The one path of audit() and the CLI.

    The rules run while the catalogs are read (meanwhile=rules.step): a rule starts as soon as the
    sections it needs have arrived, in the waits on the server.
    """
    from auditor import collect, engine

    rules = engine.Run(cfg)
    try:
        where = server_label(session.conn)
        snap = collect.collect(session, schemas, exclude_schemas, meanwhile=rules.step)
    finally:
        session.conn.close()
    run_info = {
        "started_at": timestamp(started),
        "target": where,
        "source": "database",
        "queries": session.queries,
        "rows": session.rows,
    }
    report = rules.finish(snap, run_info)
    report.run["seconds"] = round(time.time() - started, 2)
    return report, snap


def timestamp(seconds: float) -> str:
    """UTC, as run["started_at"] has it in every report and the history."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def write(report: Report, formats: Sequence[str], out_dir: Path, stem: str = "pg-auditor-report") -> list[Path]:
    """Render the report to files (md, html, json...) in out_dir; returns the paths."""
    from auditor import render

    return render.write(report, list(formats), Path(out_dir), stem)


def server_label(conn: Any) -> str:
    """host:port/dbname as the history names a target (never the user or the password)."""
    info = conn.info
    host = info.host if not info.host.startswith("/") else "localhost"
    return f"{host}:{info.port}/{info.dbname}"
