"""The tenant model of a database: which column carries the tenant, what each table is, which roles
the application uses and which of them skip row-level security.

Pure functions over the Snapshot, computed once per snapshot and run settings. The isolation checks,
the isolation score and the report's model statement all read the same `Tenancy`, so they cannot
disagree about what a tenant table is.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, TypeVar

from auditor.analysis.acl import letters_by_grantee as parse_acl
from auditor.analysis.helpers import Helpers, helpers, tables_named
from auditor.analysis.notnull import is_not_null
from auditor.analysis.policy_expr import (
    ExprIssues,
    Subject,
    by_verdict,
    classify_atom,
    column_refs,
    issues,
    open_kinds,
    parse,
    score_expr,
    settings_in,
)
from auditor.analysis.references import resolve
from auditor.analysis.tenant_columns import TENANT_COLUMNS
from auditor.base.names import quote_ident
from auditor.base.thresholds import threshold
from auditor.catalog.model import Column, Constraint, Policy, Snapshot, Table

TENANT_COLUMN = threshold("tenant_column", "", "the tenant column; set it when detection should not guess")
TENANT_ROOT = threshold("tenant_root", "", "the root tenant table (schema.table) when detection should not guess")
APP_ROLES = threshold("app_roles", [], "roles the application connects as (else inferred from grants and policies)")
CLASSES = ("root", "tenant", "indirect", "identity", "reference", "framework", "unknown")


def check_table_classes(value: dict[Any, Any]) -> str | None:
    """What is wrong with a table_classes mapping, or None: keys are raw 'schema.table' or 'table' names
    (no patterns), values one of CLASSES. An entry that does nothing must not pass silently."""
    for key, cls in value.items():
        if not isinstance(key, str) or not key or key != key.strip() or key[0] == "." or key[-1] == ".":
            return f"{key!r} is not a table: use 'schema.table' or 'table' (raw names, not quoted)"
        if any(c in key for c in "*?["):
            return f"{key!r} is a pattern: name one table, 'schema.table' or 'table' (patterns are not supported)"
        if not isinstance(cls, str) or cls not in CLASSES:
            return f"{key!r} = {cls!r} is not a class (one of {', '.join(CLASSES)})"
    return None


TABLE_CLASSES = threshold(
    "table_classes",
    {},
    "classification overrides: {'schema.table' or 'table': root|tenant|indirect|reference|identity|framework|unknown}",
    check_table_classes,
)


def check_tenant_keys(value: Any) -> str | None:
    """What is wrong with a tenant_keys mapping: 'schema.table' or 'table' -> a column or a list of columns."""
    if not isinstance(value, dict):
        return "must be a table of 'schema.table' = \"column\" (or a list of columns)"
    for key, cols in value.items():
        names = [cols] if isinstance(cols, str) else cols
        if not isinstance(key, str) or not key.strip() or not isinstance(names, list) or not names:
            return f"{key!r}: give a column name or a list of column names"
        if not all(isinstance(n, str) and n for n in names):
            return f"{key!r}: column names must be non-empty strings"
    return None


TENANT_KEYS = threshold(
    "tenant_keys",
    {},
    "hierarchical tenancy as large apps publish it: {'schema.table' or 'table': the key column, or a list of"
    " them} by which each table's rows belong to a tenant (a project, a namespace, an organization)",
    check_tenant_keys,
)
TENANT_SETTINGS = threshold("tenant_settings", [], "custom settings that carry the tenant (e.g. app.current_org)")
CONTEXT_FUNCTIONS = threshold("context_functions", [], "functions that return the session's tenant (e.g. app.org())")
REFERENCE_MAX_ROWS = threshold("reference_max_rows", 10_000, "estimated rows up to which a lookup table is reference")
MODELS = ("rls", "app", "schema", "user", "none")


def check_model(value: str) -> str | None:
    """isolation_model must name a model: a typo would otherwise be detection in disguise."""
    if value and value not in MODELS:
        return f"{value!r} is not an isolation model (one of {', '.join(MODELS)}, or '' to detect it)"
    return None


ISOLATION_MODEL = threshold(
    "isolation_model",
    "",
    "force the isolation model: rls (shared tenant column under RLS), app (enforced by the application), schema "
    "(schema per tenant), user (each user is the tenant), none (not multi-tenant); '' detects it",
    check_model,
)

T = TypeVar("T")
SCORED = ("root", "tenant", "indirect", "identity", "unknown")  # tables that hold (or may hold) tenant data
TENANT_DATA = ("root", "tenant", "indirect")  # tables that surely hold it: the one set the report counts
COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")
_ROOT_NAME = re.compile(
    r"^(tenants?|organi[sz]ations?|orgs?|accounts?|workspaces?|compan(y|ies)|customers?|teams?)$", re.I
)
_TENANT_NAME = re.compile(
    r"^(tenant|org|organi[sz]ation|account|workspace|company|team|client|merchant|store|shop)(_?id|_uuid|_key)?$"
    r"|_tenant_id$",
    re.I,
)
_FRAMEWORK = re.compile(
    r"^(schema_migrations|ar_internal_metadata|alembic_version|django_migrations|django_content_type|django_session"
    r"|flyway_schema_history|knex_migrations(_lock)?|goose_db_version|__EFMigrationsHistory|spatial_ref_sys"
    r"|active_storage_\w+|_prisma_migrations|sequelizemeta|migrations|doctrine_migration_versions"
    r"|oban_jobs|oban_peers|good_jobs?\w*|que_jobs|delayed_jobs|pgbench_\w+)$",
    re.I,
)
_REFERENCE_NAME = re.compile(
    r"^(countries|currencies|locales|languages|timezones|time_zones|features|permissions|regions|states"
    r"|\w+_(types|statuses|kinds|categories|codes))$",
    re.I,
)
_IDENTITY_NAME = re.compile(r"^(users?|members?|people|persons?|profiles?|identities|auth_users)$", re.I)
_SENSITIVE = re.compile(
    r"password|passwd|secret|token|api_?key|private_key|ssn|iban|card_number|credit_card|cvv|encrypted", re.I
)
_RANDOM_NAME = re.compile(r"token|secret|digest|password|^value$|api_?key$|uuid|guid|idempotency", re.I)
_TENANT_SETTING_NAME = re.compile(r"(tenant|org|account|workspace|company|team)", re.I)
_EQUALITY = re.compile(r" = |= ANY| IN \(")


@dataclass(slots=True)
class TableInfo:
    table: Table
    cls: str
    column: str | None  # the tenant column this table carries (root: its key)
    reason: str
    via: list[str] = field(default_factory=list)  # indirect: the FK path to a tenant table
    weight: float = 0.0
    declared_keys: list[str] = field(default_factory=list)  # its own tenant key(s), from thresholds.tenant_keys


_NO_ISSUES = ExprIssues()


@dataclass
class Tenancy:
    column: str | None
    how: str
    confidence: str  # high, medium, low, none
    root: Table | None
    tables: dict[int, TableInfo]  # top-level tables (partitions are judged with their parent)
    settings: list[str]  # tenant settings read by policies (or configured)
    context_functions: tuple[str, ...]
    app_roles: list[str]
    app_roles_how: str
    model: str  # rls, app, schema, user, none
    schema_groups: list[list[str]]
    rls_tables: int = 0
    shape: str = "column"  # column (one tenant column), membership (helpers look the user up), user (per user)
    bypass_roles: dict[str, str] = field(default_factory=dict)  # BYPASSRLS roles not used by the app -> how reached
    helpers: Helpers | None = field(default=None, repr=False, compare=False)
    # The snapshot's lookups a subject's column sets are read from, when asked (a frozenset of each table's
    # columns and foreign-key columns, built for every table up front, was 30 MB on 50,000 tables).
    columns_of: dict[int, list[Column]] = field(default_factory=dict, repr=False, compare=False)
    constraints_of: dict[int, list[Constraint]] = field(default_factory=dict, repr=False, compare=False)
    unmatched_classes: list[str] = field(default_factory=list)  # table_classes entries that name no table here
    unmatched_root: str | None = None  # thresholds.tenant-root when it names no table here
    # Verdicts on one table's policy expressions, asked again for every command, role and check.
    _scores: dict[tuple[int, str, bool], float] = field(default_factory=dict, repr=False, compare=False)
    _verdicts: dict[tuple[Any, ...], float] = field(default_factory=dict, repr=False, compare=False)  # across tables
    _issues: dict[tuple[int, str], ExprIssues] = field(default_factory=dict, repr=False, compare=False)
    _issues_shared: dict[tuple[Any, ...], ExprIssues] = field(default_factory=dict, repr=False, compare=False)
    _cells: dict[tuple[int, str | None, str], Cell] = field(default_factory=dict, repr=False, compare=False)
    _cell_kinds: dict[tuple[Any, ...], Cell] = field(default_factory=dict, repr=False, compare=False)
    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _last_columns: tuple[int, frozenset[str], frozenset[str]] | None = field(default=None, repr=False, compare=False)

    def of_class(self, *classes: str) -> list[TableInfo]:
        return [i for i in self._by_name if i.cls in classes]

    @cached_property
    def _by_name(self) -> list[TableInfo]:
        """Every table, sorted by schema and name once (of_class is asked a few dozen times per run)."""
        return sorted(self.tables.values(), key=lambda i: (i.table.schema, i.table.name))

    def subject(self, info: TableInfo) -> Subject:
        cols = {info.column} if info.column else set()
        fks, every = self._columns(info.table.oid)
        return Subject(
            frozenset(cols),
            info.table.name,
            self.context_functions,
            indirect=info.column is None,
            fk_columns=fks,
            all_columns=every,
            helpers=self.helpers,
        )

    def _columns(self, oid: int) -> tuple[frozenset[str], frozenset[str]]:
        """A table's foreign-key columns and all its columns (none for a table outside the model), the last
        table's kept: its policies are judged one after the other."""
        last = self._last_columns
        if last is None or last[0] != oid:
            if oid in self.tables:
                fks = frozenset(c for con in self.constraints_of.get(oid, []) if con.type == "f" for c in con.columns)
                every = frozenset(c.name for c in self.columns_of.get(oid, []))
            else:
                fks = every = frozenset()
            last = self._last_columns = (oid, fks, every)
        return last[1], last[2]

    def open_kinds(self, info: TableInfo, expr: str | None, reading: bool = False, writing: bool = False) -> list[str]:
        """What leaves a policy expression on this table short of scoped (atom kinds)."""
        return open_kinds(expr, self.subject(info), reading, writing)

    def once(self, name: str, build: Callable[[], T]) -> T:
        """build(), computed once for this tenant model: the score and the ISO checks share the result."""
        if name not in self._derived:
            self._derived[name] = build()
        return self._derived[name]

    def score(self, info: TableInfo, expr: str, reading: bool = False, writing: bool = False) -> float:
        """score_expr of a policy expression on this table, computed once per table, expression and mode:
        only filtering rows to read (a SELECT's USING: sharing flags count as the owner's choice), or
        checking new rows (WITH CHECK: the author's own id does not place a row in the right tenant)."""
        key = (info.table.oid, expr, reading, writing)
        if key not in self._scores:
            self._scores[key] = self._shared_score(info, expr, reading, writing)
        return self._scores[key]

    def _shared_score(self, info: TableInfo, expr: str, reading: bool, writing: bool) -> float:
        """score_expr, once for all the tables it cannot tell apart (policy_expr.by_verdict): the bench's
        thousands of tables with one policy text were judged one by one."""
        subj = self.subject(info)
        return by_verdict(
            self._verdicts, expr, subj, (reading, writing), lambda: score_expr(expr, subj, reading, writing) or 0.0
        )

    def issues(self, info: TableInfo, expr: str | None) -> ExprIssues:
        """policy_expr.issues of a policy expression on this table, computed once per table and expression."""
        if expr is None:
            return ExprIssues()
        key = (info.table.oid, expr)
        if key not in self._issues:
            self._issues[key] = self._shared_issues(info, expr)
        return self._issues[key]

    def _shared_issues(self, info: TableInfo, expr: str) -> ExprIssues:
        """policy_expr.issues, once for all the tables it cannot tell apart (policy_expr.by_verdict), one
        answer for all of them (callers only read it)."""
        subj = self.subject(info)

        def make() -> ExprIssues:
            found = issues(expr, subj, set(self.settings))
            # most expressions have none: one blank answer for them all (four empty lists each were 11 MB on
            # 50,000 tables)
            return _NO_ISSUES if found == _NO_ISSUES else found

        return by_verdict(self._issues_shared, expr, subj, (tuple(self.settings),), make)

    @property
    def statement(self) -> str:
        return model_statement(self)


