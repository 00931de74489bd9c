"""What a nightly run adds to a report: the comparison with an earlier run, the score trend, the history.

`before_write()` is called between the engine and the renderers and `record()` after the reports
are written, by the one run pipeline (runs/single.py) that `audit`, a fleet run and the Python API share:

1. compare with `--compare-to` (latest | RUN_ID | a JSON report, baseline or snapshot file):
   findings marked new / known, fixed ones listed, score deltas, and schema drift when both
   sides have a digest of object identities (history runs and snapshot files do);
2. record the run in the history (when one is configured) and apply retention;
3. put the last N runs' scores in report.extras["trend"] for the HTML chart.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from auditor import engine
from auditor.base.errors import AuditorError, ConfigError
from auditor.catalog import snapshot_file
from auditor.catalog.db import Target
from auditor.catalog.model import Snapshot
from auditor.engine.config import Config
from auditor.engine.report import Report
from auditor.output.render import envelope
from auditor.rules.registry import AREAS
from auditor.runs import baseline, drift, notify

log = logging.getLogger("pg_auditor")

HISTORY_KEYS = {"url", "path", "keep-runs", "keep-days", "trend-runs"}
DEFAULT_TREND_RUNS = 30


@dataclass
class HistorySettings:
    location: str | None = None
    keep_runs: int | None = None
    keep_days: int | None = None
    trend_runs: int = DEFAULT_TREND_RUNS


def history_settings(cfg: Config, cli_location: str | None = None) -> HistorySettings:
    """[history] in the config file (url or path, keep-runs, keep-days, trend-runs); --history wins."""
    raw = cfg.extra.get("history") or {}
    if isinstance(raw, str):
        raw = {"url": raw}
    if not isinstance(raw, dict):
        raise ConfigError("history must be a table (url, keep-runs, keep-days, trend-runs)")
    unknown = set(raw) - HISTORY_KEYS
    if unknown:
        raise ConfigError(f"history: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(HISTORY_KEYS))})")
    out = HistorySettings(location=cli_location or raw.get("url") or raw.get("path"))
    for key in ("keep-runs", "keep-days", "trend-runs"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"history: {key} must be a positive whole number, not {value!r}")
            setattr(out, key.replace("-", "_"), value)
    return out


def open_history(settings: HistorySettings, timeout: int = 10):
    """The history store, opened (and its schema checked) before the audit; `timeout` bounds its waits."""
    if not settings.location:
        return None
    from auditor.runs.history import History

    return History(settings.location, timeout)


class CompareError(AuditorError):
    """--compare-to names nothing we can compare with."""


@dataclass
class Previous:
    label: str
    baseline: dict[str, Any]  # {"scores": {...}, "entries": [{fingerprint, code, object, message, severity}]}
    digest: dict[str, Any] | None = None


def check_compare_to(value: str | None, history: Any) -> None:
    """Fail before connecting when --compare-to cannot work at all."""
    if value is None:
        return
    if (value == "latest" or value.isdigit()) and history is None:
        raise CompareError(f"--compare-to {value} needs a run history (--history PATH or [history] in the config)")
    if value != "latest" and not value.isdigit() and not Path(value).is_file():
        raise CompareError(f"--compare-to: no such file {value!r} (or use 'latest' or a run id)")


def previous_run(value: str, history: Any, target: str, cfg: Config) -> Previous | None:
    """The run to compare with; None when `latest` finds no earlier run (the first night)."""
    if value == "latest" or value.isdigit():
        run = history.latest(target) if value == "latest" else history.get(int(value))
        if run is None:
            log.info("no earlier run of %s in the history: nothing to compare with yet", target)
            return None
        base = run.as_baseline()
        stored = history.envelope(run.id) or {}
        if isinstance(stored.get("rules"), list):
            base["ran"] = baseline.ran([r for r in stored["rules"] if isinstance(r, dict) and "code" in r])
        return Previous(run.label, base, run.digest)
    return previous_from_file(Path(value), cfg)


def previous_from_file(path: Path, cfg: Config) -> Previous:
    """A JSON report (findings and scores), a baseline file, or a snapshot (audited here; gives drift too)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompareError(f"cannot read {path}: {exc}") from None
    if isinstance(doc, dict) and "server" in doc and "format" in doc:
        snap = snapshot_file.from_dict(doc)
        old = engine.run(snap, cfg)
        when = old.database.get("collected_at")
        return Previous(f"{path.name} ({when})" if when else path.name, baseline.build(old), drift.digest(snap))
    if isinstance(doc, dict) and "schema_version" in doc and "findings" in doc:
        return Previous(path.name, baseline_from_envelope(doc), (doc.get("context") or {}).get("digest"))
    return Previous(path.name, baseline.load(path))


def baseline_from_envelope(doc: dict[str, Any]) -> dict[str, Any]:
    """The entries and scores of a JSON report, without rebuilding the whole Report."""
    entries = []
    for f in doc.get("findings") or []:
        if not isinstance(f, dict) or "fingerprint" not in f or f.get("suppressed"):
            continue
        obj = f.get("object") or {}
        entries.append(
            baseline.entry(
                f["fingerprint"],
                f.get("code", ""),
                obj.get("display", "") if isinstance(obj, dict) else str(obj),
                f.get("message", ""),
                f.get("severity", "info"),
                f.get("evidence"),
            )
        )
    scores = doc.get("scores") or {}
    areas = {a: (s or {}).get("score") for a, s in (scores.get("areas") or {}).items()}
    out: dict[str, Any] = {"entries": entries, "scores": {"overall": scores.get("overall"), **areas}}
    if isinstance(doc.get("rules"), list):
        out["ran"] = baseline.ran([r for r in doc["rules"] if isinstance(r, dict) and "code" in r])
    return out


