"""The result of a run: findings, rule statuses and scores. Plain data that every renderer reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

from auditor.rules.registry import SEVERITIES, SEVERITY_RANK, Obj


def fingerprint(code: str, obj: Obj, members: tuple[str, ...] = ()) -> str:
    """Identity only (never OIDs, values, wording or severity), so it survives runs, restores and rewording."""
    ident = [code, obj.kind, obj.schema, obj.table, obj.name, *members]
    return hashlib.sha256(json.dumps(ident, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class Finding:
    code: str
    slug: str
    area: str
    severity: str
    title: str
    obj: Obj
    message: str
    evidence: dict[str, Any]
    fix: str | None
    fingerprint: str
    members: tuple[str, ...] = ()
    points: float | None = None
    suppressed: str | None = None  # the reason, when a config entry or a COMMENT suppresses it
    state: str | None = None  # new / known against a baseline or a previous run

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def sort_key(self) -> tuple[Any, ...]:
        return (-self.rank, self.code, self.obj.schema or "", self.obj.table or "", self.obj.name or "", self.members)

    # A Run holds findings pickled (engine.held): the fields as one tuple, read by one C call, where the
    # dataclass's own state methods ask fields() for the names on every finding (a third of the cost).
    def __getstate__(self) -> tuple[Any, ...]:
        return _finding_state(self)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(_FINDING_FIELDS, state, strict=True):
            setattr(self, name, value)


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))
_finding_state = attrgetter(*_FINDING_FIELDS)


@dataclass
class RuleStatus:
    code: str
    slug: str
    area: str
    severity: str
    title: str
    status: str  # ok, findings, skipped, not_evaluated, error
    reason: str | None = None
    grant: str | None = None
    findings: int = 0
    population: int | None = None  # objects the rule judged, when it declares a population
    failing: int = 0  # distinct objects with a finding


@dataclass
class AreaScore:
    area: str
    score: int | None  # None when no rule of the area could be evaluated
    coverage: float  # share of the area's selected rules that were evaluated
    working: list[dict[str, Any]] = field(default_factory=list)
    caps: list[str] = field(default_factory=list)
    model: str | None = None  # e.g. the isolation model the score was computed for
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    tool_version: str
    database: dict[str, Any]
    findings: list[Finding]
    statuses: list[RuleStatus]
    scores: dict[str, AreaScore]
    overall: int | None
    coverage: float
    unavailable: dict[str, dict[str, str | None]]
    inventory: dict[str, int]
    run: dict[str, Any] = field(default_factory=dict)  # started, finished, queries, rows, seconds
    extras: dict[str, Any] = field(default_factory=dict)  # analyzer context (tenant model, ...) and comparisons
    limited: dict[str, dict[str, str | None]] = field(default_factory=dict)  # sections read only in part

    @property
    def partial(self) -> bool:
        """A section was not read (timeout, privilege, lock, a missing view): the scores cover only what was."""
        return bool(self.unavailable)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def counts(self) -> dict[str, int]:
        """Active (unsuppressed) findings per severity, every severity present."""
        return severity_counts(self.active)


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    """Findings per severity, most severe first, every severity present: the one roll-up of the reports."""
    out = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        out[f.severity] += 1
    return out


def report_from_dict(doc: dict[str, Any]) -> Report:
    """Rebuild a Report from its JSON envelope (render.envelope), to re-render a saved run offline."""
    scores = doc.get("scores") or {}
    findings = []
    for f in doc.get("findings", []):
        o = f["object"]
        findings.append(
            Finding(
                code=f["code"],
                slug=f["slug"],
                area=f["area"],
                severity=f["severity"],
                title=f["title"],
                obj=Obj(o["kind"], o.get("schema"), o.get("table"), o.get("name")),
                message=f["message"],
                evidence=f.get("evidence") or {},
                fix=f.get("fix"),
                fingerprint=f["fingerprint"],
                members=tuple(f.get("members") or ()),
                points=f.get("points"),
                suppressed=f.get("suppressed"),
                state=f.get("state"),
            )
        )
    return Report(
        tool_version=doc["tool"]["version"],
        database=doc.get("database") or {},
        findings=findings,
        statuses=[RuleStatus(**s) for s in doc.get("rules", [])],
        scores={k: AreaScore(**v) for k, v in (scores.get("areas") or {}).items()},
        overall=scores.get("overall"),
        coverage=scores.get("coverage", 0.0),
        unavailable=doc.get("unavailable") or {},
        limited=doc.get("limited") or {},
        inventory=doc.get("inventory") or {},
        run=doc.get("run") or {},
        extras=doc.get("context") or {},
    )