# ---- building -------------------------------------------------------------------------------------


def per_snapshot(name: str, build: Callable[[Snapshot], T], snap: Snapshot) -> T:
    """build(snap), computed once per snapshot and run settings (thresholds change what it sees)."""
    settings = snap.settings
    cached = snap.__dict__.get(name)
    if cached and cached[0] is settings:  # the same settings object: the common case, no key to build
        return cached[2]
    key = repr(sorted((k, repr(v)) for k, v in settings.items()))
    if cached and cached[1] == key:
        snap.__dict__[name] = (settings, key, cached[2])
        return cached[2]
    result = build(snap)
    snap.__dict__[name] = (settings, key, result)
    return result


def tenancy(snap: Snapshot) -> Tenancy:
    """The tenant model, cached on the snapshot for the current settings."""
    return per_snapshot("_tenancy", _build, snap)


def _top_tables(snap: Snapshot) -> list[Table]:
    return [t for t in snap.user_tables if not t.is_partition]


def _pk_columns(snap: Snapshot, t: Table) -> list[str]:
    return next((c.columns for c in snap.constraints_of.get(t.oid, []) if c.type == "p"), [])


def _find_root(snap: Snapshot, tables: list[Table]) -> tuple[Table | None, dict[int, str]]:
    """The most referenced table named like a tenant root, and per table the column of its FK to it."""
    configured = TENANT_ROOT(snap)
    if configured:
        schema, _, name = configured.rpartition(".")
        cand = [t for t in tables if t.name == name and (not schema or t.schema == schema)]
    else:
        cand = [t for t in tables if _ROOT_NAME.match(t.name)]
    best: tuple[int, Table | None, dict[int, str]] = (0, None, {})
    top = {t.oid for t in tables}  # partitions with their own foreign keys count once, with their parent
    for root in sorted(cand, key=lambda t: (t.schema, t.name)):
        pk = _pk_columns(snap, root)
        fks: dict[int, str] = {}
        for con in snap.constraints_referencing.get(root.oid, []):
            if con.table_oid not in top:
                continue
            if con.parent_oid is None and len(con.columns) == 1 and con.ref_columns == pk and con.table_oid != root.oid:
                fks.setdefault(con.table_oid, con.columns[0])
        if len(fks) > best[0] or (configured and best[1] is None):
            best = (len(fks), root, fks)
    root = best[1] if (best[0] >= 2 or configured) else None
    return root, (best[2] if root else {})


def _atoms(expr: str) -> list[str]:
    stack, out = [parse(expr)], []
    while stack:
        n = stack.pop()
        if n.op == "atom":
            out.append(n.text)
        stack.extend(n.children)
    return out


def _policy_columns(snap: Snapshot, tables: list[Table]) -> tuple[Counter[str], Counter[str]]:
    """Columns compared for equality with a session setting in policies, and the settings used that way."""
    cols: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for t in tables:
        policies = snap.policies_of.get(t.oid, [])
        if not policies:
            continue
        colnames = sorted(c.name for c in snap.columns_of.get(t.oid, []))
        for p in policies:
            for expr in (p.using_expr, p.check_expr):
                for atom in _atoms(expr or ""):
                    found = settings_in(atom)
                    if not found or not _EQUALITY.search(atom):
                        continue
                    refs = column_refs(atom, t.name)
                    for c in colnames:
                        if c in refs:
                            cols[c] += 1
                            names.update(found)
    return cols, names


@dataclass
class Evidence:
    """What the policies say the tenant is, as numbers of tables per column."""

    member: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # membership helpers
    user: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # col = the current user
    root_pk: dict[int, int] = field(default_factory=dict)  # a root's own key under a membership check

    def best_user(self) -> tuple[str | None, int]:
        if not self.user:
            return None, 0
        col = max(sorted(self.user), key=lambda c: len(self.user[c]))
        return col, len(self.user[col])

    def tenant_tables(self) -> int:
        return len(set().union(*self.member.values(), self.root_pk) if self.member or self.root_pk else set())


