"""Airflow DAG: one mapped task per database, so an existing scheduler does the fan-out.

Each mapped task audits one target with pg-auditor's Python API, as one worker of `pg-auditor audit
--targets` does (its own connection, report directory and history row; a refused connection is a
failed row, not a lost night for the others); the last task writes the fleet index page and fails the
run when a target could not be audited. Targets come from the same TOML file the CLI's --targets reads,
which holds no passwords (~/.pgpass, PGPASSFILE or a service file on the workers), so what passes
through XCom and the task logs is names, conninfo without password, and one-line errors.
Needs Airflow 3 (tests/system/test_airflow_dag.py runs it with `airflow dags test`) and pg-auditor on
the workers: `pip install "pg-auditor @ git+https://github.com/pg-auditor/pg-auditor@main"`.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import dag, task

TARGETS = Path(os.environ.get("PG_AUDITOR_TARGETS", "/opt/pg-auditor/targets.toml"))
REPORTS = Path(os.environ.get("PG_AUDITOR_REPORTS", "/data/pg-auditor/reports"))
HISTORY = os.environ.get("PG_AUDITOR_HISTORY_URL", "/data/pg-auditor/history.sqlite")


def night(ds: str | None) -> Path:
    """One directory a night; a manual run without a logical date writes to latest/."""
    return REPORTS / (ds or "latest")


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
        import auditor

        return auditor.load_targets(TARGETS)  # checked here, before any database is touched

    @task(max_active_tis_per_dag=4)  # the --jobs of the CLI: at most four databases at once
    def audit_one(target: dict, ds: str | None = None) -> dict:
        import auditor

        row = auditor.audit_target(target, night(ds), ["md", "html", "json"], history=HISTORY, compare_to="latest")
        print(f"{row['name']}: {row['status']}" + (f" ({row['error']})" if row["error"] else ""))
        return row

    @task
    def fleet_index(results: list[dict], ds: str | None = None) -> int:
        import auditor

        rows = list(results)
        auditor.write_index(rows, night(ds))
        code = auditor.fleet_exit_code(rows)
        if code == 2:  # findings are the reports' business; a database that was not audited fails the night
            failed = [r["name"] for r in rows if r["status"] in ("failed", "partial")]
            raise RuntimeError(f"pg-auditor could not audit: {', '.join(failed)}")
        return code

    fleet_index(audit_one.expand(target=list_targets()))


pg_auditor_nightly()
