"""What IDX013, IDX014 and the report's "Top queries" share: whether the workload was read, the suggested
indexes as a DBA would write them, and the statements each serves (catalog/workload.py gathered them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.analysis.tenancy import tenancy
from auditor.base.names import column_list, qualified, quote_literal
from auditor.catalog.model import IndexCandidate, Snapshot, Statement, Table
from auditor.catalog.workload import WORKLOAD_MIN_GAIN, WORKLOAD_TOP  # noqa: F401  (declares the thresholds)
from auditor.rules.common import TENANT_COLUMNS
from auditor.rules.registry import Skip, context

PGSS = "pg_stat_statements"
TEXT_SHOWN = 160  # characters of a statement's text in a finding's evidence and the report's table


def require_workload(snap: Snapshot) -> None:
    """Skip, with the SQL that unlocks it, when pg_stat_statements was not there to read."""
    preloaded = snap.server.preloaded
    load = None
    if preloaded is not None and PGSS not in preloaded:
        libs = ", ".join([*preloaded, PGSS])
        load = f"-- postgresql.conf: shared_preload_libraries = {quote_literal(libs)}, then restart PostgreSQL"
    if snap.installed(PGSS) is None:
        steps = [s for s in (load, f"CREATE EXTENSION {PGSS};") if s]
        if preloaded is None:
            steps.append(f"-- and {PGSS} in shared_preload_libraries (a restart), if it is not")
        raise Skip(f"{PGSS} is not installed in this database: no workload to read", grant="\n".join(steps))
    if load:
        raise Skip(f"{PGSS} is installed but not in shared_preload_libraries: it records nothing", grant=load)


@dataclass
class Suggestion:
    """An index the workload asks for, as the fix creates it."""

    table: Table
    columns: list[str]
    candidate: IndexCandidate
    statements: list[Statement]

    @property
    def label(self) -> str:
        return f"({column_list(self.columns)}) on {self.table.qualified}"

    @property
    def cost_before(self) -> float:
        return sum(c or 0 for c in self.candidate.cost_before)

    @property
    def cost_after(self) -> float:
        return sum(c or 0 for c in self.candidate.cost_after)


def suggestions(snap: Snapshot) -> list[Suggestion]:
    """The candidates with their equality columns in a DBA's order (the tenant column first), grouped: one
    index serving several statements is one suggestion."""
    return snap.once(("workload", "suggestions"), lambda: _build(snap))


def _build(snap: Snapshot) -> list[Suggestion]:
    by_id = {st.queryid: st for st in snap.statements}
    tenant = {tenancy(snap).column, *TENANT_COLUMNS(snap)} - {None}
    out: dict[tuple[int, tuple[str, ...]], Suggestion] = {}
    for c in snap.index_candidates:
        t = snap.table_by_oid.get(c.table_oid)
        if t is None:
            continue
        lead = sorted(c.columns[: c.equality], key=lambda col: col not in tenant)  # stable: the rest keep order
        columns = lead + c.columns[c.equality :]
        key = (t.oid, tuple(columns))
        statements = [by_id[q] for q in c.queryids if q in by_id]
        if key in out:  # the same index reached from two orders of its equality columns
            out[key].statements += [s for s in statements if s not in out[key].statements]
            continue
        out[key] = Suggestion(t, columns, c, statements)
    return sorted(out.values(), key=lambda s: (s.table.schema, s.table.name, s.columns))


def shorten(text: str | None, limit: int = TEXT_SHOWN) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def statement_evidence(st: Statement) -> dict[str, Any]:
    out: dict[str, Any] = {
        "queryid": st.queryid,
        "calls": st.calls,
        "total_ms": round(st.total_ms, 1),
        "mean_ms": round(st.mean_ms, 3),
    }
    if st.query is not None:
        out["query"] = shorten(st.query)
    return out


@context("workload")
def workload_context(snap: Snapshot) -> dict[str, Any]:
    """The heaviest statements, their share of the workload's time, and which suggestion serves each."""
    if snap.installed(PGSS) is None or not snap.statements:
        return {}
    total = sum(st.total_ms for st in snap.statements) or 1.0
    serves: dict[int, list[str]] = {}
    for s in suggestions(snap):
        for st in s.statements:
            serves.setdefault(st.queryid, []).append(s.label)
    rows = []
    for st in sorted(snap.statements, key=lambda x: (-x.total_ms, x.queryid))[: int(WORKLOAD_TOP(snap))]:
        seq = [qualified(t.schema, t.name) for oid in st.seq_scans if (t := snap.table_by_oid.get(oid))]
        rows.append(
            {
                "queryid": st.queryid,
                "query": st.query,
                "short": shorten(st.query, 80),
                "calls": st.calls,
                "total_ms": round(st.total_ms, 1),
                "mean_ms": round(st.mean_ms, 3),
                "share": round(st.total_ms / total, 4),
                "rows": st.rows,
                "cost": st.cost,
                "seq_scans": seq,
                "suggestions": serves.get(st.queryid, []),
                "note": st.note,
            }
        )
    return {
        "statements": rows,
        "read": len(snap.statements),
        "total_ms": round(total, 1),
        "hypopg": snap.installed("hypopg") is not None,
        "texts": any(st.query is not None for st in snap.statements),
    }
