"""What the isolation rules share: the tenant model guard, policy SQL, grouping, and the tenancy context.

Every rule reads the same tenant model (auditor.analysis.tenancy) and the same score model
(auditor.analysis.isolation_model), so the findings, their points and the model statement agree.
Row-level rules skip on a schema-per-tenant layout and when no tenant column can be found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from auditor.analysis.acl import letters_by_grantee
from auditor.analysis.helpers import strip_comments, tables_named
from auditor.analysis.isolation_model import model_for
from auditor.analysis.policy_expr import scoped_core, shares, without_branches
from auditor.analysis.tenancy import (
    ISOLATION_MODEL,
    SCORED,
    TableInfo,
    Tenancy,
    describe,
    exposures,
    membership_tables,
    policy_applies,
    tenancy,
)
from auditor.base.names import qualified, quote_ident, quote_literal, regclass_literal
from auditor.base.packed import deflate_lines
from auditor.base.text import sql_comment
from auditor.catalog.model import Function, Snapshot, Table
from auditor.rules.common import invoker_view_sql
from auditor.rules.fixnames import new_name
from auditor.rules.guarded import commented, do_block, transaction
from auditor.rules.registry import SEVERITY_RANK, Hit, Obj, Skip, context, threshold

GROUP_OVER = threshold("isolation_group_over", 8, "more near-identical isolation findings than this become one line")

RLS = ("tables", "policies", "columns", "constraints")


@context("tenancy")
def tenancy_context(snap: Snapshot) -> dict[str, Any]:
    out = describe(snap)
    out["score"] = model_for(snap).as_dict()
    out["isolation_model_forced"] = ISOLATION_MODEL(snap) or None
    return out


def _tenant(snap: Snapshot, *, rows: bool = True) -> Tenancy:
    """The tenant model, or Skip when row-level rules do not apply."""
    ten = tenancy(snap)
    if rows and ten.model == "schema":
        raise Skip(f"{ten.statement}")
    if ten.model == "none":
        raise Skip(ten.statement)  # "isolation not applicable: ..."
    if ten.column is None:
        raise Skip("no tenant column found (set thresholds.tenant-column if the database is multi-tenant)")
    return ten


def _setting(ten: Tenancy) -> str:
    return ten.settings[0] if ten.settings else "app.tenant_id"


def _col_type(snap: Snapshot, t: Table, col: str) -> str:
    c = snap.column_by_name.get((t.oid, col))
    return c.type if c else "text"


def _predicate(snap: Snapshot, ten: Tenancy, info: TableInfo) -> str | None:
    """The tenant predicate for a table: its own column, or EXISTS through a NOT NULL key to its parent."""

    def ctx(t: Table, col: str) -> str:
        # a sub-select: an InitPlan run once per query, not a call per row (what ISO026 asks of every policy)
        return f"(SELECT NULLIF(current_setting({quote_literal(_setting(ten))}, true), '')::{_col_type(snap, t, col)})"

    if info.column:
        return f"{quote_ident(info.column)} = {ctx(info.table, info.column)}"
    t = info.table
    for con in sorted(snap.constraints_of.get(t.oid, []), key=lambda c: c.name):
        parent = ten.tables.get(con.ref_table_oid or 0)
        if con.type != "f" or parent is None or not parent.column:
            continue
        if not all((c := snap.column_by_name.get((t.oid, col))) and c.not_null for col in con.columns):
            continue
        joins = " AND ".join(
            f"p.{quote_ident(rc)} = {quote_ident(t.name)}.{quote_ident(c)}"
            for c, rc in zip(con.columns, con.ref_columns, strict=False)
        )
        pcol = parent.column
        return f"EXISTS (SELECT 1 FROM {parent.table.qualified} p WHERE {joins} AND p.{quote_ident(pcol)} = " + (
            f"{ctx(parent.table, pcol)})"
        )
    return None


def policy_sql(
    snap: Snapshot, ten: Tenancy, info: TableInfo, name: str = "tenant_isolation", restrictive: bool = False
) -> str | None:
    """A tenant policy that fails closed when the setting is missing or empty (None when no predicate fits).
    `name` is a base: the policy gets it, fitted and numbered when the table has a policy of that name."""
    pred = _predicate(snap, ten, info)
    if pred is None:
        return None
    mode = " AS RESTRICTIVE" if restrictive else ""
    name = new_name(snap, info.table, [name], "", kind="policy")
    head = f"CREATE POLICY {quote_ident(name)} ON {info.table.qualified}{mode}"
    return f"{head}\n    USING ({pred})\n    WITH CHECK ({pred});"


def enable_rls_sql(snap: Snapshot, ten: Tenancy, info: TableInfo) -> str | None:
    """ENABLE (and FORCE where it changes something); a tenant policy first when the table has none."""
    t = info.table
    owner = snap.role_by_name.get(t.owner)
    force = (
        ""
        if owner is not None and (owner.superuser or owner.bypassrls)
        else (f"\nALTER TABLE {t.qualified} FORCE ROW LEVEL SECURITY;")
    )
    if snap.policies_of.get(t.oid):  # its own policies take effect again
        return f"ALTER TABLE {t.qualified} ENABLE ROW LEVEL SECURITY;{force}"
    policy = policy_sql(snap, ten, info)
    if policy is None:
        return None
    return f"{policy}\nALTER TABLE {t.qualified} ENABLE ROW LEVEL SECURITY;{force}"


def floor_sql(snap: Snapshot, ten: Tenancy, info: TableInfo, commands: list[str]) -> str | None:
    """Restrictive policies that keep each open command to what the table's policies admit on purpose:
    per command, the OR of the scoped parts of its permissive policies (membership checks, the user's
    own rows, shared rows on read), so members keep their rows. None when a command has no scoped part."""
    t = info.table
    subj = ten.subject(info)
    out = []
    for cmd in commands:
        pols = [p for p in snap.policies_of.get(t.oid, []) if p.permissive and p.command in (cmd, "ALL")]
        using = [scoped_core(p.using_expr, subj, cmd == "SELECT") for p in pols] if cmd != "INSERT" else []
        checks = []
        if cmd in ("INSERT", "UPDATE"):
            checks = [
                scoped_core(p.check_expr if p.check_expr is not None else p.using_expr, subj)
                for p in pols
                if p.check_expr is not None or p.command != "INSERT"
            ]
        using_cores = sorted({c for c in using if c})
        check_cores = sorted({c for c in checks if c})
        if (cmd != "INSERT" and not using_cores) or (cmd in ("INSERT", "UPDATE") and not check_cores):
            return None
        name = quote_ident(f"{cmd.lower()}_floor")
        sql = f"CREATE POLICY {name} ON {t.qualified} AS RESTRICTIVE FOR {cmd}"
        if using_cores:
            sql += f"\n    USING ({' OR '.join(f'({c})' for c in using_cores)})"
        if check_cores:
            sql += f"\n    WITH CHECK ({' OR '.join(f'({c})' for c in check_cores)})"
        out.append(sql + ";")
    return "\n".join(out) or None


def _db(snap: Snapshot) -> Obj:
    return Obj("database", name=snap.server.database)


def bounded(snap: Snapshot, hits: Iterable[Hit], what: str, default: str | None = None) -> Iterator[Hit]:
    """Many near-identical hits become one line, with every member's fix whole in its fix (each member's
    stands alone) and every object in the evidence, with how many lines of the fix each member's is. `default`
    is the rule's own severity, which a hit without one has. Hits are grouped per severity: a line
    never takes its worst member's severity for all of them (one high member does not make twenty
    medium ones high), and a severity with few members keeps them one by one, so each line shows
    the severity and the count of exactly what it holds."""
    items = sorted(hits, key=lambda h: (h.obj.schema or "", h.obj.table or "", h.obj.name or "", h.members))
    over = GROUP_OVER(snap)
    if len(items) <= over:
        yield from items
        return
    buckets: dict[str | None, list[Hit]] = {}
    for h in items:
        buckets.setdefault(h.severity or default, []).append(h)
    for severity in sorted(buckets, key=lambda s: -SEVERITY_RANK.get(s or "", 0)):
        group = buckets[severity]
        if len(group) <= over:
            yield from group
        else:
            yield _group(snap, group, what, severity, (what,) if len(buckets) == 1 else (what, severity or ""))


def _group(snap: Snapshot, items: list[Hit], what: str, severity: str | None, members: tuple[str, ...]) -> Hit:
    """One line for hits of one severity."""
    schemas = {h.obj.schema for h in items}
    obj = Obj("schema", name=next(iter(schemas))) if len(schemas) == 1 and None not in schemas else _db(snap)
    shown = [h.obj.display for h in items]  # once: the objects and the details share each string
    examples = ", ".join(shown[:3])
    # every member's fix, whole and in the members' order: `-f sql`, the JSON and SARIF carry what a DBA runs
    # (the Markdown and HTML fold a long one). evidence.fix_lines says where each one ends, to pick from
    # (member_fixes). Deflated as it is read, each member's text let go once in (base.packed): 7,677 foreign
    # keys' fixes are 9 MB, and their list and its join were two copies at the rules' peak.
    fix_lines = [h.fix.count("\n") + 1 for h in items if h.fix]
    fix = deflate_lines(_taken_fixes(items)) if fix_lines else None
    points = [h.points for h in items if h.points]
    return Hit(
        obj=obj,
        message=f"{len(items)} {what} (e.g. {examples})",
        evidence={
            "count": len(items),
            "objects": shown,
            "details": [{"object": o, "message": h.message, **h.evidence} for o, h in zip(shown, items, strict=True)],
            "fix_lines": fix_lines,
        },
        fix=fix,
        severity=severity,
        points=round(sum(points), 1) if points else None,
        members=members,
    )


def _taken_fixes(items: list[Hit]) -> Iterator[str]:
    """Each member's fix, taken from it (the group's fix now holds it)."""
    for h in items:
        if h.fix:
            fix, h.fix = h.fix, None
            yield fix


def _pts(snap: Snapshot, t: Table | str, *dims: str) -> float | None:
    name = t if isinstance(t, str) else t.qualified
    pts = model_for(snap).table_points(name, dims or ("read", "write", "struct"))
    return pts or None


def _policy_hits(snap: Snapshot, pick: str) -> Iterator[Hit]:
    """Walk every policy on an RLS tenant table and yield the hits of one kind of flaw."""
    ten = _tenant(snap)
    for info in ten.of_class(*SCORED):
        t = info.table
        for p in sorted(snap.policies_of.get(t.oid, []), key=lambda p: p.name):
            obj = Obj("policy", t.schema, t.name, p.name)
            found = [
                (which, ten.issues(info, e)) for which, e in (("USING", p.using_expr), ("WITH CHECK", p.check_expr))
            ]
            mode = "PERMISSIVE" if p.permissive else "RESTRICTIVE"
            base = {
                "command": p.command,
                "mode": mode,
                "roles": p.roles,
                "using": p.using_expr,
                "with_check": p.check_expr,
            }
            if pick == "unscoped":
                if p.permissive and _reaches_app(snap, ten, p):
                    hit = _unscoped_hit(snap, ten, info, p, obj, base)
                    if hit is not None:
                        yield hit
            elif pick in _FLAWS and (p.permissive or pick != "escape"):
                attr, key, text = _FLAWS[pick]
                items = [x for _, i in found for x in getattr(i, attr)]
                if items:
                    severity = ("critical" if p.permissive else "high") if pick == "untrusted" else None
                    yield Hit(
                        obj,
                        f"policy {p.name} on {t.qualified} {text} ({items[0]})",
                        base | {key: items},
                        fix=_flaw_fix(t, p, pick, items),
                        severity=severity,
                    )


def _flaw_fix(t: Table, p: Any, pick: str, items: list[str]) -> str | None:
    """Drop the open branches and keep the rest of the policy; drop a policy that trusts a user-editable claim."""
    name = f"{quote_ident(p.name)} ON {t.qualified}"
    if pick == "untrusted":
        return (
            f"DROP POLICY {name};  -- user_metadata is the user's to edit: key access on app_metadata (set by the"
            " service role only) or a membership table instead"
        )
    if pick not in ("null", "escape"):
        return None
    parts = []
    for which, expr in (("USING", p.using_expr), ("WITH CHECK", p.check_expr)):
        if expr is None:
            continue
        kept = without_branches(expr, items)
        if kept is not None:
            parts.append(f"{which} ({kept})")
    return f"ALTER POLICY {name} {' '.join(parts)};" if parts else None


def _reaches_app(snap: Snapshot, ten: Tenancy, p: Any) -> bool:
    """The policy applies to an application role (any policy counts when none is identified)."""
    return not ten.app_roles or any(policy_applies(snap, p, r) for r in ten.app_roles)


# Atom kinds another rule reports: ISO007 (IS NULL branch), ISO009 (the tenant against the role name),
# ISO010 (user-editable claims)
_OTHER_RULES = frozenset({"null-branch", "current-user", "untrusted"})

_KIND_TEXT = {
    "true": "true",
    "user": "the author's own id alone: a new row may name any tenant",
    "helper": "a helper function the auditor cannot read (needs review)",
    "link": "a subquery on rows other users can write, keyed on this row's own id",
    "flag": "a flag any writer of the row can set",
    "parent-flag": "a flag on the parent row",
    "setting-only": "the session's context without comparing a column of the row",
    "literal": "a constant tenant",
    "loose": "a loose comparison (<>, LIKE) with the tenant",
    "other": "neither the tenant nor the current user",
    "role-identity": "the database role (current_user), the same for every tenant behind one pool",
}


def _unscoped_hit(snap: Snapshot, ten: Tenancy, info: TableInfo, p: Any, obj: Obj, base: dict[str, Any]) -> Hit | None:
    """ISO006's verdict on one permissive policy: what it opens, and how sure the catalog makes us."""
    t = info.table
    if p.command == "INSERT" and info.cls == "root":
        return None  # a new tenant: it opens no existing row
    reading = p.command == "SELECT"
    open_parts = []
    for which, e in (("USING", p.using_expr), ("WITH CHECK", p.check_expr)):
        r = reading and which == "USING"
        w = which == "WITH CHECK"
        if e is not None and ten.score(info, e, r, w) < 1.0:
            kinds = [k for k in ten.open_kinds(info, e, r, w) if k not in _OTHER_RULES]
            if ten.issues(info, e).setting_escapes:
                kinds = [k for k in kinds if k != "setting-only"]  # ISO010: a switch on a settable setting
            open_parts.append((which, kinds))
    open_parts = [(w, k) for w, k in open_parts if k]
    if not open_parts:
        if reading and shares(p.using_expr, ten.subject(info)):
            return Hit(
                obj,
                f"policy {p.name} (SELECT) on {t.qualified} shares rows their owner marks shared "
                "(a flag on the row or its parent); the write policies decide who can set it",
                base | {"kinds": ["shared by flag"]},
                severity="info",
            )
        return None
    kinds = sorted({k for _, ks in open_parts for k in ks})
    whiches = [w for w, _ in open_parts]
    if kinds == ["true"]:
        what = f"{' and '.join(whiches)} (true)"
    else:
        what = "; ".join(f"{w} rests on {', '.join(_KIND_TEXT.get(k, k) for k in ks)}" for w, ks in open_parts)
    write_only = p.command in ("INSERT", "UPDATE", "DELETE") or whiches == ["WITH CHECK"]
    joins = write_only and p.command in ("INSERT", "UPDATE", "ALL") and t.oid in membership_tables(snap, ten)
    if kinds == ["helper"]:
        severity = "medium"
    elif joins:
        severity = "critical"
        what += ": any user can add themselves to any tenant, then read it through the membership check"
    else:
        severity = "high"
    new = policy_sql(snap, ten, info, f"{p.name}_tenant")  # a base: policy_sql makes it a free name
    fix = None
    if ten.shape == "column" and new:
        # the scoped policy first, then the old one goes, in one transaction: a failed CREATE keeps the old
        fix = transaction(f"{new}\nDROP POLICY {quote_ident(p.name)} ON {t.qualified};")
    elif joins:
        fix = (
            f"DROP POLICY {quote_ident(p.name)} ON {t.qualified};  -- joining a tenant goes through an invitation"
            " (a SECURITY DEFINER function that checks it), not a policy any user passes"
        )
    elif kinds == ["true"] and p.command == "SELECT":
        fix = f"DROP POLICY {quote_ident(p.name)} ON {t.qualified};  -- the scoped policies keep each user's own rows"
    return Hit(
        obj,
        f"policy {p.name} ({p.command}) on {t.qualified}: {what}",
        base | {"kinds": kinds},
        fix=fix,
        severity=severity,
    )


