"""Read the SQL helper functions that policies, views and SECURITY DEFINER functions call.

A policy such as `USING (basejump.has_role_on_account(account_id))` is only as good as the helper's
body. LANGUAGE sql bodies (and plpgsql bodies that are one `RETURN ...;` or `RETURN QUERY ...;`) are
in pg_proc: this module reads them, follows the helpers they call to a bounded depth, and says what
predicate they produce:

- `membership`: looks the current user (auth.uid(), current_user, request.jwt.claim*) up in a table:
  the rows of the tenants the user belongs to (tenant-scoped);
- `context`: returns the session's user or tenant without reading a table (auth.uid(), app.org());
- `flag`: reads a table by a constant (`sharing <> 'private'`): rows their owner chose to share;
- `untrusted`: reads a claim the user can edit (user_metadata, raw_user_meta_data);
- `unknown`: cannot be read (another language, a longer plpgsql body, dynamic SQL) or none of the
  above: needs review.

Configuration can declare more: `trusted-helpers` (tenant-scoped helpers) and `user-functions`
(functions that return the current user's id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from auditor.base.thresholds import threshold
from auditor.catalog.model import Function, Snapshot

TRUSTED_HELPERS = threshold(
    "trusted_helpers", [], "functions whose result keeps rows to the tenant (e.g. app.is_member), judged scoped"
)
USER_FUNCTIONS = threshold("user_functions", [], "functions that return the current user's id (e.g. app.user_id)")
MAX_DEPTH = 3

# What names the current user (or a claim about them) inside a body or a policy.
USER_CONTEXT = re.compile(
    r"\bauth\s*\.\s*(uid|email)\s*\(|\bauth\s*\.\s*jwt\s*\(\s*\)\s*->>?\s*'(sub|email)'"
    r"|request\.jwt\.claim\.(sub|email)|request\.jwt\.claims'[^;]*?->>?\s*'(sub|email)'"
    r"|\bcurrent_user\b|\bsession_user\b",
    re.IGNORECASE,
)
TENANT_CONTEXT = re.compile(r"current_setting\s*\(", re.IGNORECASE)
UNTRUSTED = re.compile(r"user_metadata|raw_user_meta_data", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_FROM = re.compile(r'\b(?:from|join)\s+((?:"[^"]+"|[a-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[a-z_][\w$]*))?)', re.IGNORECASE)
_CALL = re.compile(r'((?:"[^"]+"|[a-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[a-z_][\w$]*))?)\s*\(', re.IGNORECASE)
_PLPGSQL_RETURN = re.compile(r"^\s*begin\s+return\s+(?P<expr>.+?)\s*;\s*end\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_LITERAL_CMP = re.compile(r"(=|<>|!=|\bis\s+(?:not\s+)?(?:true|false))\s*('|true\b|false\b|\d)", re.IGNORECASE)
_SQL_WORDS = frozenset(
    [
        "select",
        "from",
        "where",
        "and",
        "or",
        "not",
        "exists",
        "in",
        "any",
        "all",
        "array",
        "coalesce",
        "nullif",
        "lower",
        "upper",
        "cast",
        "case",
        "when",
        "then",
        "else",
        "end",
        "values",
        "limit",
        "order",
        "group",
        "by",
        "having",
        "join",
        "on",
        "as",
        "is",
        "null",
        "true",
        "false",
        "distinct",
        "count",
        "min",
        "max",
        "sum",
        "avg",
        "current_setting",
        "set_config",
        "now",
        "split_part",
        "format",
    ]
)


def _norm_name(text: str) -> str:
    parts = [p.strip() for p in re.split(r'\.(?=(?:[^"]*"[^"]*")*[^"]*$)', text)]
    return ".".join(p[1:-1] if p.startswith('"') else p.lower() for p in parts)


def strip_comments(body: str) -> str:
    return _COMMENT.sub(" ", body)


@dataclass(frozen=True)
class Verdict:
    kind: str  # membership, context, flag, untrusted, unknown
    why: str
    reads: tuple[str, ...] = ()  # tables the body reads, as written
    user_context: bool = False  # names the current user
    readable: bool = True


@dataclass
class Helpers:
    """The functions of a snapshot by name, with a verdict per function, computed on demand."""

    by_name: dict[str, list[Function]] = field(default_factory=dict)
    trusted: frozenset[str] = frozenset()
    user_functions: frozenset[str] = frozenset()
    _verdicts: dict[int, Verdict] = field(default_factory=dict, repr=False)

    def find(self, name: str) -> list[Function]:
        key = _norm_name(name)
        return self.by_name.get(key, []) or (self.by_name.get(key.split(".")[-1], []) if "." not in key else [])

    def verdict_of_call(self, name: str, depth: int = 0) -> Verdict | None:
        """The verdict on a call by name (None: not a function we know, e.g. a built-in)."""
        key = _norm_name(name)
        if key in self.trusted or key.split(".")[-1] in self.trusted:
            return Verdict("membership", f"{key} is configured as a trusted helper (thresholds.trusted_helpers)")
        if key in self.user_functions or key.split(".")[-1] in self.user_functions:
            return Verdict("context", f"{key} returns the current user (thresholds.user_functions)", user_context=True)
        if key in ("auth.uid", "auth.email"):
            return Verdict("context", f"{key}() is the signed-in user's claim", user_context=True)
        funcs = self.find(name)
        if not funcs:
            return None
        verdicts = [self.verdict(f, depth) for f in funcs]
        # overloads: the weakest one decides
        order = ("untrusted", "unknown", "flag", "context", "membership")
        return min(verdicts, key=lambda v: order.index(v.kind))

    def verdict(self, f: Function, depth: int = 0) -> Verdict:
        if f.oid not in self._verdicts:
            self._verdicts[f.oid] = Verdict("unknown", "recursive helper", readable=False)  # cycle guard
            self._verdicts[f.oid] = self._judge(f, depth)
        return self._verdicts[f.oid]

    def _judge(self, f: Function, depth: int) -> Verdict:
        text = readable_body(f)
        if text is None:
            why = f"{f.signature} is LANGUAGE {f.language}" + (
                " with more than one statement" if f.language == "plpgsql" else ""
            )
            return Verdict("unknown", f"cannot read {why}", readable=False)
        return self.judge_text(text, depth, f.signature)

    def judge_text(self, text: str, depth: int = 0, what: str = "the expression") -> Verdict:
        reads = tuple(dict.fromkeys(_norm_name(m) for m in _FROM.findall(text)))
        if UNTRUSTED.search(text):
            return Verdict("untrusted", f"{what} reads a claim the user can edit (user_metadata)", reads)
        user = bool(USER_CONTEXT.search(text))
        tenant_ctx = bool(TENANT_CONTEXT.search(text))
        called: list[Verdict] = []
        if depth < MAX_DEPTH:
            for call in dict.fromkeys(_CALL.findall(text)):
                bare = _norm_name(call).split(".")[-1]
                if bare in _SQL_WORDS:
                    continue
                v = self.verdict_of_call(call, depth + 1)
                if v is not None:
                    called.append(v)
        if any(v.kind == "untrusted" for v in called):
            return Verdict("untrusted", f"{what} calls a helper that reads a user-editable claim", reads)
        user = user or any(v.user_context for v in called)
        member = any(v.kind == "membership" for v in called)
        if reads and (user or tenant_ctx):
            return Verdict("membership", f"{what} looks the current user up in {', '.join(reads)}", reads, True)
        if member:
            return Verdict("membership", f"{what} calls a membership helper", reads, True)
        if not reads and (user or tenant_ctx or any(v.kind == "context" for v in called)):
            return Verdict("context", f"{what} returns the session's user or tenant", (), user)
        if reads and _LITERAL_CMP.search(text):
            return Verdict("flag", f"{what} reads {', '.join(reads)} by a constant, not by the current user", reads)
        return Verdict("unknown", f"{what} neither names the current user nor reads a membership", reads)


def readable_body(f: Function) -> str | None:
    """The body as one SQL expression or query, or None when it cannot be read as one."""
    if not f.body:
        return None
    body = strip_comments(f.body).strip()
    if f.language == "sql":
        return body
    if f.language == "plpgsql":
        m = _PLPGSQL_RETURN.match(body)
        if m and ";" not in m.group("expr"):
            expr = m.group("expr")
            query = re.match(r"query\s+(.*)$", expr, re.IGNORECASE | re.DOTALL)  # RETURN QUERY SELECT ...
            return query.group(1) if query else "SELECT " + expr
    return None


def helpers(snap: Snapshot) -> Helpers:
    """The snapshot's helpers, cached on it for the current settings."""
    cached = snap.__dict__.get("_helpers")
    trusted = frozenset(_norm_name(n) for n in TRUSTED_HELPERS(snap))
    users = frozenset(_norm_name(n) for n in USER_FUNCTIONS(snap))
    if cached is not None and cached.trusted == trusted and cached.user_functions == users:
        return cached
    by_name: dict[str, list[Function]] = {}
    for f in snap.functions:
        if f.returns_trigger:
            continue
        by_name.setdefault(f"{f.schema}.{f.name}", []).append(f)
        by_name.setdefault(f.name, []).append(f)
    out = Helpers(by_name, trusted, users)
    snap.__dict__["_helpers"] = out
    return out


