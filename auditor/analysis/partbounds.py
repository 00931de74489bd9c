"""Partition bounds as pg_get_expr prints them, parsed in Python (the session runs TimeZone=UTC, DateStyle ISO).

Text forms: `DEFAULT`, `FOR VALUES FROM (a, b) TO (c, d)` (MINVALUE/MAXVALUE bare), `FOR VALUES IN (x, y)`
and `FOR VALUES WITH (modulus m, remainder r)`. Literals keep their text exactly as the server printed
them, so a bound can be pasted back into DDL whatever its type. Values are typed only for timestamp,
timestamptz, date and integer keys; anything else (or a literal that does not parse, e.g. a BC date)
is `None`, which the checks report as "not evaluated" rather than guessing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

TIME_TYPES = frozenset({"timestamptz", "timestamp", "date"})
INT_TYPES = frozenset({"int2", "int4", "int8"})
MINVALUE, MAXVALUE = "MINVALUE", "MAXVALUE"


@dataclass(frozen=True, slots=True)
class Bound:
    kind: str  # default, range, list, hash, unknown
    lower: tuple[str, ...] = ()  # range: raw literals (or MINVALUE/MAXVALUE), one per key column
    upper: tuple[str, ...] = ()
    values: tuple[str, ...] = ()  # list: raw literals (NULL bare)
    modulus: int = 0
    remainder: int = 0

    @property
    def lower_sql(self) -> str:
        return ", ".join(self.lower)

    @property
    def upper_sql(self) -> str:
        return ", ".join(self.upper)


_RANGE = re.compile(r"^FOR VALUES FROM \((.*)\) TO \((.*)\)$", re.S)
_LIST = re.compile(r"^FOR VALUES IN \((.*)\)$", re.S)
_ONE_LITERAL = re.compile(r"'[^']*'")
_HASH = re.compile(r"^FOR VALUES WITH \(modulus (\d+), remainder (\d+)\)$", re.I)


def split_literals(text: str) -> tuple[str, ...]:
    """Split a comma-separated literal list at top level, keeping quoted strings (with '' escapes) whole."""
    if "'" not in text and "(" not in text:
        return tuple(part.strip() for part in text.split(",")) if text.strip() else ()
    if _ONE_LITERAL.fullmatch(text):
        return (text,)
    items: list[str] = []
    buf: list[str] = []
    quoted = False
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            buf.append(ch)
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    buf.append("'")
                    i += 1
                else:
                    quoted = False
        elif ch == "'":
            quoted = True
            buf.append(ch)
        elif ch in "([":
            depth += 1
            buf.append(ch)
        elif ch in ")]":
            depth -= 1
            buf.append(ch)
        elif ch == "," and depth == 0:
            items.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
        i += 1
    if buf or items:
        items.append("".join(buf).strip())
    return tuple(items)


def parse_bound(text: str | None) -> Bound:
    """Parse pg_get_expr(relpartbound) output; anything unexpected becomes kind 'unknown' (never an exception)."""
    if text is None:
        return Bound("unknown")
    text = text.strip()
    if text == "DEFAULT":
        return Bound("default")
    if m := _HASH.match(text):
        return Bound("hash", modulus=int(m.group(1)), remainder=int(m.group(2)))
    if m := _RANGE.match(text):
        # The two parenthesised lists are split by the literal ") TO (", which a quoted literal could contain;
        # re-split on the top level to be safe.
        inner = text[len("FOR VALUES FROM (") :]
        lower, rest = _take_paren(inner)
        if rest.startswith(" TO (") and rest.endswith(")"):
            return Bound("range", lower=split_literals(lower), upper=split_literals(rest[len(" TO (") : -1]))
        return Bound("range", lower=split_literals(m.group(1)), upper=split_literals(m.group(2)))
    if m := _LIST.match(text):
        return Bound("list", values=split_literals(m.group(1)))
    return Bound("unknown")


def _take_paren(text: str) -> tuple[str, str]:
    """Text up to the ')' closing an already-open '(' (quotes respected), and the rest after it."""
    quoted = False
    depth = 1
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted  # '' toggles twice: harmless
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return text[:i], text[i + 1 :]
    return text, ""


def unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == "'" and raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def parse_value(raw: str, key_type: str | None) -> Any:
    """A typed value for a bound literal: datetime (UTC) for time keys, int for integer keys, else None.

    MINVALUE/MAXVALUE are returned as the strings themselves; the callers treat them as open ends.
    """
    if raw in (MINVALUE, MAXVALUE):
        return raw
    if key_type is None:
        return None
    text = unquote(raw).strip()
    try:
        if key_type in INT_TYPES:
            return int(text)
        if key_type in TIME_TYPES:
            if text in ("infinity", "-infinity") or text.endswith(" BC"):
                return None
            if key_type == "date":
                d = dt.date.fromisoformat(text)
                return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)
            value = dt.datetime.fromisoformat(text)
            return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    except ValueError:
        return None
    return None


def format_value(value: Any, key_type: str) -> str:
    """A literal for DDL, in the form the server prints for this key type."""
    if key_type in INT_TYPES:
        return str(value)
    if key_type == "date":
        return f"'{value.date().isoformat()}'"
    if key_type == "timestamp":
        return f"'{value.strftime('%Y-%m-%d %H:%M:%S')}'"
    return f"'{value.strftime('%Y-%m-%d %H:%M:%S')}+00'"


# ---- calendar steps ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """A partition width: whole calendar months, or a fixed duration (days, hours...), or an integer width."""

    months: int = 0
    delta: dt.timedelta = dt.timedelta(0)
    width: int = 0  # integer keys

    def add(self, value: Any, times: int = 1) -> Any:
        if self.width:
            return value + self.width * times
        if self.months:
            value = add_months(value, self.months * times)
        return value + self.delta * times

    @property
    def label(self) -> str:
        if self.width:
            return str(self.width)
        if self.months and not self.delta:
            if self.months % 12 == 0:
                return f"{self.months // 12} year" + ("s" if self.months > 12 else "")
            return f"{self.months} month" + ("s" if self.months > 1 else "")
        days, secs = self.delta.days, self.delta.seconds
        if secs == 0:
            return f"{days} day" + ("s" if days > 1 else "")
        return f"{int(self.delta.total_seconds() // 3600)} hours" if secs % 3600 == 0 else str(self.delta)

    @property
    def positive(self) -> bool:
        return bool(self.months or self.width or self.delta > dt.timedelta(0))

    def approx_seconds(self) -> float:
        return self.width or self.months * 30.44 * 86400 + self.delta.total_seconds()


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    last = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return value.replace(year=year, month=month, day=min(value.day, last))


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def step_between(lo: Any, hi: Any) -> Step | None:
    """The width of one partition [lo, hi), as calendar months when it is one, else as a duration."""
    if isinstance(lo, int) and isinstance(hi, int):
        return Step(width=hi - lo) if hi > lo else None
    if not isinstance(lo, dt.datetime) or not isinstance(hi, dt.datetime) or hi <= lo:
        return None
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    if months > 0 and add_months(lo, months) == hi:
        return Step(months=months)
    return Step(delta=hi - lo)


# ---- a set of range partitions ----------------------------------------------------------------


@dataclass(slots=True)
class RangePart:
    name: str
    lower: Any  # datetime / int / MINVALUE
    upper: Any
    bound: Bound


@dataclass(slots=True)
class RangeLayout:
    """What the single-column range partitions of one parent cover, judged at `now`."""

    key_type: str
    parts: list[RangePart]  # sorted by lower bound
    gaps: list[tuple[Any, Any, str, str]] = field(default_factory=list)  # (from, to, after part, before part)
    step: Step | None = None
    unparsed: list[str] = field(default_factory=list)

    @property
    def covered_until(self) -> Any:
        """The highest upper bound (MAXVALUE when a partition is open-ended)."""
        if any(p.upper == MAXVALUE for p in self.parts):
            return MAXVALUE
        uppers = [p.upper for p in self.parts if p.upper not in (MINVALUE, MAXVALUE)]
        return max(uppers) if uppers else None

    def covering(self, value: Any) -> RangePart | None:
        for p in self.parts:
            if _le(p.lower, value) and _lt(value, p.upper):
                return p
        return None

    def ahead_of(self, value: Any) -> list[RangePart]:
        """Partitions that start after value (the runway already created)."""
        return [p for p in self.parts if p.lower not in (MINVALUE, MAXVALUE) and p.lower > value]

    @property
    def newest(self) -> RangePart | None:
        bounded = [p for p in self.parts if p.upper != MAXVALUE]
        return bounded[-1] if bounded else None


def _le(a: Any, b: Any) -> bool:
    return a == MINVALUE or (a != MAXVALUE and a <= b)


def _lt(a: Any, b: Any) -> bool:
    return b == MAXVALUE or (b != MINVALUE and a < b)


def range_layout(parts: list[tuple[str, str | None]], key_type: str | None) -> RangeLayout | None:
    """Lay out (name, bound text) range partitions of a single-column key, or None when the key type is not
    one we can order (the caller then reports "not evaluated")."""
    if key_type not in TIME_TYPES and key_type not in INT_TYPES:
        return None
    out: list[RangePart] = []
    unparsed: list[str] = []
    for name, text in parts:
        b = parse_bound(text)
        if b.kind != "range" or len(b.lower) != 1:
            continue
        lo, hi = parse_value(b.lower[0], key_type), parse_value(b.upper[0], key_type)
        if lo is None or hi is None:
            unparsed.append(name)
            continue
        out.append(RangePart(name, lo, hi, b))
    out.sort(key=_sort_key)
    layout = RangeLayout(key_type, out, unparsed=unparsed)
    for a, b2 in itertools.pairwise(out):
        if a.upper != b2.lower and a.upper != MAXVALUE:
            layout.gaps.append((a.upper, b2.lower, a.name, b2.name))
    widths = [step_between(p.lower, p.upper) for p in out if p.lower not in (MINVALUE, MAXVALUE)]
    widths = [w for w in widths if w is not None and w.positive]
    layout.step = widths[-1] if widths else None  # the newest width is the one a maintainer continues
    return layout


def _sort_key(p: RangePart) -> tuple[int, Any]:
    if p.lower == MINVALUE:
        return (0, 0)
    return (1, p.lower)


def hash_missing(bounds: list[tuple[int, int]]) -> tuple[int, list[int]]:
    """For (modulus, remainder) pairs, the greatest modulus and the remainders under it no partition covers."""
    if not bounds:
        return 0, []
    top = max(m for m, _ in bounds)
    covered = {r for r in range(top) for m, rem in bounds if m and r % m == rem}
    return top, [r for r in range(top) if r not in covered]


# ---- naming new partitions like the existing ones ----------------------------------------------

_SUFFIXES = (
    ("%Y_%m_%d_%H%M", "YYYY_MM_DD_HH24MI"),
    ("%Y%m%d_%H%M%S", "YYYYMMDD_HH24MISS"),
    ("%Y_%m_%d", "YYYY_MM_DD"),
    ("%Y%m%d", "YYYYMMDD"),
    ("%Y_%m", "YYYY_MM"),
    ("%Y%m", "YYYYMM"),
    ("%Y", "YYYY"),
)


def naming_for(part_name: str, lower: Any) -> tuple[str, str] | None:
    """(prefix, strftime format) when part_name is prefix + lower formatted, e.g. events_2024_05."""
    if not isinstance(lower, dt.datetime):
        if isinstance(lower, int) and part_name.endswith(str(lower)):
            return part_name[: -len(str(lower))], "%d"
        return None
    for fmt, _ in _SUFFIXES:
        suffix = lower.strftime(fmt)
        if part_name.endswith(suffix) and len(part_name) > len(suffix):
            return part_name[: -len(suffix)], fmt
    return None


def name_for(parent: str, naming: tuple[str, str] | None, lower: Any) -> str:
    if naming is None:
        naming = (f"{parent}_p", "%Y%m%d" if isinstance(lower, dt.datetime) else "%d")
    prefix, fmt = naming
    suffix = lower.strftime(fmt) if isinstance(lower, dt.datetime) else str(lower)
    return prefix + suffix  # fitted to 63 bytes, and checked for a clash, by the caller (rules.fixnames)