# pick -> (ExprIssues attribute, evidence key, message)
_FLAWS = {
    "null": (
        "null_branches",
        "branches",
        "admits rows through an IS NULL branch: rows without a tenant, or sessions without one, see them",
    ),
    "current_user": ("current_user", "atoms", "compares the tenant with the role name"),
    "escape": ("setting_escapes", "branches", "opens rows on a setting any session can change"),
    "untrusted": (
        "untrusted",
        "atoms",
        "trusts a claim the user can edit (user_metadata is set by the user through the auth API)",
    ),
}


def not_null_sql(snap: Snapshot, t: Table, col: str) -> str:
    """SET NOT NULL without a long ACCESS EXCLUSIVE scan: a NOT VALID check, validated, then dropped, the drop
    guarded: only once the column is NOT NULL, and only a check that says exactly that (never another)."""
    cname = new_name(snap, t, [t.name, col], "not_null", kind="constraint")
    rel, q = regclass_literal(t.schema, t.name), quote_ident(cname)
    guard = do_block(
        "  IF NOT EXISTS (SELECT FROM pg_attribute a JOIN pg_constraint c ON c.conrelid = a.attrelid\n"
        f"      WHERE a.attrelid = {rel}::regclass AND a.attname = {quote_literal(col)} AND a.attnotnull\n"
        f"        AND c.conname = {quote_literal(cname)} AND c.contype = 'c'\n"
        "        AND pg_get_constraintdef(c.oid)\n"
        f"          = 'CHECK ((' || quote_ident({quote_literal(col)}) || ' IS NOT NULL))')\n"
        "  THEN\n    RAISE EXCEPTION 'pg-auditor: the column is not NOT NULL yet: its check is kept';\n  END IF;\n"
        f"  ALTER TABLE {t.qualified} DROP CONSTRAINT {q};"
    )
    return (
        f"ALTER TABLE {t.qualified} ADD CONSTRAINT {q} CHECK ({quote_ident(col)} IS NOT NULL) NOT VALID;\n"
        f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {q};\n"
        f"ALTER TABLE {t.qualified} ALTER COLUMN {quote_ident(col)} SET NOT NULL;\n"
        f"{guard}"
    )


