"""The partitions score: per-set deductions, half the mean set and half the worst one."""

from __future__ import annotations

import statistics
from typing import Any

from auditor.analysis.partman import split_name
from auditor.base.names import qualified
from auditor.engine.report import AreaScore, Finding, RuleStatus
from auditor.engine.scoring.default import CRITICAL_CAP, EVALUATED

DEDUCTION = {"critical": 40, "high": 20, "medium": 8, "low": 3, "info": 0}


def partition_score(findings: list[Finding], statuses: list[RuleStatus], extras: dict[str, Any]) -> AreaScore:
    """Each partition set starts at 100 and loses points per finding on it (critical 40, high 20, medium 8,
    low 3); findings about the database (maintenance scheduling, candidates, the extension) form one more
    unit, and a pg_partman scheduling finding counts against every set it leaves unmaintained. The area
    score is half the mean unit and half the worst one, so one broken set shows; a critical finding caps
    it at 50, as elsewhere."""
    mine = [s for s in statuses if s.area == "partitions"]
    evaluated = [s for s in mine if s.status in EVALUATED]
    coverage = round(len(evaluated) / len(mine), 3) if mine else 0.0
    active = [f for f in findings if f.area == "partitions" and not f.suppressed]
    rows = (extras.get("partitions") or {}).get("sets", [])
    units: dict[str, list[Finding]] = {row["set"]: [] for row in rows}
    root_of = {sub: row["set"] for row in rows for sub in row.get("subpartitioned", [])}
    database: list[Finding] = []
    for f in active:
        target = qualified(f.obj.schema, f.obj.table) if f.obj.table else None
        target = root_of.get(target or "", target)
        if target in units:
            units[target].append(f)
        elif f.code == "PAR021":
            spread = [qualified(*split_name(s)) for s in f.evidence.get("sets", [])]
            for s in spread:
                units.setdefault(s, []).append(f)
        else:
            database.append(f)
    if database or not units:
        units["(database)"] = database
    working = []
    for name, fs in sorted(units.items()):
        lost = sum(DEDUCTION[f.severity] for f in fs)
        shown = sorted(fs, key=Finding.sort_key)
        working.append(
            {  # the common working-row shape every report format renders, plus this model's own keys
                "code": None,
                "title": name,
                "severity": None,
                "weight": 1,
                "population": None,
                "failing": len(fs),
                "ratio": round(max(0, 100 - lost) / 100, 4),
                "points_lost": float(min(lost, 100)),
                "note": ", ".join(f"{f.code} {f.severity} -{DEDUCTION[f.severity]}" for f in shown[:6])
                + (f", +{len(shown) - 6} more" if len(shown) > 6 else ""),
                "set": name,
                "score": max(0, 100 - lost),
                "deductions": [
                    {"code": f.code, "severity": f.severity, "points": DEDUCTION[f.severity], "object": f.obj.display}
                    for f in shown
                ],
            }
        )
    scores = [w["score"] for w in working]
    score: int | None = round(0.5 * statistics.mean(scores) + 0.5 * min(scores)) if evaluated else None
    caps = []
    criticals = [f for f in active if f.severity == "critical"]
    if score is not None and criticals and score > CRITICAL_CAP:
        caps.append(f"capped at {CRITICAL_CAP}: {len(criticals)} critical finding(s)")
        score = CRITICAL_CAP
    working.sort(key=lambda w: (w["score"], w["set"]))
    notes = [
        f"{len(working)} unit(s): mean {statistics.mean(scores):.0f}, worst {min(scores)}" if scores else "no sets",
        "skipped or not-evaluated rules: " + ", ".join(s.code for s in mine if s.status not in EVALUATED)
        if len(evaluated) < len(mine)
        else "every rule evaluated",
    ]
    return AreaScore("partitions", score, coverage, working, caps, model="per-set deductions", notes=notes)
