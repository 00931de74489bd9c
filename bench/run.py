"""Benchmark pg-auditor against pg_dump --schema-only on synthetic catalogs (S, M, L).

One command, one Markdown table ready for the README:

    PYTHONPATH=$PWD python bench/run.py --sizes S,M          # throwaway cluster, generated catalogs
    PYTHONPATH=$PWD python bench/run.py --dsn "host=... user=postgres" --sizes M --keep

    PYTHONPATH=$PWD python bench/run.py --sizes M,L --repeat 3 --before ../pg-auditor-old   # before and after

For each size it builds (or reuses) the database bench_<size>, then runs as subprocesses, on the
same database in the same run, alternating run by run: pg_dump --schema-only (the reference for
reading the whole catalog) and the whole `pg-auditor audit` as a user runs it (default formats), of
this checkout and of the --before one, each checkout's bytecode written first as an install does.
Wall time and peak RSS come from wait4() on each child; the
per-query times from one `pg-auditor collect --debug` of each checkout; queries and rows from the
collector's own counters (the report's run section). The audit's load on the server is shown as the
change of pg_stat_user_tables.seq_scan across the audits, for application tables and for extension
tables (pg_partman's part_config) apart.
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
class Side:
    """One auditor checkout's figures: the whole audit, its collection, its queries and its report sizes."""

    label: str
    audit: Measure | None = None
    collect: Measure | None = None
    queries: int | None = None
    rows: int | None = None
    findings: int | None = None
    report_kb: dict[str, int] = field(default_factory=dict)
    query_ms: dict[str, float] = field(default_factory=dict)  # per catalog query, from `collect --debug`


@dataclass
class Result:
    size: str
    counts: dict[str, int] = field(default_factory=dict)
    generate_s: float | None = None
    pg_dump: Measure | None = None
    sides: list[Side] = field(default_factory=list)  # this checkout first, then --before
    seq_scan_app: int | None = None
    seq_scan_ext: int | None = None


def timed(cmd: list[str], env: dict[str, str] | None = None, server: ServerCpu | None = None) -> Measure:
    """Run a child to completion; wall time and its own peak RSS (wait4, so only this child counts)."""
    server_before = server.read() if server else None
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        # cwd: `python -m` puts the working directory first on sys.path, ahead of PYTHONPATH (the checkout measured)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=tempfile.gettempdir())
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


