"""Scores 0-100 per area and overall, with the working kept so the report can show it.

Default model, per area: each evaluated rule contributes its pass ratio (objects judged that have
no finding) weighted by its severity; a critical finding caps the area at 50. Skipped and
not-evaluated rules never count as passing: they lower the coverage figure instead. An area can
have its own model (isolation and partitions do): AREA_SCORERS below names them.

The overall score is the weighted average of the areas that ran (an area with no rule run, or no score,
is left out, not counted as 0). Isolation weighs 40: a tenant reading another's rows is the defect this
tool exists for. Indexes, constraints and partitions weigh 20 each. Health (HLT: bloat, autovacuum,
wraparound, the xmin horizon, the cache) weighs 10: it describes the database's state at the moment of
the run (a session left idle, statistics just reset, dead rows a vacuum is about to clear), so it moves
between runs without any change to the schema, and at half a schema area's weight it cannot swamp the
trend of what a migration fixes. An urgent health finding does not depend on the weight to be seen: a
critical one (wraparound) caps the health area at 50, and the exit gate fails on its severity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.engine.report import AreaScore, Finding, RuleStatus
from auditor.engine.scoring.default import EVALUATED, default_area_score
from auditor.engine.scoring.isolation import isolation_area_score
from auditor.engine.scoring.partitions import partition_score

AREA_WEIGHT = {"isolation": 40, "indexes": 20, "constraints": 20, "partitions": 20, "health": 10}
AreaScorer = Callable[[list[Finding], list[RuleStatus], dict[str, Any]], AreaScore]
AREA_SCORERS: dict[str, AreaScorer] = {"isolation": isolation_area_score, "partitions": partition_score}


DEFAULT_MODEL = (
    "each rule that ran contributes its pass ratio (objects judged without a finding, out of the objects it judged),"
    " weighted by severity: critical 8, high 4, medium 2, low 1, info 0; a critical finding caps the area at 50"
)
MODEL_TEXT = {
    "isolation": (
        "from the tenant model: 100 x (0.60 Read + 0.25 Write + 0.15 Structure), each a mean over the tables that hold"
        " tenant data, weighted by size (1 + log10(1 + rows), more with sensitive columns). Read is what the worst"
        " application role can SELECT of other tenants' rows, Write its INSERT, UPDATE and DELETE (none with"
        " TRUNCATE granted), Structure the tenant column's NOT NULL and the keys that include it. Views, copies"
        " and partitions that route around row-level security count as open tables; surface items (definer"
        " functions and the like) take off up to 25 points; roles that skip row-level security cap the score"
    ),
    "partitions": (
        "each partition set starts at 100 and loses points per finding on it (critical 40, high 20, medium 8,"
        " low 3); database-wide findings (maintenance scheduling, the extension) form one more unit. The area is"
        " half the mean unit and half the worst one, so one broken set shows; a critical finding caps it at 50"
    ),
}


def model_text(area: str) -> str:
    """How an area's score is worked out, in words, for the reports (one sentence; the model's own module
    documents it in full)."""
    text = MODEL_TEXT.get(area, DEFAULT_MODEL)
    return text[0].upper() + text[1:] + "."


def weights_sentence() -> str:
    """How the overall score weights the areas, in words, for the reports' "how the scores are computed"."""
    by_weight: dict[int, list[str]] = {}
    for area, weight in AREA_WEIGHT.items():
        by_weight.setdefault(weight, []).append(area)
    parts = []
    for weight, areas in sorted(by_weight.items(), key=lambda kv: -kv[0]):
        names = areas[0] if len(areas) == 1 else ", ".join(areas[:-1]) + " and " + areas[-1]
        parts.append(f"{names} {weight}" + (" each" if len(areas) > 1 else ""))
    return "; ".join(parts)


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
