"""Many databases in one run: a targets file or every database of one server, with bounded parallelism.

Each target gets its own connection, its own report directory and its own error: a database that
refuses connections becomes a row with a one-line error on the index page, never a lost night for
the others. The exit code is the worst target's (2 > 1 > 0).

Targets file (TOML):

    [defaults]                    # config keys for every target (select, ignore, fail-on, thresholds...)
    fail-on = "high"

    [[target]]
    name = "billing"
    dsn = "host=db1 dbname=billing user=auditor"   # no password: ~/.pgpass, PGPASSFILE or a service file
    [target.thresholds]
    large_table_rows = 5000000

    [[target]]
    name = "crm"
    service = "crm-staging"       # from pg_service.conf
    config = "crm.toml"           # a whole config file, relative to the targets file
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import logging
import re
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from auditor.base import progress
from auditor.base.errors import AuditorError, ConfigError
from auditor.catalog.db import Target, Timeouts, connect
from auditor.engine import config as config_mod
from auditor.engine.config import Config, from_mapping
from auditor.output.render import environment
from auditor.runs import nightly, notify, single

log = logging.getLogger("pg_auditor")

TARGET_KEYS = {"name", "dsn", "service", "config"}
RANK = {"ok": 0, "findings": 1, "partial": 2, "failed": 3}


@dataclass
class FleetTarget:
    name: str
    conninfo: str
    config_path: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class TargetResult:
    name: str
    status: str  # ok, findings, partial, failed, skipped
    exit_code: int
    seconds: float = 0.0
    overall: int | None = None
    scores: dict[str, int | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    new: int | None = None
    known: int | None = None
    fixed: int | None = None
    trend: list[int] = field(default_factory=list)  # the overall score of the last runs, oldest first (history)
    deltas: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    report: str | None = None  # the HTML report, relative to the index page
    history_id: int | None = None


def load_targets(path: Path) -> tuple[list[FleetTarget], dict[str, Any]]:
    """The targets and the [defaults] config mapping. Passwords in a DSN are refused."""

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"targets file not found: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read targets file {path}: {exc}") from None
    unknown = set(data) - {"defaults", "target"}
    if unknown:
        raise ConfigError(f"{path.name}: unknown key {sorted(unknown)[0]!r} (known: defaults, target)")
    defaults = data.get("defaults") or {}
    from_mapping(defaults, f"{path.name}: defaults")  # validate now, before connecting anywhere
    targets: list[FleetTarget] = []
    for i, raw in enumerate(data.get("target") or []):
        where = f"{path.name}: target[{i}]"
        name = str(raw.get("name") or "").strip()
        if not name:
            raise ConfigError(f"{where} needs a name")
        if not (raw.get("dsn") or raw.get("service")):
            raise ConfigError(f"{where} ({name}) needs a dsn or a service")
        dsn = str(raw.get("dsn") or "")
        if dsn and "=" not in dsn and "://" not in dsn:
            dsn = f"dbname={dsn}"  # a bare database name, as psql takes it
        try:
            conninfo = make_conninfo(dsn, service=raw["service"]) if raw.get("service") else make_conninfo(dsn)
            has_password = bool(conninfo_to_dict(conninfo).get("password"))
        except ProgrammingError:
            raise ConfigError(f"{where} ({name}): invalid dsn") from None
        if has_password:
            raise ConfigError(f"{where} ({name}): no passwords in the targets file; use ~/.pgpass or a service file")
        overrides = {k: v for k, v in raw.items() if k not in TARGET_KEYS}
        from_mapping(overrides, where)
        cfg_path = (path.parent / raw["config"]) if raw.get("config") else None
        targets.append(FleetTarget(name, conninfo, cfg_path, overrides))
    names = [t.name for t in targets]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path.name}: target name {dupes[0]!r} is used twice")
    if not targets:
        raise ConfigError(f"{path.name}: no [[target]] entries")
    return targets, defaults


def discover_databases(server_dsn: str, connect_timeout: int = 10) -> tuple[list[FleetTarget], list[TargetResult]]:
    """Every database on the server we may connect to; templates and databases refusing connections skipped."""

    base = conninfo_to_dict(Target(conninfo=server_dsn).resolve()[0])
    if base.get("dbname") or base.get("service"):
        session = connect(Target(conninfo=server_dsn), Timeouts(connect=connect_timeout))
    else:  # like pg_dumpall: the maintenance database, else template1
        try:
            session = connect(
                Target(conninfo=make_conninfo(**base, dbname="postgres")), Timeouts(connect=connect_timeout)
            )
        except AuditorError:
            session = connect(
                Target(conninfo=make_conninfo(**base, dbname="template1")), Timeouts(connect=connect_timeout)
            )
    try:
        rows = session.fetch(
            "databases",
            "SELECT datname, datallowconn, has_database_privilege(datname, 'CONNECT') AS can_connect"
            " FROM pg_catalog.pg_database WHERE NOT datistemplate ORDER BY datname",
        )
    finally:
        session.conn.close()
    targets, skipped = [], []
    for r in rows:
        why = None
        if not r["datallowconn"]:
            why = "skipped: the database does not allow connections (datallowconn = false)"
        elif not r["can_connect"]:
            why = "skipped: no CONNECT privilege on the database for this role"
        if why:
            skipped.append(TargetResult(r["datname"], "skipped", 0, error=why))
        else:
            targets.append(FleetTarget(r["datname"], make_conninfo(**(base | {"dbname": r["datname"]}))))
    return targets, skipped


def target_config(t: FleetTarget, base: Config, defaults: dict[str, Any], cli: dict[str, Any]) -> Config:
    """Base config (or the target's own file), then [defaults], then the target's keys, then the command line."""

    if t.config_path is not None:
        cfg = config_mod.load(t.config_path)
    else:
        keys = config_mod.canonical  # one spelling of each key before the tables are merged
        merged_keys = _mapping_of(base) | keys(defaults, "defaults") | keys(t.overrides, f"target {t.name}")
        cfg = from_mapping(merged_keys, f"target {t.name}")
        cfg.extra = base.extra | cfg.extra
    if t.config_path is not None and (defaults or t.overrides):
        given = config_mod.canonical(defaults, "defaults") | config_mod.canonical(t.overrides, f"target {t.name}")
        cfg = _overlay(cfg, from_mapping(given, f"target {t.name}"), given)
    return config_mod.apply_cli(
        cfg,
        cli.get("select"),
        cli.get("ignore"),
        cli.get("fail_on"),
        cli.get("settings"),
        cli.get("allow_partial", False),
    )


def _mapping_of(cfg: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if cfg.select:
        out["select"] = cfg.select
    if cfg.ignore:
        out["ignore"] = cfg.ignore
    out["fail-on"] = cfg.fail_on
    if cfg.severity:
        out["severity"] = dict(cfg.severity)
    if cfg.thresholds:
        out["thresholds"] = dict(cfg.thresholds)
    if cfg.ignore_objects:
        out["ignore-objects"] = [asdict(e) for e in cfg.ignore_objects]
    return out | cfg.extra


def _overlay(cfg: Config, top: Config, keys: dict[str, Any]) -> Config:
    if "select" in keys:
        cfg.select = top.select
    if "ignore" in keys:
        cfg.ignore = top.ignore
    if "fail-on" in keys:
        cfg.fail_on = top.fail_on
    cfg.severity |= top.severity
    cfg.thresholds |= top.thresholds
    cfg.ignore_objects += top.ignore_objects
    cfg.extra |= top.extra
    return cfg


def slug(name: str) -> str:
    """A directory name for a target: safe on every filesystem, still recognisable."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "target"


def unique_slugs(names: list[str]) -> dict[str, str]:
    """A directory per target, never shared: names that slug alike (`prod/billing`, `prod_billing`, or
    `Billing` and `billing` on a case-insensitive filesystem) each get a suffix from their own name."""
    out = {n: slug(n) for n in names}
    seen: dict[str, int] = {}
    for s in out.values():
        seen[s.lower()] = seen.get(s.lower(), 0) + 1
    for n, s in out.items():
        if seen[s.lower()] > 1:
            out[n] = f"{s}-{hashlib.sha256(n.encode('utf-8')).hexdigest()[:8]}"
    return out


@dataclass
class FleetRun:
    targets: list[FleetTarget]
    configs: dict[str, Config]
    out_dir: Path
    formats: list[str]
    jobs: int = 4
    history: Any = None
    compare_to: str | None = None
    exit_zero: bool = False
    timeouts: Timeouts = field(default_factory=Timeouts)
    schemas: list[str] | None = None
    exclude_schemas: list[str] | None = None
    skipped: list[TargetResult] = field(default_factory=list)
    slugs: dict[str, str] = field(default_factory=dict)  # each target's report directory; default unique_slugs

    def __post_init__(self) -> None:
        self.slugs = self.slugs or unique_slugs([t.name for t in self.targets])

    def run(self) -> list[TargetResult]:
        """Audit every target, at most `jobs` at once; results in target order."""
        jobs = max(1, min(self.jobs, len(self.targets) or 1))
        finished = itertools.count(1)
        lock = threading.Lock()

        def counted(t: FleetTarget) -> TargetResult:
            result = self.one(t)
            with lock:  # the display hears the targets one at a time, counted in the order they end
                progress.step("target", f"{t.name}: {result.status}", next(finished), len(self.targets))
            return result

        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="pg-auditor") as pool:
            results = list(pool.map(counted, self.targets))
        return sorted(results + self.skipped, key=lambda r: r.name)

    def one(self, t: FleetTarget) -> TargetResult:
        """One target through the run pipeline; its failure becomes its row, never the others'."""

        cfg = self.configs[t.name]
        started = time.time()
        job = single.Job(
            config=cfg,
            connect=lambda: connect(Target(conninfo=t.conninfo), self.timeouts),
            schemas=self.schemas,
            exclude_schemas=self.exclude_schemas,
            history=self.history,
            history_settings=nightly.history_settings(cfg),
            compare_to=self.compare_to,
            label=t.name,
            formats=self.formats,
            out_dir=self.out_dir / self.slugs[t.name],
            notify=True,
            exit_zero=self.exit_zero,
        )
        try:
            outcome = single.run(job)
        except AuditorError as exc:  # the pipeline recorded and announced it
            return self.failed(t, str(exc), started)
        except Exception as exc:  # one target's bug must not cost the others their reports
            log.debug("target %s failed", t.name, exc_info=True)
            return self.failed(t, f"internal error: {type(exc).__name__}: {exc}", started)
        report, paths, code = outcome.report, outcome.paths, outcome.exit_code
        changes = report.extras.get("changes") or {}
        html_path = next((p for p in paths if p.suffix == ".html"), paths[0] if paths else None)
        return TargetResult(
            name=t.name,
            status=status_of(report, code),
            exit_code=code,
            seconds=round(time.time() - started, 2),
            overall=report.overall,
            scores={a: s.score for a, s in report.scores.items()},
            counts=report.counts(),
            new=len(changes["new"]) if "new" in changes else None,
            known=len(changes["known"]) if "known" in changes else None,
            trend=[p["overall"] for p in report.extras.get("trend") or [] if isinstance(p.get("overall"), int)],
            fixed=len(changes["fixed"]) if "fixed" in changes else None,
            deltas=changes.get("score_deltas") or {},
            error=nightly_rule_errors(report) or not_read(report),
            report=html_path.relative_to(self.out_dir).as_posix() if html_path else None,
            history_id=report.run.get("history_id"),
        )

    def failed(self, t: FleetTarget, error: str, started: float) -> TargetResult:
        log.warning("%s: %s", t.name, error)
        return TargetResult(t.name, "failed", 2, seconds=round(time.time() - started, 2), error=error)


