"""run(snapshot, config) -> Report: every selected rule over the snapshot, each with its own status.

One failing rule becomes an `error` status and the others still run; a rule whose data is missing
is `skipped` with the reason and the GRANT that would unlock it, never counted as passing.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from auditor.base.packed import PackedObjects, deflate, inflate, pack_objects, unpack_objects
from auditor.base.process import GC_PAUSED, give_back
from auditor.catalog.model import STATISTICS_SECTIONS, NotCollectedYet, Snapshot
from auditor.engine.config import Config
from auditor.engine.report import Finding, Report, RuleStatus, fingerprint
from auditor.engine.scoring import score
from auditor.engine.suppress import suppression_for
from auditor.rules import load_all
from auditor.rules.registry import CONTEXT, POPULATIONS, Hit, Rule, Skip

log = logging.getLogger("pg_auditor")


def run(snap: Snapshot, config: Config | None = None, run_info: dict[str, Any] | None = None) -> Report:
    return Run(config).finish(snap, run_info)


class Run:
    """The selected rules over one snapshot, in registry order, with a status each.

    `step` lets rules run while the collector waits on the server: a rule runs as soon as every
    section it reads has arrived. One that reaches a section still in flight stops at once
    (NotCollectedYet) and runs again after that section arrives; so each result is what the whole
    snapshot gives, however the reads and the rules interleave.
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.rules = [r for r in load_all().values() if self.config.selects(r.code)]
        # A rule's findings are held packed (base.packed) until the rules are done and their derived data is gone.
        self.results: dict[str, tuple[RuleStatus, list[Finding] | PackedObjects]] = {}
        self.waiting: dict[str, str] = {}  # rule code -> the section it found still in flight
        self.prepared: Snapshot | None = None

    def step(self, snap: Snapshot) -> bool:
        """Run one rule whose sections have arrived; False when none can run yet."""
        self._prepare(snap)
        for rule in self.rules:
            if rule.code in self.results or not snap.arrived(self.waiting.get(rule.code)):
                continue
            try:
                self.results[rule.code] = held(run_rule(rule, snap, self.config, packed=True))
            except NotCollectedYet as pending:
                self.waiting[rule.code] = pending.section
            self._after_rule(snap)
            return True
        return False

    def finish(self, snap: Snapshot, run_info: dict[str, Any] | None = None, inflate_fixes: bool = True) -> Report:
        """Run the rules not yet run, then the context and the scores, over the complete snapshot. With
        `inflate_fixes` False, long fixes stay deflated for the caller to inflate once it has let the snapshot
        go (inflate_long_fixes), where they take memory the snapshot held rather than more."""
        self._prepare(snap)
        early = len(self.results)
        with GC_PAUSED.held():  # rules build acyclic data; a full collection would walk the whole snapshot
            for rule in self.rules:
                if rule.code not in self.results:
                    self.results[rule.code] = held(run_rule(rule, snap, self.config, packed=True))
                    self._after_rule(snap)
        log.debug("%d of %d rules ran while the catalogs were read", early, len(self.rules))
        statuses: list[RuleStatus] = []
        for rule in self.rules:
            status = self.results[rule.code][0]
            note_partial(status, rule, snap)
            statuses.append(status)
        extras: dict[str, Any] = {}
        for name, func in sorted(CONTEXT.items()):
            try:
                extras[name] = func(snap)
            except Exception as exc:  # context is a nicety; never lose the report for it
                log.debug("context %s failed: %s", name, traceback.format_exc())
                extras[name] = {"error": f"{type(exc).__name__}: {exc}"}
        database, inventoried = database_summary(snap), inventory(snap)
        snap.forget()  # the rules' derived data, kept while they ran, is not wanted from here on
        give_back()
        findings: list[Finding] = []
        with GC_PAUSED.held():  # a million new objects, none garbage: no collection passes over them
            for rule in self.rules:  # unpacked in the room the derived data left
                findings.extend(unpack_objects(self.results[rule.code][1]))
        findings.sort(key=Finding.sort_key)
        scores, overall, coverage = score(findings, statuses, extras)
        report = Report(
            tool_version=snap.tool_version,
            database=database,
            findings=findings,
            statuses=statuses,
            scores=scores,
            overall=overall,
            coverage=coverage,
            unavailable={k: {"reason": v.reason, "grant": v.grant} for k, v in sorted(snap.unavailable.items())},
            inventory=inventoried,
            run=dict(run_info or {}),
            extras=extras,
            limited={k: {"reason": v.reason, "grant": v.grant} for k, v in sorted(snap.limited.items())},
        )
        if inflate_fixes:
            inflate_long_fixes(report.findings)
        return report

    def _after_rule(self, snap: Snapshot) -> None:
        """Let go what the rules left to run no longer need: the derived data only finished rules read, and
        the C memory the rule freed. A rule's working data is freed when it returns; C memory it held (long
        strings, big lists) stays with the process until trimmed, and the next rule's Python objects cannot
        reuse it: trimmed after each rule (0.1 ms), the end of the rules peaks 10 MB lower on M."""
        self._let_go_rule_data(snap)
        give_back()

    def _let_go_rule_data(self, snap: Snapshot) -> None:
        """Drop the derived data only some rules read once none of those is left to run (RULE_DATA)."""
        left = {r.code for r in self.rules if r.code not in self.results}
        for name, readers in RULE_DATA.items():
            if left.isdisjoint(readers):
                snap.let_go(name)

    def _prepare(self, snap: Snapshot) -> None:
        if self.prepared is not snap:
            snap.settings = self.config.thresholds_for_run()
            self.prepared = snap