def _policies_read(snap: Snapshot, schema: str, name: str) -> list[str]:
    """Policies whose expressions name the relation (qualified, or bare when it is in public)."""
    pattern = re.compile(
        rf"(?<![\w.\"]){re.escape(qualified(schema, name))}(?![\w\"])"
        + (rf"|(?<![\w.\"]){re.escape(quote_ident(name))}(?![\w\"(])" if schema == "public" else ""),
    )
    return sorted(p.name for p in snap.policies if any(pattern.search(e or "") for e in (p.using_expr, p.check_expr)))


def _grantees(snap: Snapshot, schema: str, name: str) -> list[str]:
    """Who holds SELECT on a view: PUBLIC and each role granted it (explicit grants count, not only PUBLIC)."""
    view = next((v for v in snap.views if v.schema == schema and v.name == name), None)
    acl = letters_by_grantee(view.acl if view else None)
    out = ["PUBLIC"] if "r" in acl.get("public", "") else []
    return out + sorted(
        quote_ident(g)
        for g, letters in acl.items()
        if g != "public" and "r" in letters and g != (view.owner if view else "")
    )


def _revoke_sql(snap: Snapshot, schema: str, name: str, kind: str) -> str:
    """REVOKE ALL from PUBLIC and from every role granted anything on the relation (its owner keeps it)."""
    rel = next((v for v in snap.views if v.schema == schema and v.name == name), None) or snap.table_by_name.get(
        (schema, name)
    )
    acl = letters_by_grantee(rel.acl if rel else None)
    owner = rel.owner if rel else ""
    grantees = ["PUBLIC"] if acl.get("public") else []
    grantees += sorted(quote_ident(g) for g in acl if g not in ("public", owner))
    return "\n".join(f"REVOKE ALL ON {kind.upper()} {qualified(schema, name)} FROM {g};" for g in grantees)


