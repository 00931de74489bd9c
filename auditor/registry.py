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

from auditor.names import qualified

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # info 0 .. critical 4
AREAS = {"ISO": "isolation", "IDX": "indexes", "CON": "constraints", "PAR": "partitions"}
_CODE = re.compile(r"^(ISO|IDX|CON|PAR)\d{3}$")
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


@dataclass(slots=True)
class Hit:
    """What a check yields: the object, a message, evidence, and the SQL that fixes it."""

    obj: Obj
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str | None = None
    members: tuple[str, ...] = ()  # extra identity (e.g. the FK's columns) when obj is not unique alone
    severity: str | None = None  # overrides the rule's default when the case is worse or milder
    points: float | None = None  # what fixing it is worth in the area score, when the area scores by points


class Skip(Exception):
    """Raised by a check that cannot judge this database (old statistics, unknown setting, ...)."""

    def __init__(self, reason: str, not_evaluated: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_evaluated = not_evaluated


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


@dataclass(frozen=True)
class Threshold:
    """A tunable number or list a check reads from the run's settings (config file or CLI), never a global."""

    key: str
    default: Any
    help: str
    check: Callable[[Any], str | None] | None = None  # what is wrong with a configured value, or None

    def __call__(self, snap: Any) -> Any:
        return snap.settings.get(self.key, self.default)


THRESHOLDS: dict[str, Threshold] = {}


def threshold(key: str, default: Any, help: str, check: Callable[[Any], str | None] | None = None) -> Threshold:
    if key in THRESHOLDS:
        raise ValueError(f"threshold {key} declared twice")
    THRESHOLDS[key] = Threshold(key, default, help, check)
    return THRESHOLDS[key]


def load_all() -> dict[str, Rule]:
    """Import every checks module so their rules register; returns the registry sorted by code."""
    import auditor.checks  # noqa: F401  (registers on import)

    return dict(sorted(RULES.items()))


def find_rule(code_or_slug: str) -> Rule | None:
    rules = load_all()
    key = code_or_slug.strip()
    return rules.get(key.upper()) or next((r for r in rules.values() if r.slug == key.lower()), None)
