"""The isolation area score, from the model analysis.isolation_model computed (its working kept in extras)."""

from __future__ import annotations

from typing import Any

from auditor.engine.report import AreaScore, Finding, RuleStatus

MODEL_LABEL = {
    "rls": "RLS-enforced",
    "app": "application-enforced (not enforced by the database)",
    "schema": "schema-per-tenant",
    "user": "RLS-enforced, per user (each user is the tenant)",
    "none": "not applicable (no tenant model corroborated: single-tenant or database-per-tenant)",
}


def isolation_area_score(findings: list[Finding], statuses: list[RuleStatus], extras: dict[str, Any]) -> AreaScore:
    mine = [s for s in statuses if s.area == "isolation"]
    evaluated = [s for s in mine if s.status in ("ok", "findings")]
    coverage = round(len(evaluated) / len(mine), 3) if mine else 0.0
    ctx = extras.get("tenancy") or {}
    sc = ctx.get("score") or {}
    model = ctx.get("model", "none")
    notes = [ctx.get("statement", "")] if ctx.get("statement") else []
    score = sc.get("score")
    if model == "app" and sc.get("readiness") is not None:
        notes.append(f"schema readiness {sc['readiness']}/100 (tenant-column coverage and structure)")
        if ctx.get("isolation_model_forced") == "app":
            score = sc["readiness"]
    if sc:
        notes.append(
            f"read {sc['read']:.0%}, write {sc['write']:.0%}, structure {sc['structure']:.0%}; "
            f"base {sc['base']}" + (f", worst role {sc['role']}" if sc.get("role") else "")
        )
    if sc.get("per_role"):
        notes.append("per role: " + ", ".join(f"{r} {v}" for r, v in sorted(sc["per_role"].items())))
    working = [
        {
            "code": None,
            "title": t["table"],
            "severity": None,
            "weight": round(t["weight"], 2),
            "population": None,
            "failing": 0,
            "ratio": None,
            "points_lost": t["points"],
            "note": t["why"],
        }
        for t in sc.get("top_losses", [])
    ]
    working += [
        {
            "code": None,
            "title": s["item"],
            "severity": None,
            "weight": 0,
            "population": None,
            "failing": 0,
            "ratio": None,
            "points_lost": s["points"],
            "note": "surface",
        }
        for s in sc.get("surface", [])
    ]
    caps = [f"capped at {c['cap']}: {c['reason']}" for c in sc.get("caps", [])]
    return AreaScore("isolation", score, coverage, working, caps, MODEL_LABEL.get(model, model), notes)