def _matview_fix(snap: Snapshot, schema: str, name: str) -> str:
    """A materialized view over RLS tables: replaced, in one transaction, by a security_invoker view with its
    name, query, owner and grants (the policies apply to every read again); where that cannot be (before
    PostgreSQL 15, views reading it, a definition not read), its grants revoked."""
    v = next(v for v in snap.views if v.schema == schema and v.name == name)
    revoke = _revoke_sql(snap, schema, name, "table")
    readers = snap.views_reading.get(v.oid, [])
    if snap.server.major < 15 or readers or not v.definition:
        why = (
            "security_invoker needs PostgreSQL 15"
            if snap.server.major < 15
            else f"{len(readers)} view(s) read it"
            if readers
            else "its definition was not read"
        )
        return (
            f"-- it cannot be replaced by a security_invoker view here ({why}): take it from every role but its"
            " owner,\n-- and serve the rows through a function or view that filters on the tenant\n"
            + (revoke or f"-- only its owner {quote_ident(v.owner)} reads it: keep the application off that role")
        )
    # the definition was read under a pinned search_path: every name that needs its schema carries it
    steps = [
        f"DROP MATERIALIZED VIEW {v.qualified};",
        *invoker_view_sql(v),
    ]
    alternative = (
        "-- instead take it from every role but its owner (not run):\n" + commented(revoke)
        if revoke
        else f"-- instead keep the application off its owner, {quote_ident(v.owner)}, the only role that reads it"
    )
    return (
        "-- one transaction: the materialized view becomes a view with the same name, query, owner and grants\n"
        "-- that runs as its reader (security_invoker), so the tables' policies filter every read. A view computes\n"
        "-- on each read and loses the materialized view's indexes: if it was there for speed, keep it and\n"
        + alternative
        + "\n"
        # not transaction(): its indentation would change a line break inside a quoted name or literal
        + do_block("\n".join(steps))
    )


