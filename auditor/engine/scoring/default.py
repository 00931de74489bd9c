"""The default area model: each evaluated rule's pass ratio weighted by its severity; a critical caps at 50.

A rule's severity here is the one its findings show: the worst of its active findings when it has
some (a rule may raise or lower a finding's severity on evidence), its configured severity when it
has none. So the scores table never says "high" beside findings that all say "low".
"""

from __future__ import annotations

from typing import Any

from auditor.engine.report import AreaScore, Finding, RuleStatus

SEVERITY_WEIGHT = {"critical": 8, "high": 4, "medium": 2, "low": 1, "info": 0}
CRITICAL_CAP = 50
EVALUATED = ("ok", "findings")


def default_area_score(area: str, findings: list[Finding], statuses: list[RuleStatus]) -> AreaScore:
    mine = [s for s in statuses if s.area == area]
    evaluated = [s for s in mine if s.status in EVALUATED]
    coverage = len(evaluated) / len(mine) if mine else 0.0
    working: list[dict[str, Any]] = []
    total_w = earned = 0.0
    shown = shown_severities(area, findings)
    for s in evaluated:
        severity = shown.get(s.code, s.severity)
        weight = SEVERITY_WEIGHT[severity]
        if s.population == 0:
            working.append(row(s, weight, None, "nothing to judge"))
            continue
        if s.population is not None:
            ratio = 1 - min(s.failing, s.population) / s.population
        else:
            ratio = 1.0 if s.findings == 0 else 0.5
        total_w += weight
        earned += weight * ratio
        working.append(row(s, weight, ratio, None) | {"severity": severity})
    caps = []
    score = round(100 * earned / total_w) if total_w else (100 if evaluated else None)
    criticals = [f for f in findings if f.area == area and f.severity == "critical" and not f.suppressed]
    if score is not None and criticals and score > CRITICAL_CAP:
        caps.append(f"capped at {CRITICAL_CAP}: {len(criticals)} critical finding(s)")
        score = CRITICAL_CAP
    for w in working:
        if w["ratio"] is not None and total_w:
            w["points_lost"] = round(100 * w["weight"] * (1 - w["ratio"]) / total_w, 1)
    return AreaScore(area, score, round(coverage, 3), working, caps)


def row(s: RuleStatus, weight: int, ratio: float | None, note: str | None) -> dict[str, Any]:
    return {
        "code": s.code,
        "title": s.title,
        "severity": s.severity,
        "weight": weight,
        "population": s.population,
        "failing": s.failing,
        "ratio": None if ratio is None else round(ratio, 4),
        "points_lost": 0.0,
        "note": note,
    }


def shown_severities(area: str, findings: list[Finding]) -> dict[str, str]:
    """Per rule code, the worst severity among its active findings in the area."""
    worst: dict[str, Finding] = {}
    for f in findings:
        if f.area == area and not f.suppressed and (f.code not in worst or f.rank > worst[f.code].rank):
            worst[f.code] = f
    return {code: f.severity for code, f in worst.items()}