def _codes(prefix: str, first: int, last: int) -> frozenset[str]:
    return frozenset(f"{prefix}{n:03d}" for n in range(first, last + 1))


# Derived data (Snapshot lookups and once() values, by name) that only some rules read, let go as soon as the
# last of those rules has run rather than at the end of the rules, where the rules' peak is: 40 MB on 50,000
# tables. By rule, not by area: the workload rules (IDX013, IDX014) wait for the statements, read after the
# catalogs, and would hold the index data through every isolation rule. Each value is a pure function of the
# snapshot, so a reader not listed (a context, a rule added later) only builds it again;
# tests/engine/test_area_data.py runs the rules with all derived data dropped after every rule (the report
# must not change) and checks that only the rules listed read each of these.
_CATALOG_INDEX_RULES = _codes("IDX", 1, 12)  # the index rules but the two that wait for the workload
RULE_DATA: dict[str, frozenset[str]] = {
    "user_indexes": _CATALOG_INDEX_RULES,  # rules/indexes/_shared.user_indexes
    "index_by_oid": _CATALOG_INDEX_RULES,
    "index_stats_of": _CATALOG_INDEX_RULES,
    "foreign_keys_by_index": _CATALOG_INDEX_RULES,
    # analysis/references.resolve: CON002's implied keys, CON010's types along them, the tenant model's paths
    "references_resolved": frozenset({"CON002", "CON010"}) | _codes("ISO", 1, 27),
}


# A fix this long is held deflated (base.packed) from its rule until the snapshot is let go (Run.finish), while
# the rules' derived data and the snapshot are in memory with it; the reports read it once that data is gone.
PACK_FIX_AT = 4096


def held(result: tuple[RuleStatus, list[Finding]]) -> tuple[RuleStatus, list[Finding] | PackedObjects]:
    """A rule's result as a Run holds it: its findings packed (none: nothing to pack). Evidence is plain data;
    should a rule's ever hold what pickle cannot write, its findings are held as they are."""
    status, findings = result
    if not findings:
        return status, findings
    try:
        return status, pack_objects(findings)
    except Exception:  # PicklingError, TypeError, AttributeError: a local class, a generator, a lock
        log.debug("findings of %s held unpacked:\n%s", status.code, traceback.format_exc())
        return status, findings


def pack_long_fixes(findings: list[Finding]) -> None:
    for f in findings:
        if type(f.fix) is str and len(f.fix) >= PACK_FIX_AT:
            f.fix = deflate(f.fix)  # type: ignore[assignment]


def inflate_long_fixes(findings: list[Finding]) -> None:
    """Every fix as text again (see Run.finish)."""
    for f in findings:
        f.fix = inflate(f.fix)


