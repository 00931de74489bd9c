"""Scores 0-100 per area and overall, with the working kept so the report can show it.

Default model, per area: each evaluated rule contributes its pass ratio (objects judged that have
no finding) weighted by its severity; a critical finding caps the area at 50. Skipped and
not-evaluated rules never count as passing: they lower the coverage figure instead. An area can
register its own model (isolation does) with @area_scorer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.model import Snapshot
from auditor.report import AreaScore, Finding, RuleStatus

SEVERITY_WEIGHT = {"critical": 8, "high": 4, "medium": 2, "low": 1, "info": 0}
AREA_WEIGHT = {"isolation": 40, "indexes": 20, "constraints": 20, "partitions": 20}
CRITICAL_CAP = 50
EVALUATED = ("ok", "findings")

POPULATIONS: dict[str, Callable[[Snapshot], int]] = {}
AreaScorer = Callable[[list[Finding], list[RuleStatus], dict[str, Any]], AreaScore]
AREA_SCORERS: dict[str, AreaScorer] = {}


def population(name: str) -> Callable[[Callable[[Snapshot], int]], Callable[[Snapshot], int]]:
    """Register a count of the objects some rules judge (the denominator of their pass ratio)."""

    def register(func: Callable[[Snapshot], int]) -> Callable[[Snapshot], int]:
        POPULATIONS[name] = func
        return func

    return register


def area_scorer(area: str) -> Callable[[AreaScorer], AreaScorer]:
    def register(func: AreaScorer) -> AreaScorer:
        AREA_SCORERS[area] = func
        return func

    return register


@population("tables")
def _tables(snap: Snapshot) -> int:
    return sum(1 for t in snap.user_tables if not t.is_partition)


@population("foreign_keys")
def _foreign_keys(snap: Snapshot) -> int:
    return sum(1 for c in snap.constraints if c.type == "f" and c.parent_oid is None)


@population("indexes")
def _indexes(snap: Snapshot) -> int:
    return sum(1 for i in snap.indexes if i.parent_index_oid is None)


@population("columns")
def _columns(snap: Snapshot) -> int:
    tables = {t.oid for t in snap.user_tables if not t.is_partition}
    return sum(1 for c in snap.columns if c.table_oid in tables)


@population("constraints")
def _constraints(snap: Snapshot) -> int:
    return sum(1 for c in snap.constraints if c.parent_oid is None)


@population("sequences")
def _sequences(snap: Snapshot) -> int:
    return len(snap.sequences)


@population("partitioned_tables")
def _partitioned(snap: Snapshot) -> int:
    return sum(1 for t in snap.user_tables if t.is_partitioned and not t.is_partition)


def default_area_score(area: str, findings: list[Finding], statuses: list[RuleStatus]) -> AreaScore:
    mine = [s for s in statuses if s.area == area]
    evaluated = [s for s in mine if s.status in EVALUATED]
    coverage = len(evaluated) / len(mine) if mine else 0.0
    working: list[dict[str, Any]] = []
    total_w = earned = 0.0
    for s in evaluated:
        weight = SEVERITY_WEIGHT[s.severity]
        if s.population == 0:
            working.append(row(s, weight, None, "nothing to judge"))
            continue
        if s.population is not None:
            ratio = 1 - min(s.failing, s.population) / s.population
        else:
            ratio = 1.0 if s.findings == 0 else 0.5
        total_w += weight
        earned += weight * ratio
        working.append(row(s, weight, ratio, None))
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


def score(
    findings: list[Finding], statuses: list[RuleStatus], extras: dict[str, Any]
) -> tuple[dict[str, AreaScore], int | None, float]:
    scores: dict[str, AreaScore] = {}
    for area in AREA_WEIGHT:
        if not any(s.area == area for s in statuses):
            continue
        scorer = AREA_SCORERS.get(area)
        scores[area] = scorer(findings, statuses, extras) if scorer else default_area_score(area, findings, statuses)
    weighted = [(AREA_WEIGHT[a], s.score) for a, s in scores.items() if s.score is not None]
    overall = round(sum(w * v for w, v in weighted) / sum(w for w, _ in weighted)) if weighted else None
    evaluated = sum(1 for s in statuses if s.status in EVALUATED)
    coverage = round(evaluated / len(statuses), 3) if statuses else 0.0
    return scores, overall, coverage
