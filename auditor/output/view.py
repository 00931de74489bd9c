"""What the Markdown and HTML reports show, computed once in Python so the templates stay simple.

Grouping (area -> rule -> findings), the top findings, the one-line verdict, the coverage list, the
"what changed" section and the caps that keep a report of tens of thousands of findings usable:
each rule shows its first findings in full, the next ones as one line each, and the rest as a count
that points at the JSON report, which always has everything.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from auditor.base.names import qualified
from auditor.engine.gate import gating
from auditor.engine.report import Finding, Report, RuleStatus, severity_counts
from auditor.rules.registry import SEVERITY_RANK

AREA_ORDER = ("isolation", "indexes", "constraints", "partitions")
AREA_LABELS = {
    "isolation": "Tenant isolation",
    "indexes": "Indexes",
    "constraints": "Constraints",
    "partitions": "Partitions",
}
STATUS_LABELS = {
    "ok": "passed",
    "findings": "findings",
    "skipped": "skipped",
    "not_evaluated": "not evaluated",
    "error": "error",
}
SEVERITY_ICONS = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "info": "⬜"}
TOP_N = 10
TABLE_CHOICES = 300  # beyond this, the search box finds a table faster than a select
EVIDENCE_LIST_MAX = 50


@dataclass(frozen=True)
class Caps:
    """How much of each rule's findings a human format shows in full and in one line each."""

    detail_per_rule: int
    detail_total: int
    compact_total: int


MD_CAPS = Caps(detail_per_rule=10, detail_total=150, compact_total=1500)
HTML_CAPS = Caps(detail_per_rule=50, detail_total=1000, compact_total=5000)


@dataclass
class RuleGroup:
    code: str
    slug: str
    title: str
    area: str
    severity: str  # the worst severity among its findings
    findings: int
    detailed: list[Finding] = field(default_factory=list)
    compact: list[Finding] = field(default_factory=list)
    hidden: int = 0  # findings not shown at all (see the JSON report)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class AreaView:
    area: str
    label: str
    score: int | None
    coverage: float
    band: str  # good / fair / poor / none
    counts: dict[str, int]
    score_obj: Any
    rules: list[RuleStatus]
    groups: list[RuleGroup]
    evaluated: int
    delta: int | None = None


def band(score: int | None) -> str:
    """Lighthouse's bands: 90-100 good, 50-89 fair, 0-49 poor."""
    if score is None:
        return "none"
    return "good" if score >= 90 else "fair" if score >= 50 else "poor"


def top_key(f: Finding) -> tuple[Any, ...]:
    """Worst first; among equals, new before known, then the points fixing it is worth."""
    return (-f.rank, f.state != "new", -(f.points or 0), *f.sort_key()[1:])