def run_rule(rule: Rule, snap: Snapshot, config: Config, packed: bool = False) -> tuple[RuleStatus, list[Finding]]:
    """One rule's status and findings; raises NotCollectedYet if it reads a section still in flight. With
    `packed` (a Run), long fixes come deflated (pack_long_fixes; a grouped finding's from its rule, see
    rules.isolation._shared); without it every fix is text."""
    status = RuleStatus(rule.code, rule.slug, rule.area, config.severity_for(rule), rule.title, "ok")
    missing = [s for s in rule.requires if not snap.available(s)]
    if missing:
        first = snap.unavailable[missing[0]]
        status.status, status.reason, status.grant = "skipped", f"cannot read {missing[0]}: {first.reason}", first.grant
        return status, []
    if rule.min_version and snap.server.version_num < rule.min_version:
        status.status = "skipped"
        status.reason = f"needs PostgreSQL {rule.min_version // 10000}+"
        return status, []
    try:
        hits = list(rule.func(snap))
    except Skip as skip:
        status.status = "not_evaluated" if skip.not_evaluated else "skipped"
        status.reason = skip.reason
        status.grant = skip.grant
        return status, []
    except Exception as exc:
        if snap.in_flight():  # a section still in flight may be what it tripped on: judge it on the whole
            raise NotCollectedYet(snap.in_flight()[0]) from None
        log.debug("rule %s failed:\n%s", rule.code, traceback.format_exc())
        status.status, status.reason = "error", f"{type(exc).__name__}: {exc}"
        return status, []
    findings = [to_finding(rule, hit, snap, config) for hit in hits]
    if packed:
        pack_long_fixes(findings)
    else:
        inflate_long_fixes(findings)
    findings = dedupe(findings)
    if rule.population:
        status.population = population(snap, rule.population)
    status.findings = sum(1 for f in findings if not f.suppressed)
    status.failing = len({(f.obj.schema, f.obj.table, f.obj.name) for f in findings if not f.suppressed})
    status.status = "findings" if status.findings else "ok"
    return status, findings


def note_partial(status: RuleStatus, rule: Rule, snap: Snapshot) -> None:
    """A rule that ran on what this role may see says so beside its result (known once collection ends)."""
    partial = [s for s in rule.requires if s in snap.limited]
    if partial and status.status in ("ok", "findings"):
        status.reason = f"partial {partial[0]}: {snap.limited[partial[0]].reason}"
        status.grant = snap.limited[partial[0]].grant


def population(snap: Snapshot, name: str) -> int:
    """The count of objects a population names, once per snapshot: a dozen rules share each one."""
    return snap.once(("population", name), lambda: POPULATIONS[name](snap))


def to_finding(rule: Rule, hit: Hit, snap: Snapshot, config: Config) -> Finding:
    severity = config.severity_for(rule, hit.severity)
    finding = Finding(
        code=rule.code,
        slug=rule.slug,
        area=rule.area,
        severity=severity,
        title=rule.title,
        obj=hit.obj,
        message=hit.message,
        evidence=standby_note(rule, hit.evidence, snap),
        fix=hit.fix,
        fingerprint=fingerprint(rule.code, hit.obj, hit.members),
        members=hit.members,
        points=hit.points,
    )
    finding.suppressed = config.suppression(finding) or suppression_for(finding, snap)
    return finding


STANDBY_NOTE = "hot standby: activity counters describe this standby's own reads, not the primary's"


def standby_note(rule: Rule, evidence: dict[str, Any], snap: Snapshot) -> dict[str, Any]:
    """Label findings drawn from per-instance statistics when the audit ran on a standby."""
    if snap.statistics_from_standby and any(s in STATISTICS_SECTIONS for s in rule.requires):
        return {**evidence, "statistics_source": STANDBY_NOTE}
    return evidence


def dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per identity: a check that reaches an object twice reports it once."""
    seen: dict[str, Finding] = {}
    for f in findings:
        seen.setdefault(f.fingerprint, f)
    return list(seen.values())


def database_summary(snap: Snapshot) -> dict[str, Any]:
    s = snap.server
    return {
        "name": s.database,
        "server_version": s.version.split(" on ")[0].split(",")[0],
        "server_version_num": s.version_num,
        "role": s.current_user,
        "superuser": s.is_superuser,
        "in_recovery": s.in_recovery,
        "standby": s.in_recovery,
        "collected_at": s.collected_at,
        "stats_reset": s.stats_reset,
        "postmaster_start": s.postmaster_start,
        "database_bytes": s.database_bytes,
        "filters": snap.filters,
    }


def inventory(snap: Snapshot) -> dict[str, int]:
    tables = snap.user_tables
    return {
        "schemas": len(snap.schemas),
        "tables": sum(1 for t in tables if not t.is_partition),
        "partitions": sum(1 for t in tables if t.is_partition),
        "partitioned_tables": sum(1 for t in tables if t.is_partitioned),
        "indexes": len(snap.indexes),
        "constraints": len(snap.constraints),
        "policies": len(snap.policies),
        "views": len(snap.views),
        "roles": len(snap.roles),
    }