def _policy_evidence(snap: Snapshot, tables: list[Table], h: Helpers) -> Evidence:
    """Per column, the tables whose permissive policies scope rows by a membership lookup of the current
    user, or by comparing the column with the current user (per-user tenancy)."""
    ev = Evidence()
    kinds: dict[tuple[Any, ...], str] = {}  # one helpers for all: an atom's kind per verdict_key
    for t in tables:
        policies = [p for p in snap.policies_of.get(t.oid, []) if p.permissive]
        if not policies:
            continue
        cols = frozenset(c.name for c in snap.columns_of.get(t.oid, []))
        fks = frozenset(c for con in snap.constraints_of.get(t.oid, []) if con.type == "f" for c in con.columns)
        subj = Subject(frozenset(), t.name, fk_columns=fks, all_columns=cols, helpers=h)
        pk = _pk_columns(snap, t)
        for p in policies:
            for expr in (p.using_expr, p.check_expr):
                for atom in _atoms(expr or ""):
                    kind = _kind(atom, subj, kinds)
                    if kind not in ("membership", "user"):
                        continue
                    outer = atom.split("(", 1)[0] if kind == "membership" and " IN " in atom else atom
                    refs = (column_refs(outer, t.name) & cols) or (column_refs(atom, t.name) & cols)
                    for c in sorted(refs):
                        if kind == "membership" and pk == [c]:
                            ev.root_pk[t.oid] = ev.root_pk.get(t.oid, 0) + 1
                        elif kind == "membership":
                            ev.member[c].add(t.oid)
                        else:
                            ev.user[c].add(t.oid)
    return ev


def _kind(atom: str, subj: Subject, kinds: dict[tuple[Any, ...], str]) -> str:
    """classify_atom, once for the subjects it cannot tell apart (policy_expr.by_verdict) that share helpers."""
    return by_verdict(kinds, atom, subj, (), lambda: classify_atom(atom, subj))


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _corroborated(
    snap: Snapshot, tables: list[Table], column: str, has_col: dict[str, set[int]], root: Table | None
) -> bool:
    """A tenant column found by names and foreign keys alone is taken only when the schema backs it: a
    tenant's name (organisation, account, workspace, team, tenant; not a shop's customer) on two
    tables or more, or the column on half the tables that hold data."""
    carrying = len(has_col.get(column, ()))
    data = [t for t in tables if not _FRAMEWORK.match(t.name)]
    strong = _snake(column) in {_snake(n) for n in TENANT_COLUMNS(snap)} or bool(
        root is not None and _ROOT_NAME.match(root.name) and not _WEAK_ROOT.match(root.name)
    )
    if strong and carrying >= 2:
        return True
    return bool(data) and carrying >= max(1, len(data) / 2)


_WEAK_ROOT = re.compile(r"^customers?$", re.I)  # a shop's customers are rows of the shop, rarely its tenants


def _user_root(snap: Snapshot, tables: list[Table], column: str) -> Table | None:
    """The table the per-user column points at most often (auth.users, users)."""
    refs: Counter[int] = Counter()
    for t in tables:
        for con in snap.constraints_of.get(t.oid, []):
            if con.type == "f" and con.columns == [column] and con.ref_table_oid:
                refs[con.ref_table_oid] += 1
    if not refs:
        return None
    oid = min(refs, key=lambda o: (-refs[o], o))
    return snap.table_by_oid.get(oid)


def _build(snap: Snapshot) -> Tenancy:
    tables = _top_tables(snap)
    has_col: dict[str, set[int]] = defaultdict(set)
    for t in tables:
        for c in snap.columns_of.get(t.oid, []):
            has_col[c.name].add(t.oid)
    h = helpers(snap)
    root, root_fks = _find_root(snap, tables)
    pol_cols, pol_settings = _policy_columns(snap, tables)
    ev = _policy_evidence(snap, tables, h)
    configured = TENANT_COLUMN(snap)
    forced = ISOLATION_MODEL(snap)
    user_col, user_tables = ev.best_user()
    tenant_tables = max(ev.tenant_tables(), max(pol_cols.values(), default=0))
    column, how, confidence, shape = None, "no tenant column found", "none", "column"
    if configured:
        column, how, confidence = configured, "configuration (thresholds.tenant_column)", "high"
        if forced == "user":
            shape, root, root_fks = "user", None, {}
    elif forced == "none":
        how = "configuration (thresholds.isolation-model = 'none'): not multi-tenant"
    elif user_col and (forced == "user" or (user_tables >= 2 and user_tables > tenant_tables)):
        column, shape, root, root_fks = user_col, "user", None, {}
        how = f"per user: {user_col} is compared with the current user in the policies of {user_tables} tables"
        confidence = "high" if user_tables >= 3 else "medium"
    elif root_fks:
        column = Counter(root_fks.values()).most_common(1)[0][0]
        how = f"single-column foreign keys to {root.qualified} from {len(root_fks)} tables"  # type: ignore[union-attr]
        confidence = "high" if len(root_fks) >= 3 else "medium"
        if ev.member or ev.root_pk:
            shape = "membership"
            how += "; policies check the current user's membership"
    elif ev.member:
        column = max(sorted(ev.member), key=lambda c: len(ev.member[c]))
        shape = "membership"
        how = f"policies of {len(ev.member[column])} tables check the current user's membership on {column}"
        confidence = "medium"
    elif pol_cols:
        column = pol_cols.most_common(1)[0][0]
        how = f"compared with a session setting in {pol_cols[column]} policy expression(s)"
        confidence = "medium"
    else:
        names = TENANT_COLUMNS(snap)
        by_name = [(len(has_col.get(n, ())), -i, n) for i, n in enumerate(names) if has_col.get(n)]
        by_name += [
            (len(oids), -len(names), n)
            for n, oids in has_col.items()
            if n not in names and _TENANT_NAME.search(n) and len(oids) >= 2
        ]
        if by_name:
            count, _, column = max(by_name)
            how = f"column name ({column} on {count} tables)"
            confidence = "medium" if count >= 5 else "low"
    policy_backed = bool(configured or shape != "column" or (column and column in pol_cols))
    if column and not policy_backed and not forced and not _corroborated(snap, tables, column, has_col, root):
        data = sum(1 for t in tables if not _FRAMEWORK.match(t.name))
        how = (
            f"not multi-tenant as far as the catalog shows: {column} ({how}) is on {len(has_col.get(column, ()))} "
            f"of {data} tables and no policy uses it (set thresholds.tenant-column if it is the tenant)"
        )
        column, confidence, root, root_fks = None, "none", None, {}
    settings = list(TENANT_SETTINGS(snap)) or [s for s, _ in pol_settings.most_common()]
    if not settings:  # settings that name a tenant in policies that read some setting
        found = {s for p in snap.policies for e in (p.using_expr, p.check_expr) for s in settings_in(e)}
        settings = sorted(s for s in found if _TENANT_SETTING_NAME.search(s))
    infos = _classify(snap, tables, column, root, root_fks, has_col)
    groups = schema_groups(snap)
    rls_tables = sum(1 for i in infos.values() if i.cls in SCORED and i.table.rls_enabled)
    if forced in MODELS:
        model = forced
    elif column is None:
        model = "schema" if groups else "none"
    elif shape == "user":
        model = "user"
    elif rls_tables:
        model = "rls"
    else:
        model = "app"
    if shape == "user" and column:
        identity = _user_root(snap, tables, column)
        if identity is not None and identity.oid in infos and infos[identity.oid].cls in ("unknown", "reference"):
            infos[identity.oid].cls, infos[identity.oid].reason = "identity", f"the users {column} points at"
    roles, roles_how = app_roles(snap, infos)
    _read_only_globals(snap, infos, roles)
    ten = Tenancy(
        column=column,
        how=how,
        confidence=confidence,
        root=root,
        tables=infos,
        settings=settings,
        context_functions=tuple(CONTEXT_FUNCTIONS(snap)),
        app_roles=roles,
        app_roles_how=roles_how,
        model=model,
        schema_groups=groups,
        rls_tables=rls_tables,
        shape=shape,
        bypass_roles=bypass_inventory(snap, infos, roles),
        helpers=h,
        columns_of=snap.columns_of,
        constraints_of=snap.constraints_of,
    )
    for info in infos.values():
        info.weight = table_weight(snap, info)
    ten.unmatched_classes = unmatched_classes(snap, tables)
    if TENANT_ROOT(snap) and ten.root is None:  # a configured root is taken whenever it exists
        ten.unmatched_root = f"{TENANT_ROOT(snap)}: no such table among those audited"
    return ten


def unmatched_classes(snap: Snapshot, tables: list[Table]) -> list[str]:
    """thresholds.table-classes entries that change nothing here, each with why: the report says so
    (a table renamed or dropped since the file was written), the run goes on."""
    classes = TABLE_CLASSES(snap)
    if not classes:
        return []
    names = {f"{t.schema}.{t.name}" for t in tables} | {t.name for t in tables}
    parts = {f"{t.schema}.{t.name}" for t in snap.user_tables if t.is_partition}
    parts |= {t.name for t in snap.user_tables if t.is_partition}
    why = {True: "a partition, classified with its parent", False: "no such table among those audited"}
    return [f"{key}: {why[key in parts]}" for key in sorted(classes) if key not in names]


