"""Read row-level security policy expressions as the server prints them (pg_get_expr, not pretty).

No SQL parser: pg_get_expr output is normalised by the server (every boolean operand parenthesised,
keywords upper case, literals as 'x'::type), so splitting on top-level AND/OR and looking at each
operand is reliable enough to tell a tenant predicate from `true`, an `OR org_id IS NULL` branch, a
role-identity comparison or a switch on a setting any session can change.

Verdicts are numbers: 1.0 scoped (or denies), 0.5 a helper function we cannot read, 0.0 open.
Helper functions are judged by their bodies (auditor.analysis.helpers) when the Subject carries them:
a membership lookup keyed on the current user is tenant-scoped, `owner = auth.uid()` is user-scoped
(narrower than the tenant), a row flag (`sharing <> 'private'`) shares rows on read only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from auditor.analysis.helpers import UNTRUSTED, USER_CONTEXT

T = TypeVar("T")

_SETTING = re.compile(r"current_setting\('((?:[^']|'')*)'")
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_IDENT = re.compile(r'"(?:[^"]|"")+"|[A-Za-z_][A-Za-z_0-9$]*')
_DOTTED = re.compile(r'(?:(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)\.)*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)')
_ROLE_IDENTITY = re.compile(r"\b(CURRENT_USER|SESSION_USER|CURRENT_ROLE)\b")
_CONTEXT_BUILTIN = (
    r"current_setting\s*\(",
    r"\bauth\.(uid|jwt|role)\s*\(",
    r"\bcurrent_(tenant|org|organization|organisation|account|workspace|company|team)\w*\s*\(",
)
# A comparison that does not scope: inequality, pattern matching.
_LOOSE_OP = re.compile(r"\s(<>|!=|~~\*?|!~~\*?|~\*?|!~\*?|LIKE|ILIKE)\s")
_CALL = re.compile(r"([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\s*\(")
_EQUAL_OP = re.compile(r"\s(=|IN|= ANY)\s|\s= ANY \(")
# Columns whose name says "shared on purpose": a flag on them opens rows their owner chose to share.
_SHARING_COLUMN = re.compile(r"shar|public|visib|private|publish|bucket|listed|open|access|global", re.I)
_NOT_HELPERS = frozenset({"current_setting", "nullif", "coalesce", "any", "all", "array", "exists", "lower", "upper"})

SCOPED, PARTIAL, OPEN = 1.0, 0.5, 0.0


def settings_in(expr: str | None) -> set[str]:
    """The custom settings (GUCs) an expression reads with current_setting()."""
    return {m.replace("''", "'") for m in _SETTING.findall(expr or "")}


def _outer_strip(s: str) -> str:
    s = s.strip()
    while s.startswith("(") and _matching(s, 0) == len(s) - 1:
        s = s[1:-1].strip()
    return s


def _scan(s: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """(position, parenthesis depth before it) for every character outside quotes."""
    depth, quote = 0, ""
    for i in range(start, len(s)):
        ch = s[i]
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
            continue
        yield i, depth
        depth += {"(": 1, ")": -1}.get(ch, 0)


def _matching(s: str, start: int) -> int:
    return next((i for i, d in _scan(s, start) if s[i] == ")" and d == 1), -1)


def _split_top(s: str, op: str) -> list[str]:
    """Split on ` OP ` outside parentheses and quotes."""
    token = f" {op} "
    parts, last = [], 0
    for i, depth in _scan(s):
        if depth == 0 and i >= last and s.startswith(token, i):
            parts.append(s[last:i])
            last = i + len(token)
    parts.append(s[last:])
    return [p.strip() for p in parts]


@dataclass(frozen=True)
class Node:
    op: str  # or, and, atom
    text: str
    children: tuple[Node, ...] = ()


@lru_cache(maxsize=4096)
def parse(expr: str) -> Node:
    s = _outer_strip(expr.replace("\n", " "))
    for op in ("OR", "AND"):
        parts = _split_top(s, op)
        if len(parts) > 1:
            return Node(op.lower(), s, tuple(parse(p) for p in parts))
    return Node("atom", s)


@dataclass(frozen=True)
class Subject:
    """What counts as the tenant for one table: its column(s), its name, and the context functions."""

    columns: frozenset[str]
    table: str
    context_functions: tuple[str, ...] = ()
    indirect: bool = False  # no tenant column: a subquery through the parent is the expected form
    fk_columns: frozenset[str] = frozenset()  # columns of the table's own foreign keys (to a parent row)
    all_columns: frozenset[str] = frozenset()  # every column of the table (empty: not known)
    helpers: Any = field(default=None, compare=False, hash=False)  # auditor.analysis.helpers.Helpers

    @property
    def context(self) -> re.Pattern[str]:
        extra = tuple(re.escape(f) + r"\s*\(" for f in self.context_functions)
        return _context_re(_CONTEXT_BUILTIN + extra)


@lru_cache(maxsize=64)
def _context_re(parts: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident.lower()


@lru_cache(maxsize=1 << 13)
def column_refs(text: str, table: str) -> frozenset[str]:
    """Names the text uses as a column of `table`: unqualified, or qualified with the table's name.
    Cached: detection, the score and the policy checks all read the same expressions."""
    return frozenset(p[-1] for p in _dotted_names(text) if len(p) == 1 or (len(p) == 2 and p[0] == table))


@lru_cache(maxsize=1 << 13)
def _dotted_names(text: str) -> tuple[tuple[str, ...], ...]:
    """The (possibly qualified) names an expression uses that are not function calls, in order, once each.
    Cached by the text alone: thousands of tables often share one policy text."""
    bare = _LITERAL.sub("''", text)
    out: dict[tuple[str, ...], None] = {}
    for m in _DOTTED.finditer(bare):
        if bare[m.end() : m.end() + 2].lstrip().startswith("("):  # a function of that name, not the column
            continue
        out[tuple(_unquote(p) for p in _IDENT.findall(m.group(0)))] = None
    return tuple(out)


def refs_column(text: str, subj: Subject) -> bool:
    """The table's own tenant column appears (unqualified, or qualified with the table's name)."""
    return not subj.columns.isdisjoint(column_refs(text, subj.table))


def _helper_kinds(bare: str, subj: Subject) -> list[str]:
    """The verdict kinds of the functions an atom calls (only those the helpers know)."""
    if subj.helpers is None:
        return []
    out = []
    for name in dict.fromkeys(_CALL.findall(bare)):
        if name.split(".")[-1].lower() in _NOT_HELPERS:
            continue
        v = subj.helpers.verdict_of_call(name)
        if v is not None:
            out.append(v.kind)
    return out


_CAST = re.compile(r'::\s*(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*))*(?:\[\])*')
_KEYWORDS = frozenset(
    [
        "and",
        "or",
        "not",
        "in",
        "is",
        "null",
        "true",
        "false",
        "any",
        "all",
        "some",
        "exists",
        "select",
        "from",
        "where",
        "like",
        "ilike",
    ]
)


def _own_columns(bare: str, subj: Subject) -> frozenset[str]:
    """Columns of the subject's table an expression names (casts and keywords are not columns)."""
    refs = column_refs(_CAST.sub("", bare), subj.table)
    return refs & subj.all_columns if subj.all_columns else frozenset(r for r in refs if r not in _KEYWORDS)


