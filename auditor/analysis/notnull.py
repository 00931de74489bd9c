"""NOT NULL as a DBA reads it: a column is NOT NULL when declared so or when a validated
`CHECK (col IS NOT NULL)` holds it (large applications add those NOT VALID, validate them later, and
never convert them: GitLab has hundreds).

Every rule that asks "can this column be NULL?" asks `is_not_null`, so a CHECK-enforced column is never
read as nullable. A NOT VALID check does not count: rows older than it were never checked, and neither
the planner nor SET NOT NULL may rely on it.
"""

from __future__ import annotations

import re

from auditor.catalog.model import Constraint, Snapshot

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_TERM = re.compile(rf"\(*\s*({_IDENT})\s+IS\s+NOT\s+NULL\s*\)*", re.IGNORECASE)


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident.lower()


def not_null_columns(definition: str) -> list[str] | None:
    """The columns a CHECK definition holds NOT NULL when it is nothing but `col IS NOT NULL` terms joined
    by AND (`CHECK ((a IS NOT NULL) AND (b IS NOT NULL))`); None for any other CHECK."""
    body = definition.strip()
    if body.upper().startswith("CHECK"):
        body = body[5:].strip()
    body = re.sub(r"\s+NOT\s+VALID\s*$", "", body, flags=re.IGNORECASE)
    parts = re.split(r"\s+AND\s+", body, flags=re.IGNORECASE)
    out = []
    for part in parts:
        m = _TERM.fullmatch(part.strip())
        if not m:
            return None
        out.append(_unquote(m.group(1)))
    # the parentheses must balance over the whole body, or an AND split an inner expression
    return out if body.count("(") == body.count(")") else None


def check_not_null(snap: Snapshot, table_oid: int) -> dict[str, Constraint]:
    """Columns of a table held NOT NULL by a validated CHECK, with the constraint that does it."""

    def build() -> dict[int, dict[str, Constraint]]:
        out: dict[int, dict[str, Constraint]] = {}
        for con in snap.constraints:
            if con.type != "c" or not con.validated:
                continue
            cols = not_null_columns(con.definition or "")
            if cols:
                for col in cols:
                    out.setdefault(con.table_oid, {}).setdefault(col, con)
        return out

    return snap.once("check_not_null", build).get(table_oid, {})


def pending_check_not_null(snap: Snapshot, table_oid: int) -> dict[str, Constraint]:
    """Columns with a `CHECK (col IS NOT NULL)` still NOT VALID: the rule is declared, old rows unchecked."""

    def build() -> dict[int, dict[str, Constraint]]:
        out: dict[int, dict[str, Constraint]] = {}
        for con in snap.constraints:
            if con.type == "c" and not con.validated:
                for col in not_null_columns(con.definition or "") or []:
                    out.setdefault(con.table_oid, {}).setdefault(col, con)
        return out

    return snap.once("pending_check_not_null", build).get(table_oid, {})


def is_not_null(snap: Snapshot, table_oid: int, column: str) -> bool:
    """The column can hold no NULL: declared NOT NULL, or a validated CHECK (column IS NOT NULL)."""
    col = snap.column_by_name.get((table_oid, column))
    if col is not None and col.not_null:
        return True
    return column in check_not_null(snap, table_oid)
