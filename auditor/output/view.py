"""What the Markdown and HTML reports show, computed once in Python so the templates stay simple.

Grouping (area -> rule -> findings), the top findings, the one-line verdict, the coverage list, the
"what changed" section, and the caps that keep a report of tens of thousands of findings fast: each
rule shows its first findings with evidence and fix, the next ones as one line each, and past the caps
a count. The Markdown is also held to a budget, a GitHub comment (see Plan and LEVELS): it gives up
detail in a stated order and says what it left out and where that is (the HTML report, the fix script).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from auditor.base.names import qualified
from auditor.engine.gate import gating
from auditor.engine.report import Finding, Report, RuleStatus, severity_counts
from auditor.engine.scoring import model_text, weights_sentence
from auditor.output.pictures import partition_timeline, tenant_graph
from auditor.output.rule_docs import DOCS_DIR
from auditor.output.text import plural
from auditor.rules.registry import AREAS, SEVERITY_RANK

AREA_ORDER = tuple(AREAS.values())  # isolation, indexes, constraints, partitions, health
AREA_LABELS = {
    "isolation": "Tenant isolation",
    "indexes": "Indexes",
    "constraints": "Constraints",
    "partitions": "Partitions",
    "health": "Health",
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


# The Markdown's budget decides what it shows in full (Plan); its caps only bound the work of trying.
MD_CAPS = Caps(detail_per_rule=500, detail_total=1000, compact_total=3000)
HTML_CAPS = Caps(detail_per_rule=1000, detail_total=1000, compact_total=5000)

# Where each rule's page is: docs/rules/<CODE>.md in the repository (rule_docs writes them).
REPOSITORY_URL = "https://github.com/pg-auditor/pg-auditor"
DOCS_URL = f"{REPOSITORY_URL}/blob/main/{DOCS_DIR.as_posix()}/"


def doc_url(code: str) -> str:
    """The rule's documentation page (deterministic: the same for every run and machine)."""
    return f"{DOCS_URL}{code}.md"


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
    hidden: int = 0  # past the caps: counted, not listed
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
    how: str = ""  # how this area's score is worked out (engine.scoring.model_text)


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
                how=model_text(area),
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
        "verdict": verdict(report, counts, bool(status_counts.get("error")), bool(failing)),
        "state": state_words(counts, new, known, changes),
        "gate": gate_words(fail_on, len(failing), any(f.state for f in report.findings) or changes is not None),
        "partial": report.partial,
        "not_read": report.unavailable,
        "failing": len(failing),
        "counts": counts,
        "total": sum(counts.values()),
        "new": new,
        "known": known,
        "has_baseline": any(f.state for f in report.findings) or changes is not None,
        "areas": areas,
        "weights": weights_sentence(),
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
        "with_fix": sum(1 for f in active if f.fix and f.fix.strip()),
        "tables": table_choices(groups),
        "timeline": partition_timeline(report),
        "tenant_graph": tenant_graph(report),
        "sets": (report.extras.get("partitions") or {}).get("sets") or [],
        "status_line": status_line(report, counts, new, evaluated, len(statuses), fail_on, bool(failing)),
        "summary": status_line(report, counts, new, evaluated, len(statuses), fail_on, bool(failing)).split(" ", 1)[1],
    }


def verdict(report: Report, counts: dict[str, int], errors: bool, failing: bool) -> str:
    """The banner's colour: error (not all read or run), fail (the gate), warn (the gate passes but critical or
    high findings are there: known ones on a nightly run with a baseline), pass (none)."""
    if errors or report.partial:
        return "error"
    if failing:
        return "fail"
    return "warn" if counts.get("critical") or counts.get("high") else "pass"


def state_words(counts: dict[str, int], new: int, known: int, changes: dict[str, Any] | None) -> str:
    """The state of the database in plain words, apart from the gate: what is there, and how much of it is new."""
    serious = [f"{counts[s]} {s}" for s in ("critical", "high") if counts.get(s)]
    rest = sum(n for s, n in counts.items() if s not in ("critical", "high"))
    if serious:
        noun = "finding" if counts.get("critical", 0) + counts.get("high", 0) == 1 else "findings"
        tail = f", and {rest} at medium or below." if rest else "."
        head = f"The database has {' and '.join(serious)} {noun}{tail}"
    elif rest:
        head = f"No critical or high finding; {plural(rest, 'finding')} at medium or below."
    else:
        head = "No findings."
    if new or known:
        against = (changes or {}).get("against") or "the baseline"
        head += f" {new} new since {against}, {known} known." if new else f" None is new since {against}."
    return head


def gate_words(fail_on: str, failing: int, baseline: bool) -> str:
    """What the gate (the exit code) decided, and on what."""
    if fail_on == "never":
        return "No gate: report only."
    scope = "new findings" if baseline else "findings"
    if failing:
        return f"The gate fails: {plural(failing, 'new finding' if baseline else 'finding')} at {fail_on} or above."
    return f"The gate passes: no {scope} at {fail_on} or above."


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
        score += f" (partial: {plural(len(report.unavailable), 'section')} not read)"
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