def classify_atom(text: str, subj: Subject) -> str:
    """tenant, subquery, membership, user, helper, flag, parent-flag, link, untrusted, true, false,
    null-branch, current-user, role-identity, setting-only, loose, literal or other."""
    t = _outer_strip(text)
    if t.lower() == "true":
        return "true"
    if t.lower() in ("false", "NULL".lower()):
        return "false"
    bare = _LITERAL.sub("''", t)
    if UNTRUSTED.search(t):
        return "untrusted"
    col = refs_column(t, subj)
    ctx = bool(subj.context.search(t))
    if t.endswith(" IS NULL") and (col or ctx) and " IS NOT NULL" not in t:
        return "null-branch"
    if _ROLE_IDENTITY.search(bare):
        return "current-user" if col else "role-identity"
    subquery = "EXISTS" in bare or "( SELECT" in bare or "(SELECT" in bare
    own = _own_columns(bare, subj)
    kinds = _helper_kinds(bare, subj)
    if "untrusted" in kinds:
        return "untrusted"
    loose = bool(_LOOSE_OP.search(bare))
    if col and ctx:
        return "loose" if loose and not subquery else "tenant"
    if ctx and subquery and (subj.indirect or col):
        return "subquery"
    user = bool(USER_CONTEXT.search(bare)) or "context" in kinds
    if own and "membership" in kinds:
        return "membership"  # has_role_on_account(account_id): the current user's memberships
    if own and user and subquery:
        return "membership"  # EXISTS (SELECT 1 FROM members m WHERE m.team_id = t.team_id AND m.user_id = auth.uid())
    if own and user and not loose and _EQUAL_OP.search(bare):
        return "user"  # owner = auth.uid(), (storage.foldername(name))[1] = auth.uid()::text: narrower than a tenant
    if ctx:
        return "setting-only"
    if col:
        helpers = [c for c in _CALL.findall(bare) if c.split(".")[-1].lower() not in _NOT_HELPERS]
        if kinds and all(k == "flag" for k in kinds):
            return "flag"
        return "helper" if helpers and (not kinds or "unknown" in kinds) else "literal"
    if own and kinds and all(k == "flag" for k in kinds):
        return "flag"
    if own and subquery:
        outer = _own_columns(bare.split("(", 1)[0], subj)
        return "parent-flag" if outer and outer <= subj.fk_columns else "link"
    if own and not kinds and not _CALL.findall(bare) and any(_SHARING_COLUMN.search(c) for c in own):
        return "flag"
    if own and kinds and "unknown" in kinds:
        return "helper"
    return "other"