def status_of(report: Any, code: int) -> str:
    """ok, findings, partial (sections not read: exit 2 unless allowed) or failed (a rule crashed)."""
    if code == 2:
        return "failed" if any(s.status == "error" for s in report.statuses) or not report.partial else "partial"
    return "findings" if code == 1 else "ok"


def not_read(report: Any) -> str | None:
    return f"partial: not read: {', '.join(sorted(report.unavailable))}" if report.partial else None


def nightly_rule_errors(report: Any) -> str | None:
    broken = [s.code for s in report.statuses if s.status == "error"]
    return f"rules failed: {', '.join(broken)}" if broken else None


def summary_exit_code(results: list[TargetResult]) -> int:
    """The worst target: 2 (a failed target or rule) > 1 (findings at or above fail-on) > 0."""
    return max((r.exit_code for r in results), default=0)


def write_index(results: list[TargetResult], out_dir: Path, title: str = "pg-auditor fleet") -> list[Path]:
    """index.html (one row per target, worst first) and index.json, each written whole."""

    out_dir.mkdir(parents=True, exist_ok=True)
    order = sorted(
        results, key=lambda r: (-RANK.get(r.status, -1), r.overall if r.overall is not None else 101, r.name)
    )
    doc = {
        "title": title,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "exit_code": summary_exit_code(results),
        "targets": [asdict(r) for r in order],
    }
    page = environment("html").get_template("fleet_index.html.j2").render(doc=doc, results=order, esc=html.escape)
    paths = []
    for name, text in (("index.html", page), ("index.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")):
        path = out_dir / name
        tmp = path.with_name(name + ".partial")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        paths.append(path)
    return paths


