"""Benchmark pg-auditor against pg_dump --schema-only on synthetic catalogs (S, M, L).

One command, one Markdown table ready for the README:

    PYTHONPATH=$PWD python bench/run.py --sizes S,M          # throwaway cluster, generated catalogs
    PYTHONPATH=$PWD python bench/run.py --dsn "host=... user=postgres" --sizes M --keep

For each size it builds (or reuses) the database bench_<size>, then runs as subprocesses, on the
same database in the same run: pg_dump --schema-only (the reference for reading the whole
catalog), `pg-auditor collect` and `pg-auditor audit` (md, html and json). Wall time and peak RSS
come from wait4() on each child; queries and rows from the collector's own counters (the report's
run section). The audit's load on the server is shown as the change of pg_stat_user_tables.seq_scan
across the audit, for application tables and for extension tables (pg_partman's part_config) apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import SIZES, generate

ROOT = Path(__file__).resolve().parent.parent
# pg_dump takes AccessShareLock on every table in one transaction: L needs ~50,000 lock slots.
# autovacuum off: its workers would add to the server CPU we attribute to the tool being measured.
CLUSTER_SETTINGS = {"max_locks_per_transaction": "4096", "autovacuum": "off"}


@dataclass
class Measure:
    seconds: float
    rss_mb: float
    stderr: str = ""
    cpu: float = 0.0  # the client process's user + system seconds
    server_cpu: float | None = None  # the server backend's, when the postmaster is local and readable


class ServerCpu:
    """CPU seconds of exited server backends: the postmaster's cutime + cstime in /proc.

    Robust where wall time is not (a shared, loaded machine): a backend's CPU is added to the
    postmaster's children times when it exits, so the difference across a run is that run's backend.
    """

    def __init__(self, dsn: str) -> None:
        self.pid: int | None = None
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                data = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
            self.pid = int(Path(data, "postmaster.pid").read_text().split()[0])
            self.read()
        except (OSError, ValueError, psycopg.Error):
            self.pid = None

    def read(self) -> float | None:
        if self.pid is None:
            return None
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    size: str
    counts: dict[str, int] = field(default_factory=dict)
    generate_s: float | None = None
    pg_dump: Measure | None = None
    collect: Measure | None = None
    audit: Measure | None = None
    queries: int | None = None
    rows: int | None = None
    findings: int | None = None
    report_kb: dict[str, int] = field(default_factory=dict)
    seq_scan_app: int | None = None
    seq_scan_ext: int | None = None


def timed(cmd: list[str], env: dict[str, str] | None = None, server: ServerCpu | None = None) -> Measure:
    """Run a child to completion; wall time and its own peak RSS (wait4, so only this child counts)."""
    server_before = server.read() if server else None
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if proc.returncode not in (0, 1):  # pg-auditor exits 1 on findings
        raise SystemExit(f"{' '.join(cmd[:3])}... failed ({proc.returncode}):\n{stderr[-2000:]}")
    rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    server_cpu = None
    if server and server_before is not None:
        time.sleep(0.3)  # the backend exits after the client hangs up; let the postmaster reap it
        server_cpu = (server.read() or 0.0) - server_before
    return Measure(seconds, rss_kb / 1024, stderr, usage.ru_utime + usage.ru_stime, server_cpu)


def best_of(n: int, cmd: list[str], env: dict[str, str] | None = None, server: ServerCpu | None = None) -> Measure:
    """The median run by wall time."""
    runs = [timed(cmd, env, server) for _ in range(n)]
    return sorted(runs, key=lambda m: m.seconds)[len(runs) // 2]


def seq_scans(dsn: str) -> tuple[int, int]:
    """Sum of seq_scan over application tables and over extension-schema tables, read fresh."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            """
            SELECT COALESCE(sum(s.seq_scan) FILTER (WHERE NOT ext), 0)::bigint,
                   COALESCE(sum(s.seq_scan) FILTER (WHERE ext), 0)::bigint
            FROM (SELECT s.seq_scan, EXISTS (
                      SELECT 1 FROM pg_depend d JOIN pg_namespace n ON n.oid = d.objid
                      WHERE d.classid = 'pg_namespace'::regclass AND d.deptype = 'e' AND n.nspname = s.schemaname
                  ) OR EXISTS (
                      SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                      WHERE n.nspname = s.schemaname
                  ) AS ext
                  FROM pg_stat_user_tables s) s
            """
        ).fetchone()
    return int(row[0]), int(row[1])


def catalog_counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p')),"
            " count(*) FILTER (WHERE c.relispartition AND c.relkind IN ('r', 'p')),"
            " count(*) FILTER (WHERE c.relkind IN ('i', 'I')),"
            " (SELECT count(*) FROM pg_policy),"
            " (SELECT count(*) FROM pg_constraint WHERE contype = 'f')"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'"
        ).fetchone()
    return dict(zip(("tables", "partitions", "indexes", "policies", "foreign_keys"), map(int, row), strict=True))


def with_db(dsn: str, dbname: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(dsn) | {"dbname": dbname}
    return psycopg.conninfo.make_conninfo(**params)


def prepare(server_dsn: str, size: str, regenerate: bool) -> tuple[str, float | None]:
    """bench_<size> on the server, generated unless it already holds the catalog."""
    dbname = f"bench_{size.lower()}"
    with psycopg.connect(with_db(server_dsn, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists and regenerate:
            conn.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}"')
    dsn = with_db(server_dsn, dbname)
    if exists and catalog_counts(dsn)["tables"] >= SIZES[size].tables * 0.95:
        return dsn, None
    if exists:
        raise SystemExit(f"{dbname} exists but is not a complete {size} catalog: rerun with --regenerate")
    print(f"generating {size} in {dbname} ...", file=sys.stderr)
    stats = generate(dsn, SIZES[size], verbose=False)
    return dsn, float(stats["seconds"])


def auditor_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "auditor", *args]


def measure(dsn: str, size: str, pg_dump: str, repeat: int, work: Path) -> Result:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    result = Result(size)
    result.counts = catalog_counts(dsn)
    out = work / size
    out.mkdir(parents=True, exist_ok=True)
    print(f"{size}: pg_dump --schema-only ...", file=sys.stderr)
    server = ServerCpu(dsn)
    result.pg_dump = best_of(repeat, [pg_dump, "--schema-only", "-f", os.devnull, "-d", dsn], server=server)
    print(f"{size}: pg-auditor collect ...", file=sys.stderr)
    result.collect = best_of(
        repeat, auditor_cmd("collect", dsn, "-o", str(out / "snapshot.json"), "--debug"), env, server
    )
    m = re.search(r"collected with (\d+) queries, (\d+) rows", result.collect.stderr)
    if m:
        result.queries, result.rows = int(m.group(1)), int(m.group(2))
    print(f"{size}: pg-auditor audit ...", file=sys.stderr)
    before = seq_scans(dsn)
    audit_cmd = auditor_cmd("audit", dsn, "-o", str(out), "-f", "md,html,json", "--exit-zero")
    first = timed(audit_cmd, env, server)
    time.sleep(1.0)  # the audit's backend has exited and flushed its counters; give the collector a beat
    after = seq_scans(dsn)
    result.seq_scan_app, result.seq_scan_ext = after[0] - before[0], after[1] - before[1]
    runs = [first] + [timed(audit_cmd, env, server) for _ in range(repeat - 1)]
    result.audit = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    report = json.loads((out / "pg-auditor-report.json").read_text(encoding="utf-8"))
    result.queries = report["run"].get("queries", result.queries)
    result.rows = report["run"].get("rows", result.rows)
    result.findings = len(report["findings"])
    result.report_kb = {
        fmt: (out / f"pg-auditor-report.{fmt}").stat().st_size // 1024 for fmt in ("md", "html", "json")
    }
    return result


def markdown(results: list[Result], server_version: str, repeat: int) -> str:
    lines = [
        f"PostgreSQL {server_version}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}; median of {repeat} run(s); catalog only (no rows).",
        "",
        "| size | tables | partitions | indexes | generate | pg_dump -s | collect | audit | audit / pg_dump "
        "| audit RSS | queries | rows | findings | seq_scan delta (app / ext) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        assert r.pg_dump and r.collect and r.audit
        gen = f"{r.generate_s:.0f} s" if r.generate_s is not None else "reused"
        lines.append(
            f"| {r.size} | {r.counts['tables']:,} | {r.counts['partitions']:,} | {r.counts['indexes']:,} | {gen} "
            f"| {r.pg_dump.seconds:.2f} s | {r.collect.seconds:.2f} s | {r.audit.seconds:.2f} s "
            f"| {r.audit.seconds / r.pg_dump.seconds:.2f}x | {r.audit.rss_mb:.0f} MB "
            f"| {r.queries} | {r.rows:,} | {r.findings:,} | {r.seq_scan_app} / {r.seq_scan_ext} |"
        )
    lines += [
        "",
        "CPU seconds (client process / server backend) and peak RSS of the client; robust where wall time is not.",
        "",
        "| size | pg_dump CPU | collect CPU | audit CPU | pg_dump RSS | collect RSS | audit RSS | md / html / json |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        assert r.pg_dump and r.collect and r.audit
        kb = r.report_kb
        lines.append(
            f"| {r.size} | {cpu(r.pg_dump)} | {cpu(r.collect)} | {cpu(r.audit)} "
            f"| {r.pg_dump.rss_mb:.0f} MB | {r.collect.rss_mb:.0f} MB | {r.audit.rss_mb:.0f} MB "
            f"| {kb['md']:,} / {kb['html']:,} / {kb['json']:,} kB |"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        assert first.audit and last.audit
        growth = (last.audit.seconds / first.audit.seconds) / (last.counts["tables"] / first.counts["tables"])
        queries = sorted({r.queries for r in results})
        lines += [
            "",
            f"Audit time {first.size} to {last.size}: x{last.audit.seconds / first.audit.seconds:.1f} for "
            f"x{last.counts['tables'] / first.counts['tables']:.0f} tables "
            f"({growth:.2f} of linear; at most 1.00 is linear or better). "
            f"Query count: {', '.join(map(str, queries))} ({'constant' if len(queries) == 1 else 'CHANGES'}).",
        ]
    return "\n".join(lines) + "\n"


def cpu(m: Measure) -> str:
    server = f"{m.server_cpu:.2f}" if m.server_cpu is not None else "n/a"
    return f"{m.cpu:.2f} / {server} s"


def pg_dump_binary(major: int) -> str:
    for candidate in (f"/usr/lib/postgresql/{major}/bin/pg_dump", shutil.which("pg_dump")):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("pg_dump not found")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M", help="comma-separated: S, M, L (default S,M)")
    parser.add_argument("--dsn", help="a server to use (superuser; databases bench_<size> are made there)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the median is reported")
    parser.add_argument("--regenerate", action="store_true", help="drop and rebuild existing bench_<size>")
    parser.add_argument("--keep", action="store_true", help="leave the throwaway cluster running")
    parser.add_argument("--pg-dump", help="pg_dump binary (default: the server's major)")
    parser.add_argument("--work", type=Path, help="where reports and snapshots go (default: a temp dir)")
    parser.add_argument("-o", "--output", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            parser.error(f"unknown size {s!r}")
    cluster = None
    if args.dsn:
        server_dsn = args.dsn
    else:
        from auditor.pgserver.tempcluster import TempCluster

        cluster = TempCluster(settings=CLUSTER_SETTINGS).start()
        server_dsn = cluster.dsn()
        print(f"throwaway cluster: {server_dsn}", file=sys.stderr)
    work = args.work or Path(tempfile.mkdtemp(prefix="pg-auditor-bench-"))
    try:
        with psycopg.connect(with_db(server_dsn, "postgres"), autocommit=True) as conn:
            row = conn.execute("SELECT current_setting('server_version'), current_setting('server_version_num')")
            version, num = row.fetchone()
        pg_dump = args.pg_dump or pg_dump_binary(int(num) // 10000)
        results = []
        for size in sizes:
            dsn, gen = prepare(server_dsn, size, args.regenerate)
            result = measure(dsn, size, pg_dump, args.repeat, work)
            result.generate_s = gen
            results.append(result)
            print(markdown(results, version, args.repeat), file=sys.stderr)
        table = markdown(results, version, args.repeat)
        print(table)
        if args.output:
            args.output.write_text(table, encoding="utf-8")
    finally:
        if cluster is not None and not args.keep:
            cluster.stop()
        elif cluster is not None:
            print(f"cluster left running: {server_dsn} (data in {cluster.base})", file=sys.stderr)


if __name__ == "__main__":
    main()
