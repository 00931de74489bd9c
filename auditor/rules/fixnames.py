"""Names for the objects fixes create (indexes, constraints, partitions, policies, sequences).

A name a fix invents must fit PostgreSQL's 63 bytes (a longer one is silently truncated, and may then
equal an existing object's name: ADD fails, and the next step acts on the old object) and must not be
taken already. new_name builds it from parts (base.names.fit_name: cut by bytes, a hash when cut),
checks it against the snapshot's names in its namespace and against the names this run already gave
out, and numbers it when taken. The same request always gets the same answer, so a fix that names
the same new object twice (CREATE, then ATTACH) names it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from auditor.base.names import fit_name
from auditor.catalog.model import Snapshot, Table

Kind = Literal["relation", "constraint", "policy"]


def _taken(snap: Snapshot, kind: Kind, t: Table) -> tuple[set[str], ...]:
    """The sets of names already used in the namespace a new object of this kind lives in (mutable: names
    given out are added). Relations (tables, partitions, indexes, views, sequences) share their schema's;
    constraints are per table, but a unique or primary key also makes an index of that name, so the
    schema's relation names count too; policies are per table. (Sets apart, not their union: a schema's
    thousands of names copied for every new constraint name was a second of a 10,000-table audit.)"""
    if kind == "relation":
        return (_schema_relations(snap, t),)
    if kind == "constraint":
        return _taken_constraints(snap, t), _schema_relations(snap, t)
    return (snap.once(("fixnames", "policy", t.oid), lambda: {p.name for p in snap.policies_of.get(t.oid, [])}),)


def _schema_relations(snap: Snapshot, t: Table) -> set[str]:
    return snap.once(("fixnames", "relation", t.schema), lambda: _relation_names(snap, t.schema))


def _taken_constraints(snap: Snapshot, t: Table) -> set[str]:
    return snap.once(("fixnames", "constraint", t.oid), lambda: {c.name for c in snap.constraints_of.get(t.oid, [])})


def _relation_names(snap: Snapshot, schema: str) -> set[str]:
    """The schema's set itself, taken out of the map (no copy: 10 MB on 10,000 tables): asked for once per
    schema, then kept by _taken."""
    return snap.once(("fixnames", "relations by schema"), lambda: _relation_names_by_schema(snap)).pop(schema, set())


def _relation_names_by_schema(snap: Snapshot) -> dict[str, set[str]]:
    """Every schema's relation names in one pass (a pass per schema is quadratic on 10,000 tables)."""
    out: dict[str, set[str]] = defaultdict(set)
    for rows in (snap.tables, snap.views, snap.sequences):
        for r in rows:
            out[r.schema].add(r.name)
    for i in snap.indexes:
        if t := snap.table_by_oid.get(i.table_oid):
            out[t.schema].add(i.name)
    return out


def new_name(snap: Snapshot, t: Table, parts: Sequence[str], suffix: str, *, kind: Kind = "relation") -> str:
    """A free name for a new object of `kind` on (or, for a relation, beside) table t: parts and suffix
    joined by "_" (e.g. new_name(snap, t, [t.name, "tenant_id"], "idx")), within 63 bytes, not used in
    the snapshot nor given out before in this run; "_2", "_3", ... before the suffix when it is."""
    memo: dict = snap.once(("fixnames", "given"), dict)
    request = (kind, t.oid, tuple(parts), suffix)
    if request in memo:
        return memo[request]
    taken = _taken(snap, kind, t)
    name = fit_name(list(parts), suffix)
    n = 1
    while any(name in names for names in taken):
        n += 1
        name = fit_name([*parts, str(n)], suffix)
    # Record it where the next request will look: a constraint's name also holds its index's place.
    for names in taken:
        names.add(name)
    memo[request] = name
    return name