def declared_keys(snap: Snapshot, t: Table) -> list[str]:
    """The table's own tenant key columns as the configuration declares them (those it really has)."""
    keys = TENANT_KEYS(snap)
    value = keys.get(f"{t.schema}.{t.name}", keys.get(t.name))
    if not value:
        return []
    names = [value] if isinstance(value, str) else list(value)
    return [n for n in names if (t.oid, n) in snap.column_by_name]


def _override(snap: Snapshot, t: Table) -> str | None:
    classes = TABLE_CLASSES(snap)
    value = classes.get(f"{t.schema}.{t.name}", classes.get(t.name))
    return value if value in CLASSES else None


def _classify(
    snap: Snapshot,
    tables: list[Table],
    column: str | None,
    root: Table | None,
    root_fks: dict[int, str],
    has_col: dict[str, set[int]],
) -> dict[int, TableInfo]:
    infos: dict[int, TableInfo] = {}
    for t in tables:
        if root is not None and t.oid == root.oid:
            pk = _pk_columns(snap, t)
            infos[t.oid] = TableInfo(t, "root", pk[0] if len(pk) == 1 else None, "root tenant table")
        elif _FRAMEWORK.match(t.name):
            infos[t.oid] = TableInfo(t, "framework", None, "framework table (migrations, jobs, file storage)")
        elif column and t.oid in has_col.get(column, ()):
            infos[t.oid] = TableInfo(t, "tenant", column, f"has {column}")
        elif t.oid in root_fks:
            infos[t.oid] = TableInfo(t, "tenant", root_fks[t.oid], f"{root_fks[t.oid]} references the root table")
        elif declared := declared_keys(snap, t):
            reason = f"declared tenant key {', '.join(declared)} (thresholds.tenant_keys)"
            infos[t.oid] = TableInfo(t, "indirect", None, reason, [reason], declared_keys=declared)
        else:
            infos[t.oid] = TableInfo(t, "unknown", None, "no tenant column and no path to a tenant table")
    if column is None and root is None:
        for info in infos.values():
            override = _override(snap, info.table)
            if override:
                info.cls, info.reason = override, "configuration (thresholds.table_classes)"
        return infos
    # Indirect: a foreign key path (depth <= 3) to a tenant table or the root whose columns always hold a key.
    scoped = {oid for oid, i in infos.items() if i.cls in ("tenant", "root") or i.declared_keys}
    for _ in range(3):
        added = {}
        for oid, info in infos.items():
            if info.cls != "unknown" and not (info.cls == "indirect" and oid in added):
                continue
            for con in sorted(snap.constraints_of.get(oid, []), key=lambda c: c.name):
                if con.type != "f" or con.ref_table_oid not in scoped or con.ref_table_oid == oid:
                    continue
                if all(_keyed(snap, infos[oid].table, c) for c in con.columns):
                    parent = infos[con.ref_table_oid]
                    added[oid] = [f"{', '.join(con.columns)} -> {parent.table.qualified}", *parent.via]
                    break
            if oid not in added:
                implied = _implied_path(snap, infos[oid].table, scoped)
                if implied is not None:
                    col, target, how = implied
                    added[oid] = [f"{col} -> {target.qualified} ({how})", *infos[target.oid].via]
        for oid, via in added.items():
            infos[oid].cls, infos[oid].via = "indirect", via
            infos[oid].reason = f"reaches a tenant table through {via[0]}"
        scoped |= set(added)
        if not added:
            break
    tenant_oids = {oid for oid, i in infos.items() if i.cls in ("tenant", "root", "indirect")}
    referenced_by_tenant: dict[int, int] = Counter()
    for con in snap.constraints:
        if con.type == "f" and con.table_oid in tenant_oids and con.parent_oid is None and con.ref_table_oid:
            referenced_by_tenant[con.ref_table_oid] += 1
    max_rows = REFERENCE_MAX_ROWS(snap)
    identity = {oid for oid, i in infos.items() if i.cls == "unknown" and _IDENTITY_NAME.match(i.table.name)}
    for oid, info in infos.items():
        if info.cls != "unknown":
            continue
        t = info.table
        hangs = [
            c
            for c in snap.constraints_of.get(oid, [])
            if c.type == "f"
            and c.ref_table_oid in identity
            and c.ref_table_oid != oid
            and all(
                snap.column_by_name.get((oid, col)) and snap.column_by_name[(oid, col)].not_null for col in c.columns
            )
        ]
        refs_tenant = any(c.type == "f" and c.ref_table_oid in tenant_oids for c in snap.constraints_of.get(oid, []))
        if oid in identity and not refs_tenant:
            info.cls, info.reason = "identity", "user identities shared across tenants (joined through memberships)"
        elif hangs and not refs_tenant:
            parent = snap.table_by_oid[hangs[0].ref_table_oid].qualified  # type: ignore[index]
            info.cls, info.reason = (
                "identity",
                f"belongs to a user identity ({', '.join(hangs[0].columns)} -> {parent})",
            )
        elif not refs_tenant and (
            _REFERENCE_NAME.match(t.name) or (referenced_by_tenant.get(oid) and snap.estimated_rows(t) <= max_rows)
        ):
            info.cls, info.reason = "reference", "lookup table tenant tables point at, with no tenant column"
        elif refs_tenant:
            info.reason = "references a tenant table through a nullable foreign key, and has no tenant column"
    for info in infos.values():
        override = _override(snap, info.table)
        if override:
            info.cls, info.reason = override, "configuration (thresholds.table_classes)"
            if override == "tenant" and info.column is None:
                info.column = column if column and info.table.oid in has_col.get(column, ()) else None
    return infos


def _implied_path(snap: Snapshot, t: Table, scoped: set[int]) -> tuple[str, Table, str] | None:
    """A column with no foreign key that references tenant data: declared in the configuration
    ([tool.pg-auditor.references], enforced by the application) or resolved by its name (request_id ->
    requests(id)), and always holding a key. Such a table holds every tenant's rows too."""
    for col in sorted(c.name for c in snap.columns_of.get(t.oid, [])):
        ref = resolve(snap, t, col)
        if ref is None or ref.target is None or ref.target.oid not in scoped or ref.target.oid == t.oid:
            continue
        if ref.enforced_by and ref.enforced_by.startswith("foreign key"):
            continue  # foreign keys are the path above; a nullable one is not a path
        # any confidence: CON002's "low" says a foreign key is not wanted (an event stream, a history
        # table), not that the rows belong to no tenant; an audit log of requests is every tenant's data
        if _keyed(snap, t, col):
            return col, ref.target, "declared reference" if ref.enforced_by == "declared" else "implied by its name"
    return None


def _keyed(snap: Snapshot, t: Table, col: str) -> bool:
    """The column always holds a key: NOT NULL, a validated CHECK (col IS NOT NULL), or one branch of a
    CHECK (num_nonnulls(...) = 1) (hierarchical tenancy: each row keyed by exactly one of several keys)."""
    c = snap.column_by_name.get((t.oid, col))
    return c is not None and (is_not_null(snap, t.oid, col) or bool(polymorphic_key(snap, t, col)))


def table_weight(snap: Snapshot, info: TableInfo) -> float:
    """(1 + log10(1 + rows)) x 1.5 for tables with sensitive columns; half for unknown tables."""
    if info.cls not in SCORED:
        return 0.0
    w = 1 + math.log10(1 + snap.estimated_rows(info.table))
    if any(_sensitive(c.name) for c in snap.columns_of.get(info.table.oid, [])):
        w *= 1.5
    return w * (0.5 if info.cls in ("unknown", "identity") else 1.0)


@lru_cache(maxsize=1 << 14)
def _sensitive(column: str) -> bool:
    """A column name that says secret or personal data (cached: the same names recur in every table)."""
    return bool(_SENSITIVE.search(column))


def schema_groups(snap: Snapshot) -> list[list[str]]:
    """Schemas (3 or more) holding the same set of table names: a schema-per-tenant layout."""
    by_schema: dict[str, set[str]] = defaultdict(set)
    for t in snap.user_tables:
        if not t.is_partition:
            by_schema[t.schema].add(t.name)
    sig: dict[frozenset[str], list[str]] = defaultdict(list)
    for schema, names in by_schema.items():
        if names:
            sig[frozenset(names)].append(schema)
    return sorted(sorted(s) for s in sig.values() if len(s) >= 3)


# ---- roles ----------------------------------------------------------------------------------------


def _granted_roles(snap: Snapshot) -> dict[str, set[str]]:
    """role -> the roles it is a member of (directly), with inherit/set flags folded in below."""
    out: dict[str, set[str]] = defaultdict(set)
    for m in snap.memberships:
        out[m.member].add(m.role)
    return out