def build(report: Report, caps: Caps, fail_on: str | None = None) -> dict[str, Any]:
    fail_on = fail_on or report.run.get("fail_on") or "high"
    active = report.active
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in active:
        by_rule[f.code].append(f)
    statuses = sorted(report.statuses, key=lambda s: (area_rank(s.area), s.code))
    groups = _groups(by_rule, statuses, caps)
    changes = changes_view(report)
    deltas = (changes or {}).get("score_deltas") or {}
    areas = []
    for area in sorted({s.area for s in statuses} | set(report.scores), key=area_rank):
        sc = report.scores.get(area)
        rules = [s for s in statuses if s.area == area]
        area_findings = [f for f in active if f.area == area]
        areas.append(
            AreaView(
                area=area,
                label=AREA_LABELS.get(area, area.title()),
                score=sc.score if sc else None,
                coverage=sc.coverage if sc else 0.0,
                band=band(sc.score if sc else None),
                counts=severity_counts(area_findings),
                score_obj=sc,
                rules=rules,
                groups=[g for g in groups if g.area == area],
                evaluated=sum(1 for s in rules if s.status in ("ok", "findings")),
                delta=deltas.get(area),
            )
        )
    counts = report.counts()
    new = sum(1 for f in active if f.state == "new")
    known = sum(1 for f in active if f.state == "known")
    failing = gating(report, fail_on)
    evaluated = sum(1 for s in statuses if s.status in ("ok", "findings"))
    not_run = [s for s in statuses if s.status not in ("ok", "findings")]
    status_counts = Counter(s.status for s in statuses)
    shown_detail = sum(len(g.detailed) for g in groups)
    shown_compact = sum(len(g.compact) for g in groups)
    return {
        "fail_on": fail_on,
        "verdict": "error" if status_counts.get("error") or report.partial else ("fail" if failing else "pass"),
        "partial": report.partial,
        "not_read": report.unavailable,
        "failing": len(failing),
        "counts": counts,
        "total": sum(counts.values()),
        "new": new,
        "known": known,
        "has_baseline": any(f.state for f in report.findings) or changes is not None,
        "areas": areas,
        "groups": groups,
        "top": sorted(active, key=top_key)[:TOP_N],
        "suppressed": [f for f in report.findings if f.suppressed],
        "statuses": statuses,
        "status_counts": {k: status_counts.get(k, 0) for k in STATUS_LABELS},
        "evaluated": evaluated,
        "rules_total": len(statuses),
        "not_run": not_run,
        "changes": changes,
        "overall_delta": deltas.get("overall"),
        "band": band(report.overall),
        "shown": shown_detail + shown_compact,
        "hidden": sum(g.hidden for g in groups),
        "tables": table_choices(groups),
        "status_line": status_line(report, counts, new, evaluated, len(statuses), fail_on, bool(failing)),
        "summary": status_line(report, counts, new, evaluated, len(statuses), fail_on, bool(failing)).split(" ", 1)[1],
    }


def area_rank(area: str) -> int:
    return AREA_ORDER.index(area) if area in AREA_ORDER else len(AREA_ORDER)


def _groups(by_rule: dict[str, list[Finding]], statuses: list[RuleStatus], caps: Caps) -> list[RuleGroup]:
    detail_left, compact_left = caps.detail_total, caps.compact_total
    meta = {s.code: s for s in statuses}
    groups = []
    codes = sorted(by_rule, key=lambda c: (area_rank(by_rule[c][0].area), -max(f.rank for f in by_rule[c]), c))
    for code in codes:
        found = sorted(by_rule[code], key=Finding.sort_key)
        first, s = found[0], meta.get(code)
        n_detail = max(0, min(caps.detail_per_rule, detail_left, len(found)))
        detail_left -= n_detail
        rest = found[n_detail:]
        n_compact = max(0, min(compact_left, len(rest)))
        compact_left -= n_compact
        groups.append(
            RuleGroup(
                code=code,
                slug=first.slug,
                title=s.title if s else first.title,
                area=first.area,
                severity=found[0].severity,
                findings=len(found),
                detailed=found[:n_detail],
                compact=rest[:n_compact],
                hidden=len(rest) - n_compact,
                counts=severity_counts(found),
            )
        )
    return groups


def table_choices(groups: list[RuleGroup], limit: int = TABLE_CHOICES) -> list[str]:
    """Tables for the HTML table filter: those with shown findings, the most affected first past the limit."""
    counts = Counter(t for g in groups for f in g.detailed + g.compact if (t := table_of(f)))
    if len(counts) > limit:
        counts = Counter(dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]))
    return sorted(counts)


def table_of(f: Finding) -> str | None:
    """The table a finding belongs to, for the table filter."""

    name = f.obj.table or (f.obj.name if f.obj.kind in ("table", "partitioned table") else None)
    return qualified(f.obj.schema, name) if name and f.obj.schema else name


