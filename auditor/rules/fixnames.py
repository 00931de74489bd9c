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
from hashlib import blake2b
from typing import Any, Literal

from auditor.base.names import fit_name
from auditor.catalog.model import Snapshot, Table

Kind = Literal["relation", "constraint", "policy"]


class _Names:
    """The names in use in one namespace: the snapshot's rows in it, read when asked (a table holds a few
    constraints and policies: a set of them for every table was 30 MB on 50,000 tables), and the names this
    run gave out in it, kept in one set for the whole run."""

    __slots__ = ("given", "rows", "space")

    def __init__(self, rows: Sequence[Any], given: set[str], space: str) -> None:
        self.rows, self.given, self.space = rows, given, space

    def __contains__(self, name: str) -> bool:
        return f"{self.space}\0{name}" in self.given or any(r.name == name for r in self.rows)

    def add(self, name: str) -> None:
        self.given.add(f"{self.space}\0{name}")


def _taken(snap: Snapshot, kind: Kind, t: Table) -> tuple[Any, ...]:
    """The names already used in the namespace a new object of this kind lives in (`in` and `add`: names
    given out are added). Relations (tables, partitions, indexes, views, sequences) share their schema's;
    constraints are per table, but a unique or primary key also makes an index of that name, so the
    schema's relation names count too; policies are per table. (Sets apart, not their union: a schema's
    thousands of names copied for every new constraint name was a second of a 10,000-table audit.)"""
    if kind == "relation":
        return (_schema_relations(snap, t),)
    given: set[str] = snap.once(("fixnames", "given names"), set)
    if kind == "constraint":
        return _Names(snap.constraints_of.get(t.oid, ()), given, f"c{t.oid}"), _schema_relations(snap, t)
    return (_Names(snap.policies_of.get(t.oid, ()), given, f"p{t.oid}"),)


def _schema_relations(snap: Snapshot, t: Table) -> set[str]:
    return snap.once(("fixnames", "relation", t.schema), lambda: _relation_names(snap, t.schema))


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
    # request -> the number its name got (1: none). A run asks 230,000 times on 50,000 tables: the request as a
    # 16-byte digest of its parts joined by NUL (no name holds one) and the name as its number are 18 MB less
    # than the texts; the name is made again from the number
    memo: dict[bytes, int] = snap.once(("fixnames", "answers"), dict)
    request = blake2b("\0".join((kind, str(t.oid), *parts, suffix)).encode("utf-8"), digest_size=16).digest()
    n = memo.get(request)
    if n is not None:
        return _numbered(parts, suffix, n)
    taken = _taken(snap, kind, t)
    n = 1
    name = _numbered(parts, suffix, n)
    while any(name in names for names in taken):
        n += 1
        name = _numbered(parts, suffix, n)
    # Record it where the next request will look: a constraint's name also holds its index's place.
    for names in taken:
        names.add(name)
    memo[request] = n
    return name


def _numbered(parts: Sequence[str], suffix: str, n: int) -> str:
    return fit_name(list(parts), suffix) if n == 1 else fit_name([*parts, str(n)], suffix)