def role_closure(snap: Snapshot, role: str, *, inherit_only: bool = False, set_only: bool = False) -> set[str]:
    """Roles whose privileges `role` has (inherit_only) or can SET ROLE to (set_only), itself included."""
    cache = snap.__dict__.setdefault("_role_closure", {})
    key = (role, inherit_only, set_only)
    if key not in cache:
        cache[key] = frozenset(_closure(snap, role, inherit_only, set_only))
    return set(cache[key])


def _closure(snap: Snapshot, role: str, inherit_only: bool, set_only: bool) -> set[str]:
    seen, stack = {role}, [role]
    while stack:
        r = stack.pop()
        for m in snap.memberships:
            if m.member != r or m.role in seen:
                continue
            if inherit_only and not m.inherit:
                continue
            if set_only and not m.can_set:
                continue
            seen.add(m.role)
            stack.append(m.role)
    return seen


_DML = "rawd"
API_ROLES = ("anon", "authenticated")  # PostgREST / Supabase: requests run as these after SET ROLE


def _holders(snap: Snapshot, scored: list[Table]) -> tuple[set[str], set[str]]:
    """(roles holding DML grants on the tables other than their owners, roles named in their policies)."""
    grants: set[str] = set()
    targets: set[str] = set()
    for t in scored:
        grants |= {g for g, privs in parse_acl(t.acl).items() if g != t.owner and any(ch in privs for ch in _DML)}
        for p in snap.policies_of.get(t.oid, []):
            targets |= set(p.roles)
    grants.discard("public")
    targets.discard("public")
    return grants, targets


def _skips_rls(snap: Snapshot, name: str) -> bool:
    r = snap.role_by_name.get(name)
    return bool(r and (r.superuser or r.bypassrls))


def app_roles(snap: Snapshot, infos: dict[int, TableInfo]) -> tuple[list[str], str]:
    """The roles the application's queries run as, as PostgreSQL resolves them: login roles holding
    grants (or owner privileges through membership), roles a NOINHERIT login role reaches by SET ROLE
    (PostgREST's authenticator -> anon, authenticated), and roles the policies name that hold DML grants.
    Roles that skip RLS reached only by SET ROLE (service_role) are an inventory, not the app."""
    configured = APP_ROLES(snap)
    known = sorted(r for r in configured if r in snap.role_by_name)
    missing = sorted(set(configured) - set(known))
    note = f"; not in this cluster, ignored: {', '.join(missing)}" if missing else ""
    if known:
        return known, f"configuration (thresholds.app_roles){note}"
    scored = [i.table for i in infos.values() if i.cls in SCORED]
    owners = {t.owner for t in scored}
    all_owners = {t.owner for t in snap.user_tables}
    grants, targets = _holders(snap, scored)
    holders = grants | targets
    found: dict[str, str] = {}
    for r in snap.roles:
        if not r.login or r.name in owners or (r.name == snap.server.current_user and r.superuser):
            continue
        reach = role_closure(snap, r.name, inherit_only=True)
        if reach & holders or (reach - {r.name}) & owners:
            found.setdefault(r.name, "login role holding grants or policy targets, or an owner member")
        for target in sorted(role_closure(snap, r.name, set_only=True) - reach):
            if target in grants and target not in owners and not _skips_rls(snap, target):
                found.setdefault(target, f"reached by SET ROLE from login role {r.name}")
    for name in sorted(grants & targets):
        if name not in owners and not _skips_rls(snap, name):
            found.setdefault(name, "named in policies and holding DML grants")
    for name in API_ROLES:
        if name in grants and not _skips_rls(snap, name):
            found.setdefault(name, "PostgREST/Supabase API role holding DML grants")
    via_set = [n for n, why in found.items() if not snap.role_by_name.get(n) or not snap.role_by_name[n].login]
    if via_set:  # requests run as these: login roles that own tables are services (storage, auth), not the app
        found = {n: why for n, why in found.items() if n in via_set or n not in all_owners}
    if found:
        how = "inferred: " + "; ".join(f"{n} ({why})" for n, why in sorted(found.items()))
        return sorted(found), how + note
    login_owners = sorted(o for o in owners if (role := snap.role_by_name.get(o)) and role.login and not role.superuser)
    if login_owners:
        how = "inferred: no other login role can reach the tenant tables, so the owner is the app role"
        return login_owners, how + note
    owned = f"tenant tables are owned by {', '.join(sorted(owners))}" if owners else "no tenant tables"
    return [], f"not identified, set thresholds.app_roles{note}; {owned}"


def bypass_inventory(snap: Snapshot, infos: dict[int, TableInfo], roles: list[str]) -> dict[str, str]:
    """BYPASSRLS roles (superusers aside) that are not application roles but hold privileges on tables
    that hold tenant data, with how a login role reaches them: an inventory, reported at info."""
    scored = [i.table for i in infos.values() if i.cls in SCORED]
    out: dict[str, str] = {}
    for r in snap.roles:
        if not r.bypassrls or r.superuser or r.name in roles:
            continue
        touched = [t for t in scored if has_privilege(snap, r.name, t, _DML)]
        if not touched:
            continue
        via = sorted(
            lr.name
            for lr in snap.roles
            if lr.login and lr.name != r.name and r.name in role_closure(snap, lr.name, set_only=True)
        )
        reach = f"reached by SET ROLE from {', '.join(via)}" if via else ("logs in" if r.login else "no login role")
        out[r.name] = f"can read or write {len(touched)} table(s) holding tenant data, skipping RLS; {reach}"
    return out


def _read_only_globals(snap: Snapshot, infos: dict[int, TableInfo], roles: list[str]) -> None:
    """An unclassified table with no tenant column and no path to one that the application can read but
    not write (a settings row, a price list) is global by design: reference, not tenant data."""
    if not roles:
        return
    for info in infos.values():
        if info.cls != "unknown" or _override(snap, info.table):
            continue
        t = info.table
        if any(c.type == "f" for c in snap.constraints_of.get(t.oid, [])):
            continue
        if any(has_privilege(snap, r, t, "awd") for r in roles) or not any(
            has_privilege(snap, r, t, "r") for r in roles
        ):
            continue
        if t.owner in roles:
            continue
        info.cls, info.reason = "reference", "no tenant column, read-only to the application roles: global by design"


def bypass_reason(snap: Snapshot, role: str, t: Table) -> str | None:
    """Why `role` skips row-level security on table t, or None."""
    r = snap.role_by_name.get(role)
    if r is None:
        return None
    if r.superuser:
        return "superuser"
    if r.bypassrls:
        return "BYPASSRLS"
    if not t.rls_forced:
        if role == t.owner:
            return "table owner (RLS not forced)"
        if t.owner in role_closure(snap, role, inherit_only=True):
            return f"member of the owner role {t.owner} (RLS not forced)"
    for target in sorted(role_closure(snap, role, set_only=True) - {role}):
        tr = snap.role_by_name.get(target)
        if tr and (tr.superuser or tr.bypassrls):
            return f"can SET ROLE {target} ({'superuser' if tr.superuser else 'BYPASSRLS'})"
        if target == t.owner and not t.rls_forced:
            return f"can SET ROLE {target}, the table owner (RLS not forced)"
    return None


def has_privilege(snap: Snapshot, role: str, t: Table, letters: str) -> bool:
    """The role can use one of these privileges on t (owner, grant to it, to a role it inherits, or PUBLIC)."""
    reach = role_closure(snap, role, inherit_only=True)
    r = snap.role_by_name.get(role)
    if (r and r.superuser) or t.owner in reach:
        return True
    acl = parse_acl(t.acl)
    return any(any(ch in acl.get(g, "") for ch in letters) for g in (*reach, "public"))


def policy_applies(snap: Snapshot, p: Policy, role: str | None) -> bool:
    if role is None or "public" in p.roles:
        return True
    return bool(set(p.roles) & role_closure(snap, role, inherit_only=True))


def membership_tables(snap: Snapshot, ten: Tenancy) -> set[int]:
    """Tables the policies' membership checks read (account_user, team_members): writing a row there
    joins a tenant, so an open write on one is critical."""
    return ten.once("membership_tables", lambda: _membership_tables(snap, ten))