_SCOPED_KINDS = frozenset({"tenant", "subquery", "false", "membership", "user"})
SHARED_KINDS = frozenset({"flag", "parent-flag"})  # rows their owner marks shared: open on read by design


def score_node(node: Node, subj: Subject, reading: bool = False, writing: bool = False) -> float:
    """1 scoped, 0.5 unverified helper, 0 open. reading: the expression only filters rows to read
    (a SELECT policy's USING), where a sharing flag is the owner's choice, not a leak. writing: it checks
    new rows (WITH CHECK), where `user_id = auth.uid()` on a table that carries a tenant column scopes the
    author, not the tenant: a member could write their own row into another tenant."""
    if node.op == "or":
        return min(score_node(c, subj, reading, writing) for c in node.children)
    if node.op == "and":
        return max(score_node(c, subj, reading, writing) for c in node.children)
    kind = classify_atom(node.text, subj)
    if kind == "user" and writing and subj.columns and not subj.indirect:
        return OPEN
    if kind in _SCOPED_KINDS or (reading and kind in SHARED_KINDS):
        return SCOPED
    return PARTIAL if kind == "helper" else OPEN


def score_expr(expr: str | None, subj: Subject, reading: bool = False, writing: bool = False) -> float | None:
    """None for an absent expression (its meaning depends on the command: see Cell logic)."""
    return None if expr is None else score_node(parse(expr), subj, reading, writing)


# A quoted name, or a cast glued to what follows it (`x::int[]y`): a piece of the text may then hold a name
# the text does not spell as a word (pg_get_expr prints neither glue; quoted names are common).
_SPELLING_UNSURE = re.compile(r'"|\[\][\w$.]')


@lru_cache(maxsize=1 << 10)
def _words(expr: str) -> frozenset[str] | None:
    """Every word of the text, lower case, or None when _SPELLING_UNSURE: the names column_refs can find in any
    piece classify_atom reads are among them (it cuts the text at spaces and parentheses, blanks literals
    between their quotes and drops casts whole: none of that joins two words or splits one)."""
    if _SPELLING_UNSURE.search(expr):
        return None
    return frozenset(w.lower() for w in _IDENT.findall(expr))