def _exposure_hits(snap: Snapshot, kinds: tuple[str, ...]) -> Iterator[Hit]:
    ten = _tenant(snap)
    for e in exposures(snap, ten):
        if e.kind not in kinds:
            continue
        bases = ", ".join(b.table.qualified for b in e.bases)
        obj_kind = "table" if e.kind == "partition" else e.kind
        if e.kind == "view" and _policies_read(snap, e.schema, e.name):
            grantees = _grantees(snap, e.schema, e.name)
            fix = (
                f"-- policies read {qualified(e.schema, e.name)}: security_invoker would make them recurse"
                " (infinite recursion detected in policy); keep it for the policies and take it from the roles:\n"
                + "\n".join(f"REVOKE SELECT ON {qualified(e.schema, e.name)} FROM {g};" for g in grantees)
            )
        elif e.kind == "view":
            fix = f"ALTER VIEW {qualified(e.schema, e.name)} SET (security_invoker = true);  -- PostgreSQL 15+"
        elif e.kind == "partition":
            fix = (
                f"ALTER TABLE {qualified(e.schema, e.name)} ENABLE ROW LEVEL SECURITY;\n"
                f"ALTER TABLE {qualified(e.schema, e.name)} FORCE ROW LEVEL SECURITY;\n"
                f"-- and copy the parent's policies, or REVOKE ALL ON {qualified(e.schema, e.name)} FROM the app roles"
            )
        elif e.kind == "materialized view":
            fix = _matview_fix(snap, e.schema, e.name)
        else:
            fix = _revoke_sql(snap, e.schema, e.name, "foreign table") or (
                f"-- only {quote_ident(e.owner or '')} reads it: keep the application from connecting as that role"
            )
        yield Hit(
            obj=Obj(obj_kind, e.schema, e.name, None),
            message=f"{e.kind} {qualified(e.schema, e.name)} returns rows of {bases} without its policies: {e.why}",
            evidence={"bases": [b.table.qualified for b in e.bases], "owner": e.owner},
            fix=fix,
            points=_pts(snap, f"{e.schema}.{e.name}", "read"),
        )


def search_path_pinned(f: Function) -> bool:
    """The function sets its own search_path (ALTER FUNCTION ... SET search_path), whatever the caller's."""
    return any(c.lower().startswith("search_path=") for c in f.config)


def pin_search_path_sql(f: Function) -> str:
    """ALTER FUNCTION ... SET search_path that keeps the body working: pg_catalog alone, or its own schema
    first when the body names relations unqualified (ISO020 and ISO025 print the same statement)."""
    alter = "ALTER PROCEDURE" if f.kind == "p" else "ALTER FUNCTION"
    unqualified = sorted(n for n in tables_named(strip_comments(f.body or "")) if "." not in n)
    if unqualified:
        names = sql_comment(", ".join(unqualified[:3]))
        return (
            f"{alter} {f.signature} SET search_path = {quote_ident(f.schema)}, pg_temp;"
            f"  -- the body names {names} unqualified"
        )
    return f"{alter} {f.signature} SET search_path = pg_catalog, pg_temp;"