def _membership_tables(snap: Snapshot, ten: Tenancy) -> set[int]:
    names: set[str] = set()
    h = ten.helpers
    for p in snap.policies:
        for expr in (p.using_expr, p.check_expr):
            for atom in _atoms(expr or ""):
                for call in re.findall(r"([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\s*\(", atom):
                    v = h.verdict_of_call(call) if h else None
                    if v is not None and v.kind == "membership":
                        names |= set(v.reads)
                if "SELECT" in atom and re.search(r"auth\.uid\(|current_user|request\.jwt", atom, re.I):
                    names |= tables_named(atom)
    out = set()
    for t in snap.user_tables:
        if f"{t.schema}.{t.name}" in names or t.name in names:
            out.add(t.oid)
    return out


# ---- model statement ------------------------------------------------------------------------------


def coverage(ten: Tenancy) -> tuple[int, int, int]:
    """(tables carrying the tenant column, tables holding tenant data, those with row-level security on):
    one set of tables, TENANT_DATA, for every count the report shows, ISO001's included."""
    data = ten.of_class(*TENANT_DATA)
    return sum(1 for i in data if i.cls == "tenant"), len(data), sum(1 for i in data if i.table.rls_enabled)


def model_statement(ten: Tenancy) -> str:
    direct, total, rls = coverage(ten)
    col = ten.column
    if ten.model == "schema":
        groups = "; ".join(f"{len(g)} schemas like {g[0]}" for g in ten.schema_groups)
        return f"schema-per-tenant: {groups or 'configured'}; row-level rules do not apply"
    if ten.model == "none" or col is None:
        return f"isolation not applicable: no tenant model corroborated ({ten.how})"
    if ten.model == "app":
        return f"application-enforced: {col} on {direct} of {total} tables holding tenant data, no row-level security"
    if ten.model == "user" or ten.shape == "user":
        return (
            f"RLS-enforced, per user (each user is the tenant): {col} on {direct} of {total} tables holding user "
            f"data, row-level security on {rls} of {total}"
        )
    how = ", through membership checks of the current user" if ten.shape == "membership" else ""
    return (
        f"RLS-enforced{how}: {col} on {direct} of {total} tables holding tenant data, row-level security on {rls} of "
        f"{total}"
    )


def _table_entry(snap: Snapshot, i: TableInfo) -> dict[str, Any]:
    """One table of the tenant model as the report shows it (and draws it: the tenant graph)."""
    t = i.table
    out: dict[str, Any] = {"class": i.cls, "column": i.column, "reason": i.reason, "via": i.via}
    out["rls"] = "forced" if t.rls_enabled and t.rls_forced else ("on" if t.rls_enabled else "off")
    parent = snap.table_by_oid.get(t.parent_oid or 0) if t.is_partition else None
    if parent is not None:
        out["partition_of"] = parent.qualified
    return out


def describe(snap: Snapshot) -> dict[str, Any]:
    """The tenant model as the report shows it."""
    ten = tenancy(snap)
    counts = Counter(i.cls for i in ten.tables.values())
    out: dict[str, Any] = {
        "model": ten.model,
        "statement": ten.statement,
        "tenant_column": ten.column,
        "how_found": ten.how,
        "confidence": ten.confidence,
        "root_table": ten.root.qualified if ten.root else None,
        "tenant_settings": ten.settings,
        "app_roles": ten.app_roles,
        "app_roles_how": ten.app_roles_how,
        "schema_groups": ten.schema_groups,
        "classes": {c: counts.get(c, 0) for c in CLASSES},
        "tables": {
            i.table.qualified: _table_entry(snap, i)
            for i in sorted(ten.tables.values(), key=lambda i: (i.table.schema, i.table.name))
        },
    }
    if ten.shape != "column":  # only then, like the entries below: reports of other runs stay as they were
        out["shape"] = ten.shape
    if ten.bypass_roles:
        out["bypassrls_roles"] = ten.bypass_roles
    if ten.unmatched_classes:  # only then: reports of a run without them stay as they were
        out["table_classes_unmatched"] = ten.unmatched_classes
    if ten.unmatched_root:
        out["tenant_root_unmatched"] = ten.unmatched_root
    return out


