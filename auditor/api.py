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

A fleet on the scheduler's own fan-out (examples/airflow/pg_auditor_dag.py): `load_targets` reads the
targets file `audit --targets` reads, `audit_target` is one worker of that run (one task per target),
`write_index` and `fleet_exit_code` close the night. Targets and result rows are plain data (str, int,
lists, dicts), so a scheduler can pass them between tasks (Airflow's XCom is JSON). The one implementation
is auditor.runs.fleet's, the CLI's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from auditor.catalog import db
from auditor.engine import config as config_mod
from auditor.engine.config import Config
from auditor.engine.gate import exit_code
from auditor.engine.report import Report
from auditor.output import render
from auditor.runs import fleet, nightly, single

__all__ = [
    "Config",
    "Report",
    "audit",
    "audit_target",
    "exit_code",
    "fleet_exit_code",
    "load_config",
    "load_targets",
    "write",
    "write_index",
]


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


def load_targets(path: str | Path) -> list[dict[str, Any]]:
    """The targets of a targets file (the TOML `audit --targets` reads), checked before any connection.

    Each is a mapping for audit_target: name, dsn, dir (its report directory, unique in the fleet), config
    (its own config file, or None), defaults (the file's [defaults]) and settings (its own config keys).
    No password: the file may hold none (~/.pgpass, PGPASSFILE or a service file supply it), so the
    mappings may be logged and passed between tasks.
    """

    targets, defaults = fleet.load_targets(Path(path))
    dirs = fleet.unique_slugs([t.name for t in targets])
    return [
        {
            "name": t.name,
            "dsn": t.conninfo,
            "dir": dirs[t.name],
            "config": str(t.config_path.resolve()) if t.config_path else None,
            "defaults": defaults,
            "settings": t.overrides,
        }
        for t in targets
    ]


def audit_target(
    target: Mapping[str, Any],
    out_dir: str | Path,
    formats: Sequence[str] = ("md", "html", "json"),
    *,
    config: Config | str | Path | None = None,
    history: str | None = None,
    compare_to: str | None = None,
    statement_timeout: str = "60s",
    lock_timeout: str = "2s",
    connect_timeout: int = 10,
) -> dict[str, Any]:
    """One target of load_targets as one worker of `audit --targets` audits it; returns its result row.

    Its config is `config` (or the target's own file), then [defaults], then its own keys; its reports go
    to out_dir/<dir>; with a history (or [history] in the config) it is recorded, and compared when
    compare_to is "latest"; notifications go out as the CLI sends them. A target that cannot be audited
    (refused connection, timeout) is a row with status "failed" and a one-line error safe to log, not an
    exception; a broken config, history or compare_to still raises AuditorError, before connecting.
    """

    t = fleet.FleetTarget(
        str(target["name"]),
        str(target["dsn"]),
        Path(target["config"]) if target.get("config") else None,
        dict(target.get("settings") or {}),
    )
    base = load_config(config)
    cfg = fleet.target_config(t, base, dict(target.get("defaults") or {}), {})
    timeouts = db.Timeouts(statement=statement_timeout, lock=lock_timeout, connect=connect_timeout)
    store = nightly.open_history(nightly.history_settings(base, history), timeouts.connect)
    try:
        nightly.check_compare_to(compare_to, store)
        run = fleet.FleetRun(
            targets=[t],
            configs={t.name: cfg},
            out_dir=Path(out_dir),
            formats=list(formats),
            history=store,
            compare_to=compare_to,
            timeouts=timeouts,
            slugs={t.name: str(target.get("dir") or fleet.slug(t.name))},
        )
        return asdict(run.one(t))
    finally:
        if store is not None:
            store.close()


def write_index(
    results: Sequence[Mapping[str, Any]], out_dir: str | Path, title: str = "pg-auditor fleet"
) -> list[Path]:
    """index.html and index.json in out_dir, one row per target (audit_target's rows), worst first."""

    return fleet.write_index([fleet.TargetResult(**r) for r in results], Path(out_dir), title)


def fleet_exit_code(results: Sequence[Mapping[str, Any]]) -> int:
    """The night's exit code, as `audit --targets` exits: 2 when a target failed (or was read only in
    part), else 1 when one has findings at or above fail-on, else 0."""

    return fleet.summary_exit_code([fleet.TargetResult(**r) for r in results])
