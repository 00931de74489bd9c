"""Airflow DAG: one mapped task per database, so an existing scheduler does the fan-out.

Each mapped task audits one target with the Python API (one connection, one report directory)
and records it in the shared history; the last task writes the fleet index page and fails the
run when any target failed. Targets come from the same TOML file the CLI's --targets reads.
Needs Airflow 2.4+ (dynamic task mapping) and pg-auditor on the workers:
`pip install "pg-auditor @ git+https://github.com/pg-auditor/pg-auditor@main"`.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from airflow.decorators import dag, task

TARGETS = Path(os.environ.get("PG_AUDITOR_TARGETS", "/opt/pg-auditor/targets.toml"))
REPORTS = Path(os.environ.get("PG_AUDITOR_REPORTS", "/data/pg-auditor/reports"))
HISTORY = os.environ.get("PG_AUDITOR_HISTORY_URL", "/data/pg-auditor/history.sqlite")


@dag(
    schedule="15 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # no overlapping nights
    default_args={"retries": 0, "execution_timeout": timedelta(hours=1)},
    tags=["postgresql", "audit"],
)
def pg_auditor_nightly():
    @task
    def list_targets() -> list[dict]:
        from auditor.runs.fleet import load_targets

        targets, defaults = load_targets(TARGETS)
        return [
            {"name": t.name, "conninfo": t.conninfo, "defaults": defaults, "overrides": t.overrides} for t in targets
        ]

    @task(max_active_tis_per_dag=4)  # the --jobs of the CLI: at most four databases at once
    def audit_one(target: dict, ds: str | None = None) -> dict:
        import auditor
        from auditor.api import exit_code
        from auditor.base.errors import AuditorError
        from auditor.engine.config import Config
        from auditor.runs.fleet import FleetTarget, TargetResult, slug, target_config

        t = FleetTarget(target["name"], target["conninfo"], None, target["overrides"])
        cfg = target_config(t, Config(), target["defaults"], {})
        try:
            report = auditor.audit(t.conninfo, cfg, history=HISTORY, compare_to="latest", label=t.name)
        except AuditorError as exc:  # safe to log: no passwords
            return asdict(TargetResult(t.name, "failed", 2, error=str(exc)))
        out = REPORTS / (ds or "latest") / slug(t.name)
        auditor.write(report, ["md", "html", "json"], out)
        changes = report.extras.get("changes") or {}
        code = exit_code(report, cfg.fail_on, False)
        return asdict(
            TargetResult(
                t.name,
                ("ok", "findings", "failed")[code],
                code,
                overall=report.overall,
                counts=report.counts(),
                new=len(changes.get("new", [])),
                fixed=len(changes.get("fixed", [])),
                deltas=changes.get("score_deltas", {}),
                report=f"{slug(t.name)}/pg-auditor-report.html",
            )
        )

    @task
    def fleet_index(results: list[dict], ds: str | None = None) -> int:
        from auditor.runs.fleet import TargetResult, summary_exit_code, write_index

        rows = [TargetResult(**r) for r in results]
        write_index(rows, REPORTS / (ds or "latest"))
        failed = [r.name for r in rows if r.status == "failed"]
        if failed:
            raise RuntimeError(f"pg-auditor failed on: {', '.join(failed)}")
        return summary_exit_code(rows)

    fleet_index(audit_one.expand(target=list_targets()))


pg_auditor_nightly()