# ---- per table and command ------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    """Whether one command on one table is kept to the tenant for one role: 1 scoped, 0.5 unverified, 0 open.
    Equal verdicts are one object once judged (Tenancy._cell_kinds): nothing changes a Cell after it is made
    (not frozen only because a frozen one takes twice as long to make, and hundreds of thousands are)."""

    command: str
    value: float
    why: str
    policies: list[str] = field(default_factory=list)  # the policies that leave it open


def _combine(
    exprs: list[tuple[Policy, str | None]],
    rest: list[tuple[Policy, str | None]],
    ten: Tenancy,
    info: TableInfo,
    reading: bool = False,
    writing: bool = False,
) -> Cell:
    usable = [(p, e) for p, e in exprs if e is not None]
    if not usable:
        return Cell("", 1.0, "denied (no permissive policy admits rows)")
    scores = [(p, ten.score(info, e, reading, writing)) for p, e in usable]
    floor = max((ten.score(info, e, reading, writing) for _, e in rest if e is not None), default=0.0)
    perm = min(s for _, s in scores)
    value = max(perm, floor)
    if value >= 1.0:
        why = "scoped by a restrictive policy" if perm < 1.0 else "scoped"
        return Cell("", 1.0, why)
    loose = sorted(p.name for p, s in scores if s < 1.0)
    return Cell("", value, "unverified helper function" if value > 0 else "not scoped to the tenant", loose)


def cells(snap: Snapshot, ten: Tenancy, info: TableInfo, role: str | None) -> dict[str, Cell]:
    """The verdict per command (SELECT/INSERT/UPDATE/DELETE; UPDATE is the worse of its read and write)."""
    t = info.table
    out: dict[str, Cell] = {}
    bypass = bypass_reason(snap, role, t) if role else None
    letters = {"SELECT": "r", "INSERT": "a", "UPDATE": "w", "DELETE": "d"}
    for cmd in COMMANDS:
        if role and not has_privilege(snap, role, t, letters[cmd]):
            out[cmd] = Cell(cmd, 1.0, f"{role} has no {cmd} privilege")
        elif not t.rls_enabled:
            out[cmd] = Cell(cmd, 0.0, "row-level security is off")
        elif bypass:
            out[cmd] = Cell(cmd, 0.0, f"{role} bypasses row-level security: {bypass}")
        else:
            out[cmd] = _command_cell(snap, ten, info, role, cmd)
    return out


def _command_cell(snap: Snapshot, ten: Tenancy, info: TableInfo, role: str | None, cmd: str) -> Cell:
    """The verdict on one command for one role from the policies alone, judged once per table, role and
    command: the score and the ISO checks ask for the same ones."""
    key = (info.table.oid, role, cmd)
    cell = ten._cells.get(key)
    if cell is None:
        # equal verdicts kept once: a few hundred kinds for the 200,000 table-command pairs of 50,000 tables
        made = _judge_command(snap, ten, info, role, cmd)
        cell = ten._cells[key] = ten._cell_kinds.setdefault((made.command, made.value, made.why, *made.policies), made)
    return cell


def _judge_command(snap: Snapshot, ten: Tenancy, info: TableInfo, role: str | None, cmd: str) -> Cell:
    pols = [
        p
        for p in snap.policies_of.get(info.table.oid, [])
        if p.command in (cmd, "ALL") and policy_applies(snap, p, role)
    ]
    perm = [p for p in pols if p.permissive]
    rest = [p for p in pols if not p.permissive]
    if not perm:
        return Cell(cmd, 1.0, "denied (no permissive policy)")
    if cmd == "INSERT" and info.cls == "root":
        return Cell(cmd, 1.0, "a new row of the root table is a new tenant: it opens no existing row")

    def check(p: Policy) -> str | None:  # INSERT without WITH CHECK admits nothing; ALL/UPDATE reuse USING
        return p.check_expr if p.check_expr is not None or p.command == "INSERT" else p.using_expr

    if cmd in ("SELECT", "DELETE"):
        reading = cmd == "SELECT"
        c = _combine([(p, p.using_expr) for p in perm], [(p, p.using_expr) for p in rest], ten, info, reading)
    elif cmd == "INSERT":
        c = _combine([(p, check(p)) for p in perm], [(p, check(p)) for p in rest], ten, info, writing=True)
    else:
        read = _combine([(p, p.using_expr) for p in perm], [(p, p.using_expr) for p in rest], ten, info)
        write = _combine([(p, check(p)) for p in perm], [(p, check(p)) for p in rest], ten, info, writing=True)
        c = read if read.value <= write.value else write
        if read.value < write.value:
            c = Cell(
                cmd, read.value, "rows of other tenants can be updated (USING wider than WITH CHECK)", read.policies
            )
    return c if c.command == cmd else Cell(cmd, c.value, c.why, c.policies)  # not replace(): 10 us a call


# ---- structure and paths around RLS (shared by the checks and the score) -------------------------


def _surrogate(snap: Snapshot, t: Table, col: str) -> bool:
    """Generated keys (identity, serial, random uuid) collide with nobody and leak nothing by existence."""
    c = snap.column_by_name.get((t.oid, col))
    if c is None:
        return False
    default = (c.default or "").lower()
    return (
        bool(c.identity)
        or "nextval(" in default
        or "uuid" in default
        or c.base_type == "uuid"
        or bool(_RANDOM_NAME.search(col))
    )


def _id_like(snap: Snapshot, t: Table, col: str) -> bool:
    c = snap.column_by_name.get((t.oid, col))
    return c is not None and (col == "id" or c.base_type in ("int2", "int4", "int8", "uuid"))


def unsafe_foreign_keys(snap: Snapshot, ten: Tenancy) -> list[tuple[TableInfo, TableInfo, Any]]:
    """FKs between two tables that carry the tenant column, whose key leaves that column out."""
    return ten.once("unsafe_foreign_keys", lambda: _unsafe_foreign_keys(snap, ten))


def _unsafe_foreign_keys(snap: Snapshot, ten: Tenancy) -> list[tuple[TableInfo, TableInfo, Any]]:
    out = []
    for child in ten.of_class("tenant"):
        for con in sorted(snap.constraints_of.get(child.table.oid, []), key=lambda c: c.name):
            if con.type != "f" or con.parent_oid is not None:
                continue
            parent = ten.tables.get(con.ref_table_oid or 0)
            if parent is None or parent.cls != "tenant" or not parent.column or not child.column:
                continue
            pairs = dict(zip(con.columns, con.ref_columns, strict=False))
            if pairs.get(child.column) == parent.column:
                continue
            if set(con.columns) & set(declared_keys(snap, child.table)):
                continue  # the key on the table's own declared tenant key is the hierarchy link that places it
            if parent.table.oid in hierarchy_levels(snap):
                continue  # a reference to a level of a declared hierarchy (a namespace, a project) places the row
            if _IDENTITY_NAME.match(parent.table.name) and _members_of_tenants(snap, ten, parent.table):
                continue  # users who join tenants through a membership table: a user of "another" tenant is normal
            out.append((child, parent, con))
    return out


def cross_tenant_links(snap: Snapshot, ten: Tenancy) -> list[tuple[TableInfo, TableInfo, Any]]:
    """Link tables without the tenant column whose keys (NOT NULL) join rows of two or more different
    tables that carry it (a team to a group, a member to a group): nothing makes both parents belong
    to one tenant. Every such key, with the table and the parent it points at."""
    return ten.once("cross_tenant_links", lambda: _cross_tenant_links(snap, ten))


def _cross_tenant_links(snap: Snapshot, ten: Tenancy) -> list[tuple[TableInfo, TableInfo, Any]]:
    out = []
    for child in ten.of_class("indirect", "unknown"):
        if declared_keys(snap, child.table):  # keyed at its own level of a hierarchy (tenant_keys): that is its tenant
            continue
        t = child.table
        keys = []
        for con in sorted(snap.constraints_of.get(t.oid, []), key=lambda c: c.name):
            parent = ten.tables.get(con.ref_table_oid or 0)
            if con.type != "f" or con.parent_oid is not None or parent is None or parent.cls != "tenant":
                continue
            if parent.column and all(is_not_null(snap, t.oid, c) for c in con.columns):
                keys.append((child, parent, con))
        if len({parent.table.oid for _, parent, _ in keys}) >= 2:
            out += keys
    return out


def unscoped_uniques(snap: Snapshot, ten: Tenancy) -> list[tuple[TableInfo, Any]]:
    """Unique indexes on tenant tables that leave the tenant column out (surrogate keys and keys that
    include an FK to a tenant-owned parent excepted)."""
    return ten.once("unscoped_uniques", lambda: _unscoped_uniques(snap, ten))


def _unscoped_uniques(snap: Snapshot, ten: Tenancy) -> list[tuple[TableInfo, Any]]:
    out = []
    for info in ten.of_class("tenant"):
        t = info.table
        owned_fk_cols = [
            set(c.columns)
            for c in snap.constraints_of.get(t.oid, [])
            if c.type == "f"
            and ten.tables.get(c.ref_table_oid or 0, None) is not None
            and ten.tables[c.ref_table_oid or 0].cls in ("tenant", "indirect", "root")
        ]
        for idx in sorted(snap.indexes_of.get(t.oid, []), key=lambda i: i.name):
            if not idx.is_unique or idx.parent_index_oid is not None or not idx.is_valid:
                continue
            cols = [c for c in idx.columns if c]
            if info.column in cols or (idx.has_expressions and any(info.column in k for k in idx.keys)):
                continue
            if set(cols) & set(declared_keys(snap, t)):
                continue  # unique within the table's own declared tenant key (tenant_keys): per tenant at its level
            if any(_owned_reference(snap, ten, t, c) for c in cols):
                continue  # unique within a tenant-owned parent (a reference by a key on partitions, or implied)
            if any(_surrogate(snap, t, c) for c in cols):
                continue  # a generated key in it (e.g. a partitioned table's (id, created_at)) is unique alone
            if any(fk - {info.column} and fk - {info.column} <= set(cols) for fk in owned_fk_cols):
                continue  # unique within a tenant-owned parent row
            if idx.is_primary:
                continue  # a primary key identifies the row; re-keying it per tenant is a redesign, not a fix
            if cols and all(
                (col := snap.column_by_name.get((t.oid, c))) is not None and col.base_type == "bool" for c in cols
            ):
                continue  # a flag: at most one row per value, a singleton on purpose
            if any(c.endswith("_id") and _surrogate(snap, t, c) for c in cols):
                continue  # a uuid reference to a (polymorphic) tenant-owned row is itself global
            keys = [k for k in (info.column, *declared_keys(snap, t)) if k]
            if idx.predicate and any(re.search(rf"\b{re.escape(k)}\b", idx.predicate) for k in keys):
                continue  # e.g. UNIQUE (name) WHERE org_id IS NULL: the shared rows, on purpose
            out.append((info, idx))
    return out


def _owned_reference(snap: Snapshot, ten: Tenancy, t: Table, column: str) -> bool:
    """The column references a row of a tenant-owned table: by a foreign key (also one declared on the
    table's partitions only, followed to the parent set), a declared reference, or one its name implies
    (`source_project_id` -> projects; a weak implied reference, say on an event stream, still names its
    parent). A key that includes it is unique per parent row, so per tenant."""
    ref = resolve(snap, t, column)
    if ref is None or ref.target is None:
        return False
    parent = ten.tables.get(snap.root_of(ref.target).oid)
    return parent is not None and parent.table.oid != t.oid and parent.cls in ("tenant", "indirect", "root")


_GLOBAL_NAME = re.compile(
    r"(^|_)(slug|url|domain|hostname|host|selector|email|username|user_name|login|handle|fingerprint(_\w+)?|uid"
    r"|client_key|path|device_code|user_code|external_id|provider_id|stripe\w*|plan_?id|price_?id|idempotency\w*)$"
    r"|^(slug|url|domain|selector|email|username|handle|fingerprint|planId|priceId|externalId|providerId)$",
    re.I,
)


def global_by_design(snap: Snapshot, ten: Tenancy, info: TableInfo, idx: Any) -> str | None:
    """Why a unique key without the tenant is global on purpose, or None: names unique across tenants by
    nature (a URL slug, a domain and its selector, an email, a provider's id), a 1:1 link to another row,
    or a table that holds one row per tenant."""
    t = info.table
    cols = [c for c in idx.columns if c]
    if not cols or idx.has_expressions:
        return None
    named = [c for c in cols if _GLOBAL_NAME.search(c)]
    shared = _IDENTITY_NAME.match(t.name) and _members_of_tenants(snap, ten, t)
    if named and len(cols) <= 2 and shared:
        return (
            f"{', '.join(named)} is a login name, and {t.qualified} joins tenants through {shared}: one identity "
            "across tenants"
        )
    if named and len(cols) <= 2 and not _IDENTITY_NAME.match(t.name):  # a tenant's own users: per tenant
        return f"{', '.join(named)} names something unique across tenants (a URL, a domain, an email, a provider's id)"
    fk_cols = [con.columns for con in snap.constraints_of.get(t.oid, []) if con.type == "f"]
    if len(cols) == 1 and [cols[0]] in fk_cols:
        return f"a 1:1 link: {cols[0]} is a foreign key, unique so that each row has at most one"
    if info.column and any(
        i.is_unique and i.predicate is None and [c for c in i.columns if c] == [info.column]
        for i in snap.indexes_of.get(t.oid, [])
    ):
        return f"{t.qualified} holds one row per tenant ({info.column} is unique): its other keys are global names"
    return None


def hierarchy_levels(snap: Snapshot) -> set[int]:
    """The tables the declared tenant keys point at below the root (`tenant-keys`: issues keyed by project_id
    -> projects, boards by namespace_id -> namespaces): the levels of the hierarchy. A foreign key to one
    places a row in the hierarchy; it is the tenancy path itself, not a reference across tenants."""

    def build() -> set[int]:
        out: set[int] = set()
        if not TENANT_KEYS(snap):
            return out
        for t in snap.user_tables:
            for key in declared_keys(snap, t):
                ref = resolve(snap, t, key)
                if ref is not None and ref.target is not None and ref.target.oid != t.oid:
                    out.add(snap.root_of(ref.target).oid)
        return out

    return snap.once(("tenant_hierarchy_levels", repr(sorted(TENANT_KEYS(snap).items()))), build)


def _members_of_tenants(snap: Snapshot, ten: Tenancy, t: Table) -> str | None:
    """A membership table linking these identities to the root tenant table, keyed by the pair
    (organization_users: user_id -> users, organization_id -> organizations, unique together): users join
    several tenants, so they are not one tenant's."""
    root = ten.root
    if root is None or root.oid == t.oid:
        return None

    def find() -> str | None:
        for other in snap.user_tables:
            if other.oid in (t.oid, root.oid):
                continue
            fks = [c for c in snap.constraints_of.get(other.oid, []) if c.type == "f" and len(c.columns) == 1]
            users = [c.columns[0] for c in fks if c.ref_table_oid == t.oid]
            tenants = [c.columns[0] for c in fks if c.ref_table_oid == root.oid]
            pairs = {frozenset((u, o)) for u in users for o in tenants}
            if any(  # a link table: the pair (user, tenant) is its key, each user in many tenants
                i.is_unique and i.predicate is None and frozenset(c for c in i.columns if c) in pairs
                for i in snap.indexes_of.get(other.oid, [])
            ):
                return other.qualified
        return None

    return ten.once(f"members_of_tenants:{t.oid}", find)


def polymorphic_key(snap: Snapshot, t: Table, col: str) -> tuple[str, list[str]] | None:
    """(constraint, the other key columns) of a CHECK (num_nonnulls(a, b, col) = 1): the row is keyed by
    exactly one of them, so col is NULL by design on the rows another key owns."""
    for con in snap.constraints_of.get(t.oid, []):
        if con.type != "c" or not con.definition:
            continue
        for m in re.finditer(r"num_nonnulls\(([^()]*)\)\s*=\s*1", con.definition):
            names = [n.strip().strip('"') for n in m.group(1).split(",")]
            if col in names:
                return con.name, [n for n in names if n != col]
    return None


def nullable_tenant_columns(snap: Snapshot, ten: Tenancy) -> list[TableInfo]:
    """Tenant tables whose tenant column may be NULL: not NOT NULL, and no validated CHECK (col IS NOT
    NULL) saying the same (a polymorphic key, NULL by design, is kept: ISO015 says so at info)."""
    out = []
    for info in ten.of_class("tenant"):
        col = snap.column_by_name.get((info.table.oid, info.column or ""))
        if col is not None and not is_not_null(snap, info.table.oid, col.name):
            out.append(info)
    return out


def shared_row_signals(snap: Snapshot, ten: Tenancy, info: TableInfo) -> list[str]:
    """What says a nullable tenant column is NULL on purpose (rows shared by every tenant, e.g. built-in
    roles): a unique index for the NULL rows (WHERE col IS NULL) or one with the column and NULLS NOT
    DISTINCT, a partial index on col IS NULL, a CHECK that gives NULL-tenant rows their own rule, or a
    policy whose USING admits col IS NULL rows. Each signal is one line naming its object."""
    return ten.once(f"shared_rows:{info.table.oid}", lambda: _shared_row_signals(snap, ten, info))


def _shared_row_signals(snap: Snapshot, ten: Tenancy, info: TableInfo) -> list[str]:
    col = info.column or ""
    if not col:
        return []
    name = re.escape(quote_ident(col))
    is_null = re.compile(rf"(?<![\w.\"]){name} IS NULL")
    is_not_null = re.compile(rf"(?<![\w.\"]){name} IS NOT NULL")
    t = info.table
    out = []
    for idx in sorted(snap.indexes_of.get(t.oid, []), key=lambda i: i.name):
        if idx.parent_index_oid is not None or not idx.is_valid:
            continue
        pred = idx.predicate or ""
        null_rows = bool(is_null.search(pred)) and " OR " not in pred.upper() and "NOT (" not in pred.upper()
        if idx.is_unique and null_rows:
            out.append(f"unique index {idx.name} WHERE {pred}")
        elif idx.is_unique and col in idx.columns and idx.nulls_not_distinct:
            out.append(f"unique index {idx.name} ({', '.join(idx.keys)}) NULLS NOT DISTINCT")
        elif null_rows:
            out.append(f"partial index {idx.name} WHERE {pred}")
    for con in sorted(snap.constraints_of.get(t.oid, []), key=lambda c: c.name):
        if con.type != "c":
            continue
        text = con.definition
        # CHECK (col IS NOT NULL) alone is a NOT NULL in disguise (and ISO015's own helper), not a design
        if (is_null.search(text) and "NOT (" + quote_ident(col) + " IS NULL" not in text) or (
            is_not_null.search(text) and " OR " in text.upper()
        ):
            out.append(f"check {con.name}: {text}")
    for p in sorted(snap.policies_of.get(t.oid, []), key=lambda p: p.name):
        branches = [b for b in ten.issues(info, p.using_expr).null_branches if is_null.search(b)]
        if branches and p.permissive:
            out.append(f"policy {p.name} admits {branches[0]}")
    return out


def setting_defaults(snap: Snapshot, ten: Tenancy) -> list[tuple[str | None, bool, str]]:
    """(role or None for the database, this database only, 'name=value') for tenant settings with a default."""
    names = {s.lower() for s in ten.settings}
    out = []
    for rs in snap.role_settings:
        for item in rs.settings or []:
            name = item.split("=", 1)[0].strip().lower()
            if name in names or ("." in name and _TENANT_SETTING_NAME.search(name.split(".", 1)[1])):
                out.append((rs.role, rs.this_database_only, item))
    return sorted(out, key=lambda x: (x[0] or "", x[2]))


def role_bypasses_owner(snap: Snapshot, role: str, t: Table) -> bool:
    """The role skips RLS on t: superuser, BYPASSRLS, or owner privileges on a table that does not FORCE it."""
    return bypass_reason(snap, role, t) is not None and not bypass_reason(snap, role, t).startswith("can SET ROLE")  # type: ignore[union-attr]


@dataclass
class Exposure:
    """A relation that returns tenant rows without the base table's policies."""

    kind: str  # view, materialized view, foreign table, partition
    schema: str
    name: str
    bases: list[TableInfo]
    why: str
    owner: str | None = None


def exposures(snap: Snapshot, ten: Tenancy) -> list[Exposure]:
    out: list[Exposure] = []
    rls_bases = {i.table.oid: i for i in ten.of_class(*SCORED) if i.table.rls_enabled}
    for v in sorted(snap.views, key=lambda v: (v.schema, v.name)):
        bases = [rls_bases[o] for o in v.reads if o in rls_bases]
        if not bases:
            continue
        if v.kind == "m":
            out.append(
                Exposure("materialized view", v.schema, v.name, bases, "a materialized view has no RLS", v.owner)
            )
            continue
        if v.security_invoker:
            continue
        open_ = [b for b in bases if role_bypasses_owner(snap, v.owner, b.table)]
        if open_:
            why = "; ".join(
                f"{v.owner} is {bypass_reason(snap, v.owner, b.table)} of {b.table.qualified}" for b in open_
            )
            out.append(Exposure("view", v.schema, v.name, open_, why, v.owner))
    for info in ten.of_class(*SCORED):
        t = info.table
        if t.kind == "f" and ten.model in ("rls", "user"):
            out.append(Exposure("foreign table", t.schema, t.name, [info], "foreign tables cannot have RLS"))
        if t.is_partitioned and t.rls_enabled:
            stack = list(snap.partitions_of.get(t.oid, []))
            while stack:
                p = stack.pop()
                stack.extend(snap.partitions_of.get(p.oid, []))
                if not p.rls_enabled:
                    out.append(Exposure("partition", p.schema, p.name, [info], f"partition of {t.qualified}"))
    return sorted(out, key=lambda e: (e.schema, e.name))
