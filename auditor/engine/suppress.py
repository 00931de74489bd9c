"""Suppression written in the database: COMMENT ON ... IS '... pg-auditor: ignore IDX003 -- reason'.

A comment on a column, constraint or index covers findings on it; on a table, findings on the
table and its parts; on a schema, everything in it. Codes may be prefixes (IDX, IDX00). A reason is
required; a tag without one is not honoured. Suppressed findings stay in the report, marked as such.

Governance: COMMENT ON needs ownership of the object, so whoever owns a table can silence checks on
it; every suppression is therefore shown with its source and reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.catalog.model import Snapshot
    from auditor.engine.report import Finding

TAG = re.compile(r"pg-auditor:\s*ignore\s+([A-Za-z0-9_,\s]+?)\s*--\s*(\S[^\n]*)", re.IGNORECASE)
Tags = list[tuple[list[str], str]]


def parse(comment: str | None) -> Tags:
    """[(codes, reason)] for every tag in a comment. Codes are parsed and validated as --ignore and the
    config's are (config.split_codes, config.is_code): a code that is not a rule or an area prefix
    (`I`, `C`, `P`, a typo) suppresses nothing, and a tag left without a valid code is not honoured."""
    if not comment or "pg-auditor" not in comment.lower():
        return []
    from auditor.engine.config import is_code, split_codes  # late: config loads every rule module

    out = []
    for m in TAG.finditer(comment):
        codes = [c for c in split_codes(m.group(1)) if is_code(c)]
        if codes:
            out.append((codes, m.group(2).strip()))
    return out


@dataclass
class CommentIndex:
    """Every tagged comment of a snapshot, by object name: built once, so each finding costs O(1)."""

    schemas: dict[str, Tags] = field(default_factory=dict)
    tables: dict[tuple[str, str], Tags] = field(default_factory=dict)
    parts: dict[tuple[str, str, str], Tags] = field(default_factory=dict)  # columns, constraints, indexes

    @classmethod
    def build(cls, snap: Snapshot) -> CommentIndex:
        idx = cls()
        for s in snap.schemas:
            if tags := parse(s.comment):
                idx.schemas[s.name] = tags
        for t in snap.tables:
            if tags := parse(t.comment):
                idx.tables[(t.schema, t.name)] = tags
        names = {t.oid: (t.schema, t.name) for t in snap.tables}
        for row in (*snap.columns, *snap.constraints, *snap.indexes):
            if row.comment and (tags := parse(row.comment)) and (owner := names.get(row.table_oid)):
                idx.parts.setdefault((*owner, row.name), []).extend(tags)
        return idx


def index_for(snap: Snapshot) -> CommentIndex:
    """The snapshot's comment index, built on first use and kept on the snapshot."""
    return snap.once("comment_index", lambda: CommentIndex.build(snap))


def suppression_for(finding: Finding, snap: Snapshot) -> str | None:
    idx = index_for(snap)
    if not (idx.schemas or idx.tables or idx.parts):
        return None
    obj = finding.obj
    candidates: list[tuple[str, Tags | None]] = []
    if obj.schema:
        table = obj.table or (obj.name if obj.kind in ("table", "partitioned table", "view") else None)
        if obj.name and table and obj.kind in ("column", "constraint", "index"):
            candidates.append((obj.kind, idx.parts.get((obj.schema, table, obj.name))))
        if table:
            candidates.append(("table", idx.tables.get((obj.schema, table))))
        candidates.append(("schema", idx.schemas.get(obj.schema)))
    for where, tags in candidates:
        for codes, reason in tags or ():
            if any(finding.code.startswith(c) for c in codes):
                return f"comment on {where}: {reason}"
    return None
