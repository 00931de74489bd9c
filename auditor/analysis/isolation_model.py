"""The isolation score: per table and command, weighted by table size, with hard caps for roles that
skip row-level security, and every lost point attributed to a table or a surface item.

Base = 100 x (0.60 Read + 0.25 Write + 0.15 Structure), each the weighted mean over the tables that
hold tenant data of: Read = the SELECT verdict for the worst application role; Write = the mean of
the INSERT, UPDATE and DELETE verdicts (0 when TRUNCATE is granted); Structure = 1 minus 0.4 for a
nullable tenant column, 0.4 for a foreign key that leaves the tenant out, 0.2 for a unique key that
does. Weight = (1 + log10(1 + rows)), x1.5 with sensitive columns, half for unknown tables.
Exposures (definer views, materialized views, partitions without RLS) add the weight of the table
they unlock as an open relation. Surface items are subtracted; caps apply last.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from auditor.analysis.tenancy import (
    SCORED,
    TableInfo,
    Tenancy,
    cells,
    exposures,
    global_by_design,
    nullable_tenant_columns,
    parse_acl,
    per_snapshot,
    polymorphic_key,
    role_closure,
    setting_defaults,
    shared_row_signals,
    tenancy,
    unsafe_foreign_keys,
    unscoped_uniques,
)
from auditor.catalog.model import Snapshot

READ, WRITE, STRUCT = 0.60, 0.25, 0.15
SURFACE_CAP = 25


@dataclass
class TableScore:
    table: str
    cls: str
    weight: float
    read: float
    write: float
    struct: float
    why: str

    def loss(self, total: float) -> float:
        """Points this table costs the base score."""
        lost = READ * (1 - self.read) + WRITE * (1 - self.write) + STRUCT * (1 - self.struct)
        return 100 * self.weight * lost / total if total else 0.0


@dataclass
class ScoreModel:
    model: str
    tables: list[TableScore] = field(default_factory=list)
    surface: list[tuple[str, float]] = field(default_factory=list)
    caps: list[tuple[str, int]] = field(default_factory=list)
    read: float = 1.0
    write: float = 1.0
    struct: float = 1.0
    base: float = 100.0
    score: int | None = None
    readiness: int | None = None
    role: str | None = None
    per_role: dict[str, int | None] = field(default_factory=dict)
    cuts: dict[str, dict[str, float]] = field(default_factory=dict)  # table -> structural flaw -> cut

    def _lookup(self) -> tuple[float, dict[str, list[TableScore]]]:
        """Total weight and tables by name, rebuilt only when the list changed length (it is built once,
        then read once per finding: recomputing per call was quadratic on 10,000 tables)."""
        cache = self.__dict__.get("_lookup_cache")
        if cache is None or cache[0] != len(self.tables):
            by_name: dict[str, list[TableScore]] = {}
            for t in self.tables:
                by_name.setdefault(t.table, []).append(t)
            cache = (len(self.tables), sum(t.weight for t in self.tables), by_name)
            self.__dict__["_lookup_cache"] = cache
        return cache[1], cache[2]

    @property
    def total_weight(self) -> float:
        return self._lookup()[0]

    def table_points(self, qualified: str, dims: tuple[str, ...] = ("read", "write", "struct")) -> float:
        total, by_name = self._lookup()
        out = 0.0
        for t in by_name.get(qualified, []):
            if total:
                w = {"read": READ * (1 - t.read), "write": WRITE * (1 - t.write), "struct": STRUCT * (1 - t.struct)}
                out += 100 * t.weight * sum(w[d] for d in dims) / total
        return round(out, 1)

    def struct_points(self, qualified: str, flaw: str, share: int = 1) -> float | None:
        """What fixing one structural flaw (of `share` alike on the table) is worth."""
        t = next(iter(self._lookup()[1].get(qualified, [])), None)
        amount = self.cuts.get(qualified, {}).get(flaw)
        if t is None or not amount or not self.total_weight:
            return None
        return round(100 * t.weight * STRUCT * amount / self.total_weight / max(1, share), 2)

    def as_dict(self) -> dict[str, Any]:
        total = self.total_weight
        top = sorted(self.tables, key=lambda t: (-t.loss(total), t.table))
        return {
            "model": self.model,
            "score": self.score,
            "readiness": self.readiness,
            "role": self.role,
            "per_role": self.per_role,
            "read": round(self.read, 4),
            "write": round(self.write, 4),
            "structure": round(self.struct, 4),
            "base": round(self.base, 1),
            "surface": [{"item": s, "points": p} for s, p in self.surface],
            "caps": [{"reason": r, "cap": c} for r, c in self.caps],
            "tables_scored": len(self.tables),
            "top_losses": _grouped_losses(top, total),
        }


def _grouped_losses(tables: list[TableScore], total: float, limit: int = 15) -> list[dict[str, Any]]:
    """Largest losses first; many tables losing points for the same reason become one row."""
    by_why: dict[str, list[TableScore]] = {}
    for t in tables:
        if t.loss(total) > 0:
            by_why.setdefault(t.why, []).append(t)
    rows: list[dict[str, Any]] = []
    for why, group in by_why.items():
        if len(group) > 3:
            rows.append(
                {
                    "table": f"{len(group)} tables (e.g. {', '.join(g.table for g in group[:3])})",
                    "cls": "group",
                    "weight": round(sum(g.weight for g in group), 2),
                    "why": why,
                    "points": round(sum(g.loss(total) for g in group), 1),
                    "tables": [g.table for g in group],
                }
            )
        else:
            rows += [asdict(g) | {"points": round(g.loss(total), 1)} for g in group]
    return sorted(rows, key=lambda r: (-r["points"], r["table"]))[:limit]


FK_CUT, UNIQUE_CUT, NULLABLE_CUT = (
    "foreign key without the tenant",
    "unique key without the tenant",
    "nullable tenant column",
)


def _structure(snap: Snapshot, ten: Tenancy) -> dict[int, dict[str, float]]:
    """Per table, what each structural flaw takes off its structure sub-score (at most once per kind)."""
    out: dict[int, dict[str, float]] = {}
    stats = snap.column_stats_of
    for info in nullable_tenant_columns(snap, ten):
        if shared_row_signals(snap, ten, info) or polymorphic_key(snap, info.table, info.column or ""):
            continue  # NULL on purpose: rows every tenant shares, or a row keyed by another key (ISO015: info)
        st = stats.get((info.table.schema, info.table.name, info.column or ""))
        out.setdefault(info.table.oid, {})[NULLABLE_CUT] = 0.6 if st and st.null_frac > 0 else 0.4
    for child, parent, con in unsafe_foreign_keys(snap, ten):
        col = snap.column_by_name.get((parent.table.oid, (con.ref_columns or [""])[0]))
        out.setdefault(child.table.oid, {}).setdefault(FK_CUT, 0.2 if col and col.base_type == "uuid" else 0.4)
    for info, idx in unscoped_uniques(snap, ten):
        if global_by_design(snap, ten, info, idx) is None:
            out.setdefault(info.table.oid, {})[UNIQUE_CUT] = 0.2
    return out


def truncate_roles(ten: Tenancy, info: TableInfo, snap: Snapshot) -> list[str]:
    """Application roles (or PUBLIC) that may TRUNCATE the table through a grant."""
    return granted_roles(ten, info, snap, "D")


def granted_roles(ten: Tenancy, info: TableInfo, snap: Snapshot, letter: str) -> list[str]:
    """Application roles (or PUBLIC) holding one table privilege (an ACL letter) through a grant."""
    acl = parse_acl(info.table.acl)
    out = []
    for role in ten.app_roles:
        if any(letter in acl.get(g, "") for g in role_closure(snap, role, inherit_only=True) - {info.table.owner}):
            out.append(role)
    if letter in acl.get("public", ""):
        out.append("public")
    return out


def compute(snap: Snapshot) -> ScoreModel:
    """The score for the worst application role, with each role's own score beside it."""
    ten = tenancy(snap)
    if ten.model in ("none", "schema") or ten.column is None:
        return ScoreModel(ten.model)
    struct = _structure(snap, ten)
    sm = _compute(snap, ten, struct, list(ten.app_roles) or [None])
    if len(ten.app_roles) > 1:
        sm.per_role = {r: _compute(snap, ten, struct, [r]).score for r in ten.app_roles}
    return sm