# ---- the Markdown's budget --------------------------------------------------------------------

MD_BUDGET = 65_536  # characters: the longest comment GitHub accepts (issues, pull requests, discussions)
SHORT_FIX_LINES = 40
HIGH = SEVERITY_RANK["high"]
MEDIUM = SEVERITY_RANK["medium"]


@dataclass(frozen=True)
class Level:
    """How much of each tier of findings the Markdown shows. high: full | short (fixes up to
    SHORT_FIX_LINES) | nofix | line | count; medium: fold | nofix | line | count; low (and info): line | count."""

    high: str
    medium: str
    low: str
    working: bool = True  # the per-rule working of each area's score

    def left_out(self) -> list[str]:
        """What this level gives up, in words, for the note at the top of the report."""
        said = {
            "short": f"the fixes of {{}} findings longer than {SHORT_FIX_LINES} lines",
            "nofix": "the fixes of {} findings",
            "line": "the evidence and fixes of {} findings (one line each instead)",
            "count": "{} findings (counted per rule instead)",
        }
        tiers = (("high", "high and critical"), ("medium", "medium"), ("low", "low and info"))
        base = LEVELS[0]
        out = [
            said[getattr(self, k)].format(words)
            for k, words in tiers
            if getattr(self, k) != getattr(base, k) and getattr(self, k) in said
        ]
        return out if self.working else [*out, "the rule-by-rule working of the scores"]


# The order in which the Markdown gives up detail to fit MD_BUDGET: first what matters least.
LEVELS = (
    Level("full", "fold", "line"),
    Level("full", "nofix", "line"),
    Level("full", "line", "line"),
    Level("full", "line", "count"),
    Level("full", "count", "count"),
    Level("full", "count", "count", working=False),
    Level("short", "count", "count", working=False),
    Level("nofix", "count", "count", working=False),
    Level("line", "count", "count", working=False),
    Level("count", "count", "count", working=False),
)


@dataclass
class GroupPlan:
    """One rule's findings as a Level shows them."""

    full: list[Finding] = field(default_factory=list)  # high and critical, with evidence
    folded: list[Finding] = field(default_factory=list)  # medium, with evidence, in a <details>
    lines: list[Finding] = field(default_factory=list)  # one line each
    counted: dict[str, int] = field(default_factory=dict)  # severity -> findings not listed
    high_fix: int | None = None  # the longest fix shown, in lines (None: any, 0: none)
    medium_fix: int | None = None

    @property
    def counted_total(self) -> int:
        return sum(self.counted.values())


def plan(groups: list[RuleGroup], level: Level) -> dict[str, GroupPlan]:
    """Each rule group's findings sorted into full, folded, one line each, or counted, by severity."""
    out = {}
    for g in groups:
        high_fix = {"full": None, "short": SHORT_FIX_LINES}.get(level.high, 0)
        p = GroupPlan(high_fix=high_fix, medium_fix=None if level.medium == "fold" else 0)
        detailed = {id(f) for f in g.detailed}
        for f in g.detailed + g.compact:
            if f.rank >= HIGH:
                kind = "full" if level.high in ("full", "short", "nofix") else level.high
            elif f.rank >= MEDIUM:
                kind = "folded" if level.medium in ("fold", "nofix") else level.medium
            else:
                kind = level.low
            if kind == "count":
                p.counted[f.severity] = p.counted.get(f.severity, 0) + 1
            elif kind in ("full", "folded") and id(f) in detailed:
                getattr(p, kind).append(f)
            else:
                p.lines.append(f)
        for sev, n in g.counts.items():  # past the caps: neither detailed nor compact
            shown = sum(1 for f in g.detailed + g.compact if f.severity == sev)
            if n > shown:
                p.counted[sev] = p.counted.get(sev, 0) + n - shown
        p.counted = {
            s: p.counted[s] for s in sorted(SEVERITY_RANK, key=SEVERITY_RANK.get, reverse=True) if p.counted.get(s)
        }
        out[g.code] = p
    return out


@dataclass(frozen=True)
class Outputs:
    """The files a run writes, so a report can point at its siblings (the HTML, the fix script)."""

    stem: str | None = None
    formats: tuple[str, ...] = ()

    def name(self, fmt: str, extension: str) -> str | None:
        return f"{self.stem}.{extension}" if self.stem and fmt in self.formats else None


def linked_codes(v: dict[str, Any]) -> list[str]:
    """Rule codes the Markdown links to their documentation: those with findings and those that did not run."""
    codes = {g.code for g in v["groups"]} | {s.code for s in v["not_run"]} | {f.code for f in v["suppressed"]}
    return sorted(codes)
