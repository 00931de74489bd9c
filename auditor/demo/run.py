"""`pg-auditor demo`: a throwaway PostgreSQL, the bundled sample SaaS schema, an audit and its report.

It needs no database of the user's: the server lives in a temp dir and is removed afterwards
(unless --keep). pg_partman's part of the sample loads only where the extension is installed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg

from auditor.base import progress
from auditor.catalog.db import Target, Timeouts, connect
from auditor.engine.config import Config
from auditor.pgserver.tempcluster import TempCluster
from auditor.runs import single

log = logging.getLogger("pg_auditor")
DEMO_DIR = Path(__file__).resolve().parent
DEMO_DB = "saas_demo"


def load_sample(dsn: str) -> bool:
    """Load the sample schema into an empty database; returns whether the pg_partman part loaded."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute((DEMO_DIR / "saas.sql").read_text(encoding="utf-8"))
        has_partman = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_partman'").fetchone()[
            0
        ]
        if has_partman:  # saas.sql analyzes its own tables; the partman set needs its estimates too
            conn.execute((DEMO_DIR / "saas_partman.sql").read_text(encoding="utf-8"))
            conn.execute("ANALYZE")
    return bool(has_partman)


def run_demo(output: Path, keep: bool = False) -> tuple[list[Path], str | None]:
    """The demo's report files, and the DSN of its server when it is kept running."""
    outcome, dsn = demo(output, keep)
    return outcome.paths, dsn


def demo(output: Path, keep: bool = False) -> tuple[single.Outcome, str | None]:
    """Start the throwaway server, load the sample, audit it: the run's outcome, and the DSN if kept."""
    progress.step("server", "starting a throwaway PostgreSQL")
    cluster = TempCluster()
    cluster.start()
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DEMO_DB}")
        dsn = cluster.dsn(DEMO_DB)
        progress.step("sample", "loading the sample SaaS schema")
        partman = load_sample(dsn)
        log.debug("sample schema loaded (pg_partman part: %s)", "yes" if partman else "not installed")
        job = single.Job(
            Config(),
            connect=lambda: connect(Target(conninfo=dsn), Timeouts()),
            formats=["html", "md", "json"],
            out_dir=output,
            stem="pg-auditor-demo",
            run_info={"source": "demo"},
        )
        outcome = single.run(job)
    except BaseException:
        cluster.stop()
        raise
    if keep:
        return outcome, dsn
    cluster.stop()
    return outcome, None