def verdict_key(expr: str, subj: Subject) -> tuple[Any, ...] | None:
    """What classify_atom and score_expr read of the Subject for this text, as a key: subjects that differ only
    in names the text does not use get one verdict (thousands of tables often carry one policy text). The
    helpers are left out: the caller keeps one memo per Helpers. None: no safe key.

    The table's name matters only as the `t` of a `t.col` in the text; the column sets only through the
    names the text uses, and whether they are empty at all."""
    words = _words(expr)
    if words is None:
        return None
    return (
        expr,
        subj.table if subj.table in words else None,
        subj.columns & words,
        bool(subj.columns),
        subj.indirect,
        subj.fk_columns & words,
        subj.all_columns & words,
        bool(subj.all_columns),
        subj.context_functions,
    )


def by_verdict(
    memo: dict[tuple[Any, ...], T], expr: str, subj: Subject, extra: tuple[Any, ...], make: Callable[[], T]
) -> T:
    """make(), once in `memo` for all the subjects verdict_key cannot tell apart (with `extra`, what else the
    answer depends on); made every time for a text that has no safe key. The memo's subjects share helpers."""
    same = verdict_key(expr, subj)
    if same is None:
        return make()
    key = (same, *extra)
    if key not in memo:
        memo[key] = make()
    return memo[key]


def open_kinds(expr: str | None, subj: Subject, reading: bool = False, writing: bool = False) -> list[str]:
    """The kinds of the atoms that leave an expression short of scoped (what a finding names)."""
    if expr is None:
        return []
    out: list[str] = []
    _open_atoms(parse(expr), subj, reading, writing, out)
    return list(dict.fromkeys(out))


def _open_atoms(n: Node, subj: Subject, reading: bool, writing: bool, out: list[str]) -> None:
    """The kinds of the open atoms under n into out (a module function: see _walk_issues)."""
    if score_node(n, subj, reading, writing) >= SCOPED:
        return
    if n.op == "atom":
        out.append(classify_atom(n.text, subj))
        return
    for c in n.children:
        _open_atoms(c, subj, reading, writing, out)


def scoped_core(expr: str | None, subj: Subject, reading: bool = False) -> str | None:
    """The expression with its open OR-branches removed (`user_id = auth.uid() OR user_id IS NULL` ->
    `user_id = auth.uid()`), or None when nothing scoped is left: what a policy admits on purpose."""
    if expr is None:
        return None
    return _core(parse(expr), subj, reading)


def _core(n: Node, subj: Subject, reading: bool) -> str | None:
    """scoped_core of one node (a module function: see _walk_issues)."""
    if score_node(n, subj, reading) >= SCOPED:
        return n.text
    if n.op == "or":
        kept = [c for c in (_core(ch, subj, reading) for ch in n.children) if c]
        return " OR ".join(f"({k})" for k in kept) if kept else None
    return None


def without_branches(expr: str, drop: list[str]) -> str | None:
    """The expression without the top-level OR-branches named (None when nothing would be left)."""
    root = parse(expr)
    if root.op != "or":
        return None
    wanted = {_outer_strip(d) for d in drop}
    kept = [c.text for c in root.children if _outer_strip(c.text) not in wanted]
    if not kept or len(kept) == len(root.children):
        return None
    return " OR ".join(f"({k})" for k in kept)


def shares(expr: str | None, subj: Subject) -> bool:
    """The expression opens rows by a sharing flag (on read)."""
    if expr is None:
        return False
    stack = [parse(expr)]
    while stack:
        n = stack.pop()
        if n.op == "atom" and classify_atom(n.text, subj) in SHARED_KINDS:
            return True
        stack.extend(n.children)
    return False


@dataclass(slots=True)
class ExprIssues:
    always_true: bool = False
    null_branches: list[str] = field(default_factory=list)
    current_user: list[str] = field(default_factory=list)
    setting_escapes: list[str] = field(default_factory=list)  # OR branches keyed on a non-tenant setting
    untrusted: list[str] = field(default_factory=list)  # atoms that read a claim the user can edit
    no_tenant_reference: bool = False