def compile_checkout(root: Path) -> None:
    """Write the checkout's bytecode first, as installing the package does: where PYTHONDONTWRITEBYTECODE is
    set (some CI images), each run would otherwise compile every module again (0.1-0.3 s of client CPU)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "auditor")], env=env, check=True)


QUERY_LINE = re.compile(r"query (\S+)\s+(\d+) rows\s+([\d.]+) ms")


def query_times(stderr: str) -> dict[str, float]:
    """Per-query milliseconds from --debug lines; the sequence_values_N chunks summed as one."""
    out: dict[str, float] = {}
    for name, _rows, ms in QUERY_LINE.findall(stderr):
        key = "sequence_values (all chunks)" if name.startswith("sequence_values_") else name
        out[key] = out.get(key, 0.0) + float(ms)
    return out


def median(runs: list[Measure]) -> Measure:
    return sorted(runs, key=lambda m: m.seconds)[len(runs) // 2]


def measure(dsn: str, size: str, pg_dump: str, repeat: int, work: Path, roots: list[tuple[str, Path]]) -> Result:
    """pg_dump and each checkout's whole `pg-auditor audit` (default formats, as a user runs it), alternating
    run by run so that a change in the machine's load falls on all of them alike; medians of `repeat`."""
    result = Result(size)
    result.counts = catalog_counts(dsn)
    server = ServerCpu(dsn)
    envs = [{**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"} for _, root in roots]
    outs = [work / size / label for label, _ in roots]
    for out in outs:
        out.mkdir(parents=True, exist_ok=True)
    result.sides = [Side(label) for label, _ in roots]
    for _, root in roots:
        compile_checkout(root)
    audits: list[list[Measure]] = [[] for _ in roots]
    dumps: list[Measure] = []
    before = seq_scans(dsn)
    for n in range(repeat):
        print(f"{size}: run {n + 1} of {repeat}: pg_dump --schema-only, then each audit ...", file=sys.stderr)
        dumps.append(timed([pg_dump, "--schema-only", "-f", os.devnull, "-d", dsn], server=server))
        for i, env in enumerate(envs):
            audits[i].append(timed(auditor_cmd("audit", dsn, "-o", str(outs[i])), env, server))
        if n == 0:
            time.sleep(1.0)  # the backends have exited and flushed their counters
            after = seq_scans(dsn)
            result.seq_scan_app, result.seq_scan_ext = after[0] - before[0], after[1] - before[1]
    result.pg_dump = median(dumps)
    for side, env, out, runs in zip(result.sides, envs, outs, audits, strict=True):
        side.audit = median(runs)
        print(f"{size}: {side.label}: pg-auditor collect --debug (per-query times) ...", file=sys.stderr)
        side.collect = timed(auditor_cmd("collect", dsn, "-o", str(out / "snapshot.json"), "--debug"), env, server)
        side.query_ms = query_times(side.collect.stderr)
        report = json.loads((out / "pg-auditor-report.json").read_text(encoding="utf-8"))
        side.queries, side.rows = report["run"].get("queries"), report["run"].get("rows")
        side.findings = len(report["findings"])
        side.report_kb = {
            fmt: (out / f"pg-auditor-report.{fmt}").stat().st_size // 1024 for fmt in ("md", "html", "json")
        }
    return result


def markdown(results: list[Result], server_version: str, repeat: int) -> str:
    labels = [side.label for side in results[0].sides]
    lines = [
        f"PostgreSQL {server_version}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}; median of {repeat} alternating run(s); catalog only (no rows); "
        "the whole `pg-auditor audit` with its default formats (md, html, json).",
        "",
        "| size | checkout | tables | partitions | indexes | pg_dump -s | audit | audit / pg_dump | audit CPU "
        "(client / server) | pg_dump RSS | audit RSS | queries | rows | findings | md / html / json |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        assert r.pg_dump
        for side in r.sides:
            assert side.audit
            kb = side.report_kb
            lines.append(
                f"| {r.size} | {side.label} | {r.counts['tables']:,} | {r.counts['partitions']:,} "
                f"| {r.counts['indexes']:,} | {r.pg_dump.seconds:.2f} s | {side.audit.seconds:.2f} s "
                f"| {side.audit.seconds / r.pg_dump.seconds:.2f}x | {cpu(side.audit)} | {r.pg_dump.rss_mb:.0f} MB "
                f"| {side.audit.rss_mb:.0f} MB | {side.queries} | {side.rows:,} | {side.findings:,} "
                f"| {kb['md']:,} / {kb['html']:,} / {kb['json']:,} kB |"
            )
    lines += ["", f"pg_dump CPU (client / server): {', '.join(f'{r.size} {cpu(r.pg_dump)}' for r in results)}."]
    lines += [
        "",
        "Server time per catalog query (ms, one `pg-auditor collect --debug` run; rows building overlaps it):",
        "",
        "| size | query | " + " | ".join(labels) + " |",
        "|---|---|" + "--:|" * len(labels),
    ]
    for r in results:
        names = list(dict.fromkeys(n for side in r.sides for n in side.query_ms))
        for name in sorted(names, key=lambda n: -max(side.query_ms.get(n, 0.0) for side in r.sides)):
            cells = [f"{side.query_ms[name]:,.1f}" if name in side.query_ms else "-" for side in r.sides]
            lines.append(f"| {r.size} | {name} | " + " | ".join(cells) + " |")
        totals = [f"{sum(side.query_ms.values()):,.1f}" for side in r.sides]
        lines.append(f"| {r.size} | **all** | " + " | ".join(totals) + " |")
    lines += ["", "Load on the server: seq_scan delta across the first run of every audit (application / extension "]
    lines[-1] += "tables): " + ", ".join(f"{r.size} {r.seq_scan_app} / {r.seq_scan_ext}" for r in results) + "."
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
    parser.add_argument(
        "--before",
        type=Path,
        metavar="CHECKOUT",
        help="another checkout of pg-auditor (e.g. a `git worktree` of an older commit), measured in the same run",
    )
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
        roots = [("this", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
        results = []
        for size in sizes:
            dsn, gen = prepare(server_dsn, size, args.regenerate)
            result = measure(dsn, size, pg_dump, args.repeat, work, roots)
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