def _compute(snap: Snapshot, ten: Tenancy, struct: dict[int, dict[str, float]], roles: list[str | None]) -> ScoreModel:
    sm = ScoreModel(ten.model)
    infos = ten.of_class(*SCORED)
    for info in infos:
        if info.weight <= 0:
            continue
        worst_r, worst_w, why = 1.0, 1.0, "scoped"
        for role in roles:
            cs = cells(snap, ten, info, role)
            r = cs["SELECT"].value
            w = sum(cs[c].value for c in ("INSERT", "UPDATE", "DELETE")) / 3
            if r < worst_r or w < worst_w:
                bad = min(cs.values(), key=lambda c: c.value)
                why = bad.why
                sm.role = role
            worst_r, worst_w = min(worst_r, r), min(worst_w, w)
        if set(truncate_roles(ten, info, snap)) & {*roles, "public"}:
            worst_w, why = 0.0, "TRUNCATE granted to an application role"
        cuts = struct.get(info.table.oid, {})
        s = max(0.0, 1 - sum(cuts.values()))
        sm.cuts[info.table.qualified] = cuts
        if worst_r == worst_w == 1.0 and cuts:
            why = "; ".join(sorted(cuts))
        sm.tables.append(TableScore(info.table.qualified, info.cls, info.weight, worst_r, worst_w, s, why))
    by_name = {t.table: t for t in sm.tables}
    for e in exposures(snap, ten):
        opened = [b for b in e.bases if by_name.get(b.table.qualified) and by_name[b.table.qualified].read > 0]
        if opened:
            weight = sum(b.weight for b in opened)
            sm.tables.append(TableScore(f"{e.schema}.{e.name}", e.kind, weight, 0.0, 1.0, 1.0, e.why))
    total = sm.total_weight
    if total:
        sm.read = sum(t.weight * t.read for t in sm.tables) / total
        sm.write = sum(t.weight * t.write for t in sm.tables) / total
        sm.struct = sum(t.weight * t.struct for t in sm.tables) / total
    sm.base = 100 * (READ * sm.read + WRITE * sm.write + STRUCT * sm.struct)
    defaults = setting_defaults(snap, ten)
    if defaults:
        sm.surface.append((f"tenant setting has a default ({defaults[0][2].split('=')[0]})", 15.0))
    unpinned = [f for f in snap.functions if f.security_definer and not _pinned(f.config)]
    if unpinned:
        sm.surface.append(
            (f"{len(unpinned)} SECURITY DEFINER function(s) without a pinned search_path", float(min(5, len(unpinned))))
        )
    surface = min(SURFACE_CAP, sum(p for _, p in sm.surface))
    score = sm.base - surface
    for role in roles:
        r = snap.role_by_name.get(role or "")
        if r and r.superuser:
            sm.caps.append((f"application role {role} is a superuser", 5))
        elif r and r.bypassrls:
            sm.caps.append((f"application role {role} has BYPASSRLS", 10))
    if ten.app_roles_how.startswith("inferred: no other login role"):
        sm.caps.append(("no application role apart from the table owner", 20))
    for _, cap in sm.caps:
        score = min(score, cap)
    sm.score = max(0, round(score))
    coverage = sum(1 for i in infos if i.cls == "tenant") / max(1, sum(1 for i in infos if i.cls != "root"))
    sm.readiness = round(100 * (0.5 * sm.struct + 0.5 * coverage))
    return sm


def _pinned(config: list[str]) -> bool:
    return any(c.lower().startswith("search_path=") for c in config or [])


def model_for(snap: Snapshot) -> ScoreModel:
    return per_snapshot("_isolation_score", compute, snap)