def run_fleet(
    *,
    server: Any,
    targets_file: Path | None,
    config_file: Path | None,
    cli: dict[str, Any],
    formats: list[str],
    out_dir: Path,
    jobs: int,
    history: str | None,
    compare_to: str | None,
    exit_zero: bool,
    schema: list[str] | None,
    exclude_schema: list[str] | None,
    timeouts: Timeouts,
) -> tuple[list[TargetResult], list[Path]]:
    """`audit --targets FILE` / `audit --all-databases`: every target's report and the index page.

    server is the db.Target the DSN and -h/-p/-U/-d/--service options describe (--all-databases only).
    """

    base = config_mod.load(config_file)
    defaults: dict[str, Any] = {}
    skipped: list[TargetResult] = []
    if targets_file is not None:
        if server.conninfo or server.host or server.port or server.dbname or server.service:
            raise ConfigError("--targets takes its connections from the file; give no DSN or connection options")
        targets, defaults = load_targets(targets_file)
    else:
        targets, skipped = discover_databases(server.resolve()[0], timeouts.connect)
    configs = {t.name: target_config(t, base, defaults, cli) for t in targets}
    for cfg in configs.values():  # every section of every target's config, before connecting anywhere
        notify.settings(cfg)
        nightly.history_settings(cfg)
    settings = nightly.history_settings(base, history)
    store = nightly.open_history(settings, timeouts.connect)
    try:
        nightly.check_compare_to(compare_to if compare_to == "latest" else None, store)
        if compare_to and compare_to != "latest":  # a run id or a file belongs to one database, not to all
            raise ConfigError("a fleet run compares each database with its own history: use --compare-to latest")
        fleet = FleetRun(
            targets=targets,
            configs=configs,
            out_dir=out_dir,
            formats=formats,
            jobs=jobs,
            history=store,
            compare_to=compare_to,
            exit_zero=exit_zero,
            timeouts=timeouts,
            schemas=schema,
            exclude_schemas=exclude_schema,
            skipped=skipped,
        )
        results = fleet.run()
    finally:
        if store is not None:
            store.close()
    return results, write_index(results, out_dir)