def status_line(
    report: Report, counts: dict[str, int], new: int, evaluated: int, total: int, fail_on: str, failing: bool
) -> str:
    """One line that reads well in an e-mail subject, a Slack preview or a CI log."""
    parts = [f"{n} {sev}" for sev, n in counts.items() if n]
    found = ", ".join(parts) if parts else "no findings"
    if new:
        found += f" ({new} new)"
    score = "n/a" if report.overall is None else f"{report.overall}/100"
    if report.partial:
        score += f" (partial: {len(report.unavailable)} section(s) not read)"
    mark = "❌" if failing else ("⚠️" if evaluated < total or any(counts.values()) or report.partial else "✅")
    db = report.database.get("name") or "database"
    version = re.sub(r"^(PostgreSQL [0-9.a-z]+).*", r"\1", report.database.get("server_version") or "")
    return f"{mark} {found} · score {score} · {db} ({version}) · {evaluated}/{total} rules evaluated"


def changes_view(report: Report) -> dict[str, Any] | None:
    """report.extras["changes"] made ready to show: new and known resolved to findings, drift flattened."""
    ch = report.extras.get("changes")
    if not isinstance(ch, dict):
        return None
    by_fp = {f.fingerprint: f for f in report.findings}
    new = [by_fp[fp] for fp in ch.get("new") or [] if fp in by_fp]
    new.sort(key=top_key)
    fixed = sorted(
        ch.get("fixed") or [],
        key=lambda x: (-SEVERITY_RANK.get(x.get("severity", "info"), 0), x.get("code", ""), x.get("object", "")),
    )
    drift = ch.get("schema_drift") or {}
    drift_rows = []
    for change in ("added", "dropped"):
        for kind, names in sorted((drift.get(change) or {}).items()):
            if names:
                drift_rows.append({"change": change, "kind": kind, "names": sorted(names), "count": len(names)})
    deltas = ch.get("score_deltas") or {}
    return {
        "against": ch.get("against") or "the previous run",
        "new": new,
        "new_count": len(ch.get("new") or []),
        "known_count": len(ch.get("known") or []),
        "fixed": fixed,
        "score_deltas": deltas,
        "delta_rows": [
            {"area": a, "label": AREA_LABELS.get(a, "Overall" if a == "overall" else a), "delta": d}
            for a, d in sorted(deltas.items(), key=lambda kv: (kv[0] != "overall", area_rank(kv[0])))
        ],
        "drift": drift_rows,
        "has_drift": "schema_drift" in ch,
        "unverified": ch.get("unverified") or 0,
        "empty": not (ch.get("new") or fixed or drift_rows or any(deltas.values())),
    }


EVIDENCE_TEXT_MAX = 400  # characters of one evidence line in Markdown and HTML


def evidence_items(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """Evidence as (label, text) pairs: lists joined, nested values as compact JSON."""

    out = []
    for key in sorted(evidence):
        value = evidence[key]
        if value is None:
            continue
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            shown = [str(v) for v in value[:EVIDENCE_LIST_MAX]]
            if len(value) > EVIDENCE_LIST_MAX:
                shown.append(f"… and {len(value) - EVIDENCE_LIST_MAX} more (see the JSON report)")
            text = ", ".join(shown)
            if len(text) > EVIDENCE_TEXT_MAX:
                text = text[:EVIDENCE_TEXT_MAX].rsplit(", ", 1)[0] + f", … ({len(value)} in all; see the JSON report)"
        elif isinstance(value, dict | list):
            # An entry takes 3 characters at least ("0, "): past EVIDENCE_TEXT_MAX / 3 entries the text cannot
            # fit, so a grouped finding's thousands of details are not encoded only to be measured.
            fits = len(value) <= EVIDENCE_TEXT_MAX // 3
            text = json.dumps(value, sort_keys=True, ensure_ascii=False) if fits else ""
            if not fits or len(text) > EVIDENCE_TEXT_MAX:  # a grouped finding's per-object details: see the JSON
                count = f"{len(value)} entries" if isinstance(value, list) else "details"
                text = f"{count} (see the JSON report)"
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, int) and abs(value) >= 10000:
            text = f"{value:,}"
        else:
            text = str(value)
        out.append((key.replace("_", " "), text))
    return out
