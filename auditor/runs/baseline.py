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


def members_of(evidence: Any) -> list[dict[str, str]]:
    """A grouped finding's members (each object, with its message), from its evidence; [] for one object.
    Kept in the baseline so that a group that splits (fewer members than the grouping threshold after a fix)
    or forms is not read as new findings, nor its vanished members as nothing fixed."""
    details = evidence.get("details") if isinstance(evidence, dict) else None
    if not isinstance(details, list):
        return []
    return [
        {"object": d["object"], "message": str(d.get("message", ""))}
        for d in details
        if isinstance(d, dict) and isinstance(d.get("object"), str)
    ]


def entry(fingerprint: str, code: str, obj: str, message: str, severity: str, evidence: Any) -> dict[str, Any]:
    """One baseline entry: enough to match a finding again, and to show it when it is fixed."""
    out: dict[str, Any] = {
        "fingerprint": fingerprint,
        "code": code,
        "object": obj,
        "message": message,
        "severity": severity,
    }
    members = members_of(evidence)
    if members:
        out["members"] = members
    return out


def build(report: Report) -> dict[str, Any]:
    entries = [entry(f.fingerprint, f.code, f.obj.display, f.message, f.severity, f.evidence) for f in report.findings]
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
    tmp.write_text(text(doc), encoding="utf-8")
    tmp.replace(path)
    return doc


def text(doc: dict[str, Any]) -> str:
    """A baseline document as its file holds it."""
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


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
    # (code, object) reported before, alone or as a member of a group, and now: a group that split or formed
    # moves the same objects between findings (and fingerprints), which is neither new nor fixed
    then = {(e.get("code"), e.get("object")) for e in entries.values()}
    then |= {(e.get("code"), m.get("object")) for e in entries.values() for m in e.get("members") or []}
    objects = [(f, [f.obj.display, *(m["object"] for m in members_of(f.evidence))]) for f in report.findings]
    now = {(f.code, o) for f, names in objects for o in names}
    new, known, unmatched = [], [], 0
    for f, names in objects:
        if before is not None and f.code not in before and f.fingerprint not in entries:
            f.state = None
            unmatched += 1
            continue
        regrouped = any((f.code, o) in then for o in names)
        f.state = "known" if f.fingerprint in entries or regrouped else "new"
        (known if f.state == "known" else new).append(f.fingerprint)
    fixed, unverified = [], 0
    for fp, e in sorted(entries.items(), key=lambda kv: (kv[1].get("code", ""), kv[1].get("object", ""), kv[0])):
        if fp in current:
            continue
        if e.get("code") not in evaluated:
            unverified += 1
            continue
        if e.get("members"):  # the group's members now gone
            parts = [
                (m.get("object", ""), m.get("message", ""))
                for m in e["members"]
                if (e.get("code"), m.get("object")) not in now
            ]
        elif (e.get("code"), e.get("object")) in now:
            parts = []  # now a member of a group
        else:
            parts = [(e.get("object", ""), e.get("message", ""))]
        fixed += [
            {
                "fingerprint": fp,
                "code": e.get("code", ""),
                "object": obj,
                "message": message,
                "severity": e.get("severity", "info"),
            }
            for obj, message in parts
        ]
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