def issues(expr: str | None, subj: Subject, tenant_settings: set[str]) -> ExprIssues:
    out = ExprIssues()
    if expr is None:
        return out
    root = parse(expr)
    out.always_true = root.op == "atom" and root.text.lower() == "true"

    _walk_issues(root, False, subj, out)
    branches = root.children if root.op == "or" else (root,)
    for b in branches:
        names = settings_in(b.text)
        if names and not (names & tenant_settings) and score_node(b, subj) < SCOPED:
            out.setting_escapes.append(b.text)
    if not out.always_true and not refs_column(expr, subj) and not (settings_in(expr) & tenant_settings):
        out.no_tenant_reference = not subj.indirect or not subj.context.search(expr)
    return out


def _walk_issues(n: Node, under_or: bool, subj: Subject, out: ExprIssues) -> None:
    """The atoms' issues into out. (A module function: a nested one that calls itself is a reference cycle,
    which keeps its Subject until a garbage collection, and none runs during the rules: 47,000 of them,
    30 MB, on 50,000 tables.)"""
    if n.op != "atom":
        for c in n.children:
            _walk_issues(c, under_or or n.op == "or", subj, out)
        return
    kind = classify_atom(n.text, subj)
    if kind == "null-branch" and under_or:
        out.null_branches.append(n.text)
    elif kind == "current-user":
        out.current_user.append(n.text)
    elif kind == "untrusted":
        out.untrusted.append(n.text)


# Calls the planner runs once per row when they sit directly in a policy, and once per query (an InitPlan)
# when wrapped in a scalar sub-select: the setting and the Supabase auth helpers.
_PER_ROW_CALL = re.compile(r"(?<![\w$.\"])(current_setting|auth\.(?:uid|jwt|role|email))\s*\(", re.IGNORECASE)
_SUBSELECT = re.compile(r"\(\s*SELECT\b", re.IGNORECASE)


def _under_subselect(expr: str) -> dict[int, bool]:
    """For each position outside literals and quoted names: whether it lies inside a `(SELECT ...)`."""
    out: dict[int, bool] = {}
    stack: list[bool] = []
    for i, _ in _scan(expr):
        out[i] = any(stack)
        if expr[i] == "(":
            stack.append(bool(_SUBSELECT.match(expr, i)))
        elif expr[i] == ")" and stack:
            stack.pop()
    return out


def per_row_calls(expr: str | None) -> tuple[str | None, list[str]]:
    """The expression with every direct call of current_setting() / auth.uid() / auth.jwt() / auth.role() /
    auth.email() wrapped as `(SELECT call)`, and the calls wrapped; (None, []) when there are none.

    Works on the text as pg_get_expr prints it (outside string literals and quoted names only), so the
    rewrite keeps everything else of the expression byte for byte. A call anywhere inside a sub-select
    is left as it is: `(SELECT NULLIF(current_setting(...), '')::bigint)` is an InitPlan already."""
    if not expr:
        return None, []
    text, calls = _per_row_calls(expr)
    return text, list(calls)


@lru_cache(maxsize=1 << 10)
def _per_row_calls(expr: str) -> tuple[str | None, tuple[str, ...]]:
    """per_row_calls, once per text: thousands of tables often carry one policy text."""
    where = _under_subselect(expr)
    spans: list[tuple[int, int]] = []
    for m in _PER_ROW_CALL.finditer(expr):
        start, open_at = m.start(), m.end() - 1
        if start not in where or where[start] or any(a <= start < b for a, b in spans):
            continue  # inside a literal or a quoted name, a sub-select, or a call wrapped already
        end = _matching(expr, open_at)
        if end < 0:
            continue
        spans.append((start, end + 1))
    if not spans:
        return None, ()
    out, last, calls = [], 0, []
    for a, b in spans:
        out += [expr[last:a], "(SELECT ", expr[a:b], ")"]
        calls.append(expr[a:b])
        last = b
    out.append(expr[last:])
    return "".join(out), tuple(calls)