def uses_user_check(snap: Snapshot, f: Function, depth: int = 0) -> bool:
    """A function body (any length) that names the current user, or calls a function that does (to
    MAX_DEPTH): what a SECURITY DEFINER function needs before it touches tenant rows."""
    text = strip_comments(f.body or "")
    if USER_CONTEXT.search(text):
        return True
    if depth >= MAX_DEPTH:
        return False
    h = helpers(snap)
    for call in dict.fromkeys(_CALL.findall(text)):
        name = _norm_name(call)
        if name.split(".")[-1] in _SQL_WORDS:
            continue
        if name in ("auth.uid", "auth.email") or name in h.user_functions or name in h.trusted:
            return True
        if any(g.oid != f.oid and uses_user_check(snap, g, depth + 1) for g in h.find(call)):
            return True
    return False


def tables_named(text: str) -> set[str]:
    """Relation names after FROM/JOIN (and INSERT INTO/UPDATE/DELETE FROM) in a body, lower-cased."""
    names = {_norm_name(m) for m in _FROM.findall(text)}
    names |= {
        _norm_name(m)
        for m in re.findall(
            r'\b(?:into|update)\s+((?:"[^"]+"|[a-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[a-z_][\w$]*))?)', text, re.IGNORECASE
        )
    }
    return names