def apply_previous(report: Report, previous: Previous, digest: dict[str, Any] | None) -> dict[str, Any]:
    """Fill report.extras["changes"] (new / known / fixed, score deltas, schema drift) and Finding.state."""
    changes = baseline.apply(report, previous.baseline, previous.label)
    report.run.pop("baseline", None)
    report.run["compared_to"] = previous.label
    moved = drift.compare(previous.digest, digest)
    if moved is not None:
        changes["schema_drift"] = moved
    changes.setdefault("score_deltas", {})
    return changes


def target_label(report: Report, explicit: str | None = None) -> str:
    """How the history names this database: the fleet target name, else host:port/dbname."""
    return explicit or report.run.get("target") or report.database.get("name") or "database"


def before_write(
    report: Report,
    snap: Snapshot | None,
    cfg: Config,
    history: Any = None,
    compare_to: str | None = None,
    label: str | None = None,
    trend_runs: int = DEFAULT_TREND_RUNS,
) -> dict[str, Any] | None:
    """What the reports show from the history (comparison, trend); returns the digest record() stores.

    Reads only: the run is recorded after its reports are written (record()). The trend ends with this
    run, from the report itself.
    """
    target = target_label(report, label)
    report.run["target"] = target
    previous = previous_run(compare_to, history, target, cfg) if compare_to else None
    # The digest walks every column and index (0.2 s on 10,000 tables): only for drift or the history.
    wanted = history is not None or (previous is not None and previous.digest is not None)
    digest = drift.digest(snap) if snap is not None and wanted else None
    if previous is not None:
        apply_previous(report, previous, digest)
    if history is not None and trend_runs > 1:
        points = history.trend(target, trend_runs - 1)
        now = {"overall": report.overall, **{a: s.score for a, s in report.scores.items()}}
        if not report.partial:  # a partial run's scores are not a point on the line
            points.append({"run_id": None, "collected_at": report.database.get("collected_at") or "", **now})
        report.extras["trend"] = points
    return digest


def record(
    report: Report, history: Any, digest: dict[str, Any] | None, keep_runs: int | None, keep_days: int | None
) -> int | None:
    """Store the run (after its reports are written) and apply retention; the run's id."""
    if history is None:
        return None
    target = report.run["target"]
    run_id = history.record(report, target, envelope(report), digest)
    report.run["history_id"] = run_id
    if keep_runs or keep_days:
        pruned = history.prune(keep_runs, keep_days, target)
        if pruned:
            log.info("history: retention removed %d old run(s) of %s", pruned, target)
    return run_id


def guess_label(dsn: str | None, host: str | None, port: str | None, dbname: str | None, service: str | None) -> str:
    """host:port/dbname from what the user gave, for a run that failed before the server could say."""

    try:
        params = conninfo_to_dict(Target(dsn or "", host, port, None, dbname, service).resolve()[0])
    except Exception:  # a name given as is, never a connection string (it may hold a password)
        return next((v for v in (dbname, service) if v and "=" not in v and "://" not in v), "database")
    if params.get("service") and not params.get("dbname"):
        return f"service={params['service']}"
    h = str(params.get("host") or "localhost")
    return f"{'localhost' if h.startswith('/') else h}:{params.get('port') or 5432}/{params.get('dbname') or '?'}"


def run_failed(cfg: Config, history: Any, target: str, exc: BaseException) -> None:
    """Record a run that produced no report and send the failure notification; never raises."""

    error = str(exc)
    if history is not None:
        try:
            history.record_failure(target, error)
        except AuditorError as err:
            log.warning("%s", err)
    notify.on_failure(cfg, target, error)


def history_lines(stored: list[Any], as_json: bool = False) -> list[str]:
    """`pg-auditor history`: one line per run, newest first, with the scores and counts."""
    if as_json:
        return [
            json.dumps(
                {
                    "id": r.id,
                    "target": r.target,
                    "started_at": r.started_at,
                    "collected_at": r.collected_at,
                    "status": r.status,
                    "error": r.error,
                    "scores": r.scores,
                    "counts": r.counts,
                },
                sort_keys=True,
            )
            for r in stored
        ]
    if not stored:
        return ["no runs recorded yet"]
    areas = sorted(
        {a for r in stored for a in r.scores if a != "overall"},
        key=lambda a: (*AREAS.values(), a).index(a),
    )
    head = ["run", "when", "target", "status", "overall", *areas, "crit", "high", "med", "low"]
    rows = [head]
    for r in stored:
        scores = [_num(r.scores.get("overall"), r.status)] + [_num(r.scores.get(a), r.status) for a in areas]
        counts = [str(r.counts.get(s, "")) for s in ("critical", "high", "medium", "low")]
        rows.append([str(r.id), (r.collected_at or r.started_at)[:19], r.target, r.status, *scores, *counts])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    out += [f"run {r.id} failed: {r.error}" for r in stored if r.status == "failed" and r.error]
    return out


def _num(value: Any, status: str) -> str:
    if status == "partial" and value is not None:
        return f"{value}*"  # a partial run's score covers only what was read
    if status != "ok":
        return "-"
    return "n/a" if value is None else str(value)
