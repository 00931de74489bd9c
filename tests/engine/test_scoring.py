"""The default area score weighs a rule by the severity its findings show, so one severity is shown everywhere."""

from __future__ import annotations

from auditor.engine.report import Finding, RuleStatus, fingerprint
from auditor.engine.scoring.default import SEVERITY_WEIGHT, default_area_score
from auditor.rules.registry import Obj


def finding(code: str, severity: str, table: str) -> Finding:
    obj = Obj("table", "public", table)
    return Finding(code, "slug", "constraints", severity, "title", obj, "msg", {}, None, fingerprint(code, obj))


def status(code: str, severity: str, failing: int) -> RuleStatus:
    return RuleStatus(code, "slug", "constraints", severity, "title", "findings" if failing else "ok",
                      findings=failing, population=10, failing=failing)  # fmt: skip


def test_a_rule_downgraded_on_evidence_weighs_and_shows_as_its_findings() -> None:
    findings = [finding("CON001", "low", "settings")]
    score = default_area_score("constraints", findings, [status("CON001", "high", 1), status("CON002", "medium", 0)])
    rows = {w["code"]: w for w in score.working}
    assert rows["CON001"]["severity"] == "low" and rows["CON001"]["weight"] == SEVERITY_WEIGHT["low"]
    assert rows["CON002"]["severity"] == "medium"  # no findings: its configured severity


def test_the_worst_finding_decides_and_suppressed_ones_do_not_count() -> None:
    findings = [finding("CON003", "low", "a"), finding("CON003", "high", "b"), finding("CON003", "critical", "c")]
    findings[2].suppressed = "accepted"
    score = default_area_score("constraints", findings, [status("CON003", "medium", 3)])
    assert score.working[0]["severity"] == "high"


def test_failing_never_raises_the_score() -> None:
    passing = default_area_score("constraints", [], [status("CON001", "high", 0), status("CON002", "high", 0)])
    failing_low = default_area_score(
        "constraints", [finding("CON002", "low", f"t{i}") for i in range(10)],
        [status("CON001", "high", 0), status("CON002", "high", 10)],
    )  # fmt: skip
    assert passing.score == 100 and failing_low.score is not None and failing_low.score < 100


def test_every_area_with_its_own_model_explains_it() -> None:
    """The reports' "how the scores are computed" gives each area its real model: an area scored by its own
    scorer never shows the default model's words."""
    from auditor.engine.scoring import AREA_SCORERS, DEFAULT_MODEL, model_text

    for area in AREA_SCORERS:
        assert DEFAULT_MODEL[1:] not in model_text(area), area
    assert model_text("indexes").lower().startswith(DEFAULT_MODEL[:40].lower())
