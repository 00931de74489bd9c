"""Baselines: accept today's findings, then fail only on new ones.

`pg-auditor baseline DSN -o baseline.json` writes the fingerprints of every finding (with enough
to show them again when they are fixed). `audit --baseline baseline.json` marks each finding
`new` or `known`, lists the baseline's findings that are gone as `fixed`, and puts all of it in
report.extras["changes"], which the Markdown and HTML reports lead with. A previous JSON report
works as a baseline too.

A baseline finding whose rule did not run this time (skipped, not evaluated, error, deselected) is
not reported as fixed: nobody looked. It is counted as `unverified` instead.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from auditor.base.errors import AuditorError
from auditor.engine.report import Report, report_from_dict

log = logging.getLogger("pg_auditor")

BASELINE_VERSION = 1


class BaselineError(AuditorError):
    """A baseline file that cannot be read or is not a baseline."""


def build(report: Report) -> dict[str, Any]:
    entries = [
        {
            "fingerprint": f.fingerprint,
            "code": f.code,
            "object": f.obj.display,
            "message": f.message,
            "severity": f.severity,
        }
        for f in report.findings
    ]
    entries.sort(key=lambda e: (e["code"], e["object"], e["fingerprint"]))
    return {
        "pg_auditor_baseline": BASELINE_VERSION,
        "tool_version": report.tool_version,
        "database": report.database.get("name"),
        "collected_at": report.database.get("collected_at"),
        "scores": {"overall": report.overall, **{a: s.score for a, s in report.scores.items()}},
        "entries": entries,
        "ran": ran(report.statuses),
    }


def ran(statuses: list[Any]) -> list[str]:
    """The rules that ran to the end (ok or findings): only their findings can be compared."""
    return sorted(s.code if hasattr(s, "code") else s["code"] for s in statuses
                  if (s.status if hasattr(s, "status") else s.get("status")) in ("ok", "findings"))  # fmt: skip


def save(report: Report, path: Path) -> dict[str, Any]:
    doc = build(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return doc


def load(path: Path) -> dict[str, Any]:
    """A baseline file, or a previous JSON report turned into one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    if isinstance(doc, dict) and "schema_version" in doc and "findings" in doc:
        try:
            return build(report_from_dict(doc))
        except (KeyError, TypeError) as exc:
            raise BaselineError(f"{path} is a pg-auditor report this version cannot read: {exc}") from None
    if not isinstance(doc, dict) or doc.get("pg_auditor_baseline") != BASELINE_VERSION:
        raise BaselineError(f"{path} is not a pg-auditor baseline (version {BASELINE_VERSION}) or JSON report")
    entries = doc.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "fingerprint" in e for e in entries):
        raise BaselineError(f"{path}: entries must be a list of objects with a fingerprint")
    return doc


def apply(report: Report, baseline: dict[str, Any], label: str) -> dict[str, Any]:
    """Mark findings new/known and record the comparison in report.extras["changes"]."""
    entries = {e["fingerprint"]: e for e in baseline.get("entries", [])}
    current = {f.fingerprint for f in report.findings}
    evaluated = {s.code for s in report.statuses if s.status in ("ok", "findings")}
    # A rule that did not run on the earlier side (crashed, skipped, deselected) left no findings there:
    # its findings now are not new, and were never compared. Baselines without the list compare all.
    before = set(baseline["ran"]) if isinstance(baseline.get("ran"), list) else None
    not_compared = (
        sorted({s.code for s in report.statuses if s.code in evaluated and s.code not in before})
        if before is not None
        else []
    )
    new, known, unmatched = [], [], 0
    for f in report.findings:
        if before is not None and f.code not in before and f.fingerprint not in entries:
            f.state = None
            unmatched += 1
            continue
        f.state = "known" if f.fingerprint in entries else "new"
        (known if f.state == "known" else new).append(f.fingerprint)
    fixed, unverified = [], 0
    for fp, e in sorted(entries.items(), key=lambda kv: (kv[1].get("code", ""), kv[1].get("object", ""), kv[0])):
        if fp in current:
            continue
        if e.get("code") not in evaluated:
            unverified += 1
            continue
        fixed.append(
            {
                "fingerprint": fp,
                "code": e.get("code", ""),
                "object": e.get("object", ""),
                "message": e.get("message", ""),
                "severity": e.get("severity", "info"),
            }
        )
    changes: dict[str, Any] = {"against": label, "new": new, "known": known, "fixed": fixed}
    if unverified:
        changes["unverified"] = unverified
    if not_compared:
        changes["not_compared"] = {"rules": not_compared, "findings": unmatched}
        log.warning(
            "compared with %s: %d rule(s) did not run there (%s); their %d finding(s) are not marked new",
            label, len(not_compared), ", ".join(not_compared[:10]) + (" ..." if len(not_compared) > 10 else ""),
            unmatched,
        )  # fmt: skip
    old = baseline.get("scores") or {}
    now = {"overall": report.overall, **{a: s.score for a, s in report.scores.items()}}
    deltas = {k: now[k] - old[k] for k in now if isinstance(now.get(k), int) and isinstance(old.get(k), int)}
    if deltas:
        changes["score_deltas"] = deltas
    report.extras["changes"] = changes
    report.run["baseline"] = label
    return changes
