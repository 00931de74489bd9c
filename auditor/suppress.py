"""Suppression written in the database: COMMENT ON ... IS '... pg-auditor: ignore IDX003 -- reason'.

A comment on a column or constraint covers findings on it; on a table, findings on the table and
its parts; on a schema, everything in it. A reason is required; a tag without one is not honoured.
Suppressed findings stay in the report, marked as such.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.model import Snapshot
    from auditor.report import Finding

TAG = re.compile(r"pg-auditor:\s*ignore\s+([A-Za-z0-9_,\s]+?)\s*--\s*(\S[^\n]*)", re.IGNORECASE)


def parse(comment: str | None) -> list[tuple[list[str], str]]:
    """[(codes, reason)] for every tag in a comment."""
    if not comment:
        return []
    out = []
    for m in TAG.finditer(comment):
        codes = [c.strip().upper() for c in re.split(r"[,\s]+", m.group(1)) if c.strip()]
        out.append((codes, m.group(2).strip()))
    return out


def suppression_for(finding: Finding, snap: Snapshot) -> str | None:
    obj = finding.obj
    comments: list[tuple[str, str | None]] = []
    schema = snap.schema_by_name.get(obj.schema) if obj.schema else None
    if schema:
        comments.append(("schema", schema.comment))
    table = snap.table_by_name.get((obj.schema, obj.table or "")) if obj.schema else None
    if table is None and obj.schema and obj.kind in ("table", "partitioned table") and obj.name:
        table = snap.table_by_name.get((obj.schema, obj.name))
    if table:
        comments.append(("table", table.comment))
        if obj.kind == "column":
            col = snap.column_by_name.get((table.oid, obj.name or ""))
            comments.append(("column", col.comment if col else None))
        if obj.kind == "constraint":
            con = next((c for c in snap.constraints_of.get(table.oid, []) if c.name == obj.name), None)
            comments.append(("constraint", con.comment if con else None))
    for where, comment in comments:
        for codes, reason in parse(comment):
            if any(finding.code.startswith(c) for c in codes):
                return f"comment on {where}: {reason}"
    return None
