"""The rule registry: @rule carries a check's metadata; its docstring is its documentation.

A check is a pure function Snapshot -> Iterator[Hit]. The engine turns each Hit into a Finding,
so no check can forget a field, and records a status per rule per run.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from auditor.base.names import qualified
from auditor.base.packed import PackedFix
from auditor.base.thresholds import THRESHOLDS, Threshold, threshold  # noqa: F401  (rules declare them here)

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # info 0 .. critical 4
AREAS = {"ISO": "isolation", "IDX": "indexes", "CON": "constraints", "PAR": "partitions", "HLT": "health"}
_CODE = re.compile(r"^(ISO|IDX|CON|PAR|HLT)\d{3}$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Obj:
    """The database object a finding is about; its identity (never OIDs) feeds the fingerprint."""

    kind: str  # table, column, index, constraint, policy, role, function, view, sequence, schema, database, ...
    schema: str | None = None
    table: str | None = None
    name: str | None = None

    @property
    def display(self) -> str:
        if self.kind in ("table", "partitioned table", "view", "materialized view", "sequence", "foreign table"):
            return qualified(self.schema, self.table or self.name or "")
        if self.kind in ("role", "database", "schema", "extension"):
            return self.name or ""
        if self.kind == "function":  # name may carry its arguments: quote the name, not the signature
            name, paren, args = (self.name or "").partition("(")
            return f"{qualified(self.schema, name)}{paren}{args}"
        base = qualified(self.schema, self.table) if self.table else (self.schema or "")
        return f"{base}.{self.name}" if self.kind == "column" else f"{self.name} on {base}"

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "schema": self.schema, "table": self.table, "name": self.name}

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as its four fields (see Finding.__getstate__)
        return Obj, (self.kind, self.schema, self.table, self.name)


@dataclass(slots=True)
class Hit:
    """What a check yields: the object, a message, evidence, and the SQL that fixes it."""

    obj: Obj
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str | PackedFix | None = None  # PackedFix: deflated (base.packed), where a rule holds very many
    members: tuple[str, ...] = ()  # extra identity (e.g. the FK's columns) when obj is not unique alone
    severity: str | None = None  # overrides the rule's default when the case is worse or milder
    points: float | None = None  # what fixing it is worth in the area score, when the area scores by points


class Skip(Exception):
    """Raised by a check that cannot judge this database (old statistics, unknown setting, ...)."""

    def __init__(self, reason: str, not_evaluated: bool = False, grant: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_evaluated = not_evaluated
        self.grant = grant  # the SQL that would let the rule judge (CREATE EXTENSION, GRANT)


@dataclass(frozen=True)
class Rule:
    code: str
    slug: str
    severity: str
    subject: str
    func: Callable[..., Iterator[Hit]]
    requires: tuple[str, ...] = ()
    min_version: int | None = None
    population: str | None = None

    @property
    def area(self) -> str:
        return AREAS[self.code[:3]]

    @cached_property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @cached_property
    def title(self) -> str:
        return self.doc.splitlines()[0].rstrip(".") if self.doc else self.slug


RULES: dict[str, Rule] = {}


def rule(
    code: str,
    slug: str,
    *,
    severity: str,
    subject: str,
    requires: tuple[str, ...] = (),
    min_version: int | None = None,
    population: str | None = None,
) -> Callable[[Callable[..., Iterator[Hit]]], Callable[..., Iterator[Hit]]]:
    """Register a check. `requires` names snapshot sections; `population` names what it judges (for scores)."""
    if not _CODE.match(code):
        raise ValueError(f"bad rule code {code!r}")
    if not _SLUG.match(slug):
        raise ValueError(f"bad rule slug {slug!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"bad severity {severity!r} for {code}")

    def register(func: Callable[..., Iterator[Hit]]) -> Callable[..., Iterator[Hit]]:
        if code in RULES:
            raise ValueError(f"rule code {code} registered twice")
        if any(r.slug == slug for r in RULES.values()):
            raise ValueError(f"rule slug {slug} registered twice")
        RULES[code] = Rule(code, slug, severity, subject, func, requires, min_version, population)
        return func

    return register


# Analyzers may describe the database beside their findings (e.g. the tenant model); each returns a dict.
CONTEXT: dict[str, Callable[[Any], dict[str, Any]]] = {}


def context(name: str) -> Callable[[Callable[[Any], dict[str, Any]]], Callable[[Any], dict[str, Any]]]:
    """Register a describer of the database whose dict lands in the report's context (tenancy, partitions)."""

    def register(func: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        CONTEXT[name] = func
        return func

    return register


POPULATIONS: dict[str, Callable[[Any], int]] = {}


def population(name: str) -> Callable[[Callable[[Any], int]], Callable[[Any], int]]:
    """Register a count of the objects some rules judge (the denominator of their pass ratio)."""

    def register(func: Callable[[Any], int]) -> Callable[[Any], int]:
        POPULATIONS[name] = func
        return func

    return register
